import { describe, expect, it } from 'vitest';
import { DROP_REASONS, zeroDrops } from '../../../hal/protocol/receiver.js';
import type { ClientStats } from '../../../hal/client/hardware-client.js';
import {
  CYCLE_PHASES_AND_TOTAL, Counter, Gauge, Histogram, METRIC_FAMILIES, Metrics, cycleRecorder, halCounterSync, seriesKey, type Catalogue,
} from '../../../firmware-agent/observability/metrics.js';
import type { CycleResult } from '../../../firmware-agent/cycle/cycle-runner.js';

describe('counters', () => {
  it('inc by 1 or n; the handle is the same object on every lookup', () => {
    const m = new Metrics();
    const c = m.counter('cycles');
    expect(c).toBeInstanceOf(Counter);
    c.inc();
    c.inc(4);
    expect(m.counter('cycles')).toBe(c);
    expect(c.value).toBe(5);
  });

  it('ignores zero, negative and NaN increments (counters only go up)', () => {
    const c = new Metrics().counter('cycles');
    c.inc(0);
    c.inc(-3);
    c.inc(NaN);
    expect(c.value).toBe(0);
  });

  it('labelled series are separate; declared label values exist at 0 from the start', () => {
    const m = new Metrics();
    m.counter('link_drops', 'crc').inc(3);
    m.counter('link_drops', 'schema').inc();
    const snap = m.snapshot();
    for (const r of DROP_REASONS) expect(snap.counters).toHaveProperty(seriesKey('link_drops', 'reason', r));
    expect(snap.counters['link_drops{reason="crc"}']).toBe(3);
    expect(snap.counters['link_drops{reason="schema"}']).toBe(1);
    expect(snap.counters['link_drops{reason="escape"}']).toBe(0);
  });

  it('refuses unknown names, wrong types, missing or unexpected labels and unknown values of closed families', () => {
    const m = new Metrics();
    const loose = m as unknown as Metrics<Catalogue>;
    expect(() => loose.counter('no_such_metric')).toThrow(/no family/);
    expect(() => loose.counter('anomalies_active')).toThrow(/gauge, not a counter/);
    expect(() => loose.counter('link_drops')).toThrow(/needs a reason label/);
    expect(() => loose.counter('cycles', 'x')).toThrow(/has no label/);
    // @ts-expect-error closed family: 'bogus' is not a drop reason
    expect(() => m.counter('link_drops', 'bogus')).toThrow(/takes escape, crc/);
  });

  it('open families take new values, up to the cap, then share `other`', () => {
    const m = new Metrics({ maxSeriesPerFamily: 3 });
    m.counter('anomalies_raised_by_signature', 'soc_low').inc();
    m.counter('anomalies_raised_by_signature', 'batt_hot').inc();
    m.counter('anomalies_raised_by_signature', 'tumbling').inc();
    const a = m.counter('anomalies_raised_by_signature', 'obc_hot');
    const b = m.counter('anomalies_raised_by_signature', 'payload_hot');
    expect(a).toBe(b);
    expect(a.labelValue).toBe('other');
    a.inc(2);
    const snap = m.snapshot().counters;
    expect(snap['anomalies_raised_by_signature{signature="soc_low"}']).toBe(1);
    expect(snap['anomalies_raised_by_signature{signature="other"}']).toBe(2);
    // decisions is open with declared values: the declared ones plus new ones
    m.counter('decisions', 'custom').inc();
    expect(m.snapshot().counters['decisions{type="custom"}']).toBe(1);
  });
});

describe('gauges', () => {
  it('set, inc, dec', () => {
    const g = new Metrics().gauge('anomalies_active');
    expect(g).toBeInstanceOf(Gauge);
    g.set(4);
    g.inc();
    g.dec(2);
    expect(g.value).toBe(3);
  });
});

