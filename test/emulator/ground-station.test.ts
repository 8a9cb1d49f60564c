import { describe, expect, it } from 'vitest';
import { HardwareClient, VirtualClock, type IslRx } from '../../hal/index.js';
import { Constellation } from '../../emulator/constellation.js';
import { parseScenario } from '../../emulator/scenario/load.js';
import { runFor, runTo } from './helpers.js';

/**
 * The ground station's radio served as HAL hardware: a console is a HAL client of it; what it
 * sends goes on the radio from the station, subject to the elevation mask like everything on
 * the radio. The station sits under SAT-1 at t = 0 (in view for ~280 s, then out).
 */
async function rig() {
  const clock = new VirtualClock();
  const scenario = parseScenario({ name: 'gs', duration_s: 3000, constellation: { count: 2 }, ground_station: { id: 'GS-EQ', lat_deg: 0, lon_deg: 0, elevation_mask_deg: 5 } });
  const con = new Constellation({ scenario, clock });
  await con.start();
  const station = new HardwareClient({ link: con.groundLink!, clock, sw: 'console' });
  const sat1 = new HardwareClient({ link: con.fcLinks.get('SAT-1')!, clock, sw: 'fc' });
  const heardByStation: IslRx[] = [];
  const heardBySat1: IslRx[] = [];
  station.on('isl', (rx) => void heardByStation.push(rx));
  sat1.on('isl', (rx) => void heardBySat1.push(rx));
  const started = Promise.all([station.start(), sat1.start()]);
  await runFor(clock, 200);
  await started;
  return { clock, con, station, sat1, heardByStation, heardBySat1 };
}

describe('the ground station as a HAL link', () => {
  it('hello names the station, with no devices; no watchdog runs for a console that never pets it', async () => {
    const r = await rig();
    const hello = await r.station.ready();
    expect(hello).toMatchObject({ sat: 'GS-EQ', devices: [] });
    await runFor(r.clock, 10_000);
    expect(r.con.groundServer!.stats.resets).toBe(0);
    expect(r.station.state).toBe('up');
  });

  it('isl.tx from the station reaches a satellite in view as isl.rx from the station id; its answer comes back', async () => {
    const r = await rig();
    const ack = r.station.islTx('SAT-1', Uint8Array.from([0xa1, 1, 2]));
    await runFor(r.clock, 1000);
    await expect(ack).resolves.toMatchObject({ ok: true });
    expect(r.heardBySat1.map((x) => [x.from, [...x.data]])).toEqual([['GS-EQ', [0xa1, 1, 2]]]);
    void r.sat1.islTx('GS-EQ', Uint8Array.from([9]));
    await runFor(r.clock, 1000);
    expect(r.heardByStation.map((x) => [x.from, [...x.data]])).toEqual([['SAT-1', [9]]]);
    expect(r.heardByStation[0]!.rssi).toBeLessThan(0);
  });

  it('out of view (below the elevation mask) nothing gets through, either way', async () => {
    const r = await rig();
    await runTo(r.clock, 600_000);
    expect(r.con.radio.canHear('SAT-1', 'GS-EQ')).toBe(false);
    const lostBefore = r.con.radio.stats('SAT-1')!.lost.range;
    void r.station.islTx('SAT-1', Uint8Array.from([1]));
    void r.sat1.islTx('GS-EQ', Uint8Array.from([2]));
    await runFor(r.clock, 2000);
    expect(r.heardBySat1).toEqual([]);
    expect(r.heardByStation).toEqual([]);
    expect(r.con.radio.stats('SAT-1')!.lost.range).toBe(lostBefore + 1);
  });

  it('a scenario without a ground station has no ground link', () => {
    const con = new Constellation({ scenario: parseScenario({ name: 'none', constellation: { count: 1 } }), clock: new VirtualClock() });
    expect(con.groundLink).toBeUndefined();
    expect(con.groundServer).toBeUndefined();
  });
});
