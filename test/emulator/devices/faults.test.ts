import { describe, expect, it } from 'vitest';
import { TimeoutError, type Sample } from '../../../hal/index.js';
import { FAULT_KINDS, type FaultKind, type ScenarioInput } from '../../../emulator/scenario/schema.js';
import { collectSamples, num, runTo, settle, startRig, std, value, vec, type RigOptions } from '../helpers.js';

type FaultInput = NonNullable<ScenarioInput['faults']>[number];

/** A constellation whose scenario carries `faults`; records the constellation's fault and power events. */
async function faultRig(faults: FaultInput[], constellation: ScenarioInput['constellation'] = { count: 2 }, opts: RigOptions = {}, extra: Partial<ScenarioInput> = {}) {
  const r = await startRig({ name: 'faults', constellation, faults, ...extra }, opts);
  const faultEvents: { at: number; fault: FaultKind; sat: string | undefined; active: boolean }[] = [];
  const powerEvents: { at: number; sat: string; on: boolean }[] = [];
  r.con.on('fault', (f, sat, active) => faultEvents.push({ at: r.clock.now(), fault: f.fault, sat, active }));
  r.con.on('power', (sat, on) => powerEvents.push({ at: r.clock.now(), sat, on }));
  const to = (s: number): Promise<void> => runTo(r.clock, s * 1000, 50);
  return { ...r, faultEvents, powerEvents, to };
}

/**
 * The constellation emits `fault`/`power` once the (async) fault switch has run, i.e. when
 * promise callbacks next run: with the clock driven in chunks, within one chunk of the time.
 */
function expectEvents<T extends { at: number }>(got: T[], want: T[]): void {
  expect(got.map(({ at: _at, ...rest }) => rest)).toEqual(want.map(({ at: _at, ...rest }) => rest));
  got.forEach((g, i) => {
    expect(g.at).toBeGreaterThanOrEqual(want[i]!.at);
    expect(g.at).toBeLessThanOrEqual(want[i]!.at + 60);
  });
}

const between = (samples: Sample[], dev: string, fromS: number, toS: number): Sample[] =>
  samples.filter((s) => s.dev === dev && s.at > fromS * 1000 && s.at < toS * 1000);

