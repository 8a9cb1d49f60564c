import { describe, expect, it } from 'vitest';
import { agentRig } from './rig.js';

/**
 * The agent flying against the in-process emulator on virtual time: each of the issue's
 * scenarios, end to end, through the real HAL, devices, world models and journal.
 */
describe('agent against the emulator (virtual time)', () => {
  it('nominal: boots to nominal, points at the sun, runs the payload; no anomaly, no stall', async () => {
    const { run, seen, finished } = await agentRig({ duration_s: 300 });
    await run.runTo(300);
    const a = run.agent('SAT-1');
    expect(a.currentMode).toBe('nominal');
    expect(seen.modes.map((m) => m.to)).toEqual(['nominal']);
    expect(finished().map((x) => [x.r.action, x.r.state])).toEqual([
      ['adcs_sun_point', 'done'],
      ['unthrottle_cpu', 'done'],
      ['payload_on', 'done'],
    ]);
    expect(seen.stalls).toEqual([]);
    expect(a.latestAssessment!.anomalies).toEqual([]);
    expect(run.constellation.byId('SAT-1')!.inputs.payloadOn).toBe(true);
    await run.stop();
  });

  it('thermal runaway: the payload is throttled then shed, and the mode returns to nominal once it cools', async () => {
    const { run, seen, finished } = await agentRig({
      duration_s: 3000,
      faults: [{ at_s: 120, sat: 'SAT-1', fault: 'thermal_runaway', params: { node: 'payload', watts: 40 }, until_s: 900 }],
    });
    await run.runTo(3000);
    const acted = finished().map((x) => x.r.action);
    expect(acted).toContain('payload_throttle');
    expect(acted).toContain('payload_off');
    const modes = seen.modes.map((m) => m.to);
    expect(modes).toContain('safe');
    expect(modes.slice(-2)).toEqual(['recovery', 'nominal']);
    expect(run.agent('SAT-1').currentMode).toBe('nominal');
    // The throttle came before the shutdown, and both while the payload was heating.
    const throttleAt = finished('payload_throttle')[0]!.t;
    const offAt = finished('payload_off')[0]!.t;
    expect(throttleAt).toBeLessThan(offAt);
    expect(offAt).toBeLessThan(900);
    await run.stop();
  }, 30_000);

  it('battery crisis: safe mode, then recovery, then nominal no sooner than the configured dwell', async () => {
    const dwell = 45;
    const { run, seen } = await agentRig({
      duration_s: 6600,
      agent: { modes: { recovery_dwell_s: dwell, safe_exit_stable_s: 30 } },
      faults: [{ at_s: 900, sat: 'SAT-1', fault: 'power_leak', params: { watts: 35 }, until_s: 3600 }],
    });
    await run.runTo(6600);
    const modes = seen.modes.map((m) => m.to);
    const safe = modes.indexOf('safe');
    expect(safe).toBeGreaterThanOrEqual(0);
    expect(modes.slice(safe)).toEqual(['safe', 'recovery', 'nominal']);
    const rec = seen.modes.find((m) => m.to === 'recovery')!;
    const nom = seen.modes.filter((m) => m.to === 'nominal').at(-1)!;
    expect(nom.t - rec.t).toBeGreaterThanOrEqual(dwell);
    // Safe-mode entry shed the payload, pointed at the sun and throttled the OBC.
    const sat = run.constellation.byId('SAT-1')!;
    const entry = seen.actions.find((a) => a.r.action === 'enter_safe' && a.r.state === 'done');
    expect(entry).toBeDefined();
    expect(run.agent('SAT-1').state.counters.safeEntries).toBe(1);
    expect(sat.world.power.soc).toBeGreaterThan(0.3);
    await run.stop();
  }, 60_000);

  it('sensor dropout: stale data is flagged and the mode degrades, nothing crashes, and it recovers', async () => {
    const { run, seen } = await agentRig({
      duration_s: 400,
      faults: [{ at_s: 60, sat: 'SAT-1', fault: 'dropout', params: { dev: 'thermal' }, until_s: 200 }],
    });
    await run.runTo(100);
    const a = run.agent('SAT-1');
    const snap = a.telemetry.snapshot();
    expect(snap.stale.thermal).toBe(true);
    expect(snap.ageMs.thermal).toBeGreaterThan(30_000);
    expect(a.latestAssessment!.anomalies.map((x) => x.signature)).toContain('thermal_stale:stale');
    expect(a.currentMode).toBe('degraded');
    await run.runTo(400);
    expect(run.agent('SAT-1').telemetry.snapshot().stale.thermal).toBe(false);
    expect(run.agent('SAT-1').currentMode).toBe('nominal');
    expect(seen.modes.map((m) => m.to)).toEqual(['nominal', 'degraded', 'nominal']);
    expect(run.restarts).toEqual([]);
    await run.stop();
  });

  it('actuator refusal: retries with backoff, the breaker opens, the action fails and is reported', async () => {
    const { run, finished } = await agentRig({
      duration_s: 60,
      faults: [{ at_s: 0, sat: 'SAT-1', fault: 'actuator_refuses', params: { dev: 'payload' } }],
    });
    await run.runTo(20);
    const failed = finished('payload_on');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    const f = failed[0]!.r;
    expect(f.state).toBe('failed');
    // Four refusals (the first try and retries after 100, 200 and 400 ms) used up the retries
    // and opened the breaker.
    expect(f.attempt).toBe(4);
    expect(f.lastError).toMatch(/payload set refused: fault: actuator refuses/);
    const a = run.agent('SAT-1');
    expect(a.executor.breaker('payload').state).toBe('open');
    expect(a.metrics.counter('actions', 'failed').value).toBeGreaterThanOrEqual(1);
    // While the breaker is open the agent does not hammer the device.
    const attempts = finished('payload_on').length;
    await run.runTo(25);
    expect(finished('payload_on').length).toBe(attempts);
    await run.stop();
  });

  it('a stalled action (the device stopped answering) is flagged exactly once', async () => {
    const { run, seen, finished } = await agentRig({
      duration_s: 60,
      faults: [{ at_s: 10, sat: 'SAT-1', fault: 'dropout', params: { dev: 'heater' } }],
    });
    await run.runTo(20);
    // The ground asks for the heater while it has stopped answering.
    expect(run.agent('SAT-1').submit({ id: 'ground-1', action: 'heater_on', params: {}, source: 'ground' })).toMatchObject({ ok: true, accepted: true });
    await run.runTo(40);
    const heaterOn = finished('heater_on')[0];
    expect(heaterOn?.r.state).toMatch(/failed|timed_out/);
    const flags = seen.stalls.filter((s) => s.f.id === 'ground-1');
    expect(flags).toHaveLength(1);
    expect(flags[0]!.f.silentMs).toBeGreaterThan(flags[0]!.f.limitMs);
    // Actions on devices that answer were never flagged.
    const others = finished().filter((x) => x.r.action !== 'heater_on').map((x) => x.r.id);
    expect(seen.stalls.filter((s) => others.includes(s.f.id))).toEqual([]);
    await run.stop();
  });

  it('a hung loop stops petting the watchdog: the hardware resets the agent, which resumes from its journal', async () => {
    const { run } = await agentRig({ duration_s: 120 });
    await run.runTo(20);
    const before = run.agent('SAT-1');
    expect(before.currentMode).toBe('nominal');
    const decisions = before.state.counters.decisions;
    before.hang();
    await run.runTo(30);
    expect(run.restarts.map((r) => r.sat)).toEqual(['SAT-1']);
    expect(run.restarts[0]!.reason).toMatch(/watchdog/);
    const after = run.agent('SAT-1');
    expect(after).not.toBe(before);
    expect(after.state.counters.boots).toBe(2);
    expect(after.state.counters.decisions).toBe(decisions); // replayed, not reset
    expect(after.currentMode).toBe('nominal');
    await run.runTo(60);
    // It flies again: cycles run and the watchdog is petted (no second reset).
    expect(after.cycle.index).toBeGreaterThan(200);
    expect(run.restarts).toHaveLength(1);
    // Completed actions were not executed again after the reboot.
    expect(after.state.counters.actionsDone).toBe(before.state.counters.actionsDone);
    await run.stop();
  });

  it('determinism: two runs with the same inputs make identical decision streams', async () => {
    const stream = async () => {
      const { run, seen } = await agentRig({
        duration_s: 1500,
        constellation: { count: 2 },
        faults: [{ at_s: 100, sat: 'SAT-2', fault: 'thermal_runaway', params: { node: 'payload', watts: 40 }, until_s: 700 }],
      });
      await run.runTo(1500);
      await run.stop();
      return seen.decisions.map((d) => `${d.t.toFixed(1)} ${d.sat} ${d.d.id} ${d.d.action} ${d.d.rule} ${d.d.confidence} ${d.verdict?.ok}`);
    };
    const a = await stream();
    const b = await stream();
    expect(a.length).toBeGreaterThanOrEqual(8);
    expect(a).toEqual(b);
  }, 30_000);
});
