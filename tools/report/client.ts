/**
 * The report page's own script (browser JavaScript, inlined into the HTML by render.ts). It
 * reads the embedded JSON (see data.ts for its shape) and draws every chart with uPlot; the
 * timelines (modes, leader, decisions and actions) are lanes painted in a uPlot draw hook.
 * When done it sets `data-expected` (charts it meant to draw) and `data-rendered` (charts
 * drawn) on <body>, which the browser test checks.
 *
 * Kept as a string (no DOM types in this project's TypeScript build); the browser test runs it.
 * Written without backticks or dollar-brace so it fits in a template literal unchanged.
 */
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

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function fmtT(s) {
    s = Math.round(s);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h > 0 ? h + ':' + pad2(m) + ':' + pad2(sec) : m + ':' + pad2(sec);
  }
  // Ticks on round clock values (10 s, 1 min, 5 min, 1 h …), not uPlot's decimal steps (200 s).
  var TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  function timeAxis() { return { incrs: TIME_INCRS, values: function (u, splits) { return splits.map(fmtT); }, label: 'virtual time (h:mm:ss)' }; }
  function satColor(i) { return SAT_COLORS[i % SAT_COLORS.length]; }
  function section(title, note) {
    add(root, el('h2', {}, title));
    if (note) add(root, el('p', { class: 'note' }, note));
    return add(root, el('div'));
  }
  function chartBox(parent, name) {
    expected++;
    return add(parent, el('div', { class: 'chart', 'data-chart': name }));
  }
  function widthOf(box) { return Math.max(320, Math.min(1160, box.clientWidth || 540)); }
  function legend(parent, entries) {
    var p = add(parent, el('div', { class: 'note' }));
    entries.forEach(function (e) {
      var b = add(p, el('span', { class: 'legend-box' }));
      b.style.background = e[1];
      add(p, document.createTextNode(e[0]));
    });
  }
  // Legends show the values under the cursor; away from the chart, the last sample's (not "--").
  function lastValueLegend(lastIdx) {
    function show(u) { if (lastIdx >= 0 && u.legend.idx == null) u.setLegend({ idx: lastIdx }, false); }
    return { ready: [show], setLegend: [show] };
  }
  function withHooks(a, b) { for (var k in b) a[k] = (a[k] || []).concat(b[k]); return a; }
  // Axis values with their unit, instead of a rotated axis label that is hard to read.
  function unitValues(unit) { return function (u, sp) { return sp.map(function (v) { return v == null ? '' : v + ' ' + unit; }); }; }
  // A chart counts as rendered once uPlot has drawn it. Its scales' ranges go on its box (data-scales: the browser test reads them).
  function drawn() { rendered++; document.body.setAttribute('data-rendered', String(rendered)); }
  function plot(box, opts, series) {
    opts.width = opts.width || widthOf(box);
    opts.hooks = opts.hooks || {};
    var once = false;
    (opts.hooks.draw = opts.hooks.draw || []).push(function (u) {
      var sc = {};
      for (var k in u.scales) if (u.scales[k].min != null) sc[k] = [u.scales[k].min, u.scales[k].max];
      box.setAttribute('data-scales', JSON.stringify(sc));
      if (!once) { once = true; drawn(); }
    });
    return new uPlot(opts, series, box);
  }
  function rect(u, x0, x1, y0, y1) {
    var l = u.valToPos(x0, 'x', true), r = u.valToPos(x1, 'x', true);
    var top = u.valToPos(y1, 'y', true), bot = u.valToPos(y0, 'y', true);
    return [l, top, Math.max(3 * devicePixelRatio, r - l), bot - top];
  }
  function shadeEclipses(bands) {
    return function (u) {
      var c = u.ctx, b = u.bbox;
      c.save();
      c.fillStyle = 'rgba(40,40,90,0.12)';
      bands.forEach(function (iv) {
        var l = u.valToPos(iv[0], 'x', true), r = u.valToPos(iv[1], 'x', true);
        l = Math.max(l, b.left); r = Math.min(r, b.left + b.width);
        if (r > l) c.fillRect(l, b.top, r - l, b.height);
      });
      c.restore();
    };
  }

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

  // ── lanes: timelines drawn in a draw hook over an empty uPlot (its axes, cursor and zoom) ──
  function lanes(parent, name, laneNames, items, opts) {
    var n = laneNames.length;
    var box = chartBox(parent, name);
    var hover = add(parent, el('div', { class: 'hover' }));
    function laneOf(y) { return n - 1 - y; }
    plot(box, {
      height: 90 + n * (opts.laneHeight || 26),
      legend: { show: false },
      cursor: { y: false, points: { show: false } },
      scales: { x: { time: false }, y: { auto: false, range: function () { return [0, n]; } } },
      series: [{}, { stroke: 'transparent', points: { show: false } }],
      axes: [timeAxis(), {
        size: 100, grid: { show: false }, ticks: { show: false },
        splits: function () { var out = []; for (var k = 0; k < n; k++) out.push(k + 0.5); return out; },
        values: function (u, sp) { return sp.map(function (v) { return laneNames[laneOf(Math.floor(v))] || ''; }); }
      }],
      hooks: {
        draw: [function (u) {
          var c = u.ctx;
          c.save();
          c.beginPath(); c.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height); c.clip();
          // Markers closer than a triangle's width on a lane are drawn as one, with their count
          // beside it (a run's first cycles make several decisions within seconds of each other).
          var r = 4 * devicePixelRatio, clusters = [], open = {};
          items.forEach(function (it) {
            var y0 = laneOf(it.lane);
            if (it.marker) {
              var x = Math.max(u.valToPos(it.x0, 'x', true), u.bbox.left + r), k = open[it.lane];
              if (k && x - k.x < 2 * r) { k.n++; if (it.color !== k.color) k.color = '#cf222e'; return; }
              clusters.push(open[it.lane] = { x: x, yc: u.valToPos(y0 + 0.7, 'y', true), n: 1, color: it.color });
              return;
            }
            var g = rect(u, it.x0, it.x1, y0 + (it.inset || 0.15), y0 + (it.top || 1 - (it.inset || 0.15)));
            c.fillStyle = it.color; c.fillRect(g[0], g[1], g[2], g[3]);
            if (it.outline) { c.strokeStyle = '#1b1f24'; c.lineWidth = devicePixelRatio; c.strokeRect(g[0], g[1], g[2], g[3]); }
            if (it.label) {
              // uPlot leaves its own text settings on the context: set every one used here.
              c.font = (11 * devicePixelRatio) + 'px system-ui,sans-serif'; c.textBaseline = 'middle'; c.textAlign = 'left';
              var x = Math.max(g[0], u.bbox.left) + 4 * devicePixelRatio;
              if (c.measureText(it.label).width + 8 * devicePixelRatio < g[0] + g[2] - x) { c.fillStyle = '#fff'; c.fillText(it.label, x, g[1] + g[3] / 2); }
            }
          });
          clusters.forEach(function (k) {
            c.fillStyle = k.color;
            c.beginPath(); c.moveTo(k.x, k.yc - r); c.lineTo(k.x + r, k.yc + r); c.lineTo(k.x - r, k.yc + r); c.closePath(); c.fill();
            if (k.n > 1) {
              c.font = (10 * devicePixelRatio) + 'px system-ui,sans-serif'; c.textBaseline = 'middle'; c.textAlign = 'left';
              c.fillStyle = '#1b1f24'; c.fillText('\u00d7' + k.n, k.x + r + 2 * devicePixelRatio, k.yc);
            }
          });
          c.restore();
        }],
        setCursor: [function (u) {
          if (u.cursor.left == null || u.cursor.left < 0) { hover.textContent = ''; return; }
          var t = u.posToVal(u.cursor.left, 'x'), tol = (u.scales.x.max - u.scales.x.min) / 150;
          var hit = items.filter(function (it) { return t >= it.x0 - tol && t <= (it.marker ? it.x0 : it.x1) + tol; });
          hover.textContent = fmtT(t) + '  ' + hit.slice(0, 6).map(function (it) { return laneNames[it.lane] + ': ' + it.title; }).join(' · ');
        }]
      }
    }, [[0, end], [null, null]]);
  }
  function spans(transitions, until) {
    return transitions.map(function (tr, k) { return { x0: tr[0], x1: k + 1 < transitions.length ? transitions[k + 1][0] : until, v: tr }; });
  }

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
