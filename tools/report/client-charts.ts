/**
 * The report page's chart helpers (browser JavaScript): DOM building, the time axis, a chart's
 * box and its counting for the browser test, uPlot set-up, eclipse shading, and lanes
 * (timelines painted in a draw hook over an empty uPlot). client.ts splices them into its
 * function, where `root`, `end`, `expected`, `rendered` and the colour tables are defined.
 *
 * Kept as a string like client.ts, and like it written without backticks or dollar-brace.
 */
export const CHART_HELPERS = String.raw`
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
`;
