/* Board dashboards: draw the plotly figures whose JSON sits in <script type="application/json">
   elements (Django's json_script), and wire the print button. plotly.js is served from
   static/js/plotly-4.1.1-kwaliteit.min.js (never a CDN; a partial bundle, vendor/plotly/README.md).

   A chart is drawn when it is on screen, like Grafana's lazy panels, not all at once at load
   (issue 16, docs/benchmarks.md 10.C): drawing and evaluating plotly.js were most of the time until
   an indicator page was usable (evaluating the bundle 0.16-0.55 s of main thread on the 2-core
   machine, the first chart 0.5-1.0 s cold, the next ones 0.1-0.4 s). So:
   - plotly.js is downloaded early (<link rel="preload" data-plotly> in rapportage/_scripts.html)
     but evaluated only when the first chart is about to be drawn: a page whose reader never
     scrolls to a chart, or a page without charts, never runs it;
   - charts draw one per task, the one nearest the viewport first, so the browser paints and
     answers input between them; until then the box keeps its figure's height and says
     "Grafiek wordt getekend…" (rapportage/_figure.html), so nothing moves when it draws.
   Every chart still draws: when scrolled to (also by the keyboard or a link), when its <details>
   opens, and all of them before printing (see "Printing" below). The PDF documents do not use this
   file (rapportage/pdf_render.py draws their charts with kaleido). What is drawn is the figure as
   the server sent it, as before. */
(function () {
  "use strict";
  var config = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };
  // How near the viewport a chart starts drawing: MARGIN_PX above and below the screen, so a chart
  // scrolled to at reading pace starts drawing just before it comes into view. Small on purpose: at
  // load it wakes no chart that is not on screen already on the indicator and budget pages at
  // 390x844, 820x900, 1366x768, 1366x900 and 1920x1080 (the nearest, the desktop trend, starts
  // 205 px below a 900 px screen; tests/rapportage/test_browser_lazy_charts.py), so the first
  // screen is usable as soon as its text is. Half a screen (docs/benchmarks.md 10.C) drew that
  // trend at load: plotly.js's evaluation and a cold first chart, 0.7-1.5 s of main thread.
  var MARGIN_PX = 100;
  var FAILED = "De grafiek kon niet worden getekend; de waarden staan in de tabel of tekst bij de grafiek.";
  var waiting = [];   // chart elements near the viewport, not drawn yet
  var drawn = [];     // chart elements drawn (or without a figure)
  var scheduled = false;
  var observer = null;
  var plotly = null;  // the promise of plotly.js evaluated, made once

  // Evaluate plotly.js once, on demand: a <script> for the URL the preload link has been fetching
  // since the page arrived (same URL and mode, so the browser uses that download). A script from
  // our own origin is what the CSP's script-src 'self' allows; no inline code. It runs in a task
  // of its own, never synchronously: see "Printing" below.
  function loadPlotly() {
    if (plotly) { return plotly; }
    plotly = new Promise(function (resolve, reject) {
      if (typeof Plotly !== "undefined") { resolve(); return; }
      var link = document.querySelector("link[data-plotly]");
      if (!link) { reject(new Error("no plotly.js on this page")); return; }
      var script = document.createElement("script");
      script.src = link.href;
      script.onload = function () { resolve(); };
      script.onerror = function () { reject(new Error("plotly.js did not load")); };
      document.head.appendChild(script);
    });
    plotly.catch(function () {
      document.querySelectorAll("[data-figure] .chart-wait").forEach(function (p) { p.textContent = FAILED; });
    });
    return plotly;
  }

  function drawChart(el) {
    if (drawn.indexOf(el) !== -1) { return; }
    drawn.push(el);
    if (observer) { observer.unobserve(el); }
    var source = document.getElementById(el.getAttribute("data-figure"));
    if (!source) { return; }
    var figure = JSON.parse(source.textContent);
    var wait = el.querySelector(".chart-wait");
    if (wait) { wait.remove(); }
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
    if (typeof Plotly === "undefined") { loadPlotly().then(schedule, function () {}); return; }
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

  // Draw every chart not drawn yet, now (plotly.js must be there).
  function drawAll() {
    waiting = [];
    document.querySelectorAll("[data-figure]").forEach(drawChart);
  }

  function resizeAll() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll(".js-plotly-plot").forEach(function (el) { Plotly.Plots.resize(el); });
  }

  // Printing. Paper shows every chart: the browser lays the page out for print right after the
  // beforeprint handlers return, and nothing there can wait for a script (measured: Chromium's own
  // printing, DevTools' Page.printToPDF, of a page that had not run plotly.js printed the
  // placeholders; the script inserted in beforeprint ran after it). So:
  // - plotly.js already evaluated (any chart drawn): beforeprint draws every other chart, in time;
  // - not yet: Ctrl+P / Cmd+P and the page's print button evaluate it, draw every chart, then
  //   print (printWithCharts); printing from the browser's menu cannot be caught before
  //   beforeprint, so there the placeholders print, saying how to print with the charts
  //   (dashboard.css), and the charts are drawn for the next print.
  function printWithCharts() {
    if (!document.querySelector("[data-figure]")) { window.print(); return; }
    loadPlotly().then(drawAll, function () {}).then(function () { window.print(); });
  }

  function start() {
    var charts = document.querySelectorAll("[data-figure]");
    if (!charts.length) { return; }
    if (!("IntersectionObserver" in window)) { loadPlotly().then(drawAll, function () {}); return; }
    observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        var el = entry.target;
        if (entry.isIntersecting && drawn.indexOf(el) === -1 && waiting.indexOf(el) === -1) { waiting.push(el); }
      });
      schedule();
    }, { rootMargin: MARGIN_PX + "px 0px" });
    charts.forEach(function (el) { observer.observe(el); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    start();
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", printWithCharts);
    });
    // Charts inside a <details> have no width until opened: resize them then (one drawn while
    // folded away; one not drawn yet is drawn by the observer when it gets its box).
    document.querySelectorAll("details").forEach(function (d) { d.addEventListener("toggle", resizeAll); });
  });
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "p" || event.key === "P")
        && typeof Plotly === "undefined" && document.querySelector("[data-figure]")) {
      event.preventDefault();
      printWithCharts();
    }
  });
  window.addEventListener("beforeprint", function () {
    if (typeof Plotly !== "undefined") { drawAll(); resizeAll(); return; }
    if (document.querySelector("[data-figure]")) { loadPlotly().then(drawAll, function () {}); }
  });
  window.addEventListener("afterprint", resizeAll);
})();
