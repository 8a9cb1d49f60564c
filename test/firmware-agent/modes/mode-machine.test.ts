import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { AgentConfig } from '../../../firmware-agent/config/schema.js';
import { MODES, type Mode } from '../../../firmware-agent/decide/types.js';
import { modeMachine, type ModeEvent } from '../../../firmware-agent/modes/mode-machine.js';

type ModeCfg = AgentConfig['modes'];

/** Persistence 3 cycles, 10 s stable before leaving safe, 5 s recovery dwell; one cycle = 1 s. */
const CFG: ModeCfg = { degraded_below: 0.8, safe_below: 0.4, persistence_cycles: 3, safe_exit_stable_s: 10, recovery_dwell_s: 5 };
const PERIOD = 1000;

/** An actor on the mode machine, with `enterSafe` counted and a cycle clock that moves 1 s per event. */
function machine(cfg: ModeCfg = CFG, at = 0) {
  const safeEntries: number[] = [];
  let now = at;
  const actor = createActor(modeMachine.provide({ actions: { enterSafe: () => safeEntries.push(now) } }), { input: { cfg, at } });
  const seen: Mode[] = [];
  actor.subscribe((s) => {
    const m = s.value as Mode;
    if (seen[seen.length - 1] !== m) seen.push(m);
  });
  actor.start(); // the subscription sees the initial snapshot (boot)
  const mode = () => actor.getSnapshot().value as Mode;
  /** One cycle's assessment, one period after the previous. */
  const cycle = (overall: number, opts: { critical?: boolean; fresh?: boolean } = {}): Mode => {
    now += PERIOD;
    actor.send({ type: 'ASSESSED', at: now, overall, critical: opts.critical ?? false, fresh: opts.fresh ?? true });
    return mode();
  };
  const cycles = (n: number, overall: number, opts: { critical?: boolean; fresh?: boolean } = {}): Mode[] => Array.from({ length: n }, () => cycle(overall, opts));
  const override = (m: Mode): Mode => {
    actor.send({ type: 'OVERRIDE', mode: m, at: now, reason: 'test' });
    return mode();
  };
  return { actor, mode, cycle, cycles, override, safeEntries, seen, now: () => now };
}

/** A machine driven to `target` by assessments alone (no override). */
function inMode(target: 'nominal' | 'degraded' | 'safe' | 'recovery') {
  const m = machine();
  m.cycle(1);
  if (target === 'degraded') m.cycles(CFG.persistence_cycles, 0.6);
  if (target === 'safe' || target === 'recovery') m.cycles(CFG.persistence_cycles, 0.2);
  if (target === 'recovery') m.cycles(CFG.safe_exit_stable_s + 1, 1);
  expect(m.mode()).toBe(target);
  return m;
}

describe('mode machine: boot', () => {
  it('starts in boot and goes nominal on the first healthy, fresh cycle', () => {
    const m = machine();
    expect(m.mode()).toBe('boot');
    expect(m.cycle(0.95)).toBe('nominal');
    expect(m.seen).toEqual(['boot', 'nominal']);
  });

  it('stays in boot while the data is not fresh, however healthy it looks', () => {
    const m = machine();
    expect(m.cycles(50, 1, { fresh: false }).every((x) => x === 'boot')).toBe(true);
    // Critical but stale: not counted towards safe either.
    expect(m.cycles(50, 0, { fresh: false, critical: true }).every((x) => x === 'boot')).toBe(true);
    expect(m.safeEntries).toEqual([]);
    expect(m.cycle(1)).toBe('nominal');
  });

  it('goes from boot to degraded or safe when the first fresh cycles are bad for persistence cycles', () => {
    const d = machine();
    expect(d.cycles(CFG.persistence_cycles - 1, 0.6)).toEqual(['boot', 'boot']);
    expect(d.cycle(0.6)).toBe('degraded');
    const s = machine();
    expect(s.cycles(CFG.persistence_cycles - 1, 0.9, { critical: true })).toEqual(['boot', 'boot']);
    expect(s.cycle(0.9, { critical: true })).toBe('safe');
    expect(s.safeEntries).toHaveLength(1);
  });
});

