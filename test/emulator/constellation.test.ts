import { describe, expect, it } from 'vitest';
import { VirtualClock, type HalEvent } from '../../hal/index.js';
import { Constellation } from '../../emulator/constellation.js';
import { parseScenario, resolveScenario } from '../../emulator/scenario/load.js';
import { distanceM, positionEci } from '../../emulator/world/orbit.js';
import { collectSamples, num, runFor, startRig } from './helpers.js';

describe('constellation layout', () => {
  it('count, planes, RAAN and phase spacing give each satellite its own slot', () => {
    const scenario = parseScenario({ name: 'layout', constellation: { count: 6, planes: 2, raan_spacing_deg: 30, phase_spacing_deg: 10, altitude_km: 550, inclination_deg: 53 } });
    const con = new Constellation({ scenario, clock: new VirtualClock() });
    expect(con.ids()).toEqual(['SAT-1', 'SAT-2', 'SAT-3', 'SAT-4', 'SAT-5', 'SAT-6']);
    expect(con.satellites.map((s) => s.world.orbit.elements)).toEqual([
      { altitudeKm: 550, inclinationDeg: 53, raanDeg: 0, phaseDeg: 0 },
      { altitudeKm: 550, inclinationDeg: 53, raanDeg: 0, phaseDeg: 10 },
      { altitudeKm: 550, inclinationDeg: 53, raanDeg: 0, phaseDeg: 20 },
      { altitudeKm: 550, inclinationDeg: 53, raanDeg: 30, phaseDeg: 5 },
      { altitudeKm: 550, inclinationDeg: 53, raanDeg: 30, phaseDeg: 15 },
      { altitudeKm: 550, inclinationDeg: 53, raanDeg: 30, phaseDeg: 25 },
    ]);
    // Distinct positions, now and half an orbit later.
    for (const t of [0, 2870]) {
      const pos = con.satellites.map((s) => positionEci(s.world.orbit, t));
      for (let i = 0; i < pos.length; i++) for (let j = i + 1; j < pos.length; j++) expect(distanceM(pos[i]!, pos[j]!)).toBeGreaterThan(100e3);
    }
    // Uneven split: 5 over 2 planes puts 3 in the first and 2 in the second.
    const five = new Constellation({ scenario: parseScenario({ name: 'x', constellation: { count: 5, planes: 2, raan_spacing_deg: 10 } }), clock: new VirtualClock() });
    expect(five.satellites.map((s) => s.world.orbit.elements.raanDeg)).toEqual([0, 0, 0, 10, 10]);
    // Every satellite gets its own random streams from (seed, index): their tumbles differ.
    const rates = con.satellites.map((s) => JSON.stringify(s.world.attitude.ratesRadS));
    expect(new Set(rates).size).toBe(6);
  });

  it('the default 5-satellite train is mutually in radio range at t = 0 and over a whole orbit', () => {
    const scenario = resolveScenario('nominal');
    const con = new Constellation({ scenario, clock: new VirtualClock() });
    const ids = con.ids();
    expect(ids).toHaveLength(5);
    const pairs: [string, string][] = [];
    for (const a of ids) for (const b of ids) if (a !== b) pairs.push([a, b]);
    for (const [a, b] of pairs) expect(con.radio.canHear(a, b, 0), `${a} hears ${b}`).toBe(true);
    let inRange = 0;
    let total = 0;
    const period = con.satellites[0]!.world.orbit.periodS;
    for (let t = 0; t < period; t += 60) {
      for (const [a, b] of pairs) {
        total++;
        if (con.radio.canHear(a, b, t)) inRange++;
      }
    }
    expect(inRange / total).toBeGreaterThan(0.9);
    // The train's ends: 16° apart, ≈ 1 900 km.
    const p = con.satellites.map((s) => positionEci(s.world.orbit, 0));
    expect(distanceM(p[0]!, p[4]!) / 1000).toBeCloseTo(1919, -1);
    // What the radio device reports: four peers each (the Svalbard station is below the horizon).
    for (const s of con.satellites) expect(s.currentReading('radio')).toMatchObject({ link_up: true, peers: 4 });
  });
});

describe('one orbit of the nominal scenario', () => {
  it('runs; state of charge stays in [0, 1]; the eclipse shows in sun.lit samples', async () => {
    const r = await startRig(resolveScenario('nominal'), { fcs: ['SAT-1'] });
    const client = r.client('SAT-1');
    const samples = collectSamples(client);
    const events: HalEvent[] = [];
    client.on('event', (e) => events.push(e));
    const socs = new Map<string, number[]>(r.con.ids().map((id) => [id, []]));
    const duration = r.scenario.duration_s * 1000;
    while (r.clock.now() < duration) {
      await runFor(r.clock, Math.min(60_000, duration - r.clock.now()), 1000);
      for (const s of r.con.satellites) socs.get(s.id)!.push(num(s.currentReading('eps')!.soc));
    }
    expect(r.clock.now()).toBe(5_700_000);
    // The world kept pace with the clock.
    for (const s of r.con.satellites) expect(s.world.tS).toBe(5700);

    const sun = samples.filter((s) => s.dev === 'sun');
    expect(sun.length).toBeGreaterThan(5600);
    const lit = sun.map((s) => s.val.lit === true);
    const darkFraction = lit.filter((x) => !x).length / lit.length;
    expect(darkFraction).toBeGreaterThan(0.33); // ≈ 37.8 % at β = 0
    expect(darkFraction).toBeLessThan(0.4);
    // One contiguous eclipse: lit → dark once, dark → lit once.
    const changes = lit.slice(1).map((x, i) => (x !== lit[i] ? (x ? 'sunrise' : 'sunset') : '')).filter(Boolean);
    expect(changes).toEqual(['sunset', 'sunrise']);
    const sunset = sun[lit.indexOf(false)]!.at / 1000;
    expect(sunset).toBeGreaterThan(1700);
    expect(sunset).toBeLessThan(1850);

    const eps = samples.filter((s) => s.dev === 'eps');
    expect(eps.length).toBeGreaterThan(5600);
    for (const s of eps) {
      expect(num(s.val.soc)).toBeGreaterThanOrEqual(0);
      expect(num(s.val.soc)).toBeLessThanOrEqual(1);
    }
    // In the dark the array gives nothing and the battery drains.
    // (sun and eps both push at 1 Hz, at the same instants)
    // Devices push on staggered schedules: pair each eps sample with the sun sample of the same second.
    const litAt = new Map(sun.map((s) => [Math.floor(s.at / 1000), s.val.lit]));
    const inEclipse = eps.filter((s) => litAt.get(Math.floor(s.at / 1000)) === false);
    expect(inEclipse.length).toBeGreaterThan(1500);
    for (const s of inEclipse) expect(num(s.val.solar_w)).toBe(0);
    expect(num(inEclipse[0]!.val.soc)).toBeGreaterThan(num(inEclipse[inEclipse.length - 1]!.val.soc));
    for (const [id, xs] of socs) {
      expect(xs.length, id).toBe(95);
      for (const x of xs) {
        expect(x, id).toBeGreaterThanOrEqual(0);
        expect(x, id).toBeLessThanOrEqual(1);
      }
    }
    expect(events.filter((e) => e.code === 'reset')).toEqual([]);
  });
});
