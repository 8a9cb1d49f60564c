import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../hal/index.js';
import { HealthMonitor, type ComponentHealth } from '../../../firmware-agent/health/health-monitor.js';

function rig(warn = 2, fatal = 4, pingMs = 100) {
  const clock = new VirtualClock(0);
  const changes: [string, ComponentHealth, number, number][] = [];
  const hm = new HealthMonitor(clock, pingMs, warn, fatal, (name, s, missed) => changes.push([name, s, missed, clock.now()]));
  const beats: Record<string, number> = { cycle: 0, link: 0 };
  hm.register('cycle', () => beats.cycle!);
  hm.register('link', () => beats.link!);
  /** Runs one ping period; the listed components beat during it. */
  const period = (...beating: string[]) => {
    for (const b of beating) beats[b]!++;
    clock.advance(pingMs);
  };
  return { clock, hm, changes, beats, period };
}

describe('health monitor', () => {
  it('all ok while every beat advances', () => {
    const { hm, changes, period } = rig();
    hm.start();
    for (let i = 0; i < 50; i++) period('cycle', 'link');
    expect(hm.status()).toEqual({ cycle: 'ok', link: 'ok' });
    expect(hm.anyFatal).toBe(false);
    expect(changes).toEqual([]);
  });

  it('warn after warn_missed pings, fatal after fatal_missed, ok again when the beat resumes; onChange in order', () => {
    const { hm, changes, period } = rig(2, 4);
    hm.start();
    period('cycle', 'link');
    period('link'); // cycle misses 1
    expect(hm.status().cycle).toBe('ok');
    period('link'); // 2
    expect(hm.status().cycle).toBe('warn');
    expect(hm.anyFatal).toBe(false);
    period('link'); // 3
    expect(hm.status().cycle).toBe('warn');
    period('link'); // 4
    expect(hm.status()).toEqual({ cycle: 'fatal', link: 'ok' });
    expect(hm.anyFatal).toBe(true);
    period('link');
    period('link');
    period('cycle', 'link'); // beats again
    expect(hm.status().cycle).toBe('ok');
    expect(hm.anyFatal).toBe(false);
    expect(changes).toEqual([
      ['cycle', 'warn', 2, 300],
      ['cycle', 'fatal', 4, 500],
      ['cycle', 'ok', 0, 800],
    ]);
    expect(hm.warns).toBe(1);
    expect(hm.fatals).toBe(1);
  });

  it('a component recovering from warn goes straight back to ok, without passing fatal', () => {
    const { hm, changes, period } = rig(2, 4);
    hm.start();
    period('link');
    period('link');
    period('cycle', 'link');
    expect(changes.map((c) => [c[0], c[1]])).toEqual([['cycle', 'warn'], ['cycle', 'ok']]);
    expect(hm.fatals).toBe(0);
  });

  it('components are judged separately; anyFatal is true while any one is fatal', () => {
    const { hm, period } = rig(1, 2);
    hm.start();
    period('cycle');
    period('cycle');
    expect(hm.status()).toEqual({ cycle: 'ok', link: 'fatal' });
    expect(hm.anyFatal).toBe(true);
    period('link');
    expect(hm.status()).toEqual({ cycle: 'warn', link: 'ok' });
    expect(hm.anyFatal).toBe(false);
  });

  it('a beat that changes at all counts (a counter reset is still a sign of life)', () => {
    const { hm, beats, clock } = rig(1, 2);
    hm.start();
    beats.cycle = 100;
    beats.link = 1;
    clock.advance(100);
    beats.cycle = 0;
    beats.link = 2;
    clock.advance(100);
    expect(hm.status()).toEqual({ cycle: 'ok', link: 'ok' });
  });

  it('pings every ping_ms from start; stop() ends the checks; check() may be called directly', () => {
    const { hm, changes, clock } = rig(1, 3, 250);
    hm.start();
    hm.start(); // idempotent: one schedule only
    clock.advance(249);
    expect(changes).toEqual([]);
    clock.advance(1);
    expect(changes.map((c) => [c[0], c[1], c[3]])).toEqual([['cycle', 'warn', 250], ['link', 'warn', 250]]);
    hm.stop();
    clock.advance(10_000);
    expect(hm.anyFatal).toBe(false);
    hm.check();
    hm.check();
    expect(hm.anyFatal).toBe(true);
  });
});
