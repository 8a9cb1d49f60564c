import { afterEach, describe, expect, it } from 'vitest';
import { Metrics, type Catalogue } from '../../../firmware-agent/observability/metrics.js';
import {
  PROMETHEUS_CONTENT_TYPE, renderPrometheus, serveMetrics, serveMetricsFromConfig, type MetricsServer,
} from '../../../firmware-agent/observability/prometheus.js';
import { parseExposition, valueOf } from './exposition.js';

function busyRegistry(): Metrics {
  const m = new Metrics();
  m.counter('cycles').inc(42);
  m.counter('link_drops', 'crc').inc(3);
  m.counter('anomalies_raised_by_signature', 'we"ird\\sig\nname').inc();
  m.gauge('mode_current', 'nominal').set(1);
  const total = m.histogram('cycle_phase_us', 'total');
  for (let v = 1; v <= 100; v++) total.record(v * 100);
  return m;
}

describe('the exposition checker', () => {
  it('accepts a well-formed text', () => {
    const text = [
      '# HELP a_total Things.',
      '# TYPE a_total counter',
      'a_total{k="v\\"q\\\\\\n"} 1',
      'a_total 2 1712000000000',
      '# TYPE s summary',
      's{quantile="0.5"} NaN',
      's_sum 0',
      's_count 0',
      '# a plain comment',
      '# TYPE g gauge',
      'g -Inf',
      '',
    ].join('\n');
    const p = parseExposition(text);
    expect(p.errors).toEqual([]);
    expect(valueOf(p, 'a_total', { k: 'v"q\\\n' })).toBe(1);
    expect(valueOf(p, 'g')).toBe(-Infinity);
  });

  it.each([
    ['a sample before its TYPE', 'a 1\n# TYPE a gauge\n', /before \(or without\) its TYPE/],
    ['TYPE after samples', '# TYPE a gauge\na 1\n# HELP a x\n', /after its samples/],
    ['two TYPEs', '# TYPE a gauge\n# TYPE a gauge\na 1\n', /second TYPE/],
    ['a bad escape', '# TYPE a gauge\na{k="\\t"} 1\n', /bad escape/],
    ['a bad escape in HELP', '# HELP a x\\\\\\y\n# TYPE a gauge\na 1\n', /bad escape in HELP/],
    ['an unescaped quote', '# TYPE a gauge\na{k="x"y"} 1\n', /expected , or }/],
    ['a bad value', '# TYPE a gauge\na 1,5\n', /bad value/],
    ['a bad name', '# TYPE a gauge\n1a 1\n', /does not start with a metric name/],
    ['an unknown type', '# TYPE a gauges\na 1\n', /unknown type/],
    ['non-contiguous samples', '# TYPE a gauge\n# TYPE b gauge\na{x="1"} 1\nb 1\na{x="2"} 1\n', /not contiguous/],
    ['a duplicate series', '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n', /twice/],
    ['a summary without quantile', '# TYPE s summary\ns 1\n', /without a quantile/],
    ['no final newline', '# TYPE a gauge\na 1', /newline/],
    ['a negative counter', '# TYPE a_total counter\na_total -1\n', /negative counter/],
  ])('refuses %s', (_, text, re) => {
    const p = parseExposition(text);
    expect(p.errors.join('\n')).toMatch(re);
  });
});