describe('device faults from the scenario timeline', () => {
  it('sensor_stuck: the reading freezes at its value when the fault starts, and moves again at until_s', async () => {
    const r = await faultRig([{ at_s: 5, sat: 'SAT-1', fault: 'sensor_stuck', params: { dev: 'mag' }, until_s: 15 }], { count: 1 });
    const samples = collectSamples(r.client('SAT-1'));
    await r.to(10);
    const frozen = await value(r.clock, r.client('SAT-1').read('mag'));
    await r.to(25);
    const during = between(samples, 'mag', 5.5, 14.9);
    expect(during.length).toBeGreaterThanOrEqual(8);
    for (const s of during) expect(s.val).toEqual(frozen.val);
    const distinct = (xs: Sample[]): number => new Set(xs.map((s) => JSON.stringify(s.val))).size;
    expect(distinct(between(samples, 'mag', 0, 5))).toBeGreaterThan(3);
    expect(distinct(between(samples, 'mag', 15.1, 25))).toBeGreaterThan(8);
    expectEvents(r.faultEvents, [
      { at: 5000, fault: 'sensor_stuck', sat: 'SAT-1', active: true },
      { at: 15000, fault: 'sensor_stuck', sat: 'SAT-1', active: false },
    ]);
  });

  it('bias_drift: the error against the truth grows by per_s every second, and is gone after until_s', async () => {
    const r = await faultRig([{ at_s: 5, sat: 'SAT-1', fault: 'bias_drift', params: { dev: 'thermal', per_s: 0.5 }, until_s: 45 }], { count: 1 });
    const client = r.client('SAT-1');
    const sat = r.sat('SAT-1');
    const bias = async (): Promise<number> => {
      const s = await value(r.clock, client.read('thermal'));
      return num(s.val.battery) - sat.world.thermal.batteryC;
    };
    await r.to(4);
    expect(Math.abs(await bias())).toBeLessThan(0.5);
    await r.to(15);
    expect(await bias()).toBeCloseTo(5, 0);
    await r.to(25);
    expect(await bias()).toBeCloseTo(10, 0);
    await r.to(45);
    const last = await bias();
    expect(Math.abs(last)).toBeLessThan(0.5);
  });

  it('noise_burst: the spread of the readings grows by about the factor, then returns to nominal', async () => {
    const r = await faultRig([{ at_s: 10, sat: 'SAT-1', fault: 'noise_burst', params: { dev: 'imu', factor: 50 }, until_s: 20 }], { count: 1 });
    const samples = collectSamples(r.client('SAT-1'));
    await r.to(30);
    // Spread of successive differences (the true rate barely moves between 200 ms samples).
    const spread = (from: number, to: number): number => {
      const xs = between(samples, 'imu', from, to).map((s) => vec(s.val.gyro)[0]);
      return std(xs.slice(1).map((x, i) => x - xs[i]!)) / Math.SQRT2;
    };
    const before = spread(0, 10);
    const during = spread(10.1, 19.9);
    const after = spread(20.1, 30);
    expect(before).toBeGreaterThan(1e-4);
    expect(before).toBeLessThan(5e-4); // nominal 2.5e-4 rad/s
    expect(during / before).toBeGreaterThan(25);
    expect(during / before).toBeLessThan(100);
    expect(after).toBeLessThan(5e-4);
  });

  it('dropout: reads time out with the typed timeout, nothing is pushed, commands go unanswered; all back at until_s', async () => {
    const r = await faultRig(
      [
        { at_s: 5, sat: 'SAT-1', fault: 'dropout', params: { dev: 'thermal' }, until_s: 15 },
        { at_s: 5, sat: 'SAT-1', fault: 'dropout', params: { dev: 'heater' }, until_s: 15 },
      ],
      { count: 1 },
    );
    const client = r.client('SAT-1');
    const samples = collectSamples(client);
    await r.to(8);
    const read = await settle(r.clock, client.read('thermal'));
    expect(read.ok).toBe(false);
    const err = (read as { error: unknown }).error;
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'E_LINK_TIMEOUT' });
    const cmd = await settle(r.clock, client.cmd('heater', 'set', { on: true }));
    expect(cmd.ok).toBe(false);
    expect((cmd as { error: unknown }).error).toMatchObject({ code: 'E_LINK_TIMEOUT' });
    expect(client.stats.timeouts).toBe(2);
    await r.to(25);
    expect(between(samples, 'thermal', 5, 15)).toHaveLength(0);
    expect(between(samples, 'heater', 5, 15)).toHaveLength(0);
    expect(between(samples, 'imu', 5, 15).length).toBeGreaterThan(40); // the others carry on
    expect(between(samples, 'thermal', 15, 25).length).toBeGreaterThanOrEqual(9);
    expect((await value(r.clock, client.read('thermal'))).dev).toBe('thermal');
    expect(await value(r.clock, client.cmd('heater', 'set', { on: true }))).toMatchObject({ ok: true });
  });

  it('actuator_refuses: commands get ack ok:false (code fault) and change nothing; accepted again after until_s', async () => {
    const r = await faultRig([{ at_s: 5, sat: 'SAT-1', fault: 'actuator_refuses', params: { dev: 'heater' }, until_s: 15 }], { count: 1 });
    const client = r.client('SAT-1');
    await r.to(6);
    expect(await value(r.clock, client.cmd('heater', 'set', { on: true }))).toMatchObject({ ok: false, code: 'fault' });
    expect((await value(r.clock, client.read('heater'))).val).toEqual({ on: false });
    expect(r.sat('SAT-1').inputs.heaterOn).toBe(false);
    await r.to(15);
    expect(await value(r.clock, client.cmd('heater', 'set', { on: true }))).toMatchObject({ ok: true });
    expect((await value(r.clock, client.read('heater'))).val).toEqual({ on: true });
  });

  it('actuator_stuck: commands are acknowledged but the read-back keeps the old state; works after until_s', async () => {
    const r = await faultRig([{ at_s: 5, sat: 'SAT-1', fault: 'actuator_stuck', params: { dev: 'adcs' }, until_s: 15 }], { count: 1 });
    const client = r.client('SAT-1');
    await r.to(6);
    expect(await value(r.clock, client.cmd('adcs', 'mode', { mode: 'sun_point' }))).toMatchObject({ ok: true });
    expect((await value(r.clock, client.read('adcs'))).val).toEqual({ mode: 'idle' });
    await r.to(10);
    expect((await value(r.clock, client.read('adcs'))).val).toEqual({ mode: 'idle' });
    expect(r.sat('SAT-1').inputs.adcsMode).toBe('idle');
    await r.to(15);
    expect(await value(r.clock, client.cmd('adcs', 'mode', { mode: 'sun_point' }))).toMatchObject({ ok: true });
    expect((await value(r.clock, client.read('adcs'))).val).toEqual({ mode: 'sun_point' });
  });
});

