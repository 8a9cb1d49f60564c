import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../tools/cli.js';
import { defaultReportPath, runScenario } from '../../../tools/commands/run.js';
import { parseSpeed } from '../../../tools/view/pace.js';
import { captureIO } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'fsw-run-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fsw run (in process, virtual time)', () => {
  it('runs a scenario with one agent per satellite, prints progress lines, a summary and the report path', async () => {
    const o = captureIO();
    const report = join(dir, 'thermal.html');
    const code = await runCli(['run', 'thermal-runaway', '--sats', '2', '--duration', '900', '--every', '300', '--report', report], o.io);
    expect(code, o.err()).toBe(0);
    const text = o.out();
    expect(text).toContain('fsw run: scenario "thermal-runaway" (seed 2), 2 satellites, 15 min 00 s of virtual time, speed max');
    // Not a terminal: plain lines, no escape sequences.
    expect(text).not.toContain('\x1b[');
    expect(text).toMatch(/^ {2}SAT {4}MODE {7}ROLE {12}SOC {3}HOTTEST {2}SUN {6}ACTIONS {2}CONST {2}LAST DECISION$/m);
    expect(text.match(/^\[ *\d+%\] t=/gm)).toHaveLength(3); // at 5, 10, 15 min
    expect(text).toMatch(/\[100%\] t=15 min 00 s/);
    expect(text).toMatch(/SAT-2 +(degraded|safe) /); // SAT-2's payload is running away at 15 min
    expect(text).toMatch(/summary: 15 min 00 s virtual in [\d.]+ s wall \(speed max\)/);
    expect(text).toMatch(/decisions [1-9]\d*, actions done \d+, failed 0/);
    expect(text).toContain('compliance: no constellation actions');
    expect(text).toMatch(/cycle latency \(CPU time per cycle\) p50 [1-9]\d* µs, p99 [1-9]\d* µs \(worst satellite\), slips \d+/);
    expect(text).toContain('frames dropped: escape 0, crc 0, oversize 0, cbor 0, schema 0');
    expect(text).toMatch(/ISL packets dropped by the governor: critical \d+, report \d+, health \d+, bulk \d+/);
    expect(text).toMatch(new RegExp(`report: ${report.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ KB\\)\\n$`));
    const html = readFileSync(report, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!);
    expect(data.meta).toMatchObject({ scenario: 'thermal-runaway', seed: 2, sats: ['SAT-1', 'SAT-2'], durationS: 900 });
    expect(data.summary.decisions).toBeGreaterThan(0);
  }, 60_000);

  it('--record DIR writes one recording per satellite, and fsw replay finds each identical', async () => {
    const rec = join(dir, 'rec');
    const o = captureIO();
    const code = await runCli(['run', 'sensor-dropout', '--sats', '2', '--duration', '240', '--every', '240', '--no-report', '--record', rec], o.io);
    expect(code, o.err()).toBe(0);
    expect(o.out()).toContain(`recordings: ${join(rec, 'SAT-1.rec')}, ${join(rec, 'SAT-2.rec')}`);
    for (const sat of ['SAT-1', 'SAT-2']) {
      const r = captureIO();
      expect(await runCli(['replay', join(rec, `${sat}.rec`)], r.io), r.out() + r.err()).toBe(0);
    }
  }, 60_000);

  it('--no-report writes none and prints no path', async () => {
    const o = captureIO();
    const s = await runScenario('nominal', { sats: 2, duration: 60, every: 60, report: false }, o.io);
    expect(s.reportPath).toBeUndefined();
    expect(o.out()).not.toContain('report:');
  }, 30_000);

  it('on a terminal, redraws the frame in place with cursor movement, at most every 150 ms of wall time', async () => {
    const o = captureIO();
    const t0 = performance.now();
    await runScenario('nominal', { sats: 2, duration: 300, every: 60, report: false, tty: { columns: 120 } }, o.io);
    const wallMs = performance.now() - t0;
    const text = o.out();
    const redraws = text.split('\x1b[?25l').length - 1 + (text.match(/\x1b\[\d+F/g)?.length ?? 0);
    expect(redraws).toBeGreaterThanOrEqual(2); // first draw and the final one
    expect(redraws).toBeLessThanOrEqual(2 + Math.ceil(wallMs / 150));
    expect(text).toMatch(/\[█+░*\] +\d+%/); // the progress bar
    expect(text).toContain('\x1b[?25h'); // the cursor is shown again at the end
    // Each redraw moves up over exactly the lines of the previous frame: header, headline, table head, 2 satellites.
    expect(text.match(/\x1b\[(\d+)F/g)?.every((m) => m === '\x1b[5F')).toBe(true);
    expect(text).toMatch(/\x1b\[\?25h\nsummary: /);
  }, 30_000);

  it('--speed x600 paces virtual time: 60 virtual seconds take at least 0.1 s of wall time', async () => {
    const o = captureIO();
    const s = await runScenario('nominal', { sats: 2, duration: 60, every: 60, report: false, speed: parseSpeed('x600') }, o.io);
    expect(s.wallS).toBeGreaterThanOrEqual(0.1);
    expect(s.speed).toBe('x600');
    expect(o.out()).toContain('speed x600');
  }, 30_000);

  it('the default report path is out/report-<scenario>-<seed>.html, safe for any scenario name', () => {
    expect(defaultReportPath('nominal', 1)).toBe(join('out', 'report-nominal-1.html'));
    expect(defaultReportPath('my run/../x', 7)).toBe(join('out', 'report-my_run_.._x-7.html'));
  });
});

describe('fsw run: bad usage and failures', () => {
  const fsw = async (...args: string[]): Promise<{ code: number; err: string }> => {
    const o = captureIO();
    const code = await runCli(['run', ...args], o.io);
    return { code, err: o.err() };
  };

  it('a bad --speed exits 2 naming the allowed values', async () => {
    for (const bad of ['fast', 'x0', 'x-2', '10', 'xx3', '']) {
      const r = await fsw('--speed', bad, '--no-report');
      expect(r.code, bad).toBe(2);
      expect(r.err).toContain(`option '--speed <speed>' argument '${bad}' is invalid`);
      expect(r.err).toContain('max (as fast as possible), realtime, or xK');
    }
  });

  it('a bad --sats exits 2 naming the option and the range', async () => {
    for (const bad of ['0', '1001', 'three', '2.5']) {
      const r = await fsw('--sats', bad);
      expect(r.code, bad).toBe(2);
      expect(r.err).toMatch(/--sats <n>.*must be an integer from 1 to 1000/);
    }
  });

  it('an unknown scenario or a missing scenario file exits 2; an invalid scenario file exits 2 naming the field', async () => {
    const unknown = await fsw('no-such-scenario');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no scenario "no-such-scenario": not a shipped scenario');
    const missing = await fsw(join(dir, 'missing.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such file');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nconstellation:\n  count: -3\n');
    const invalid = await fsw(bad);
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(/count/);
  });

  it('a report that cannot be written exits 1 after the summary, with E_REPORT_IO', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const o = captureIO();
    const code = await runCli(['run', 'nominal', '--sats', '2', '--duration', '30', '--report', join(blocker, 'r.html')], o.io);
    expect(code).toBe(1);
    expect(o.out()).toContain('summary: ');
    expect(o.err()).toMatch(/fsw run: cannot write the report to .*a-file\/r\.html/);
    expect(existsSync(join(blocker, 'r.html'))).toBe(false);
    await expect(runScenario('nominal', { sats: 2, duration: 10, every: 10, report: join(blocker, 'r.html') }, captureIO().io)).rejects.toMatchObject({ code: 'E_REPORT_IO' });
  }, 30_000);

  it('parseSpeed accepts max, realtime, xK and ×K', () => {
    expect(parseSpeed('max').factor).toBe(Infinity);
    expect(parseSpeed('realtime')).toEqual({ factor: 1, label: 'realtime' });
    expect(parseSpeed('x10')).toEqual({ factor: 10, label: 'x10' });
    expect(parseSpeed('×0.5')).toEqual({ factor: 0.5, label: 'x0.5' });
  });
});
