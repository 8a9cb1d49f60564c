import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLIENT_SCRIPT } from '../../../tools/report/client.js';
import type { ReportData } from '../../../tools/report/data.js';
import { escapeHtml, loadChartLibrary, renderReport, scriptSafeJson, writeReport } from '../../../tools/report/render.js';
import { reportFixture } from './fixture.js';

const embedded = (html: string): ReportData => JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as ReportData;
const dir = mkdtempSync(join(tmpdir(), 'fsw-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the HTML report', () => {
  it('is one self-contained page: uPlot, its stylesheet, the client script and the data all inline, nothing fetched', () => {
    const lib = loadChartLibrary();
    expect(lib.js.length).toBeGreaterThan(20_000);
    expect(lib.js).toContain('uPlot');
    const html = renderReport(reportFixture(), { library: lib });
    expect(html).toContain(lib.js.slice(0, 200));
    expect(html).toContain(lib.css.slice(0, 100));
    expect(html).toContain(CLIENT_SCRIPT.slice(0, 200));
    expect(html).toContain('Copyright (c) 2022 Leon Sorokin'); // uPlot's MIT notice travels with it
    expect(html).not.toMatch(/\s(src|href)\s*=/i); // no external script, stylesheet or link
    expect(html).not.toMatch(/https?:\/\/(?!github\.com\/leeoniya)/); // uPlot's licence banner names its home; nothing else
    expect(embedded(html)).toEqual(reportFixture());
  });

  it('text from the run cannot break out of the data or the title', () => {
    const data = reportFixture();
    data.meta.scenario = '</script><script>alert(1)</script>';
    data.decisions[0]!.reason = '<!-- \u2028 </SCRIPT>';
    const html = renderReport(data);
    expect(html.match(/<\/script>/gi)).toHaveLength(3); // the three script elements we wrote, and none from the data
    expect(html).toContain('<title>fsw run report: &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;, seed 1</title>');
    expect(embedded(html)).toEqual(data);
    expect(scriptSafeJson({ a: '</script>' })).toBe('{"a":"\\u003c/script>"}');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('stays small: five satellites at the full 600 samples a series is under 300 KB', () => {
    const data = reportFixture();
    const n = 600;
    const noisy = (base: number, digits: number): number[] => Array.from({ length: n }, (_, i) => Number((base + Math.sin(i * 1.7) * base * 0.3 + i / 997).toFixed(digits)));
    data.meta.sats = ['SAT-1', 'SAT-2', 'SAT-3', 'SAT-4', 'SAT-5'];
    data.samples.t = Array.from({ length: n }, (_, i) => i * 10);
    data.samples.sats = Object.fromEntries(data.meta.sats.map((id) => [id, { soc: noisy(0.7, 3), obc: noisy(30, 1), battery: noisy(20, 1), payload: noisy(40, 1), radio: noisy(25, 1) }]));
    data.samples.isl = Object.fromEntries(['critical', 'report', 'health', 'bulk', 'total'].map((c) => [c, noisy(150, 1)]));
    const bytes = Buffer.byteLength(renderReport(data));
    expect(bytes).toBeLessThan(300_000);
  });

  it('writeReport creates the folder, writes the page and returns its size; a path it cannot create fails with E_REPORT_IO', () => {
    const file = join(dir, 'deep/er/report.html');
    const bytes = writeReport(file, reportFixture());
    expect(readFileSync(file).length).toBe(bytes);
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    expect(() => writeReport(join(blocker, 'x.html'), reportFixture())).toThrow(expect.objectContaining({ code: 'E_REPORT_IO', name: 'ReportError' }));
  });
});
