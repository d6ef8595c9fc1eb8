// The firealarm dashboard: plain JavaScript over the read API, charts by the vendored uPlot.
// window.firealarm keeps what was drawn (points per chart) so tests can compare it with the DB.
"use strict";

const state = { charts: {}, inputs: {}, ready: false, errors: [], focused: null };
window.firealarm = state;

const FIRE = "rgba(198, 40, 40, 0.13)";
const COLORS = { value: "#1f5fa8", threshold: "#c62828", clear: "#8d8d92", stage: "#c62828" };
const PALETTE = ["#e07b00", "#1f5fa8", "#2e7d32", "#7b1fa2"];

async function getJSON(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    throw new Error(`${path}: HTTP ${response.status}`);
  }
  return response.json();
}

function toSeconds(isoDate) {
  return Date.parse(`${isoDate}T00:00:00Z`) / 1000;
}

function formatValue(value) {
  if (value === null || value === undefined) return "–";
  const abs = Math.abs(value);
  return abs >= 1000 ? value.toLocaleString("en-US", { maximumFractionDigits: 0 }) : value.toFixed(2);
}

function element(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

// Firing periods as shaded bands and thresholds as dashed lines, drawn under the series.
function overlays(detail) {
  return (u) => {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.fillStyle = FIRE;
    for (const period of detail.firing_periods) {
      const x0 = u.valToPos(toSeconds(period.start), "x", true);
      const x1 = period.end ? u.valToPos(toSeconds(period.end), "x", true) : left + width;
      ctx.fillRect(x0, top, Math.max(x1 - x0, 1), height);
    }
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 1.5;
    for (const rule of detail.rules) {
      for (const [level, color] of [[rule.threshold, COLORS.threshold], [rule.clear_threshold, COLORS.clear]]) {
        if (level === null) continue;
        const y = u.valToPos(level, "y", true);
        ctx.strokeStyle = color;
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(left + width, y);
        ctx.stroke();
      }
    }
    ctx.restore();
  };
}

// The y range always shows the thresholds, so the distance to the alarm is visible.
function yRange(detail) {
  const levels = detail.rules.flatMap((r) => [r.threshold, r.clear_threshold]).filter((v) => v !== null);
  return (u, min, max) => {
    const lo = Math.min(min, ...levels);
    const hi = Math.max(max, ...levels);
    const pad = (hi - lo) * 0.06 || 1;
    return [lo - pad, hi + pad];
  };
}

// A y-axis labelled with its unit, with room for tick labels and the label side by side.
function yAxis(unit, values = tickValues) {
  return { size: 70, label: unit, labelSize: 16, labelGap: 2, values };
}

// Log-scale ticks of series rebased to 100: whole numbers say all there is to say.
function wholeTicks(u, splits) {
  return splits.map((v) => (v === null ? "" : Math.round(v).toLocaleString("en-US")));
}

function drawChart(container, detail, rows, { height = 230, stepped = false } = {}) {
  const xs = rows.map((r) => toSeconds(r.date));
  const ys = rows.map((r) => r.value);
  const series = {
    label: detail.id,
    stroke: stepped ? COLORS.stage : COLORS.value,
    width: 1.5,
    points: { show: false },
    value: (u, v) => `${formatValue(v)} ${detail.unit}`,
  };
  if (stepped) {
    series.paths = uPlot.paths.stepped({ align: 1 });
    series.fill = "rgba(198, 40, 40, 0.08)";
  }
  const options = {
    width: Math.max(container.clientWidth - 4, 300),
    height,
    cursor: { drag: { x: true, y: false }, points: { size: 6 } },
    scales: { x: { time: true }, y: { range: stepped ? [0, 5.3] : yRange(detail) } },
    axes: [{}, yAxis(detail.unit)],
    series: [{ value: "{YYYY}-{MM}-{DD}" }, series],
    hooks: { drawClear: [overlays(detail)], ...rangeHooks() },
  };
  const chart = new uPlot(options, [xs, ys], container);
  extendRange(xs);
  addToRange(chart);
  state.charts[detail.id] = {
    points: chart.data[0].length,
    first: rows.length ? [rows[0].date, rows[0].value] : null,
    last: rows.length ? [rows[rows.length - 1].date, rows[rows.length - 1].value] : null,
    periods: detail.firing_periods.length,
    thresholds: detail.rules.map((r) => r.threshold),
  };
  return chart;
}

// A card in its place on the page at once; filled when its data arrives (cards load together).
function emptyCard(signal, parent) {
  const card = element("div", { class: "card", id: `card-${signal.id}` });
  parent.append(card);
  return card;
}

function fillCard(card, signal, detail) {
  const title = element("h3");
  title.append(element("span", {}, signal.id));
  if (signal.state) title.append(element("span", { class: `state ${signal.state}` }, signal.state));
  const value = detail.unit === "stage" ? `stage ${Math.round(signal.value)}` : `${formatValue(signal.value)} ${detail.unit}`;
  const latest = signal.date ? `${value.trim()} on ${signal.date}` : "no data yet";
  title.append(element("span", { class: "latest" }, latest));
  card.append(title, element("p", { class: "desc" }, detail.description));
  const stale = staleAmong(detail.depends_on);
  if (stale.length) {
    card.classList.add("stale");
    card.append(element("p", { class: "stale-note" }, `inputs stale: ${stale.map(describeAge).join(", ")}`));
  }
}

// The essay's two-line charts: the signal's instruments rebased to 100 on their first common date.
async function drawInputs(container, detail) {
  const histories = await Promise.all(
    detail.instruments.map((symbol) => getJSON(`/api/prices/${encodeURIComponent(symbol)}`)),
  );
  const start = histories.reduce((latest, rows) => (rows[0].date > latest ? rows[0].date : latest), "");
  const tables = histories.map((rows) => {
    const kept = rows.filter((r) => r.date >= start);
    return [kept.map((r) => toSeconds(r.date)), kept.map((r) => (100 * r.close) / kept[0].close)];
  });
  const data = uPlot.join(tables);
  const series = detail.instruments.map((symbol, i) => ({
    label: symbol,
    stroke: PALETTE[i % PALETTE.length],
    width: 1.3,
    spanGaps: true,
    points: { show: false },
    value: (u, v) => formatValue(v),
  }));
  const chart = new uPlot(
    {
      width: Math.max(container.clientWidth - 4, 300),
      height: 180,
      cursor: { drag: { x: true, y: false } },
      // Log scale: a tenfold rise and a halving read as the moves they are over long histories.
      scales: { x: { time: true }, y: { distr: 3 } },
      axes: [{}, yAxis("rebased to 100 (log)", wholeTicks)],
      series: [{ value: "{YYYY}-{MM}-{DD}" }, ...series],
      hooks: rangeHooks(),
    },
    data,
    container,
  );
  addToRange(chart);
  state.inputs[detail.id] = {
    symbols: detail.instruments,
    points: data[0].length,
    first: data.slice(1).map((ys) => ys.find((v) => v !== null && v !== undefined)),
  };
}

function inputsButton(card, detail) {
  const button = element("button", { type: "button", class: "inputs" }, `show ${detail.instruments.join(" vs ")}`);
  const holder = element("div", { class: "plot inputs-plot" });
  button.addEventListener("click", () => {
    button.disabled = true;
    drawInputs(holder, detail)
      .then(() => button.remove())
      .catch((error) => {
        state.errors.push(String(error));
        button.textContent = `could not load inputs: ${error.message}`;
      });
  });
  card.append(button, holder);
}

async function renderSignal(signal, parent, options) {
  const card = emptyCard(signal, parent);
  const [detail, rows] = await Promise.all([
    getJSON(`/api/signals/${encodeURIComponent(signal.id)}`),
    getJSON(`/api/signals/${encodeURIComponent(signal.id)}/history`),
  ]);
  fillCard(card, signal, detail);
  scoreSlot(card, detail);
  const plot = element("div", { class: "plot" });
  card.append(plot);
  if (rows.length === 0) {
    plot.append(element("p", { class: "empty" }, "no stored values"));
    state.charts[signal.id] = { points: 0, first: null, last: null, periods: 0, thresholds: [] };
    return null;
  }
  const chart = drawChart(plot, detail, rows, options);
  if (detail.instruments.length > 1) inputsButton(card, detail);
  return chart;
}

function formatLabels(labels) {
  return Object.entries(labels || {}).map(([key, value]) => `${key}=${value}`).join(", ");
}

// Problems an operator must act on: disabled channels, overdue and dead deliveries.
function showDeliveryHealth(health) {
  const problems = health.disabled_channels.map(
    (c) => `channel ${c.channel} disabled (${c.reason || "by its receiver"}): firealarm redeliver --channel ${c.channel}`,
  );
  if (health.overdue) problems.push(`${health.overdue} deliveries overdue: is a dispatcher running?`);
  if (health.dead) problems.push(`${health.dead} dead deliveries: firealarm deliveries --dead`);
  const box = document.getElementById("delivery-health");
  box.textContent = problems.join(" · ");
  box.hidden = problems.length === 0;
}

function fillTable(id, rows, columns) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  if (rows.length === 0) {
    const row = element("tr");
    row.append(element("td", { colspan: String(columns.length), class: "none" }, "none"));
    body.append(row);
    return;
  }
  for (const item of rows) {
    const row = element("tr");
    for (const column of columns) {
      const value = item[column];
      const text = typeof value === "number" ? formatValue(value) : column === "labels" ? formatLabels(value) : value ?? "";
      const cell = element("td");
      if (column === "state" || column === "status") {
        cell.append(element("span", { class: `state ${value}` }, String(text)));
      } else {
        cell.textContent = String(text);
      }
      row.append(cell);
    }
    body.append(row);
  }
}