describe('mode machine: nominal ⇄ degraded', () => {
  it('one bad cycle does nothing; only persistence_cycles consecutive low cycles degrade', () => {
    const m = inMode('nominal');
    expect(m.cycle(0.6)).toBe('nominal');
    expect(m.cycle(0.9)).toBe('nominal'); // the streak is broken
    expect(m.cycles(CFG.persistence_cycles - 1, 0.6)).toEqual(['nominal', 'nominal']);
    expect(m.cycle(0.9)).toBe('nominal');
    // A stale cycle breaks the streak too (it is not evidence of low health).
    m.cycles(CFG.persistence_cycles - 1, 0.6);
    expect(m.cycle(0.6, { fresh: false })).toBe('nominal');
    expect(m.cycles(CFG.persistence_cycles - 1, 0.6)).toEqual(['nominal', 'nominal']);
    expect(m.cycle(0.6)).toBe('degraded');
    expect(m.actor.getSnapshot().context.lowStreak).toBe(CFG.persistence_cycles);
  });

  it('degraded returns to nominal after persistence_cycles healthy cycles, not before', () => {
    const m = inMode('degraded');
    expect(m.cycles(CFG.persistence_cycles - 1, 0.9)).toEqual(['degraded', 'degraded']);
    expect(m.cycle(0.5)).toBe('degraded');
    expect(m.cycles(CFG.persistence_cycles - 1, 0.9)).toEqual(['degraded', 'degraded']);
    expect(m.cycle(0.9)).toBe('nominal');
    expect(m.seen).toEqual(['boot', 'nominal', 'degraded', 'nominal']);
  });

  it('exactly at degraded_below counts as healthy; just below counts as low', () => {
    const m = inMode('nominal');
    expect(m.cycles(10, CFG.degraded_below).every((x) => x === 'nominal')).toBe(true);
    m.cycles(CFG.persistence_cycles, CFG.degraded_below - 1e-9);
    expect(m.mode()).toBe('degraded');
  });
});

describe('mode machine: safe', () => {
  it('a critical anomaly for persistence cycles enters safe from nominal; fewer do nothing', () => {
    const m = inMode('nominal');
    expect(m.cycles(CFG.persistence_cycles - 1, 0.95, { critical: true })).toEqual(['nominal', 'nominal']);
    expect(m.cycle(0.95)).toBe('nominal');
    expect(m.cycles(CFG.persistence_cycles - 1, 0.95, { critical: true })).toEqual(['nominal', 'nominal']);
    expect(m.cycle(0.95, { critical: true })).toBe('safe');
    expect(m.seen).toEqual(['boot', 'nominal', 'safe']);
  });

  it('health below safe_below for persistence cycles enters safe from degraded (safe wins over degraded)', () => {
    const m = inMode('degraded');
    m.cycles(CFG.persistence_cycles, 0.3);
    expect(m.mode()).toBe('safe');
    // From nominal straight to safe: both streaks complete on the same cycle, safe is taken.
    const n = inMode('nominal');
    n.cycles(CFG.persistence_cycles, 0.1);
    expect(n.seen).toEqual(['boot', 'nominal', 'safe']);
  });

  it('leaves safe for recovery only after health is stable for safe_exit_stable_s; an unhealthy cycle restarts the clock', () => {
    const m = inMode('safe');
    const stableCycles = (CFG.safe_exit_stable_s * 1000) / PERIOD; // the first healthy cycle starts the clock
    // Healthy for all but the last cycle, then one unhealthy (degraded-level) cycle.
    expect(m.cycles(stableCycles, 0.9).every((x) => x === 'safe')).toBe(true);
    expect(m.cycle(0.7)).toBe('safe');
    expect(m.actor.getSnapshot().context.healthySince).toBeNull();
    // A stale cycle also restarts it.
    m.cycles(5, 0.9);
    expect(m.cycle(0.9, { fresh: false })).toBe('safe');
    // Now a full stable window: healthySince + safe_exit_stable_s.
    const start = m.now() + PERIOD;
    expect(m.cycles(stableCycles, 0.9).every((x) => x === 'safe')).toBe(true);
    expect(m.now() - start).toBe(CFG.safe_exit_stable_s * 1000 - PERIOD);
    expect(m.cycle(0.9)).toBe('recovery');
    expect(m.now() - start).toBe(CFG.safe_exit_stable_s * 1000);
  });

  it('stays in safe while health is merely above safe_below (leaving needs degraded_below)', () => {
    const m = inMode('safe');
    expect(m.cycles(100, 0.7).every((x) => x === 'safe')).toBe(true);
  });
});

