/**
 * Opens a report in headless Chromium (Debian's `chromium`, driven by puppeteer-core over
 * CDP) and says what a person would have seen: console errors, uncaught page errors, any
 * request other than the file itself (the report must need no network), each chart
 * container and whether its canvas has ink on it, and the page's own rendered count.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_INSTALL = 'sudo apt-get install -y chromium';

export interface ChartInk {
  name: string;
  /** Canvas pixels drawn (alpha > 0) and distinct colours among them: a blank canvas has 0. */
  inked: number;
  colours: number;
}

export interface PageCheck {
  /** console.error messages and uncaught exceptions, as text. */
  errors: string[];
  /** URLs requested besides the report itself. */
  requests: string[];
  charts: ChartInk[];
  expected: number;
  rendered: number;
  /** Every chart legend's value cells as shown with no cursor on the page, by chart name. */
  legends: Record<string, string[]>;
  /** Every axis range of each chart's uPlot scales (`data-scales`, set by the page), by chart name. */
  scales: Record<string, Record<string, [number, number]>>;
  /** The text of the page's notes (the paragraphs under each heading). */
  notes: string[];
}

// In-page code as text: this project's TypeScript has no DOM library (the agent runs on Node).
const PAGE_DONE = 'document.body.dataset.expected !== undefined && document.body.dataset.rendered === document.body.dataset.expected';
const INSPECT = `(() => {
  const charts = [...document.querySelectorAll('[data-chart]')].map((box) => {
    let inked = 0;
    const colours = new Set();
    for (const c of box.querySelectorAll('canvas')) {
      const ctx = c.getContext('2d');
      if (!ctx || c.width === 0 || c.height === 0) continue;
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] > 0) {
          inked++;
          colours.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
        }
      }
    }
    return { name: box.dataset.chart || '?', inked, colours: colours.size };
  });
  const legends = {};
  const scales = {};
  for (const box of document.querySelectorAll('[data-chart]')) {
    legends[box.dataset.chart] = [...box.querySelectorAll('.u-legend .u-value')].map((v) => v.textContent);
    if (box.dataset.scales) scales[box.dataset.chart] = JSON.parse(box.dataset.scales);
  }
  const notes = [...document.querySelectorAll('.note')].map((n) => n.textContent);
  return { charts, legends, scales, notes, expected: Number(document.body.dataset.expected ?? NaN), rendered: Number(document.body.dataset.rendered ?? 0) };
})()`;

export async function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // --no-sandbox: CI runs as root; the page is our own file.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars'],
  });
}

/** Loads `file`, waits for the page to say it drew every chart (or `timeoutMs`), inspects it, optionally screenshots it. */
export async function checkReport(browser: Browser, file: string, opts: { screenshot?: string; timeoutMs?: number } = {}): Promise<PageCheck> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${(e as Error).message ?? String(e)}`));
  page.on('request', (r) => {
    if (r.url() !== url && !r.url().startsWith('data:')) requests.push(r.url());
  });
  try {
    await page.setViewport({ width: 1200, height: 900 });
    await page.goto(url, { waitUntil: 'load' });
    await page
      .waitForFunction(PAGE_DONE, { timeout: opts.timeoutMs ?? 5000 })
      .catch(() => undefined); // a page that never finishes is reported by the counts below
    const inspected = (await page.evaluate(INSPECT)) as Omit<PageCheck, 'errors' | 'requests'>;
    if (opts.screenshot) {
      mkdirSync(dirname(opts.screenshot), { recursive: true });
      await page.screenshot({ path: opts.screenshot as `${string}.png`, fullPage: true });
    }
    return { errors, requests, ...inspected };
  } finally {
    await page.close();
  }
}
