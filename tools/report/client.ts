/**
 * The report page's own script (browser JavaScript, inlined into the HTML by render.ts). It
 * reads the embedded JSON (see data.ts for its shape) and draws every chart with uPlot; the
 * timelines (modes, leader, decisions and actions) are lanes painted in a uPlot draw hook.
 * When done it sets `data-expected` (charts it meant to draw) and `data-rendered` (charts
 * drawn) on <body>, which the browser test checks.
 *
 * The chart helpers it draws with (DOM, axes, uPlot set-up, lanes) are in client-charts.ts.
 *
 * Kept as a string (no DOM types in this project's TypeScript build); the browser test runs it.
 * Written without backticks or dollar-brace so it fits in a template literal unchanged.
 */
import { CHART_HELPERS } from './client-charts.js';

export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var root = document.getElementById('report');
  var expected = 0, rendered = 0;
  var SAT_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  var MODE_COLORS = { boot: '#afb8c1', nominal: '#2da44e', degraded: '#d4a72c', safe: '#cf222e', recovery: '#0969da', off: '#24292f' };
  var STATE_COLORS = { done: '#2da44e', failed: '#cf222e', timed_out: '#bc4c00', running: '#8c959f' };
  // Temperatures: thin dashed lines in colours of their own; state of charge: one thick solid
  // dark line. (Satellite colours are for the lanes; reused here, a SoC line matched a temperature.)
  var TEMP_COLORS = { obc: '#8250df', battery: '#e16f24', payload: '#1a7f37', radio: '#0969da' };
  var SOC_COLOR = '#24292f';
  var TEMP_DASH = [5, 3];
  var ISL_COLORS = { critical: '#cf222e', report: '#0969da', health: '#2da44e', bulk: '#d4a72c', total: '#24292f' };
  var sats = data.meta.sats;
  var ts = data.samples.t;
  var end = Math.max(data.summary.virtualS, ts.length ? ts[ts.length - 1] : 0, 1);
  root.textContent = '';
  // el, add, fmtT, timeAxis, section, chartBox, legend, plot, shadeEclipses, lanes, spans …
  ${CHART_HELPERS}
  // ── summary ──
  var s = data.summary;
  document.getElementById('meta').textContent = sats.length + ' satellites · ' + fmtT(s.virtualS) + ' of virtual time in ' +
    s.wallS.toFixed(1) + ' s wall (speed ' + s.speed + ') · samples every ' + data.meta.sampleEveryS + ' s · generated ' + data.meta.generatedAt;
  var st = add(section('Summary'), el('table'));
  var comp = s.compliance.commands === 0 ? 'no constellation actions' :
    s.compliance.completed + '/' + s.compliance.targets + ' targets completed over ' + s.compliance.commands + ' actions';
  [['decisions', s.decisions], ['actions done / failed (incl. safe-mode sequences and constellation actions)', s.actionsDone + ' / ' + s.actionsFailed],
   ['safe-mode entries', s.safeEntries], ['agent restarts', s.restarts], ['leader at the end', s.leader || 'none'],
   ['leader changes', s.leaderChanges], ['decision divergences', s.divergences], ['compliance', comp],
   ['cycle latency p50 / p99 (worst satellite)', s.cycleP50Us + ' µs / ' + s.cycleP99Us + ' µs'], ['cycle slips (cycles over the ' + (s.budgetMs || 20) + ' ms budget in host CPU time, so they vary between runs of one seed)', s.slips],
   ['frames dropped', Object.keys(s.drops).map(function (k) { return k + ' ' + s.drops[k]; }).join(', ')],
   ['ISL packets dropped by the governor', Object.keys(s.governorDrops).map(function (k) { return k + ' ' + s.governorDrops[k]; }).join(', ')],
   ['final modes', Object.keys(s.modes).map(function (k) { return k + ' ' + s.modes[k]; }).join(', ')]
  ].forEach(function (r) {
    var tr = add(st, el('tr'));
    add(tr, el('th', {}, r[0]));
    add(tr, el('td', {}, String(r[1])));
  });

  // ── battery and temperatures, one chart per satellite, eclipses shaded ──
  var shown = sats.slice(0, 24);
  // One temperature range for every satellite (rounded out to 10 °C), so the charts compare at a glance.
  var tLo = Infinity, tHi = -Infinity;
  shown.forEach(function (id) {
    var ser = data.samples.sats[id];
    ['obc', 'battery', 'payload', 'radio'].forEach(function (k) {
      ser[k].forEach(function (v) { if (v != null) { tLo = Math.min(tLo, v); tHi = Math.max(tHi, v); } });
    });
  });
  if (!(tLo <= tHi)) { tLo = 0; tHi = 40; }
  tLo = Math.floor(tLo / 10) * 10; tHi = Math.max(tLo + 10, Math.ceil(tHi / 10) * 10);
  var grid = add(section('Battery and temperatures', 'State of charge (solid dark line, left axis) and the four modelled temperatures (dashed, right axis: the same range on every satellite, ' + tLo + ' to ' + tHi + ' °C); shaded: eclipse. Legend: the last sample, or the one under the cursor. Drag to zoom, double-click to reset.' +
    (sats.length > shown.length ? ' Showing the first ' + shown.length + ' of ' + sats.length + ' satellites.' : '')), el('div', { class: 'grid' }));
  function tempSeries(label, color) { return { label: label, scale: 'C', stroke: color, width: 1.25, dash: TEMP_DASH, value: function (u, v) { return v == null ? '-' : v.toFixed(1); } }; }
  shown.forEach(function (id) {
    var ser = data.samples.sats[id];
    var box = chartBox(grid, 'power-' + id);
    plot(box, {
      title: id, height: 240,
      scales: { x: { time: false }, soc: { range: [0, 1] }, C: { range: [tLo, tHi] } },
      series: [{ label: 't', value: function (u, v) { return v == null ? '-' : fmtT(v); } },
        { label: 'SoC', scale: 'soc', stroke: SOC_COLOR, width: 2.5, value: function (u, v) { return v == null ? '-' : v.toFixed(3); } },
        tempSeries('OBC °C', TEMP_COLORS.obc), tempSeries('battery °C', TEMP_COLORS.battery),
        tempSeries('payload °C', TEMP_COLORS.payload), tempSeries('radio °C', TEMP_COLORS.radio)],
      axes: [timeAxis(), { scale: 'soc', label: 'state of charge' }, { scale: 'C', side: 1, size: 72, values: unitValues('°C'), grid: { show: false } }],
      hooks: withHooks({ drawClear: [shadeEclipses(data.eclipses[id] || [])] }, lastValueLegend(ts.length - 1))
    }, [ts, ser.soc, ser.obc, ser.battery, ser.payload, ser.radio]);
  });

  // modes
  var modeItems = [];
  sats.forEach(function (id, i) {
    spans(data.modes[id] || [], end).forEach(function (sp) {
      var m = sp.v[1];
      modeItems.push({ lane: i, x0: sp.x0, x1: sp.x1, color: MODE_COLORS[m] || '#6e7781', label: m, title: m + ' from ' + fmtT(sp.x0) });
    });
  });
  var modeSec = section('Modes', 'Each satellite\u2019s mode over time; off: the flight computer was not running.');
  legend(modeSec, Object.keys(MODE_COLORS).map(function (k) { return [k, MODE_COLORS[k]]; }));
  lanes(modeSec, 'modes', sats, modeItems, {});

  // leader and term
  var leadItems = [];
  spans(data.leaders, end).forEach(function (sp) {
    var who = sp.v[1];
    if (!who) return;
    var i = sats.indexOf(who);
    leadItems.push({ lane: i, x0: sp.x0, x1: sp.x1, color: satColor(i), label: 'term ' + sp.v[2], title: 'leader, term ' + sp.v[2] + ' from ' + fmtT(sp.x0) });
  });
  var leadSec = section('Leader and term', 'Who led the constellation (Raft leader) and in which term; gaps: no leader.');
  lanes(leadSec, 'leader', sats, leadItems, {});

  // decisions and actions, with constellation actions and their compliance on a lane of their own
  var actLanes = sats.concat(['constellation']);
  var actItems = [];
  data.actions.forEach(function (a) {
    var i = sats.indexOf(a.sat);
    actItems.push({ lane: i, x0: a.start, x1: a.end == null ? end : a.end, inset: 0.1, top: 0.45, color: STATE_COLORS[a.state] || '#6e7781', outline: a.source === 'constellation',
      title: a.action + ' (' + a.source + ') ' + a.state });
  });
  data.decisions.forEach(function (d) {
    actItems.push({ lane: sats.indexOf(d.sat), x0: d.t, marker: true, color: d.ok ? '#0969da' : '#cf222e',
      title: 'decision ' + d.action + ' by ' + d.rule + (d.ok ? '' : ' (refused: ' + (d.reason || '') + ')') });
  });
  data.commands.forEach(function (c) {
    var col = c.ratio >= 0.999 ? STATE_COLORS.done : c.ratio >= 0.9 ? '#d4a72c' : STATE_COLORS.failed;
    actItems.push({ lane: sats.length, x0: c.proposedAt, x1: c.proposedAt + Math.max(end / 100, 1), color: col, label: Math.round(c.ratio * 100) + '%',
      title: c.action + ' ' + c.completed + '/' + c.targets + ' completed' });
  });
  var early = data.decisions.filter(function (d) { return d.t < 60; }).length;
  var actSec = section('Decisions and actions', 'Triangles: decisions (blue: carried out, red: refused by local safety; \u00d7N: N decisions too close together to draw apart). Bars: actions, by outcome (outlined: asked by the constellation). Last lane: constellation actions and their compliance (targets completed).' +
    (early ? ' ' + early + ' of the ' + data.decisions.length + ' decisions came in the first minute: each agent\u2019s first cycles after boot set up its devices (e.g. resume the payload), so they stack at 0:00.' : ''));
  legend(actSec, Object.keys(STATE_COLORS).map(function (k) { return [k, STATE_COLORS[k]]; }));
  lanes(actSec, 'actions', actLanes, actItems, { laneHeight: 22 });
  if (data.commands.length) {
    var ct = add(actSec, el('table'));
    var hr = add(ct, el('tr'));
    ['command', 'action', 'proposed', 'targets', 'completed', 'partial', 'failed', 'missing', 'compliance'].forEach(function (h) { add(hr, el('th', {}, h)); });
    data.commands.forEach(function (c) {
      var tr = add(ct, el('tr'));
      [c.cid, c.action, fmtT(c.proposedAt), c.targets, c.completed, c.partial, c.failed, c.missing, (c.ratio * 100).toFixed(0) + ' %'].forEach(function (v, k) {
        add(tr, el('td', k > 2 ? { class: 'num' } : {}, String(v)));
      });
    });
  } else add(actSec, el('p', { class: 'note' }, 'No constellation actions in this run.'));

  // cycle latency histogram (only the bins with counts, and one either side)
  var lat = data.latency, first = -1, last = -1;
  lat.counts.forEach(function (n, k) { if (n > 0) { if (first < 0) first = k; last = k; } });
  if (first < 0) { first = 0; last = 0; }
  first = Math.max(0, first - 1); last = Math.min(lat.counts.length - 1, last + 1);
  var bx = [], by = [];
  for (var k = first; k <= last; k++) { bx.push(k); by.push(lat.counts[k]); }
  function usLabel(us) {
    if (us >= 1000) return (us >= 10000 ? Math.round(us / 1000) : (us / 1000).toFixed(1)) + ' ms';
    return (us >= 10 ? Math.round(us) : us.toFixed(1)) + ' µs';
  }
  var latBox = chartBox(section('Cycle latency', 'CPU time of each decision cycle (sample → act), all satellites; log-spaced bins; legend: the fullest bin, or the one under the cursor. p50 ' + s.cycleP50Us + ' µs, p99 ' + s.cycleP99Us + ' µs (worst satellite).'), 'latency');
  plot(latBox, {
    height: 240,
    scales: { x: { time: false, auto: false, range: function () { return [first - 0.5, last + 0.5]; } } },
    series: [{ label: 'from', value: function (u, v) { return v == null ? '-' : usLabel(lat.edgesUs[v]); } },
      { label: 'cycles', stroke: '#0969da', fill: 'rgba(9,105,218,0.35)', paths: uPlot.paths.bars({ size: [0.9, 60] }), points: { show: false } }],
    axes: [{ label: 'cycle CPU time (bin start)',
      // A label every half decade (1, 3.2, 10, 32 … µs): every bin would overlap.
      splits: function () { var out = []; for (var k = first; k <= last; k++) if (k % 5 === 0) out.push(k); return out; },
      values: function (u, sp) { return sp.map(function (v) { return lat.edgesUs[v] != null ? usLabel(lat.edgesUs[v]) : ''; }); } },
      // Compact counts (100k, not 100,000) and room for them, so the label clears the top tick.
      { label: 'cycles', size: 64, values: function (u, sp) { return sp.map(function (v) { return v >= 1e6 ? v / 1e6 + 'M' : v >= 1e3 ? v / 1e3 + 'k' : String(v); }); } }],
    hooks: lastValueLegend(by.indexOf(Math.max.apply(null, by)))
  }, [bx, by]);

  // ISL utilisation per priority class
  var classes = Object.keys(data.samples.isl);
  // A class at 0 throughout draws on the axis under the others: say so rather than leave it hidden.
  var idle = classes.filter(function (c) { return data.samples.isl[c].every(function (v) { return !v; }); });
  var islBox = chartBox(section('ISL utilisation per priority class', 'Share of ISL airtime used over the last 2 s (the swarm governor\u2019s figure), mean over the running satellites, in per mille.' +
    (idle.length ? ' ' + idle.join(', ') + ': 0 throughout (their lines lie on the axis).' : '') + ' Legend: the last sample, or the one under the cursor.'), 'isl');
  plot(islBox, {
    height: 240,
    scales: { x: { time: false } },
    series: [{ label: 't', value: function (u, v) { return v == null ? '-' : fmtT(v); } }].concat(classes.map(function (c) {
      return { label: c + ' ‰' + (idle.indexOf(c) >= 0 ? ' (0 throughout)' : ''), stroke: ISL_COLORS[c] || '#6e7781', width: c === 'total' ? 2 : 1 };
    })),
    axes: [timeAxis(), { label: 'per mille of airtime' }],
    hooks: lastValueLegend(ts.length - 1)
  }, [ts].concat(classes.map(function (c) { return data.samples.isl[c]; })));

  document.body.setAttribute('data-expected', String(expected));
  document.body.setAttribute('data-rendered', String(rendered));
})();
`;