describe('histograms', () => {
  it('1..1000 µs: p50 = 500, p99 = 990, max = 1000, count = 1000, exact sum and min', () => {
    const h = new Metrics().histogram('cycle_phase_us', 'assess');
    expect(h).toBeInstanceOf(Histogram);
    // shuffled, so order does not matter
    const values = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) + 1);
    for (const v of values) h.record(v);
    expect(h.count).toBe(1000);
    expect(h.min).toBe(1);
    expect(h.max).toBe(1000);
    expect(h.sum).toBe(500_500);
    expect(h.mean).toBeCloseTo(500.5, 9);
    // 2 significant digits: within 1 %
    expect(Math.abs(h.p50 - 500) / 500).toBeLessThanOrEqual(0.01);
    expect(Math.abs(h.p99 - 990) / 990).toBeLessThanOrEqual(0.01);
    expect(Math.abs(h.percentile(90) - 900) / 900).toBeLessThanOrEqual(0.01);
  });

  it('small values are exact: 1..100 → p50 50, p99 99', () => {
    const h = new Metrics().histogram('journal_append_us');
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.p50).toBe(50);
    expect(h.p99).toBe(99);
    expect(h.max).toBe(100);
  });

  it('a skewed distribution: 990 fast cycles and 10 slow ones put p99 on the fast side and max on the slow one', () => {
    const h = new Metrics().histogram('cycle_phase_us', 'total');
    for (let i = 0; i < 990; i++) h.record(2000);
    for (let i = 0; i < 10; i++) h.record(25_000);
    expect(Math.abs(h.p50 - 2000) / 2000).toBeLessThanOrEqual(0.01);
    expect(Math.abs(h.p99 - 2000) / 2000).toBeLessThanOrEqual(0.01);
    expect(h.percentile(99.5)).toBeGreaterThanOrEqual(24_750);
    expect(h.max).toBe(25_000);
  });

  it('with 3 digits, percentiles are within 0.1 %', () => {
    const h = new Metrics({ histogramDigits: 3 }).histogram('cycle_phase_us', 'act');
    for (let v = 1; v <= 10_000; v++) h.record(v);
    expect(Math.abs(h.p50 - 5000) / 5000).toBeLessThanOrEqual(0.001);
    expect(Math.abs(h.p99 - 9900) / 9900).toBeLessThanOrEqual(0.001);
  });

  it('recordMs converts ms to the family unit; values are rounded, negatives and NaN record 0, huge ones clamp', () => {
    const h = new Metrics().histogram('cycle_phase_us', 'decide');
    h.recordMs(1.5); // 1500 µs
    expect(h.max).toBe(1500);
    h.record(2.4);
    expect(h.min).toBe(2);
    h.record(-5);
    h.record(NaN);
    expect(h.min).toBe(0);
    h.record(1e12);
    expect(h.max).toBe(60_000_000);
    expect(h.count).toBe(5);
  });

  it('empty: everything reads 0; reset empties', () => {
    const h = new Metrics().histogram('cycle_start_late_us');
    expect(h.summary()).toEqual({ count: 0, sum: 0, min: 0, p50: 0, p90: 0, p99: 0, max: 0 });
    h.record(10);
    h.reset();
    expect(h.summary()).toEqual({ count: 0, sum: 0, min: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });
});

describe('snapshot', () => {
  it('is plain JSON keyed by series, with every declared series and histogram summaries', () => {
    const m = new Metrics();
    m.counter('cycles').inc(12);
    m.gauge('mode_current', 'nominal').set(1);
    m.histogram('cycle_phase_us', 'sample').record(100);
    const snap = m.snapshot();
    expect(Object.keys(snap).sort()).toEqual(['counters', 'gauges', 'histograms']);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap.counters.cycles).toBe(12);
    expect(snap.gauges['mode_current{mode="nominal"}']).toBe(1);
    expect(snap.gauges['mode_current{mode="safe"}']).toBe(0);
    expect(Object.keys(snap.histograms)).toEqual(CYCLE_PHASES_AND_TOTAL.map((p) => `cycle_phase_us{phase="${p}"}`).concat(['cycle_start_late_us', 'journal_append_us']));
    expect(snap.histograms['cycle_phase_us{phase="sample"}']).toEqual({ count: 1, sum: 100, min: 100, p50: 100, p90: 100, p99: 100, max: 100 });
    for (const v of Object.values(snap.counters)) expect(typeof v).toBe('number');
  });

  it('nonZero leaves out zero counters and empty histograms, keeps gauges', () => {
    const m = new Metrics();
    m.counter('link_drops', 'crc').inc();
    m.histogram('journal_append_us').record(5);
    const snap = m.snapshot({ nonZero: true });
    expect(snap.counters).toEqual({ 'link_drops{reason="crc"}': 1 });
    expect(Object.keys(snap.histograms)).toEqual(['journal_append_us']);
    expect(Object.keys(snap.gauges).length).toBeGreaterThan(0);
  });

  it('label values are escaped in keys', () => {
    const m = new Metrics();
    m.counter('anomalies_raised_by_signature', 'a"b\\c\nd').inc();
    expect(m.snapshot().counters).toHaveProperty(['anomalies_raised_by_signature{signature="a\\"b\\\\c\\nd"}']);
  });
});

