/* Report charts: each <script type="application/json" data-chart> holds a chart spec
   ({title, categories, series: [{label, values, colour, line?, scale?}], value_label,
   category_label, stacked, bars}); uPlot (static/vendor/uplot) draws it beside the script.
   Stacked bars are drawn as running totals, tallest first, so each shows its own band;
   the legend shows each series' own value. */
(function () {
  "use strict";
  var PALETTE = ["#1565c0", "#ef6c00", "#2e7d32", "#c62828", "#6a1b9a", "#9e9e9e", "#00838f"];

  function runningTotals(series) {
    var sum = null;
    return series.map(function (s) {
      sum = s.values.map(function (v, i) { return (sum ? sum[i] : 0) + (v || 0); });
      return sum;
    });
  }

  function draw(holder, spec) {
    var n = spec.categories.length;
    var stacked = spec.stacked && spec.bars;
    var shown = stacked ? runningTotals(spec.series) : spec.series.map(function (s) { return s.values; });
    var order = spec.series.map(function (_, i) { return i; });
    if (stacked) order.reverse();
    var data = [spec.categories.map(function (_, i) { return i; })];
    var series = [{label: spec.category_label || "",
                   value: function (u, v) { return v == null ? "" : spec.categories[v]; }}];
    var scales = {x: {time: false, range: [-0.5, n - 0.5]}};
    var axes = [{values: function (u, splits) {
                   return splits.map(function (i) { return Number.isInteger(i) ? spec.categories[i] : ""; });
                 }, incrs: [1, 2, 3, 4, 6, 12]},
                {label: spec.value_label}];
    order.forEach(function (k) {
      var s = spec.series[k];
      var colour = s.colour || PALETTE[k % PALETTE.length];
      var bar = spec.bars && !s.line;
      data.push(shown[k]);
      series.push({label: s.label, stroke: colour, fill: bar ? colour : undefined,
                   width: bar ? 0 : 2, scale: s.scale || "y",
                   paths: bar ? uPlot.paths.bars({size: [0.7, 60]}) : undefined,
                   points: {show: !bar},
                   value: function (u, v, si, i) { return i == null || s.values[i] == null ? "–" : s.values[i]; }});
      if (s.scale && !scales[s.scale]) {
        scales[s.scale] = {};
        axes.push({scale: s.scale, side: 1, label: s.label, grid: {show: false}});
      }
    });
    var box = document.createElement("div");
    holder.parentNode.insertBefore(box, holder.nextSibling);
    var width = function () { return Math.max(320, box.parentNode.clientWidth || 800); };
    var plot = new uPlot({title: spec.title, width: width(), height: 320, scales: scales,
                          axes: axes, series: series}, data, box);
    window.addEventListener("resize", function () { plot.setSize({width: width(), height: 320}); });
  }

  document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (el) {
    try {
      draw(el, JSON.parse(el.textContent));
    } catch (err) {
      var note = document.createElement("p");
      note.className = "error";
      note.textContent = "The chart could not be drawn (" + err.message + "); the tables hold the numbers.";
      el.parentNode.insertBefore(note, el.nextSibling);
    }
  });
})();
