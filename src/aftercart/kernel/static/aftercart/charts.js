/* Draws every <canvas data-chart="ID"> from the JSON block <script type="application/json" id="ID">
   (made by aftercart.kernel.charts.chart and the ops/_chart.html include; see docs/architecture.md).
   The block: {"type": "bar"|"line", "labels": [...], "unit": "" | "%" | "s" ..., "integer": bool,
               "horizontal": bool,
               "series": [{"label": "...", "data": [numbers or null]}, ...]}.
   No inline script anywhere (CSP): this file is loaded with defer and also redraws the charts in
   content htmx swaps in. The figures are always in the table the include renders beside the chart. */
(function () {
  "use strict";
  var COLOURS = ["#2851a3", "#a15c00", "#17663a", "#7a2a8c", "#a11d1d", "#4b5568"];

  function draw(canvas) {
    if (!window.Chart) { return; }
    var block = document.getElementById(canvas.getAttribute("data-chart"));
    if (!block) { return; }
    var spec;
    try { spec = JSON.parse(block.textContent); } catch (e) { return; }
    var existing = window.Chart.getChart(canvas);
    if (existing) { existing.destroy(); }
    var unit = spec.unit || "";
    var datasets = (spec.series || []).map(function (s, i) {
      var colour = COLOURS[i % COLOURS.length];
      return { label: s.label, data: s.data, backgroundColor: colour, borderColor: colour,
               spanGaps: true, tension: 0.2 };
    });
    new window.Chart(canvas, {
      type: spec.type === "line" ? "line" : "bar",
      data: { labels: spec.labels || [], datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: { legend: { display: datasets.length > 1 },
                   tooltip: { callbacks: { label: function (ctx) {
                     var v = ctx.parsed[spec.horizontal ? "x" : "y"];
                     return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + v + unit; } } } },
        scales: (function () {
          var values = { beginAtZero: true,
                         ticks: { precision: spec.integer ? 0 : undefined,
                                  callback: function (v) { return v + unit; } } };
          return spec.horizontal ? { x: values } : { y: values };
        })()
      }
    });
  }

  function drawAll(root) {
    var canvases = (root || document).querySelectorAll("canvas[data-chart]");
    Array.prototype.forEach.call(canvases, draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  } else {
    drawAll(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