describe('the catalogue', () => {
  it('has every family the agent needs', () => {
    for (const name of [
      'cycle_phase_us', 'cycle_slips', 'anomalies_raised', 'anomalies_raised_by_signature', 'decisions', 'decisions_safe_fallback',
      'actions', 'breaker_transitions', 'link_drops', 'client_timeouts', 'client_late', 'client_duplicate', 'watchdog_pets',
      'mode_transitions', 'journal_appends', 'journal_torn_records', 'health_checks',
    ]) {
      expect(METRIC_FAMILIES, name).toHaveProperty(name);
    }
    expect(METRIC_FAMILIES.link_drops.values).toEqual(DROP_REASONS);
    expect(METRIC_FAMILIES.cycle_phase_us.values).toEqual(['sample', 'assess', 'decide', 'arbitrate', 'act', 'total']);
  });

  it('refuses bad catalogues at construction', () => {
    const bad = (c: Catalogue): (() => Metrics<Catalogue>) => () => new Metrics({ catalogue: c });
    expect(bad({ x_total: { type: 'counter', unit: 'count', help: 'h' } })).toThrow(/bad family name/);
    expect(bad({ X: { type: 'counter', unit: 'count', help: 'h' } })).toThrow(/bad family name/);
    expect(bad({ x: { type: 'summary' as 'counter', unit: 'count', help: 'h', label: 'quantile', open: true } })).toThrow(/bad label name/);
    expect(bad({ x: { type: 'histogram', unit: 'count', help: 'h' } })).toThrow(/us or ms/);
    expect(bad({ x: { type: 'counter', unit: 'count', help: 'h', label: 'l' } })).toThrow(/closed but lists no label values/);
  });

  it('a custom catalogue is typed by its own names', () => {
    const cat = { hits: { type: 'counter', unit: 'count', help: 'h' }, lat_ms: { type: 'histogram', unit: 'ms', help: 'h', highest: 1000 } } as const;
    const m = new Metrics({ catalogue: cat });
    m.counter('hits').inc();
    m.histogram('lat_ms').record(5000);
    expect(m.histogram('lat_ms').max).toBe(1000);
    // @ts-expect-error not in this catalogue
    expect(() => m.counter('cycles')).toThrow();
  });
});

describe('halCounterSync', () => {
  it('adds what the cumulative HAL counts grew by, and survives a source restarting from 0', () => {
    const m = new Metrics();
    const sync = halCounterSync(m);
    const drops = zeroDrops();
    const stats: ClientStats = { timeouts: 0, late: 0, duplicate: 0, unknownRef: 0, handshakes: 1 };
    drops.crc = 2;
    sync({ drops, stats });
    drops.crc = 5;
    drops.cbor = 1;
    stats.timeouts = 3;
    sync({ drops, stats });
    sync({ drops, stats }); // no growth, no change
    let c = m.snapshot().counters;
    expect(c['link_drops{reason="crc"}']).toBe(5);
    expect(c['link_drops{reason="cbor"}']).toBe(1);
    expect(c.client_timeouts).toBe(3);
    expect(c.client_handshakes).toBe(1);
    // a new client (a new stats object) counts from 0 again
    sync({ stats: { timeouts: 1, late: 0, duplicate: 0, unknownRef: 0, handshakes: 1 } });
    c = m.snapshot().counters;
    expect(c.client_timeouts).toBe(4);
    expect(c.client_handshakes).toBe(2);
    expect(c['link_drops{reason="crc"}']).toBe(5);
    // the same object going down (a reset in place) also counts from its new value
    drops.crc = 1;
    sync({ drops });
    expect(m.snapshot().counters['link_drops{reason="crc"}']).toBe(6);
  });
});

describe('cycleRecorder', () => {
  it("records a cycle runner's CycleResult: count, phase and total times in µs, lateness, slips by blamed phase", () => {
    const m = new Metrics();
    const onCycle = cycleRecorder(m);
    const base: CycleResult = {
      index: 0, deadline: 100, lateMs: 0.25, totalMs: 4, slipped: null, error: undefined,
      phaseMs: { sample: 0.5, assess: 1, decide: 0.75, arbitrate: 0.25, act: 1.5 },
    };
    onCycle(base);
    const slipped: CycleResult = { ...base, index: 1, totalMs: 31, slipped: 'act', phaseMs: { ...base.phaseMs, act: 28.5 } };
    onCycle(slipped);
    const s = m.snapshot({ nonZero: true });
    expect(s.counters).toEqual({ cycles: 2, 'cycle_slips{phase="act"}': 1 });
    expect(s.histograms['cycle_phase_us{phase="assess"}']).toMatchObject({ count: 2, min: 1000, max: 1000 });
    expect(s.histograms['cycle_phase_us{phase="act"}']).toMatchObject({ count: 2, min: 1500, max: 28_500 });
    expect(s.histograms['cycle_phase_us{phase="total"}']).toMatchObject({ count: 2, sum: 35_000, max: 31_000 });
    expect(s.histograms.cycle_start_late_us).toMatchObject({ count: 2, max: 250 });
  });
});
