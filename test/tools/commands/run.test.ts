import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../tools/cli.js';
import { defaultReportPath, runScenario } from '../../../tools/commands/run.js';
import type { CliIO } from '../../../tools/commands/common.js';
import { parseSpeed } from '../../../tools/view/pace.js';
import { captureIO } from '../../helpers/cli.js';

/** A CliIO whose signal listeners can be fired, and fires `signal` `afterMs` of wall time in (from a timer, as a real signal arrives). */
function signalIO(signal: NodeJS.Signals, afterMs: number): ReturnType<typeof captureIO> & { listeners: () => number } {
  const c = captureIO();
  const fns = new Set<(s: NodeJS.Signals) => void>();
  const io: CliIO = { ...c.io, onSignal: (fn) => (fns.add(fn), () => void fns.delete(fn)) };
  setTimeout(() => {
    for (const fn of fns) fn(signal);
    // npx adds its own forwarded copy of the signal: a second one must not change anything.
    setTimeout(() => fns.forEach((fn) => fn(signal)), 20);
  }, afterMs);
  return { ...c, io, listeners: () => fns.size };
}

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
    // The table's header under every progress line (piped output is read in pieces), and a legend once.
    expect(text.match(/^\[ *\d+%\] t=.*\n {2}SAT {4}MODE {7}ROLE {12}SOC {3}HOTTEST {2}SUN {6}ACTIONS {2}CONST {2}LAST DECISION$/gm)).toHaveLength(3);
    expect(text).toContain('ACTIONS: actions done/ended on the satellite (all sources) · CONST: constellation actions done/assigned');
    expect(text.match(/^\[ *\d+%\] t=/gm)).toHaveLength(3); // at 5, 10, 15 min
    expect(text).toMatch(/\[100%\] t=15 min 00 s/);
    expect(text).toMatch(/SAT-2 +(degraded|safe) /); // SAT-2's payload is running away at 15 min
    expect(text).toMatch(/summary: 15 min 00 s virtual in [\d.]+ s wall \(speed max\)/);
    expect(text).toMatch(/decisions [1-9]\d*, actions done \d+ \(incl\. safe-mode sequences and constellation actions\), failed 0/);
    expect(text).not.toContain('interrupted');
    expect(text).toContain('compliance: no constellation actions');
    expect(text).toMatch(/cycle latency \(CPU time per cycle\) p50 [1-9]\d* µs, p99 [1-9]\d* µs \(worst satellite\), slips \d+ \(cycles over the 20 ms budget in host CPU time\)/);
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

  it('Ctrl-C at speed max stops the run: summary and report say "interrupted at t=… of …", exit 130 after both', async () => {
    const report = join(dir, 'interrupted.html');
    const o = signalIO('SIGINT', 300);
    // Long enough that it cannot end before the signal (a 5-satellite day takes minutes).
    const code = await runCli(['run', 'nominal', '--duration', '86400', '--every', '3600', '--report', report], o.io);
    expect(code, o.err()).toBe(130);
    const m = /summary: interrupted \(SIGINT\) at t=(.+?) of 24 h 00 min, a partial run: /.exec(o.out());
    expect(m, o.out()).not.toBeNull();
    expect(o.out()).toMatch(/report: .*interrupted\.html/);
    expect(o.err()).toMatch(/^fsw run: interrupted by SIGINT at t=.+ of 24 h 00 min\n$/);
    expect(o.listeners()).toBe(0); // unsubscribed at the end
    const html = readFileSync(report, 'utf8');
    expect(html).toContain(`Interrupted (SIGINT) at t=${m![1]} of 24 h 00 min`);
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!);
    expect(data.summary.interrupted).toBe('SIGINT');
    expect(data.summary.virtualS).toBeLessThan(86400);
  }, 60_000);

  it('SIGTERM is handled like Ctrl-C, with exit 143', async () => {
    const o = signalIO('SIGTERM', 200);
    const code = await runCli(['run', 'nominal', '--sats', '2', '--duration', '86400', '--no-report'], o.io);
    expect(code, o.err()).toBe(143);
    expect(o.out()).toMatch(/summary: interrupted \(SIGTERM\) at t=/);
  }, 60_000);

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

  it('a --work-dir, --record or --report path under a file exits 2 up front naming the option, before running', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const cases: [string[], RegExp][] = [
      [['--work-dir', blocker], /--work-dir .*a-file: exists and is not a directory/],
      [['--record', blocker], /--record .*a-file: exists and is not a directory/],
      [['--work-dir', join(blocker, 'sub')], /--work-dir .*a-file\/sub: .*a-file exists and is not a directory/],
      [['--report', join(blocker, 'r.html')], /--report .*a-file\/r\.html: .*a-file exists and is not a directory/],
      [['--report', dir], /--report .*: is a directory/],
    ];
    for (const [args, message] of cases) {
      const o = captureIO();
      const code = await runCli(['run', 'nominal', '--sats', '2', '--duration', '30', ...args], o.io);
      expect(code, args.join(' ')).toBe(2);
      expect(o.err()).toMatch(message);
      expect(o.out(), args.join(' ')).not.toContain('summary: ');
    }
    expect(existsSync(join(blocker, 'r.html'))).toBe(false);
  }, 30_000);

  it('--record and --work-dir create missing folders; one that cannot be created (under /proc) exits 2 at once instead of hanging', async () => {
    const o = captureIO();
    const rec = join(dir, 'new', 'deeper', 'rec');
    expect(await runCli(['run', 'nominal', '--sats', '1', '--duration', '10', '--no-report', '--record', rec, '--work-dir', join(dir, 'new', 'work')], o.io), o.err()).toBe(0);
    expect(existsSync(join(rec, 'SAT-1.rec'))).toBe(true);
    if (!existsSync('/proc/self')) return; // not Linux
    for (const opt of ['--record', '--work-dir']) {
      const p = captureIO();
      const t0 = performance.now();
      expect(await runCli(['run', 'nominal', '--no-report', opt, '/proc/fsw-no-such/x'], p.io)).toBe(2);
      expect(p.err()).toContain(`${opt} /proc/fsw-no-such/x: cannot create /proc/fsw-no-such`);
      expect(performance.now() - t0).toBeLessThan(5000);
    }
  }, 30_000);

  it('parseSpeed accepts max, realtime, xK and ×K', () => {
    expect(parseSpeed('max').factor).toBe(Infinity);
    expect(parseSpeed('realtime')).toEqual({ factor: 1, label: 'realtime' });
    expect(parseSpeed('x10')).toEqual({ factor: 10, label: 'x10' });
    expect(parseSpeed('×0.5')).toEqual({ factor: 0.5, label: 'x0.5' });
  });
});