describe('physical faults from the scenario timeline (SAT-1 against its twin SAT-2 on the same orbit)', () => {
  const twins = { count: 2, phase_spacing_deg: 0 };

  it('battery_cell_loss: pack voltage drops to one cell, capacity halves (SoC falls twice as fast in eclipse), restored at until_s', async () => {
    // Both satellites are in eclipse from ≈ 1 766 s to ≈ 3 910 s (β ≈ 0, phase 0).
    const r = await faultRig([{ at_s: 1800, sat: 'SAT-1', fault: 'battery_cell_loss', params: { cells_lost: 1 }, until_s: 2400 }], twins, { fcs: [] });
    const eps = (id: string) => r.sat(id).currentReading('eps')!;
    await r.to(1799);
    expect(r.sat('SAT-1').world.lit).toBe(false);
    const v0 = num(eps('SAT-1').batt_v);
    expect(v0).toBeGreaterThan(6.5);
    expect(Math.abs(v0 - num(eps('SAT-2').batt_v))).toBeLessThan(0.05);
    await r.to(1801);
    const soc1a = num(eps('SAT-1').soc);
    const soc2a = num(eps('SAT-2').soc);
    const v1 = num(eps('SAT-1').batt_v);
    expect(v1 / num(eps('SAT-2').batt_v)).toBeCloseTo(0.5, 1);
    await r.to(2399);
    expect(r.sat('SAT-1').world.lit).toBe(false);
    const drop1 = soc1a - num(eps('SAT-1').soc);
    const drop2 = soc2a - num(eps('SAT-2').soc);
    expect(drop2).toBeGreaterThan(0.01);
    expect(drop1 / drop2).toBeGreaterThan(1.8);
    expect(drop1 / drop2).toBeLessThan(2.2);
    await r.to(2401);
    expect(num(eps('SAT-1').batt_v)).toBeGreaterThan(6);
    expect(r.sat('SAT-1').worldFaults.cellLoss).toBe(0);
  });

  it('heater_stuck_on: the heater reads on although commanded off, the battery runs warmer; it clears at until_s', async () => {
    const r = await faultRig([{ at_s: 10, sat: 'SAT-1', fault: 'heater_stuck_on', until_s: 900 }], twins, { fcs: ['SAT-1'] });
    const client = r.client('SAT-1');
    const battDelta = (): number => r.sat('SAT-1').world.thermal.batteryC - r.sat('SAT-2').world.thermal.batteryC;
    expect((await value(r.clock, client.read('heater'))).val).toEqual({ on: false });
    await r.to(11);
    expect(await value(r.clock, client.cmd('heater', 'set', { on: false }))).toMatchObject({ ok: true });
    expect((await value(r.clock, client.read('heater'))).val).toEqual({ on: true });
    expect(r.sat('SAT-2').currentReading('heater')).toEqual({ on: false });
    // Cutting the heater line at the EPS does stop it.
    expect(await value(r.clock, client.cmd('eps', 'shed', { load: 'heater', on: false }))).toMatchObject({ ok: true });
    expect((await value(r.clock, client.read('heater'))).val).toEqual({ on: false });
    expect(await value(r.clock, client.cmd('eps', 'shed', { load: 'heater', on: true }))).toMatchObject({ ok: true });
    await r.to(899);
    expect(r.sat('SAT-1').world.power.heaterActive).toBe(true);
    const warm = battDelta();
    expect(warm).toBeGreaterThan(1.5);
    await r.to(901);
    expect((await value(r.clock, client.read('heater'))).val).toEqual({ on: false });
    await r.to(1500);
    expect(r.sat('SAT-1').world.power.heaterActive).toBe(false);
    expect(battDelta()).toBeLessThan(warm * 0.6);
  });

  it('power_leak draws from the bus (load up, battery drains faster) and solar_array_loss cuts the solar power, until until_s', async () => {
    const r = await faultRig(
      [
        { at_s: 60, sat: 'SAT-1', fault: 'power_leak', params: { watts: 30 }, until_s: 120 },
        { at_s: 60, sat: 'SAT-1', fault: 'solar_array_loss', params: { fraction: 0.5 }, until_s: 120 },
      ],
      { count: 2 },
      { fcs: [] },
    );
    await r.to(50);
    const load0 = r.sat('SAT-1').world.power.loadW;
    const solar0 = r.sat('SAT-1').world.power.solarW;
    await r.to(90);
    const w = r.sat('SAT-1').world.power;
    const twin = r.sat('SAT-2').world.power;
    expect(w.loadW - load0).toBeGreaterThan(29);
    expect(w.soc).toBeLessThan(twin.soc);
    if (solar0 > 1) expect(w.solarW).toBeLessThan(0.6 * twin.solarW + 1e-9);
    await r.to(130);
    expect(r.sat('SAT-1').world.power.loadW).toBeLessThan(load0 + 5);
  });

  it('thermal_runaway: the node heats markedly over minutes, cools after until_s; overlapping runaways clear independently', async () => {
    const r = await faultRig(
      [
        { at_s: 60, sat: 'SAT-1', fault: 'thermal_runaway', params: { node: 'payload', watts: 25 }, until_s: 360 },
        { at_s: 60, sat: 'SAT-1', fault: 'thermal_runaway', params: { node: 'radio', watts: 5 }, until_s: 900 },
      ],
      twins,
      { fcs: [] },
    );
    const delta = (node: 'payloadC' | 'radioC' | 'obcC'): number => r.sat('SAT-1').world.thermal[node] - r.sat('SAT-2').world.thermal[node];
    await r.to(59);
    expect(Math.abs(delta('payloadC'))).toBeLessThan(0.5);
    await r.to(360);
    const hot = delta('payloadC');
    expect(hot).toBeGreaterThan(8); // 25 W into 600 J/K for 5 min
    const dev = r.sat('SAT-1').currentReading('thermal')!;
    expect(num(dev.payload) - num(r.sat('SAT-2').currentReading('thermal')!.payload)).toBeGreaterThan(7.5);
    expect(delta('obcC')).toBeGreaterThan(0.5); // heat spreads through the couplings
    await r.to(361);
    // The payload short has cleared; the radio's is still on.
    expect(r.sat('SAT-1').worldFaults.extraHeatW).toEqual({ radio: 5 });
    await r.to(890);
    expect(delta('payloadC')).toBeLessThan(hot * 0.7);
    expect(delta('radioC')).toBeGreaterThan(2);
    await r.to(901);
    expect(r.sat('SAT-1').worldFaults.extraHeatW).toEqual({});
  });
});

