/*
 * The cockpit in the browser: draws the charts of the page (uPlot for curves, lightweight-charts for candles) and
 * keeps the page current without a reload: it polls the page's cheap version URL and, when the version moves,
 * fetches the page again and swaps its live sections and chart data in place. No framework, no build step.
 */
(function () {
  'use strict';
  var cockpit = (window.cockpit = { charts: {}, updates: 0, data: null });

  function readData(doc) {
    var el = doc.getElementById('page-data');
    return el ? JSON.parse(el.textContent) : null;
  }

  function width(el) {
    return Math.max(320, el.clientWidth || el.parentNode.clientWidth || 600);
  }

  var axisStyle = { stroke: '#8a94a6', grid: { stroke: '#e6e9ef', width: 1 }, ticks: { stroke: '#e6e9ef', width: 1 } };

  function curveChart(el, label, color, fill, values, time, format) {
    var opts = {
      width: width(el),
      height: el.classList.contains('short') ? 160 : 240,
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      axes: [axisStyle, Object.assign({ values: function (_u, ticks) { return ticks.map(function (v) { return format(v, decimalsFor(ticks)); }); }, size: 76 }, axisStyle)],
      series: [{}, { label: label, stroke: color, width: 2, fill: fill, value: function (_u, v) { return v == null ? '–' : format(v, 2); } }],
    };
    return new uPlot(opts, [time, values], el);
  }

  /** Enough decimals to tell the axis ticks apart (a flat curve moves by cents, a long one by thousands). */
  function decimalsFor(ticks) {
    var step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
    return step > 0 ? Math.max(0, Math.min(4, -Math.floor(Math.log10(step)))) : 0;
  }
  var money = function (v, d) { return Number(v).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }); };
  var percent = function (v, d) { return (Math.abs(v) < 1e-9 ? 0 : Number(v)).toFixed(d) + '%'; };

  function drawCurves(data) {
    var c = data.curve;
    var eqEl = document.getElementById('equity-chart');
    var ddEl = document.getElementById('drawdown-chart');
    if (!eqEl || !ddEl) return;
    if (cockpit.charts.equity) {
      cockpit.charts.equity.setData([c.time, c.equity]);
      cockpit.charts.drawdown.setData([c.time, c.drawdown]);
      return;
    }
    cockpit.charts.equity = curveChart(eqEl, 'equity', '#1f7a4d', 'rgba(31,122,77,0.08)', c.equity, c.time, money);
    cockpit.charts.drawdown = curveChart(ddEl, 'drawdown', '#b3261e', 'rgba(179,38,30,0.15)', c.drawdown, c.time, percent);
  }

  var MARKER = {
    entry: { color: '#1f7a4d', shape: 'arrowUp', position: 'belowBar', label: 'buy' },
    'stop-loss': { color: '#b3261e', shape: 'arrowDown', position: 'aboveBar', label: 'stop' },
    'trailing-stop': { color: '#b3261e', shape: 'arrowDown', position: 'aboveBar', label: 'trail' },
    'take-profit': { color: '#1565c0', shape: 'arrowDown', position: 'aboveBar', label: 'TP' },
    liquidation: { color: '#6a1b9a', shape: 'arrowDown', position: 'aboveBar', label: 'liq.' },
    trim: { color: '#ef6c00', shape: 'arrowDown', position: 'aboveBar', label: 'trim' },
  };
  var LINE = { stop: '#b3261e', 'take-profit': '#1565c0', entry: '#607d8b' };

  function candleChart() {
    if (cockpit.charts.candles) return cockpit.charts.candles;
    var el = document.getElementById('candle-chart');
    if (!el || !window.LightweightCharts) return null;
    var LC = window.LightweightCharts;
    var chart = LC.createChart(el, {
      width: width(el), height: 380,
      // The logo injects an inline <style> the Content-Security-Policy refuses; the page footer credits the library.
      layout: { background: { color: '#ffffff' }, textColor: '#3c4453', attributionLogo: false },
      grid: { vertLines: { color: '#eef0f4' }, horzLines: { color: '#eef0f4' } },
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    var series = chart.addSeries(LC.CandlestickSeries, { upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350' });
    // Every trade's stop and take-profit as it stood cycle by cycle (the price lines are the open position's only).
    // Untitled: the open position's price lines name its levels, the note under the chart says which colour is which.
    var levelLine = function (color) {
      return chart.addSeries(LC.LineSeries, {
        color: color, lineWidth: 2, lineType: LC.LineType.WithSteps, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false,
      });
    };
    var levels = { stop: levelLine(LINE.stop), takeProfit: levelLine(LINE['take-profit']) };
    cockpit.charts.candles = { chart: chart, series: series, levels: levels, markers: LC.createSeriesMarkers(series, []), lines: [], symbol: null, picked: false, payload: null };
    return cockpit.charts.candles;
  }

  /**
   * Shows the stretch with the fills (and at least 120 candles up to the newest), not the whole window, with room on
   * the right so the open position's newest candles and level lines are not under the price lines' labels.
   */
  function focus(cc, payload) {
    var n = payload.candles.length;
    if (n === 0) return;
    var firstMarker = payload.markers.length ? payload.markers[0].time : payload.candles[n - 1].time;
    var index = 0;
    while (index < n - 1 && payload.candles[index].time < firstMarker) index++;
    var from = Math.max(0, Math.min(index - 30, n - 120));
    cc.chart.timeScale().setVisibleLogicalRange({ from: from, to: n + 12 });
  }

  function loadCandles(symbol) {
    var data = cockpit.data;
    var cc = candleChart();
    if (!cc || !data || !symbol) return Promise.resolve();
    var note = document.getElementById('candle-note');
    return fetch(data.candlesUrl + '?symbol=' + encodeURIComponent(symbol), { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (payload) {
        if (payload.error) throw new Error(payload.error);
        var first = cc.symbol !== symbol;
        cc.symbol = symbol;
        cc.payload = payload;
        cc.series.setData(payload.candles);
        cc.markers.setMarkers(payload.markers.map(function (m) {
          var style = MARKER[m.reason] || (m.side === 'buy' ? MARKER.entry : { color: '#37474f', shape: 'arrowDown', position: 'aboveBar', label: 'sell' });
          return { time: m.time, position: style.position, color: style.color, shape: style.shape, text: style.label };
        }));
        // A point without the level is whitespace: the line breaks where nothing was held.
        ['stop', 'takeProfit'].forEach(function (key) {
          cc.levels[key].setData(payload.levels.map(function (l) { return l[key] == null ? { time: l.time } : { time: l.time, value: l[key] }; }));
        });
        cc.lines.forEach(function (l) { cc.series.removePriceLine(l); });
        cc.lines = payload.priceLines.map(function (p) {
          return cc.series.createPriceLine({ price: p.price, color: LINE[p.kind], lineWidth: 1, lineStyle: 2, axisLabelVisible: true, title: p.title });
        });
        if (first) focus(cc, payload);
        document.querySelectorAll('#symbol-tabs button').forEach(function (b) { b.classList.toggle('here', b.dataset.symbol === symbol); });
        if (note) note.textContent = payload.problem || (payload.candles.length + ' ' + payload.timeframe + ' candles of ' + payload.market + '; ' + payload.markers.length + ' orders filled on them; each position\'s stop (red) and take-profit (blue) as they stood cycle by cycle');
      })
      .catch(function (err) { if (note) note.textContent = 'candles: ' + err.message; });
  }

  function drawCalibration(data) {
    var el = document.getElementById('calibration-chart');
    if (!el || !data.bands || data.bands.length === 0) return;
    var bands = data.bands.slice().sort(function (a, b) { return a.meanConfidence - b.meanConfidence; });
    var x = bands.map(function (b) { return b.meanConfidence * 100; });
    cockpit.charts.calibration = new uPlot({
      width: width(el), height: 220,
      legend: { show: false },
      scales: { x: { time: false, range: [0, 100] }, y: { range: [0, 100] } },
      axes: [Object.assign({ label: 'mean confidence %' }, axisStyle), Object.assign({ label: 'hit rate %' }, axisStyle)],
      series: [{ label: 'confidence' },
        { label: 'hit rate', stroke: '#1565c0', width: 2, points: { size: 8 } },
        { label: 'perfect calibration', stroke: '#9e9e9e', dash: [4, 4], points: { show: false } }],
    }, [[0].concat(x, [100]), [null].concat(bands.map(function (b) { return b.hitRate * 100; }), [null]), [0].concat(x, [100])], el);
  }

  function draw() {
    cockpit.data = readData(document);
    if (!cockpit.data) return;
    if (cockpit.data.curve) drawCurves(cockpit.data);
    if (cockpit.data.symbols && cockpit.data.symbols.length) {
      var cc = candleChart();
      // The symbol the trader picked; until then the page's default (the last symbol traded), which moves with it.
      loadCandles((cc && cc.picked && cc.symbol) || cockpit.data.defaultSymbol || cockpit.data.symbols[0]);
    }
    if (cockpit.data.bands) drawCalibration(cockpit.data);
  }

  document.addEventListener('click', function (e) {
    var tab = e.target.closest && e.target.closest('#symbol-tabs button');
    if (tab) {
      var cc = candleChart();
      if (cc) cc.picked = true;
      loadCandles(tab.dataset.symbol);
    }
  });

  window.addEventListener('resize', function () {
    ['equity', 'drawdown', 'calibration'].forEach(function (k) {
      var u = cockpit.charts[k];
      if (u) u.setSize({ width: width(u.root.parentNode), height: u.height });
    });
    var cc = cockpit.charts.candles;
    if (cc) cc.chart.applyOptions({ width: width(document.getElementById('candle-chart')) });
  });

  // ---- live updates ----
  var versionUrl = document.body.dataset.versionUrl;
  var refreshMs = Number(document.body.dataset.refreshMs) || 2000;
  var version = null;
  var busy = false;

  function status(text, bad) {
    var el = document.getElementById('live-status');
    if (el) { el.textContent = text; el.classList.toggle('bad', Boolean(bad)); }
  }

  function swap() {
    return fetch(location.href, { headers: { Accept: 'text/html' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        document.querySelectorAll('[data-live][id]').forEach(function (el) {
          var next = doc.getElementById(el.id);
          if (next) el.replaceWith(document.importNode(next, true));
        });
        var data = doc.getElementById('page-data');
        var mine = document.getElementById('page-data');
        if (data && mine) mine.textContent = data.textContent;
        draw();
        cockpit.updates += 1;
        status('live · updated ' + new Date().toLocaleTimeString());
      });
  }

  function poll() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(versionUrl, { headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (v) {
        var changed = version !== null && v.version !== version;
        version = v.version;
        if (!changed) { status('live'); return; }
        return swap();
      })
      .catch(function (err) { status('not updating: ' + err.message, true); })
      .then(function () { busy = false; });
  }

  draw();
  if (versionUrl) {
    poll();
    setInterval(poll, refreshMs);
  }
})();
