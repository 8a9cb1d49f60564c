import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../tools/cli.js';
import { writeReport } from '../../../tools/report/render.js';
import { ROOT } from '../../helpers/build.js';
import { captureIO } from '../../helpers/cli.js';
import { describeWithTool } from '../../helpers/system-tool.js';
import { checkReport, CHROMIUM_INSTALL, launchChromium, type PageCheck } from './browser.js';
import { reportFixture } from './fixture.js';

/** Screenshots go here (git-ignored with the rest of out/). */
const ARTIFACTS = join(ROOT, 'out/test-artifacts');

/** Everything a person would call broken, as messages; empty when the page is fine. */
function problems(c: PageCheck): string[] {
  const out = [...c.errors, ...c.requests.map((u) => `network request: ${u}`)];
  if (!(c.expected > 0)) out.push('the page did not say how many charts it meant to draw');
  if (c.rendered !== c.expected) out.push(`rendered ${c.rendered} of ${c.expected} charts`);
  if (c.charts.length !== c.expected) out.push(`${c.charts.length} chart containers for ${c.expected} charts`);
  for (const ch of c.charts) if (ch.inked === 0 || ch.colours < 2) out.push(`chart ${ch.name} is blank`);
  return out;
}

describeWithTool('chromium', CHROMIUM_INSTALL)('the run report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fsw-report-'));
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a short run writes a report whose every chart draws, with no console error, page error or network request', async () => {
    const file = join(dir, 'run.html');
    const o = captureIO();
    const code = await runCli(['run', 'thermal-runaway', '--sats', '3', '--duration', '600', '--every', '600', '--report', file], o.io);
    expect(code, o.err()).toBe(0);
    expect(o.out()).toContain(`report: ${file} (`);
    const c = await checkReport(browser, file, { screenshot: join(ARTIFACTS, 'report-run.png') });
    expect(problems(c)).toEqual([]);
    // power (one per satellite), modes, leader, actions, latency, isl
    expect(c.charts.map((ch) => ch.name)).toEqual(['power-SAT-1', 'power-SAT-2', 'power-SAT-3', 'modes', 'leader', 'actions', 'latency', 'isl']);
    expect(statSync(join(ARTIFACTS, 'report-run.png')).size).toBeGreaterThan(10_000);
  }, 60_000);

  it('draws every kind of item: eclipses, a power-off, leader changes, failed actions, refused decisions, constellation compliance', async () => {
    const file = join(dir, 'fixture.html');
    writeReport(file, reportFixture());
    const c = await checkReport(browser, file, { screenshot: join(ARTIFACTS, 'report-fixture.png') });
    expect(problems(c)).toEqual([]);
    expect(c.expected).toBe(8);
  }, 30_000);

  it('is readable: one temperature range for all satellites, legends with values before any hover, idle ISL classes and boot decisions explained', async () => {
    const data = reportFixture();
    // SAT-3 runs far hotter than the others: its range must still be the one the others use.
    data.samples.sats['SAT-3']!.payload = data.samples.sats['SAT-3']!.payload.map((v) => v + 40);
    data.samples.isl.bulk = data.samples.isl.bulk!.map(() => 0);
    data.decisions.unshift({ t: 0.5, sat: 'SAT-2', action: 'payload_on', rule: 'resume_payload', type: 'corrective', ok: true }, { t: 1.5, sat: 'SAT-2', action: 'heater_off', rule: 'battery_warm', type: 'corrective', ok: true });
    const file = join(dir, 'readable.html');
    writeReport(file, data);
    const c = await checkReport(browser, file, { screenshot: join(ARTIFACTS, 'report-readable.png') });
    expect(problems(c)).toEqual([]);
    const ranges = ['SAT-1', 'SAT-2', 'SAT-3'].map((id) => c.scales[`power-${id}`]?.C);
    expect(ranges[0]).toEqual([10, 90]); // 15.0 °C (battery) to 85 °C (SAT-3's payload), rounded out to 10 °C
    expect(ranges[1]).toEqual(ranges[0]);
    expect(ranges[2]).toEqual(ranges[0]);
    for (const name of ['power-SAT-1', 'isl', 'latency']) {
      expect(c.legends[name]!.length, name).toBeGreaterThan(1);
      expect(c.legends[name]!.filter((v) => v === '--' || v === '-'), name).toEqual([]);
    }
    expect(c.legends['power-SAT-1']![0]).toBe('30:00'); // the last sample's time
    expect(c.notes.some((n) => n.includes('bulk: 0 throughout'))).toBe(true);
    expect(c.notes.some((n) => n.includes('3 of the 5 decisions came in the first minute'))).toBe(true);
  }, 30_000);

  it('catches an exception thrown by the page script', async () => {
    const file = join(dir, 'throws.html');
    writeReport(file, reportFixture(), { clientScript: "document.body.setAttribute('data-expected', '0'); null.boom();" });
    const c = await checkReport(browser, file, { timeoutMs: 500 });
    expect(c.errors.join('\n')).toMatch(/page error: .*null/i);
    expect(problems(c).length).toBeGreaterThan(0);
  }, 30_000);

  it('catches a syntax error in the page script and a console.error', async () => {
    const broken = join(dir, 'syntax.html');
    writeReport(broken, reportFixture(), { clientScript: 'var x = ;' });
    expect((await checkReport(browser, broken, { timeoutMs: 500 })).errors.join('\n')).toMatch(/page error: .*Unexpected token/i);
    const logged = join(dir, 'logged.html');
    writeReport(logged, reportFixture(), { clientScript: "console.error('chart data missing'); document.body.dataset.expected = '0'; document.body.dataset.rendered = '0';" });
    expect((await checkReport(browser, logged, { timeoutMs: 500 })).errors).toEqual(['console.error: chart data missing']);
  }, 30_000);

  it('catches a chart that claims to be drawn but is blank, and a request to the network', async () => {
    const file = join(dir, 'blank.html');
    const script =
      "var b = document.createElement('div'); b.setAttribute('data-chart', 'empty'); b.appendChild(document.createElement('canvas'));" +
      "document.body.appendChild(b); document.body.dataset.expected = '1'; document.body.dataset.rendered = '1';" +
      "var i = new Image(); i.src = 'http://127.0.0.1:9/x.png';";
    writeReport(file, reportFixture(), { clientScript: script });
    const c = await checkReport(browser, file, { timeoutMs: 500 });
    expect(problems(c)).toContain('chart empty is blank');
    expect(c.requests).toEqual(['http://127.0.0.1:9/x.png']);
  }, 30_000);
});
