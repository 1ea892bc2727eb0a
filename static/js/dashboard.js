/* Board dashboards: draw the plotly figures whose JSON sits in <script type="application/json">
   elements (Django's json_script), and wire the print button. plotly.js is served from
   static/js/plotly-4.1.1-kwaliteit.min.js (never a CDN; a partial bundle, vendor/plotly/README.md).

   A chart is drawn when it comes near the viewport, not all at once at load (issue 16): drawing
   was most of the time until an indicator page was usable (one plotly chart is 0.1-0.5 s of main
   thread on the 2-core machine, and an indicator page has 3-4 of them, the first below the fold
   on a desktop screen; docs/benchmarks.md section 10). Charts draw one per task, the one nearest
   the viewport first, so the browser paints and answers input between them. Every chart still
   draws: when scrolled to (also by the keyboard or a link), when its <details> opens, and all of
   them before printing. The PDF documents do not use this file (rapportage/pdf_render.py draws
   their charts with kaleido). What is drawn is the figure as the server sent it, as before. */
(function () {
  "use strict";
  var config = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };
  // How near the viewport a chart starts drawing: half a screen above and below, the margin
  // Chromium itself gives content-visibility: auto, so a chart scrolled to at reading pace is
  // drawn by the time it comes into view.
  var MARGIN = "50% 0px";
  var waiting = [];   // chart elements near the viewport, not drawn yet
  var drawn = [];     // chart elements drawn (or without a figure)
  var scheduled = false;
  var observer = null;

  function drawChart(el) {
    if (drawn.indexOf(el) !== -1) { return; }
    drawn.push(el);
    if (observer) { observer.unobserve(el); }
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source || typeof Plotly === "undefined") { return; }
    var figure = JSON.parse(source.textContent);
    Plotly.newPlot(el, figure.data, figure.layout, config);
  }

  // Distance in px between a chart and the viewport (0 when any of it is visible).
  function distance(el) {
    var box = el.getBoundingClientRect();
    if (box.bottom < 0) { return -box.bottom; }
    if (box.top > window.innerHeight) { return box.top - window.innerHeight; }
    return 0;
  }

  function drawNext() {
    scheduled = false;
    if (!waiting.length) { return; }
    var best = 0;
    for (var i = 1; i < waiting.length; i++) {
      if (distance(waiting[i]) < distance(waiting[best])) { best = i; }
    }
    drawChart(waiting.splice(best, 1)[0]);
    schedule();
  }

  function schedule() {
    // A task per chart: the page paints and handles input between two charts.
    if (!scheduled && waiting.length) { scheduled = true; window.setTimeout(drawNext, 0); }
  }

  function drawAll() {
    document.querySelectorAll("[data-figure]").forEach(drawChart);
    waiting = [];
  }

  function resizeAll() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll(".js-plotly-plot").forEach(function (el) { Plotly.Plots.resize(el); });
  }

  function start() {
    var charts = document.querySelectorAll("[data-figure]");
    if (!("IntersectionObserver" in window)) { drawAll(); return; }
    observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var el = entry.target;
        if (entry.isIntersecting && drawn.indexOf(el) === -1 && waiting.indexOf(el) === -1) { waiting.push(el); }
      });
      schedule();
    }, { rootMargin: MARGIN });
    charts.forEach(function (el) { observer.observe(el); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    start();
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    // Charts inside a <details> have no width until opened: resize them then (one drawn while
    // folded away; one not drawn yet is drawn by the observer when it gets its box).
    document.querySelectorAll("details").forEach(function (d) { d.addEventListener("toggle", resizeAll); });
  });
  // Paper shows every chart: draw the ones not reached yet, then fit all to the page width.
  window.addEventListener("beforeprint", function () { drawAll(); resizeAll(); });
  window.addEventListener("afterprint", resizeAll);
})();