describe('mode machine: recovery', () => {
  it('recovery goes nominal no sooner than recovery_dwell_s after entering it', () => {
    const m = inMode('recovery');
    const entered = m.now();
    expect(m.actor.getSnapshot().context.enteredAt).toBe(entered);
    const out = m.cycles((CFG.recovery_dwell_s * 1000) / PERIOD - 1, 1);
    expect(out.every((x) => x === 'recovery')).toBe(true);
    expect(m.cycle(1)).toBe('nominal');
    expect(m.now() - entered).toBe(CFG.recovery_dwell_s * 1000);
    expect(m.seen).toEqual(['boot', 'nominal', 'safe', 'recovery', 'nominal']);
  });

  it('after the dwell, recovery waits for a healthy cycle', () => {
    const m = inMode('recovery');
    m.cycles((CFG.recovery_dwell_s * 1000) / PERIOD + 2, 0.9, { fresh: false });
    expect(m.mode()).toBe('recovery');
    expect(m.cycle(0.9)).toBe('nominal');
  });

  it('recovery with health stuck between safe_below and degraded_below goes degraded, not on forever', () => {
    const m = inMode('recovery');
    m.cycles(CFG.persistence_cycles - 1, 0.6);
    expect(m.mode()).toBe('recovery');
    expect(m.cycle(0.6)).toBe('degraded');
  });

  it('recovery falls back to safe when health falls again, and enterSafe runs again', () => {
    const m = inMode('recovery');
    expect(m.safeEntries).toHaveLength(1);
    expect(m.cycles(CFG.persistence_cycles - 1, 0.9, { critical: true })).toEqual(['recovery', 'recovery']);
    expect(m.cycle(0.2)).toBe('safe');
    expect(m.safeEntries).toHaveLength(2);
    expect(m.seen).toEqual(['boot', 'nominal', 'safe', 'recovery', 'safe']);
  });

  it('enterSafe runs once per safe entry, at the cycle that entered it', () => {
    const m = machine();
    m.cycle(1);
    const entries: number[] = [];
    for (let round = 0; round < 3; round++) {
      m.cycles(CFG.persistence_cycles, 0.1);
      entries.push(m.now());
      m.cycles(30, 1); // safe → recovery → nominal
      expect(m.mode()).toBe('nominal');
    }
    expect(m.safeEntries).toEqual(entries);
  });
});

describe('mode machine: OVERRIDE', () => {
  const targets = ['nominal', 'degraded', 'safe', 'recovery'] as const;
  for (const from of ['boot', 'nominal', 'degraded', 'safe', 'recovery'] as const) {
    for (const to of targets) {
      it(`OVERRIDE ${from} → ${to}`, () => {
        const m = from === 'boot' ? machine() : inMode(from);
        const before = m.safeEntries.length;
        expect(m.override(to)).toBe(to);
        const snap = m.actor.getSnapshot();
        if (to !== from) expect(snap.context.enteredAt).toBe(m.now());
        // enterSafe ran if the override entered safe, and not otherwise.
        if (to === 'safe' && from !== 'safe') expect(m.safeEntries.length - before).toBe(1);
        if (to !== 'safe') expect(m.safeEntries.length - before).toBe(0);
        // The forced mode holds through the next healthy cycle (no transition needs just one).
        expect(m.cycle(1)).toBe(to);
      });
    }
  }

  it('OVERRIDE to safe after a long healthy run holds safe: the stable clock starts at the override', () => {
    const m = inMode('nominal');
    m.cycles(100, 1);
    expect(m.override('safe')).toBe('safe');
    expect(m.safeEntries).toHaveLength(1);
    const at = m.now();
    const stableCycles = (CFG.safe_exit_stable_s * 1000) / PERIOD;
    expect(m.cycles(stableCycles, 1).every((x) => x === 'safe')).toBe(true);
    expect(m.cycle(1)).toBe('recovery');
    expect(m.now() - at).toBe((stableCycles + 1) * PERIOD);
  });

  it('OVERRIDE to degraded while healthy holds degraded for persistence cycles', () => {
    const m = inMode('nominal');
    m.cycles(20, 1);
    expect(m.override('degraded')).toBe('degraded');
    expect(m.cycles(CFG.persistence_cycles - 1, 1)).toEqual(['degraded', 'degraded']);
    expect(m.cycle(1)).toBe('nominal');
  });

  it('OVERRIDE to nominal while unhealthy holds nominal until the condition persists again', () => {
    const m = inMode('degraded');
    m.cycles(10, 0.6);
    expect(m.override('nominal')).toBe('nominal');
    expect(m.cycles(CFG.persistence_cycles - 1, 0.6)).toEqual(['nominal', 'nominal']);
    expect(m.cycle(0.6)).toBe('degraded');
  });

  it('OVERRIDE to recovery starts the dwell at the override', () => {
    const m = inMode('safe');
    m.cycles(3, 1);
    expect(m.override('recovery')).toBe('recovery');
    const at = m.now();
    m.cycles((CFG.recovery_dwell_s * 1000) / PERIOD - 1, 1);
    expect(m.mode()).toBe('recovery');
    expect(m.cycle(1)).toBe('nominal');
    expect(m.now() - at).toBe(CFG.recovery_dwell_s * 1000);
  });
});

