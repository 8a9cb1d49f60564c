import { describe, expect, it } from 'vitest';
import { HalError, RemoteError, VirtualClock } from '../../../hal/index.js';
import type { BreakerState } from '../../../firmware-agent/actions/breaker.js';
import { ActionExecutor, type ActionRecord } from '../../../firmware-agent/actions/executor.js';
import type { AgentConfig } from '../../../firmware-agent/config/schema.js';
import { actionMachine } from '../../../firmware-agent/actions/action-machine.js';
import { FINAL_ACTION_STATES } from '../../../firmware-agent/actions/final.js';
import { ACTIONS_CFG, drive, FakeHardware } from './fake-port.js';

const T0 = 1000;

function rig(over: Partial<AgentConfig['actions']> = {}) {
  const clock = new VirtualClock(T0);
  const hw = new FakeHardware(clock);
  const updates: (ActionRecord & { t: number })[] = [];
  const progress: { id: string; expectedMs: number; t: number }[] = [];
  const breakers: [string, BreakerState][] = [];
  const cfg = { ...ACTIONS_CFG, ...over };
  const ex = new ActionExecutor(hw, clock, cfg, {
    onUpdate: (r) => updates.push({ ...r, t: clock.now() }),
    onProgress: (id, expectedMs) => progress.push({ id, expectedMs, t: clock.now() }),
    onBreaker: (d, s) => breakers.push([d, s]),
  });
  const isFinal = (id: string) => ['done', 'failed', 'timed_out'].includes(ex.outcome(id) ?? '');
  return {
    clock,
    hw,
    ex,
    cfg,
    updates,
    progress,
    breakers,
    isFinal,
    /** Runs virtual time until the action is final; returns its last record. */
    finish: async (id: string, limitMs = 300_000) => {
      expect(await drive(clock, () => isFinal(id), limitMs)).toBe(true);
      return updates.filter((u) => u.id === id).at(-1)!;
    },
    states: (id: string) => updates.filter((u) => u.id === id).map((u) => `${u.state}@${u.step}`),
  };
}

const gaps = (ts: number[]) => ts.slice(1).map((t, i) => t - ts[i]!);

describe('executor: a successful action', () => {
  it('runs each step command → read-back in order: pending → running → verifying → … → done', async () => {
    const r = rig();
    expect(r.ex.request({ id: 's1', action: 'enter_safe', params: {}, source: 'local' })).toEqual({ accepted: true });
    expect(r.ex.outcome('s1')).toBe('running');
    expect(r.ex.active().map((a) => a.id)).toEqual(['s1']);
    const last = await r.finish('s1');
    expect(r.states('s1')).toEqual(['pending@0', 'running@0', 'verifying@0', 'running@1', 'verifying@1', 'running@2', 'verifying@2', 'done@2']);
    expect(r.hw.cmds.map((c) => [c.dev, c.op, c.args])).toEqual([
      ['payload', 'set', { on: false, duty: 0 }],
      ['adcs', 'mode', { mode: 'sun_point' }],
      ['obc', 'throttle', { cpu: 0.5 }],
    ]);
    // Each step starts only after the previous one was verified by a read-back.
    const readOf = (dev: string) => r.hw.reads.find((x) => x.dev === dev)!.t;
    expect(r.hw.cmdTimes('adcs')[0]).toBeGreaterThan(readOf('payload'));
    expect(r.hw.cmdTimes('obc')[0]).toBeGreaterThan(readOf('adcs'));
    expect(r.hw.state).toMatchObject({ payload: { on: false, duty: 0 }, adcs: { mode: 'sun_point' }, obc: { cpu: 0.5 } });
    expect(last).toMatchObject({ state: 'done', step: 2, steps: 3, attempt: 1, lastError: null, startedAt: T0, source: 'local' });
    expect(last.endedAt).toBe(r.clock.now());
    expect(r.ex.outcome('s1')).toBe('done');
    expect(r.ex.active()).toEqual([]);
    expect(r.breakers).toEqual([]);
    // Progress: at the request, then at every answer and read-back, with the step's expected time.
    expect(r.progress.length).toBeGreaterThanOrEqual(1 + 3 * 2);
    expect(r.progress.every((p) => p.id === 's1' && p.expectedMs === 300)).toBe(true);
  });

  it('a read-back that catches up within the verify window passes on the first attempt', async () => {
    const r = rig();
    r.hw.script('payload', { kind: 'stuck' });
    r.hw.delayed.push({ at: T0 + 600, dev: 'payload', val: { on: false } });
    r.ex.request({ id: 'p1', action: 'payload_off', params: {}, source: 'ground' });
    const last = await r.finish('p1');
    expect(last).toMatchObject({ state: 'done', attempt: 1 });
    expect(r.hw.cmds).toHaveLength(1);
    // Polled every 250 ms until it matched.
    expect(gaps(r.hw.reads.map((x) => x.t)).every((g) => g === 250 + r.hw.readLatencyMs)).toBe(true);
    expect(r.hw.reads.length).toBeGreaterThanOrEqual(3);
  });
});

