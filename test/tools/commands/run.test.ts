import { describe, expect, it } from 'vitest';
import { runCli } from '../../tools/cli.js';
import { captureIO } from '../helpers/cli.js';


describe('fsw run (in process, virtual time)', () => {
  it('runs a scenario with one agent per satellite and prints progress and a summary', async () => {
    const o = captureIO();
    const code = await runCli(['run', 'thermal-runaway', '--sats', '2', '--duration', '900', '--every', '300'], o.io);
    expect(code).toBe(0);
    const text = o.out();
    expect(text).toContain('fsw run: scenario "thermal-runaway" (seed 2), 2 satellites');
    expect(text).toMatch(/\[100%\] t=15 min 00 s/);
    expect(text).toMatch(/SAT-2 +(degraded|safe) /); // SAT-2's payload is running away at 15 min
    expect(text).toMatch(/summary: 15 min 00 s virtual in [\d.]+ s wall/);
    expect(text).toMatch(/decisions \d+, actions done \d+, failed 0/);
    expect(text).toContain('frames dropped: escape 0, crc 0, oversize 0, cbor 0, schema 0');
  }, 30_000);

  it('bad usage exits 2 naming the problem', async () => {
    const o = captureIO();
    expect(await runCli(['run', 'no-such-scenario'], o.io)).toBe(2);
    expect(o.err()).toContain('no scenario "no-such-scenario"');
    const p = captureIO();
    expect(await runCli(['run', '--sats', '0'], p.io)).toBe(2);
    expect(p.err()).toMatch(/--sats/);
  });
});