describe('mode machine: properties', () => {
  const cfgArb: fc.Arbitrary<ModeCfg> = fc
    .record({
      a: fc.double({ min: 0, max: 1, noNaN: true }),
      b: fc.double({ min: 0, max: 1, noNaN: true }),
      persistence_cycles: fc.integer({ min: 1, max: 4 }),
      safe_exit_stable_s: fc.constantFrom(0, 0.5, 1, 3, 10),
      recovery_dwell_s: fc.constantFrom(0, 0.5, 1, 3, 10),
    })
    .map(({ a, b, ...rest }) => ({ degraded_below: Math.max(a, b), safe_below: Math.min(a, b), ...rest }));
  const assessed = fc.record({
    type: fc.constant('ASSESSED' as const),
    dt: fc.integer({ min: 0, max: 5000 }),
    overall: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 0.4, 0.8, 1)),
    critical: fc.boolean(),
    fresh: fc.boolean(),
  });
  const override = fc.record({ type: fc.constant('OVERRIDE' as const), dt: fc.integer({ min: 0, max: 5000 }), mode: fc.constantFrom(...MODES) });
  const events = fc.array(fc.oneof({ weight: 8, arbitrary: assessed }, { weight: 1, arbitrary: override }), { maxLength: 120 });

  it('the mode is always one of the five, and an assessment never takes safe straight to nominal', () => {
    fc.assert(
      fc.property(cfgArb, events, (cfg, evs) => {
        let at = 0;
        let entries = 0;
        const actor = createActor(modeMachine.provide({ actions: { enterSafe: () => void entries++ } }), { input: { cfg, at } }).start();
        let prev = actor.getSnapshot().value as Mode;
        let safeArrivals = 0;
        for (const e of evs) {
          at += e.dt;
          const ev: ModeEvent =
            e.type === 'ASSESSED'
              ? { type: 'ASSESSED', at, overall: e.overall, critical: e.critical, fresh: e.fresh }
              : { type: 'OVERRIDE', mode: e.mode, at, reason: 'prop' };
          actor.send(ev);
          const now = actor.getSnapshot().value as Mode;
          expect(MODES).toContain(now);
          if (e.type === 'ASSESSED' && prev === 'safe') expect(now).not.toBe('nominal');
          // Only an unhealthy, fresh cycle takes an assessment into safe.
          if (e.type === 'ASSESSED' && now === 'safe' && prev !== 'safe') {
            expect(e.fresh && (e.critical || e.overall < cfg.safe_below)).toBe(true);
          }
          if (now === 'safe' && prev !== 'safe') safeArrivals++;
          prev = now;
        }
        expect(entries).toBeGreaterThanOrEqual(safeArrivals);
        actor.stop();
      }),
      { numRuns: 300 },
    );
  });
});