describe('radio and power faults from the scenario timeline', () => {
  it('radio_outage: link_up false, peers 0, packets to and from it lost; back at until_s', async () => {
    const r = await faultRig([{ at_s: 7, sat: 'SAT-2', fault: 'radio_outage', until_s: 15 }], { count: 3 });
    const got = new Map<string, string[]>();
    for (const id of r.con.ids()) {
      got.set(id, []);
      r.client(id).on('isl', (m) => got.get(id)!.push(m.from));
    }
    await r.to(6);
    expect((await value(r.clock, r.client('SAT-2').read('radio'))).val).toMatchObject({ link_up: true, peers: 2 });
    await r.to(7.5);
    expect((await value(r.clock, r.client('SAT-2').read('radio'))).val).toMatchObject({ link_up: false, peers: 0 });
    expect(r.con.radio.isOut('SAT-2')).toBe(true);
    await value(r.clock, r.client('SAT-1').islTx('*', Uint8Array.of(1)));
    await value(r.clock, r.client('SAT-1').islTx('SAT-2', Uint8Array.of(2)));
    await value(r.clock, r.client('SAT-2').islTx('*', Uint8Array.of(3)));
    await r.to(10);
    expect(got.get('SAT-2')).toEqual([]);
    expect(got.get('SAT-3')).toEqual(['SAT-1']);
    expect(got.get('SAT-1')).toEqual([]);
    expect(r.con.radio.stats('SAT-2')!.lost.outage).toBe(1);
    await r.to(15);
    expect((await value(r.clock, r.client('SAT-2').read('radio'))).val).toMatchObject({ link_up: true });
    await value(r.clock, r.client('SAT-1').islTx('SAT-2', Uint8Array.of(4)));
    await value(r.clock, r.client('SAT-2').islTx('*', Uint8Array.of(5)));
    await r.to(17);
    expect(got.get('SAT-2')).toEqual(['SAT-1']);
    expect(got.get('SAT-1')).toEqual(['SAT-2']);
    expect(got.get('SAT-3')).toEqual(['SAT-1', 'SAT-2']);
  });

  it('power_off: the hardware stops answering and pushing, its radio goes silent, power events fire; after until_s it answers hello', async () => {
    const r = await faultRig([{ at_s: 5, sat: 'SAT-1', fault: 'power_off', until_s: 15 }], { count: 2 });
    const client = r.client('SAT-1');
    const samples = collectSamples(client);
    const isl: string[] = [];
    client.on('isl', (m) => isl.push(m.from));
    await r.to(6);
    expect(r.sat('SAT-1').isPowered).toBe(false);
    expectEvents(r.powerEvents, [{ at: 5000, sat: 'SAT-1', on: false }]);
    const read = await settle(r.clock, client.read('eps'));
    expect(read.ok).toBe(false);
    expect((read as { error: unknown }).error).toBeInstanceOf(TimeoutError);
    await value(r.clock, r.client('SAT-2').islTx('*', Uint8Array.of(1)));
    expect(r.con.radio.canHear('SAT-2', 'SAT-1')).toBe(false);
    await r.to(14.9);
    expect(between(samples, 'imu', 5.01, 14.9)).toHaveLength(0);
    expect(isl).toEqual([]);

    await r.to(15.5);
    expect(r.sat('SAT-1').isPowered).toBe(true);
    expectEvents(r.powerEvents, [
      { at: 5000, sat: 'SAT-1', on: false },
      { at: 15000, sat: 'SAT-1', on: true },
    ]);
    // The flight computer says hello again (as after any power-on) and gets the hardware's.
    const hellos: string[] = [];
    client.on('hello', (h) => hellos.push(h.sat));
    client.endpoint.send({ kind: 'hello', role: 'fc', sw: 'test' });
    await r.to(16);
    expect(hellos).toEqual(['SAT-1']);
    expect((await value(r.clock, client.read('eps'))).dev).toBe('eps');
    await value(r.clock, r.client('SAT-2').islTx('*', Uint8Array.of(2)));
    await r.to(20);
    expect(between(samples, 'imu', 16, 20).length).toBeGreaterThan(15);
    expect(isl).toEqual(['SAT-2']);
  });

  // PROTOCOL.md §3: after power-on the hardware waits for hello. The flight computer's watchdog
  // pets are refused with `error busy`, which is how its client learns to say hello again.
  it('after power-on the hardware refuses requests with busy until a new hello, and the client handshakes again', async () => {
    const r = await faultRig([{ at_s: 5, sat: 'SAT-1', fault: 'power_off', until_s: 15 }], { count: 1 });
    const client = r.client('SAT-1');
    const busy: number[] = [];
    client.endpoint.on('message', (m) => {
      if (m.kind === 'error' && m.code === 'busy') busy.push(m.time);
    });
    const before = client.stats.handshakes;
    await r.to(14);
    expect(r.sat('SAT-1').server.isHandshaken).toBe(false);
    await r.to(17);
    expect(r.sat('SAT-1').isPowered).toBe(true);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    expect(client.stats.handshakes).toBe(before + 1);
    expect(r.sat('SAT-1').server.isHandshaken).toBe(true);
    expect((await value(r.clock, client.read('eps'))).dev).toBe('eps');
  });

  it('power_off on "leader" follows the runner\'s resolver; radio_outage on "*" silences everyone', async () => {
    const r = await faultRig(
      [
        { at_s: 2, sat: 'leader', fault: 'power_off', until_s: 4 },
        { at_s: 6, sat: '*', fault: 'radio_outage', until_s: 8 },
      ],
      { count: 3 },
      { fcs: [], resolveLeader: () => 'SAT-2' },
    );
    await r.to(3);
    expect(r.con.satellites.map((s) => s.isPowered)).toEqual([true, false, true]);
    await r.to(5);
    expect(r.powerEvents.map((e) => [e.sat, e.on])).toEqual([['SAT-2', false], ['SAT-2', true]]);
    await r.to(7);
    expect(r.con.ids().map((id) => r.con.radio.isOut(id))).toEqual([true, true, true]);
    await r.to(8);
    expect(r.con.ids().map((id) => r.con.radio.isOut(id))).toEqual([false, false, false]);
  });
});

