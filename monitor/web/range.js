// One x-range for every chart (signals, stage and inputs), so dates line up down the page: the
// last 2 years by default, 1y/2y/5y/all from the selector; a drag-zoom on any chart zooms all.
"use strict";

const YEAR = 365.25 * 86400;
const SPANS = { "1y": YEAR, "2y": 2 * YEAR, "5y": 5 * YEAR, all: null };

const range = { span: "2y", charts: [], first: null, last: null, syncing: false };

// Widen the extent every chart's window is cut from with one chart's dates (in seconds).
function extendRange(xs) {
  if (xs.length === 0) return;
  range.first = range.first === null ? xs[0] : Math.min(range.first, xs[0]);
  range.last = range.last === null ? xs[xs.length - 1] : Math.max(range.last, xs[xs.length - 1]);
}

function windowOf(span) {
  const seconds = SPANS[span];
  if (seconds === null || range.first === null) return [range.first, range.last];
  return [Math.max(range.last - seconds, range.first), range.last];
}

function setAll(min, max, except = null) {
  range.syncing = true;
  for (const chart of range.charts) {
    if (chart !== except) chart.setScale("x", { min, max });
  }
  range.syncing = false;
}

function selectSpan(span) {
  range.span = span;
  for (const button of document.querySelectorAll("#range button")) {
    button.classList.toggle("selected", button.dataset.span === span);
  }
  const [min, max] = windowOf(span);
  if (min !== null) setAll(min, max);
}

// uPlot options for the x-axis side of a chart: the shared window, and zoom handed to all.
function rangeHooks() {
  return {
    setScale: [
      (u, key) => {
        if (key !== "x" || range.syncing || !range.charts.includes(u)) return;
        setAll(u.scales.x.min, u.scales.x.max, u);
      },
    ],
  };
}

function addToRange(chart) {
  range.charts.push(chart);
  const [min, max] = windowOf(range.span);
  if (min !== null) {
    range.syncing = true;
    chart.setScale("x", { min, max });
    range.syncing = false;
  }
}

function setupRange() {
  for (const button of document.querySelectorAll("#range button")) {
    button.addEventListener("click", () => selectSpan(button.dataset.span));
  }
  selectSpan(range.span);
}

// Tick labels with as many decimals as the step between ticks needs, no more.
function tickValues(u, splits) {
  const step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) : 1;
  const decimals = step >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(step)));
  return splits.map((v) => (v === null ? "" : v.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals })));
}
