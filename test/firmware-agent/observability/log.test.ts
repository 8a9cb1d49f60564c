import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../hal/time/virtual-clock.js';
import { createLogger, type LoggerOptions } from '../../../firmware-agent/observability/log.js';

/** A destination that keeps every line, parsed. */
function capture(): { lines: string[]; records: () => Record<string, unknown>[]; write: (s: string) => void } {
  const lines: string[] = [];
  return {
    lines,
    write: (s) => {
      lines.push(s);
    },
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

function logger(opts: Partial<LoggerOptions> = {}) {
  const out = capture();
  const log = createLogger({ id: 'sat-3', destination: out, ...opts });
  return { log, out };
}

describe('createLogger', () => {
  it('writes one JSON line per event with code, level, time and the agent id', () => {
    const { log, out } = logger();
    const before = Date.now();
    log.event('MODE_CHANGE', { from: 'nominal', to: 'safe' }, 'entering safe mode');
    log.warn('CYCLE_SLIP', { phase: 'act', elapsed_ms: 27 });
    log.error('ACTION_FAILED', { action: 'payload_off' });
    expect(out.lines).toHaveLength(3);
    for (const l of out.lines) expect(l.endsWith('\n')).toBe(true);
    const [a, b, c] = out.records();
    expect(a).toMatchObject({ level: 'info', id: 'sat-3', code: 'MODE_CHANGE', from: 'nominal', to: 'safe', msg: 'entering safe mode' });
    expect(b).toMatchObject({ level: 'warn', id: 'sat-3', code: 'CYCLE_SLIP', phase: 'act', elapsed_ms: 27 });
    expect(c).toMatchObject({ level: 'error', id: 'sat-3', code: 'ACTION_FAILED' });
    for (const r of [a!, b!, c!]) {
      expect(typeof r.time).toBe('number');
      expect(r.time as number).toBeGreaterThanOrEqual(before);
      expect(r).not.toHaveProperty('pid');
      expect(r).not.toHaveProperty('hostname');
    }
    expect(b).not.toHaveProperty('msg');
  });

  it('respects the level: debug hidden at info, everything hidden when silent', () => {
    const { log, out } = logger();
    log.debug('LINK_STATE', { state: 'up' });
    expect(out.lines).toHaveLength(0);
    log.level = 'debug';
    log.debug('LINK_STATE', { state: 'up' });
    expect(out.records()[0]).toMatchObject({ level: 'debug', code: 'LINK_STATE' });

    const silent = logger({ level: 'silent' });
    silent.log.event('AGENT_START');
    silent.log.error('ACTION_FAILED', { x: 1 });
    expect(silent.out.lines).toEqual([]);
    expect(silent.log.isLevelEnabled('error')).toBe(false);

    const warnOnly = logger({ level: 'warn' });
    warnOnly.log.event('AGENT_START');
    warnOnly.log.warn('HEALTH_WARN');
    expect(warnOnly.out.records().map((r) => r.code)).toEqual(['HEALTH_WARN']);
  });

  it('takes time from the given clock (reproducible under virtual time)', () => {
    const run = (): string[] => {
      const c = new VirtualClock();
      const { log, out } = logger({ clock: c });
      log.event('AGENT_START');
      c.advance(1500);
      log.warn('CYCLE_SLIP', { phase: 'assess' });
      return out.lines;
    };
    const first = run();
    expect(first).toEqual(run());
    expect(first.map((l) => (JSON.parse(l) as { time: number }).time)).toEqual([0, 1500]);
  });

  it('the line owns id, code, level, time, msg: colliding fields are renamed field_<key>', () => {
    const { log, out } = logger();
    const fields = { id: 'dec-9', code: 'E_LINK_TIMEOUT', time: 5, level: 'x', msg: 'y', other: 1 };
    log.event('DECISION_MADE', fields);
    const [r] = out.records();
    expect(r).toMatchObject({ id: 'sat-3', code: 'DECISION_MADE', level: 'info', field_id: 'dec-9', field_code: 'E_LINK_TIMEOUT', field_time: 5, field_level: 'x', field_msg: 'y', other: 1 });
    expect(fields).toEqual({ id: 'dec-9', code: 'E_LINK_TIMEOUT', time: 5, level: 'x', msg: 'y', other: 1 });
    // each key appears once on the line
    const keys = [...out.lines[0]!.matchAll(/"(\w+)":/g)].map((m) => m[1]);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('child loggers add their bindings; errors are serialised', () => {
    const { log, out } = logger();
    const cyc = log.child({ comp: 'cycle' });
    const err = Object.assign(new Error('no answer'), { code: 'E_LINK_TIMEOUT' });
    cyc.error('ACTION_FAILED', { err });
    const [r] = out.records();
    expect(r).toMatchObject({ id: 'sat-3', comp: 'cycle', code: 'ACTION_FAILED', err: { type: 'Error', message: 'no answer', code: 'E_LINK_TIMEOUT' } });
    expect(cyc.id).toBe('sat-3');
    log.flush();
  });
});