describe('executor: retries', () => {
  it('retries a refused command with backoff of exactly 100, 200, 400 ms between attempts, then fails', async () => {
    const r = rig({ breaker_failures: 10 });
    r.hw.latencyMs = 0;
    r.hw.otherwise('heater', { kind: 'refuse', code: 'busy' });
    r.ex.request({ id: 'h1', action: 'heater_on', params: {}, source: 'local' });
    const last = await r.finish('h1');
    expect(r.hw.cmdTimes('heater')).toEqual([T0, T0 + 100, T0 + 300, T0 + 700]);
    expect(last).toMatchObject({ state: 'failed', attempt: 4 });
    expect(last.lastError).toContain('busy');
    expect(last.endedAt).toBe(T0 + 700);
    expect(r.states('h1')).toEqual(['pending@0', 'running@0', 'backoff@0', 'running@0', 'backoff@0', 'running@0', 'backoff@0', 'running@0', 'failed@0']);
  });

  it('the backoff doubles from the configured base; retries is the number of attempts after the first', async () => {
    const r = rig({ breaker_failures: 10, backoff_ms: 50, retries: 2 });
    r.hw.latencyMs = 0;
    r.hw.otherwise('heater', { kind: 'refuse', code: 'busy' });
    r.ex.request({ id: 'h1', action: 'heater_on', params: {}, source: 'local' });
    await r.finish('h1');
    expect(gaps(r.hw.cmdTimes('heater'))).toEqual([50, 100]);
  });

  it('a transient refusal then success: done on the second attempt, after 100 ms (plus the answer latency)', async () => {
    const r = rig();
    r.hw.script('heater', { kind: 'refuse', code: 'busy' });
    r.ex.request({ id: 'h1', action: 'heater_on', params: {}, source: 'local' });
    const last = await r.finish('h1');
    expect(last).toMatchObject({ state: 'done', attempt: 2 });
    expect(gaps(r.hw.cmdTimes())).toEqual([r.hw.latencyMs + 100]);
  });

  for (const code of ['op', 'range', 'schema', 'device']) {
    it(`a refusal that cannot get better (${code}) fails at once, without retry`, async () => {
      const r = rig();
      r.hw.otherwise('heater', { kind: 'refuse', code });
      r.ex.request({ id: 'h1', action: 'heater_on', params: {}, source: 'local' });
      const last = await r.finish('h1');
      expect(r.hw.cmds).toHaveLength(1);
      expect(last).toMatchObject({ state: 'failed', attempt: 1 });
      expect(last.lastError).toContain(code);
      expect(last.endedAt).toBe(T0 + r.hw.latencyMs);
    });
  }

  const thrown: [string, Error, boolean][] = [
    ['E_DEVICE_UNKNOWN', new HalError('E_DEVICE_UNKNOWN', 'no device heater'), false],
    ['E_OP_UNKNOWN', new HalError('E_OP_UNKNOWN', 'no op set'), false],
    ['an error frame `schema`', new RemoteError('schema', 'cmd heater refused: schema: bad args'), false],
    ['an error frame `device`', new RemoteError('device', 'cmd heater refused: device: unknown'), false],
    ['an error frame `busy`', new RemoteError('busy', 'cmd heater refused: busy'), true],
  ];
  for (const [what, error, retryable] of thrown) {
    it(`a command rejected with ${what} is ${retryable ? 'retried' : 'not retried'}`, async () => {
      const r = rig({ breaker_failures: 10 });
      r.hw.otherwise('heater', { kind: 'throw', error });
      r.ex.request({ id: 'h1', action: 'heater_on', params: {}, source: 'local' });
      const last = await r.finish('h1');
      expect(last.state).toBe('failed');
      expect(r.hw.cmds).toHaveLength(retryable ? 4 : 1);
    });
  }

  it('no answer (TimeoutError after the request timeout) is retried: attempts 500 ms + backoff apart', async () => {
    const r = rig({ breaker_failures: 10 });
    r.hw.otherwise('obc', { kind: 'timeout' });
    r.ex.request({ id: 'o1', action: 'throttle_cpu', params: { cpu: 0.5 }, source: 'local' });
    const last = await r.finish('o1');
    expect(gaps(r.hw.cmdTimes('obc'))).toEqual([600, 700, 900]);
    expect(last).toMatchObject({ state: 'failed', attempt: 4 });
    expect(last.lastError).toContain('no answer');
  });

  it('an actuator that acks but does not move (read-back mismatch) is retried, then the action fails', async () => {
    const r = rig({ breaker_failures: 10 });
    r.hw.otherwise('heater', { kind: 'stuck' });
    r.ex.request({ id: 'h1', action: 'heater_on', params: {}, source: 'local' });
    const last = await r.finish('h1');
    // Every attempt waited out a whole verify window: failed after its last retry, not timed out.
    expect(r.hw.cmds).toHaveLength(4);
    expect(last).toMatchObject({ state: 'failed', attempt: 4 });
    expect(last.lastError).toBe('read-back heater.on = false, expected true');
    for (const g of gaps(r.hw.cmdTimes())) expect(g).toBeGreaterThanOrEqual(r.cfg.verify_timeout_ms + 100);
    expect(r.states('h1').filter((s) => s.startsWith('verifying'))).toHaveLength(4);
  });

  it('with breaker_failures 3 (not above retries), a stuck actuator opens it on the third failure and the last retry is refused locally', async () => {
    const r = rig();
    r.hw.otherwise('heater', { kind: 'stuck' });
    r.ex.request({ id: 'h1', action: 'heater_on', params: {}, source: 'local' });
    const last = await r.finish('h1');
    expect(r.hw.cmds).toHaveLength(3);
    expect(last.state).toBe('failed');
    expect(last.lastError).toBe('circuit breaker for heater is open');
    expect(r.breakers).toEqual([['heater', 'open']]);
  });
});