describe('network faults from the scenario timeline', () => {
  it('partition: the groups cannot hear each other until until_s, then the network heals', async () => {
    const r = await faultRig([{ at_s: 5, fault: 'partition', params: { groups: [['SAT-1', 'SAT-2'], ['SAT-3']] }, until_s: 15 }], { count: 3 });
    const got = new Map<string, string[]>();
    for (const id of r.con.ids()) {
      got.set(id, []);
      r.client(id).on('isl', (m) => got.get(id)!.push(m.from));
    }
    await r.to(6);
    expect(r.con.radio.canHear('SAT-2', 'SAT-1')).toBe(true);
    expect(r.con.radio.canHear('SAT-3', 'SAT-1')).toBe(false);
    expect(r.con.radio.canHear('SAT-1', 'SAT-3')).toBe(false);
    await value(r.clock, r.client('SAT-1').islTx('*', Uint8Array.of(1)));
    await r.to(7);
    expect(got.get('SAT-2')).toEqual(['SAT-1']);
    expect(got.get('SAT-3')).toEqual([]);
    expect(r.con.radio.stats('SAT-3')!.lost.partition).toBe(1);
    await r.to(15);
    expect(r.faultEvents.map((e) => [e.fault, e.sat, e.active])).toEqual([
      ['partition', undefined, true],
      ['partition', undefined, false],
    ]);
    expect(r.con.radio.canHear('SAT-3', 'SAT-1')).toBe(true);
    await value(r.clock, r.client('SAT-1').islTx('*', Uint8Array.of(2)));
    await r.to(16);
    expect(got.get('SAT-3')).toEqual(['SAT-1']);
  });

  it('isl_loss: packets are lost (and counted) with the given probability until until_s, then the scenario\'s own loss rate returns', async () => {
    const r = await faultRig([{ at_s: 5, fault: 'isl_loss', params: { probability: 1 }, until_s: 15 }], { count: 2 }, { fcs: [] }, { radio: { loss_probability: 0.02 } });
    const radio = r.con.radio;
    expect(radio.cfg.lossProbability).toBe(0.02);
    await r.to(6);
    expect(radio.cfg.lossProbability).toBe(1);
    for (let i = 0; i < 20; i++) radio.transmit('SAT-1', 'SAT-2', Uint8Array.of(i));
    await r.to(14);
    expect(radio.stats('SAT-2')!.rxPackets).toBe(0);
    expect(radio.stats('SAT-2')!.lost.loss).toBe(20);
    await r.to(15);
    expect(radio.cfg.lossProbability).toBe(0.02);
    for (let i = 0; i < 20; i++) radio.transmit('SAT-1', 'SAT-2', Uint8Array.of(i));
    await r.to(25);
    expect(radio.stats('SAT-2')!.rxPackets).toBeGreaterThanOrEqual(17);
  });
});