// The stage as of its last date; never green while the inputs it is judged on are stale.
function showStage(stageSignal) {
  const badge = document.getElementById("stage-badge");
  if (!stageSignal || stageSignal.value === null) {
    badge.textContent = "stage: no data";
    return;
  }
  const stage = Math.round(stageSignal.value);
  const stale = freshness.stale.length ? " · inputs stale" : "";
  badge.textContent = `stage ${stage} of 5 · ${stageSignal.date}${stale}`;
  badge.className = stale ? `badge s${stage} stale` : `badge s${stage}`;
}

// Alert links open /signals/<id>, which redirects here to #card-<id>: bring that card into view.
function focusCard() {
  let id = location.hash.slice(1);
  try {
    id = decodeURIComponent(id);
  } catch {
    // not percent-encoded: use it as it is
  }
  const card = id.startsWith("card-") ? document.getElementById(id) : null;
  for (const other of document.querySelectorAll(".card.focused")) other.classList.remove("focused");
  state.focused = card ? id.slice("card-".length) : null;
  if (!card) return;
  card.classList.add("focused");
  card.scrollIntoView({ block: "start" });
}

// Backtest score of each rule on its signal's card: hit rate against the base rate per target
// (GET /api/backtest/score, defaults: a 10 % fall within 90 days), linking to the episodes.
function scoreSlot(card, detail) {
  if (detail.rules.length === 0) return;
  const slot = element("div", { class: "score", "data-rules": detail.rules.map((r) => r.name).join(" ") });
  slot.append(element("span", {}, "backtest score: computing…"));
  card.append(slot);
}