describe('executor: idempotency and devices', () => {
  it('the same id requested twice runs once; again after it finished, still once', async () => {
    const r = rig();
    expect(r.ex.request({ id: 'x', action: 'heater_on', params: {}, source: 'local' })).toEqual({ accepted: true });
    const dup = r.ex.request({ id: 'x', action: 'heater_on', params: {}, source: 'constellation' });
    expect(dup).toMatchObject({ accepted: false, reason: 'duplicate' });
    await r.finish('x');
    expect(r.ex.request({ id: 'x', action: 'heater_off', params: {}, source: 'ground' })).toMatchObject({ accepted: false, reason: 'duplicate' });
    await drive(r.clock, () => false, 10_000);
    expect(r.hw.cmds).toHaveLength(1);
    expect(r.updates.filter((u) => u.state === 'pending')).toHaveLength(1);
  });

  it('an id remembered from the journal is never run again', async () => {
    const r = rig();
    r.ex.remember('old', 'done');
    r.ex.remember('bad', 'failed');
    expect(r.ex.request({ id: 'old', action: 'heater_on', params: {}, source: 'local' })).toMatchObject({ accepted: false, reason: 'duplicate' });
    expect(r.ex.request({ id: 'bad', action: 'heater_on', params: {}, source: 'local' })).toMatchObject({ accepted: false, reason: 'duplicate' });
    expect(r.ex.outcome('old')).toBe('done');
    expect(r.ex.outcome('bad')).toBe('failed');
    await drive(r.clock, () => false, 5000);
    expect(r.hw.cmds).toEqual([]);
    expect(r.updates).toEqual([]);
  });

  it('an unknown action is refused, including names of Object.prototype members', () => {
    const r = rig();
    for (const action of ['self_destruct', 'toString', 'constructor', '__proto__']) {
      expect(r.ex.request({ id: action, action, params: {}, source: 'ground' })).toMatchObject({ accepted: false, reason: 'unknown' });
      expect(r.ex.blocked(action)).toBeUndefined();
    }
  });

  it('two actions on the same device: the second is busy until the first is done; other devices run alongside', async () => {
    const r = rig();
    expect(r.ex.request({ id: 'a', action: 'payload_off', params: {}, source: 'local' }).accepted).toBe(true);
    expect(r.ex.request({ id: 'b', action: 'payload_on', params: { duty: 0.5 }, source: 'ground' })).toMatchObject({ accepted: false, reason: 'busy' });
    expect(r.ex.request({ id: 'c', action: 'enter_safe', params: {}, source: 'local' })).toMatchObject({ accepted: false, reason: 'busy' });
    expect(r.ex.request({ id: 'd', action: 'heater_on', params: {}, source: 'local' }).accepted).toBe(true);
    expect(r.ex.active().map((x) => x.id).sort()).toEqual(['a', 'd']);
    await r.finish('a');
    await r.finish('d');
    // Both ran concurrently: the heater command went out before the payload was verified.
    expect(r.hw.cmdTimes('heater')[0]).toBe(T0);
    // A busy request was not remembered: it can be asked again now.
    expect(r.ex.request({ id: 'b', action: 'payload_on', params: { duty: 0.5 }, source: 'ground' }).accepted).toBe(true);
    await r.finish('b');
    expect(r.hw.state.payload).toEqual({ on: true, duty: 0.5 });
  });

  it('fromStep resumes a multi-step action where it stopped', async () => {
    const r = rig();
    r.ex.request({ id: 's', action: 'enter_safe', params: {}, source: 'local', fromStep: 2 });
    const last = await r.finish('s');
    expect(r.hw.cmds.map((c) => c.dev)).toEqual(['obc']);
    expect(r.states('s')).toEqual(['pending@2', 'running@2', 'verifying@2', 'done@2']);
    expect(last).toMatchObject({ step: 2, steps: 3 });
    const r1 = rig();
    r1.ex.request({ id: 's', action: 'enter_safe', params: {}, source: 'local', fromStep: 1 });
    await r1.finish('s');
    expect(r1.hw.cmds.map((c) => c.dev)).toEqual(['adcs', 'obc']);
    expect(r1.states('s')).toEqual(['pending@1', 'running@1', 'verifying@1', 'running@2', 'verifying@2', 'done@2']);
    // The resumed action only holds the devices of its remaining steps.
    const r2 = rig();
    r2.ex.request({ id: 's', action: 'enter_safe', params: {}, source: 'local', fromStep: 2 });
    expect(r2.ex.request({ id: 'p', action: 'payload_off', params: {}, source: 'local' }).accepted).toBe(true);
  });
});