describe('every fault kind', () => {
  const example: Record<FaultKind, FaultInput> = {
    sensor_stuck: { at_s: 2, sat: 'SAT-1', fault: 'sensor_stuck', params: { dev: 'sun' } },
    bias_drift: { at_s: 2, sat: 'SAT-1', fault: 'bias_drift', params: { dev: 'mag' } },
    noise_burst: { at_s: 2, sat: 'SAT-1', fault: 'noise_burst', params: { dev: 'mag' } },
    dropout: { at_s: 2, sat: 'SAT-1', fault: 'dropout', params: { dev: 'eps' } },
    actuator_refuses: { at_s: 2, sat: 'SAT-1', fault: 'actuator_refuses', params: { dev: 'payload' } },
    actuator_stuck: { at_s: 2, sat: 'SAT-1', fault: 'actuator_stuck', params: { dev: 'obc' } },
    battery_cell_loss: { at_s: 2, sat: 'SAT-1', fault: 'battery_cell_loss' },
    heater_stuck_on: { at_s: 2, sat: 'SAT-1', fault: 'heater_stuck_on' },
    thermal_runaway: { at_s: 2, sat: 'SAT-1', fault: 'thermal_runaway' },
    power_leak: { at_s: 2, sat: 'SAT-1', fault: 'power_leak', params: { watts: 30 } },
    solar_array_loss: { at_s: 2, sat: 'SAT-1', fault: 'solar_array_loss', params: { fraction: 0.5 } },
    radio_outage: { at_s: 2, sat: 'SAT-1', fault: 'radio_outage' },
    power_off: { at_s: 2, sat: 'SAT-1', fault: 'power_off' },
    partition: { at_s: 2, fault: 'partition', params: { groups: [['SAT-1']] } },
    isl_loss: { at_s: 2, fault: 'isl_loss', params: { probability: 0.5 } },
  };

  it('has an example here for each of FAULT_KINDS', () => {
    expect(Object.keys(example).sort()).toEqual([...FAULT_KINDS].sort());
  });

  for (const kind of FAULT_KINDS) {
    it(`${kind}: switches on at at_s and off at until_s, and leaves the satellite as it was`, async () => {
      const r = await faultRig([{ ...example[kind], until_s: 4 }], { count: 2 }, { fcs: [] });
      const sat = r.sat('SAT-1');
      const snapshot = () => ({
        faults: JSON.stringify(sat.worldFaults),
        powered: sat.isPowered,
        out: r.con.radio.isOut('SAT-1'),
        loss: r.con.radio.cfg.lossProbability,
        hears: r.con.radio.canHear('SAT-2', 'SAT-1'),
      });
      const readings = () => ['sun', 'mag', 'eps', 'payload', 'obc', 'heater'].map((d) => sat.currentReading(d));
      await r.to(1);
      const before = snapshot();
      await r.to(3);
      expectEvents(r.faultEvents, [{ at: 2000, fault: kind, sat: example[kind].sat, active: true }]);
      await r.to(5);
      expectEvents(r.faultEvents, [
        { at: 2000, fault: kind, sat: example[kind].sat, active: true },
        { at: 4000, fault: kind, sat: example[kind].sat, active: false },
      ]);
      expect(snapshot()).toEqual({ ...before, faults: kind === 'battery_cell_loss' ? JSON.stringify({ cellLoss: 0 }) : kind === 'heater_stuck_on' ? JSON.stringify({ heaterStuckOn: false }) : kind === 'thermal_runaway' ? JSON.stringify({ extraHeatW: {} }) : kind === 'power_leak' ? JSON.stringify({ leakW: 0 }) : kind === 'solar_array_loss' ? JSON.stringify({ solarArrayLoss: 0 }) : before.faults });
      for (const v of readings()) expect(v).toBeDefined();
    });
  }
});