describe('renderPrometheus', () => {
  it('is valid exposition text: HELP and TYPE before samples, every line in the grammar', () => {
    const p = parseExposition(renderPrometheus(busyRegistry()));
    expect(p.errors).toEqual([]);
    for (const [name, fm] of p.families) {
      expect(fm.help, name).toBeTruthy();
      expect(fm.type, name).toBeTruthy();
    }
  });

  it('has one family per catalogue entry, counters as _total, histograms as summaries', () => {
    const m = busyRegistry();
    const p = parseExposition(renderPrometheus(m));
    const expected = m.families().map((f) => [
      f.def.type === 'counter' ? `agent_${f.name}_total` : `agent_${f.name}`,
      f.def.type === 'histogram' ? 'summary' : f.def.type,
    ]);
    expect([...p.families].map(([n, f]) => [n, f.type])).toEqual(expected);
  });

  it('contains the expected series and values', () => {
    const p = parseExposition(renderPrometheus(busyRegistry()));
    expect(valueOf(p, 'agent_cycles_total')).toBe(42);
    expect(valueOf(p, 'agent_link_drops_total', { reason: 'crc' })).toBe(3);
    expect(valueOf(p, 'agent_link_drops_total', { reason: 'escape' })).toBe(0);
    expect(valueOf(p, 'agent_mode_current', { mode: 'nominal' })).toBe(1);
    expect(valueOf(p, 'agent_mode_current', { mode: 'safe' })).toBe(0);
    // 2 significant digits: within 1 % of the exact 5000 and 9900
    expect(Math.abs(valueOf(p, 'agent_cycle_phase_us', { phase: 'total', quantile: '0.5' })! / 5000 - 1)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(valueOf(p, 'agent_cycle_phase_us', { phase: 'total', quantile: '0.99' })! / 9900 - 1)).toBeLessThanOrEqual(0.01);
    expect(valueOf(p, 'agent_cycle_phase_us_sum', { phase: 'total' })).toBe(505_000);
    expect(valueOf(p, 'agent_cycle_phase_us_count', { phase: 'total' })).toBe(100);
    // an empty summary: NaN quantiles, zero sum and count
    expect(valueOf(p, 'agent_cycle_phase_us', { phase: 'act', quantile: '0.5' })).toBeNaN();
    expect(valueOf(p, 'agent_cycle_phase_us_count', { phase: 'act' })).toBe(0);
    expect(valueOf(p, 'agent_journal_append_us', { quantile: '0.99' })).toBeNaN();
  });

  it('escapes label values (quote, backslash, newline) and they parse back to the original', () => {
    const text = renderPrometheus(busyRegistry());
    expect(text).toContain('agent_anomalies_raised_by_signature_total{signature="we\\"ird\\\\sig\\nname"} 1\n');
    const p = parseExposition(text);
    expect(valueOf(p, 'agent_anomalies_raised_by_signature_total', { signature: 'we"ird\\sig\nname' })).toBe(1);
  });

  it('escapes HELP text and honours the prefix', () => {
    const cat = { odd: { type: 'gauge', unit: 'count', help: 'back\\slash and\nnewline' } } as const satisfies Catalogue;
    const text = renderPrometheus(new Metrics({ catalogue: cat }), { prefix: 'sat_' });
    expect(text).toBe('# HELP sat_odd back\\\\slash and\\nnewline\n# TYPE sat_odd gauge\nsat_odd 0\n');
    const p = parseExposition(text);
    expect(p.errors).toEqual([]);
    expect(p.families.get('sat_odd')?.help).toBe('back\\slash and\nnewline');
  });
});

describe('serveMetrics', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers GET /metrics on a loopback ephemeral port with the exposition text', async () => {
    const m = busyRegistry();
    server = await serveMetrics(m, 0);
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    const body = await res.text();
    const p = parseExposition(body);
    expect(p.errors).toEqual([]);
    expect(valueOf(p, 'agent_cycles_total')).toBe(42);
    // live: a later scrape sees later counts
    m.counter('cycles').inc();
    const again = parseExposition(await (await fetch(`http://127.0.0.1:${server.port}/metrics?x=1`)).text());
    expect(valueOf(again, 'agent_cycles_total')).toBe(43);
  });

  it('404s other paths and 405s other methods', async () => {
    server = await serveMetrics(new Metrics(), 0);
    const base = `http://127.0.0.1:${server.port}`;
    for (const path of ['/', '/metrics/', '/metricsx', '/favicon.ico']) {
      const res = await fetch(base + path);
      expect(res.status, path).toBe(404);
      await res.text();
    }
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await post.text();
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('close() stops listening even with a keep-alive connection open', async () => {
    const s = await serveMetrics(new Metrics(), 0);
    await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text();
    await s.close();
    await expect(fetch(`http://127.0.0.1:${s.port}/metrics`)).rejects.toThrow();
  });

  it('rejects when the port is taken', async () => {
    server = await serveMetrics(new Metrics(), 0);
    await expect(serveMetrics(new Metrics(), server.port)).rejects.toThrow(/EADDRINUSE/);
  });

  it('is off when the config says port 0', async () => {
    expect(await serveMetricsFromConfig(new Metrics(), { metrics_port: 0 })).toBeUndefined();
  });
});