describe('executor: timeouts', () => {
  it('a command that is never answered ends the action timed_out, and frees the device', async () => {
    const r = rig();
    r.hw.script('obc', { kind: 'silent' });
    r.ex.request({ id: 'o', action: 'throttle_cpu', params: { cpu: 0.5 }, source: 'local' });
    const last = await r.finish('o');
    expect(last.state).toBe('timed_out');
    expect(r.hw.cmds).toHaveLength(1);
    const took = last.endedAt! - last.startedAt;
    // Longer than every retry could take (4 attempts × verify window + backoffs), and bounded.
    expect(took).toBeGreaterThan(4 * r.cfg.verify_timeout_ms + 700);
    expect(took).toBeLessThan(60_000);
    expect(r.ex.active()).toEqual([]);
    expect(r.ex.request({ id: 'o2', action: 'unthrottle_cpu', params: {}, source: 'local' }).accepted).toBe(true);
    expect((await r.finish('o2')).state).toBe('done');
  });

  it('a read-back that never answers ends timed_out too', async () => {
    const r = rig();
    r.hw.silentReads.add('adcs');
    r.ex.request({ id: 'a', action: 'adcs_nadir', params: {}, source: 'local' });
    expect((await r.finish('a')).state).toBe('timed_out');
  });

  it('stopAll abandons running actions: their read-back polling stops and the breaker is not blamed', async () => {
    const r = rig();
    r.hw.otherwise('heater', { kind: 'stuck' });
    r.ex.request({ id: 'h', action: 'heater_on', params: {}, source: 'local' });
    await drive(r.clock, () => r.hw.reads.length >= 2);
    r.ex.stopAll();
    const reads = r.hw.reads.length;
    await drive(r.clock, () => false, 20_000);
    expect(r.hw.reads.length).toBeLessThanOrEqual(reads + 1);
    expect(r.ex.breaker('heater').state).toBe('closed');
    expect(r.breakers).toEqual([]);
  });
});

