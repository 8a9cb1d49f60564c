/**
 * The run report as one self-contained HTML file: the data as embedded JSON, the charting
 * library (uPlot, read from node_modules when the report is written) and the page's client
 * script inlined, so the file opens anywhere with no network.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { HalError } from '../../hal/errors.js';
import { CLIENT_SCRIPT } from './client.js';
import type { ReportData } from './data.js';
import { interruptedText } from '../view/summary.js';

export class ReportError extends HalError {
  constructor(message: string, detail?: Record<string, unknown>) {
    super('E_REPORT_IO', message, detail);
    this.name = 'ReportError';
  }
}

export interface ChartLibrary {
  js: string;
  css: string;
  /** Its licence text (MIT: the notice travels with every copy, so each report carries it). */
  licence: string;
}

/** uPlot's minified build and stylesheet, from node_modules (a runtime dependency). */
export function loadChartLibrary(): ChartLibrary {
  const require = createRequire(import.meta.url);
  try {
    return {
      js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
      licence: readFileSync(join(dirname(require.resolve('uplot/dist/uPlot.iife.min.js')), '../LICENSE'), 'utf8'),
    };
  } catch (err) {
    throw new ReportError(`the charting library uplot is missing (run npm install): ${(err as Error).message}`, { cause: (err as Error).message });
  }
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--`, no line separators that end a script. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Inline script text can never close its element early. */
function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const PAGE_CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1b1f24;background:#fff;max-width:1180px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
.meta{color:#57606a;margin-bottom:12px}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:12px}
.chart{min-height:60px}.hover{font-size:12px;color:#57606a;min-height:18px;margin:2px 0 8px}
.interrupted{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;margin:4px 0 10px;font-weight:600}
.note{font-size:12px;color:#57606a}.legend-box{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;vertical-align:middle}
`;

export interface RenderOptions {
  library?: ChartLibrary;
  /** Replaces the client script (tests use it to check that a broken page is caught). */
  clientScript?: string;
}

/** The whole page. */
export function renderReport(data: ReportData, opts: RenderOptions = {}): string {
  const lib = opts.library ?? loadChartLibrary();
  const stopped = interruptedText(data.summary);
  const title = `fsw run report: ${data.meta.scenario}, seed ${data.meta.seed}${stopped ? ' (interrupted)' : ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${lib.css}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${stopped ? `<p class="interrupted" id="interrupted">${escapeHtml(stopped.charAt(0).toUpperCase() + stopped.slice(1))}: a partial run; every figure and chart covers only that time.</p>
` : ''}<div class="meta" id="meta"></div>
<div id="report"><noscript>This report draws its charts with JavaScript.</noscript></div>
<script type="application/json" id="report-data">${scriptSafeJson(data)}</script>
<script>/*! uPlot, inlined from node_modules/uplot:
${lib.licence.replace(/\*\//g, '* /')}*/
${inlineScript(lib.js)}</script>
<script>${inlineScript(opts.clientScript ?? CLIENT_SCRIPT)}</script>
</body>
</html>
`;
}

/** Renders and writes the report (creating its folder); returns its size in bytes. Throws ReportError. */
export function writeReport(path: string, data: ReportData, opts: RenderOptions = {}): number {
  const html = renderReport(data, opts);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, html);
  } catch (err) {
    throw new ReportError(`cannot write the report to ${path}: ${(err as Error).message}`, { path, cause: (err as { code?: string }).code });
  }
  return Buffer.byteLength(html);
}