function percent(share) {
  return share === null ? "–" : `${Math.round(share * 100)} %`;
}

function scoreLine(rule, rows) {
  const line = element("div", { class: "score-rule" });
  line.append(element("span", { class: "score-name" }, rule));
  for (const row of rows) {
    const text = `${row.target}: ${percent(row.hit_rate)} hit vs ${percent(row.base_rate)} base (${row.episodes} episodes)`;
    const lifted = row.lift !== null && row.lift > 1 ? "lifted" : "";
    line.append(element("span", { class: `score-target ${lifted}`, "data-target": row.target }, text));
  }
  const query = `rule=${encodeURIComponent(rule)}&episodes=true`;
  line.append(element("a", { href: `/api/backtest/score?${query}`, class: "episodes" }, "episodes"));
  return line;
}

async function showScores() {
  const slots = document.querySelectorAll(".card .score");
  try {
    const rows = await getJSON("/api/backtest/score");
    const byRule = {};
    for (const row of rows) (byRule[row.rule] ??= []).push(row);
    for (const slot of slots) {
      const rules = slot.dataset.rules.split(" ");
      slot.replaceChildren(...rules.map((rule) => scoreLine(rule, byRule[rule] ?? [])));
      slot.title = "Backtest over the stored history: share of firing episodes followed by a fall of 10 % within 90 days, against the share of all days";
    }
    state.scores = byRule;
  } catch (error) {
    state.errors.push(String(error));
    for (const slot of slots) slot.textContent = `backtest score unavailable: ${error.message}`;
    state.scores = null;
  }
}

async function main() {
  const status = document.getElementById("status");
  const [signals] = await Promise.all([getJSON("/api/signals"), loadFreshness()]);
  const stage = signals.find((s) => s.id === "fire_alarm_stage");
  showStage(stage);
  const drawing = [];
  if (stage) {
    drawing.push(renderSignal(stage, document.getElementById("stage-chart"), { height: 170, stepped: true }));
  } else {
    document.getElementById("stage-section").hidden = true;
  }
  const grid = document.getElementById("charts");
  for (const signal of signals.filter((s) => s.id !== "fire_alarm_stage")) {
    drawing.push(renderSignal(signal, grid));
  }
  const [charts, alerts, deliveries, delivery] = await Promise.all([
    Promise.all(drawing),
    getJSON("/api/alerts"),
    getJSON("/api/deliveries?limit=20"),
    getJSON("/api/deliveries/health"),
  ]);
  setupRange();
  showDeliveryHealth(delivery);
  fillTable("alerts", alerts, ["rule", "state", "since", "value", "threshold", "severity", "labels", "summary", "silenced", "acknowledged"]);
  fillTable("deliveries", deliveries, ["id", "channel", "status", "rule", "state", "created_at"]);
  window.addEventListener("resize", () => {
    for (const chart of charts.filter(Boolean)) {
      chart.setSize({ width: Math.max(chart.root.parentNode.clientWidth - 4, 300), height: chart.height });
    }
  });
  showScores();
  focusCard();
  window.addEventListener("hashchange", focusCard);
  const loaded = new Date().toISOString().slice(0, 16).replace("T", " ");
  status.textContent = `${signals.length} signals · page loaded ${loaded} UTC`;
}

main()
  .catch((error) => {
    state.errors.push(String(error));
    const status = document.getElementById("status");
    status.textContent = `could not load: ${error.message}`;
    status.className = "status error";
  })
  .finally(() => {
    state.ready = true;
  });