describe('executor: circuit breakers', () => {
  async function openHeater(r: ReturnType<typeof rig>) {
    r.hw.otherwise('heater', { kind: 'refuse', code: 'busy' });
    r.ex.request({ id: 'open', action: 'heater_on', params: {}, source: 'local' });
    const last = await r.finish('open');
    expect(last.lastError).toBe('circuit breaker for heater is open');
    expect(r.hw.cmds).toHaveLength(r.cfg.breaker_failures);
  }

  it('blocked()/blockedDevices() reflect open breakers; a request on an open device fails without a command', async () => {
    const r = rig();
    expect(r.ex.blockedDevices()).toEqual([]);
    await openHeater(r);
    expect(r.ex.blockedDevices()).toEqual(['heater']);
    expect(r.ex.blocked('heater_on')).toContain('heater');
    expect(r.ex.blocked('heater_off')).toContain('heater');
    expect(r.ex.blocked('payload_off')).toBeUndefined();
    expect(r.ex.blocked('enter_safe')).toBeUndefined();
    expect(r.breakers).toEqual([['heater', 'open']]);
    const cmds = r.hw.cmds.length;
    r.ex.request({ id: 'off', action: 'heater_off', params: {}, source: 'local' });
    const last = await r.finish('off');
    expect(last).toMatchObject({ state: 'failed', attempt: 1 });
    expect(r.hw.cmds.length).toBe(cmds);
    // Blocked on another device too (sorted).
    r.hw.otherwise('adcs', { kind: 'refuse', code: 'busy' });
    r.ex.request({ id: 'adcs', action: 'adcs_nadir', params: {}, source: 'local' });
    await r.finish('adcs');
    expect(r.ex.blockedDevices()).toEqual(['adcs', 'heater']);
  });

  it('after breaker_reset_ms the breaker is half-open: one probe that succeeds closes it', async () => {
    const r = rig();
    await openHeater(r);
    const openedAt = r.hw.cmdTimes().at(-1)! + r.hw.latencyMs; // the third refusal opened it
    r.clock.runUntil(openedAt + r.cfg.breaker_reset_ms - 1);
    expect(r.ex.blockedDevices()).toEqual(['heater']);
    r.clock.runUntil(openedAt + r.cfg.breaker_reset_ms);
    expect(r.ex.blockedDevices()).toEqual([]);
    expect(r.ex.blocked('heater_on')).toBeUndefined();
    r.hw.otherwise('heater', { kind: 'ok' });
    r.ex.request({ id: 'probe', action: 'heater_on', params: {}, source: 'local' });
    expect((await r.finish('probe')).state).toBe('done');
    expect(r.breakers).toEqual([['heater', 'open'], ['heater', 'half_open'], ['heater', 'closed']]);
  });

  it('a half-open probe whose read-back fails opens the breaker again at once', async () => {
    const r = rig();
    await openHeater(r);
    r.clock.advance(r.cfg.breaker_reset_ms);
    r.hw.otherwise('heater', { kind: 'stuck' });
    const before = r.hw.cmds.length;
    r.ex.request({ id: 'probe', action: 'heater_on', params: {}, source: 'local' });
    const last = await r.finish('probe');
    expect(last.state).toBe('failed');
    expect(r.hw.cmds.length - before).toBe(1); // one probe, then refused locally
    expect(r.breakers).toEqual([['heater', 'open'], ['heater', 'half_open'], ['heater', 'open']]);
    expect(r.ex.blockedDevices()).toEqual(['heater']);
  });

  it('the link going down during the half-open probe gives the probe back: the retry may probe', async () => {
    const r = rig();
    await openHeater(r);
    r.clock.advance(r.cfg.breaker_reset_ms);
    r.hw.script('heater', { kind: 'throw', error: new HalError('E_LINK_DOWN', 'link lost') }).otherwise('heater', { kind: 'ok' });
    const before = r.hw.cmds.length;
    r.ex.request({ id: 'probe', action: 'heater_on', params: {}, source: 'local' });
    const last = await r.finish('probe');
    expect(last).toMatchObject({ state: 'done', attempt: 2 });
    expect(r.hw.cmds.length - before).toBe(2);
    expect(r.ex.breaker('heater').state).toBe('closed');
  });

  it('a link-down answer is retried and never counts against the device', async () => {
    const r = rig();
    r.hw.otherwise('heater', { kind: 'throw', error: new HalError('E_LINK_DOWN', 'link lost') });
    r.ex.request({ id: 'h', action: 'heater_on', params: {}, source: 'local' });
    const last = await r.finish('h');
    expect(last).toMatchObject({ state: 'failed', attempt: 4 });
    expect(r.breakers).toEqual([]);
    expect(r.ex.breaker('heater').state).toBe('closed');
  });

  it('an action that times out during the half-open probe does not leave the breaker stuck', async () => {
    const r = rig();
    await openHeater(r);
    r.clock.advance(r.cfg.breaker_reset_ms);
    r.hw.script('heater', { kind: 'silent' }).otherwise('heater', { kind: 'ok' });
    r.ex.request({ id: 'probe', action: 'heater_on', params: {}, source: 'local' });
    expect((await r.finish('probe')).state).toBe('timed_out');
    r.ex.request({ id: 'next', action: 'heater_on', params: {}, source: 'local' });
    expect((await r.finish('next')).state).toBe('done');
    expect(r.ex.breaker('heater').state).toBe('closed');
  });
});

describe('final action states', () => {
  it('are exactly the action machine\'s final states (the executor, the journal fold and the agent use this one list)', () => {
    const states = actionMachine.config.states as Record<string, { type?: string }>;
    const final = Object.keys(states).filter((k) => states[k]!.type === 'final');
    expect([...FINAL_ACTION_STATES].sort()).toEqual(final.sort());
  });
});
