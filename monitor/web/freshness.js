// How current the data is, said before anything else: the header's freshness line (newest data
// date; amber or red with the stale inputs listed) and a banner per source whose last fetch failed.
"use strict";

const freshness = {
  // symbol -> {latest_available, age_days, limit_days, stale, watched}
  bySymbol: {},
  // Watched inputs (a rule depends on them) that are stale today.
  stale: [],
  newest: null,
};

function describeAge(row) {
  if (row.latest_available === null) return `${row.symbol} (never fetched)`;
  return `${row.symbol} (${row.age_days} d)`;
}

// The header line: green when every watched input is fresh, amber when some are stale, red when
// all are (nothing current to judge by).
function showFreshness(rows) {
  const watched = rows.filter((r) => r.watched);
  freshness.bySymbol = Object.fromEntries(rows.map((r) => [r.symbol, r]));
  freshness.stale = watched.filter((r) => r.stale);
  const dates = rows.map((r) => r.latest_available).filter((d) => d !== null).sort();
  freshness.newest = dates.length ? dates[dates.length - 1] : null;
  const line = document.getElementById("freshness");
  const newest = freshness.newest ? `data through ${freshness.newest}` : "no data yet";
  if (freshness.stale.length === 0) {
    line.textContent = `${newest} · every input current`;
    line.className = "freshness fresh";
    return;
  }
  const level = freshness.stale.length === watched.length ? "red" : "amber";
  line.textContent = `${newest} · ${freshness.stale.length} of ${watched.length} inputs stale: ${freshness.stale.map(describeAge).join(", ")}`;
  line.className = `freshness ${level}`;
}

// One line per source whose last fetch failed (or was partial): when, the error, what to do.
function showFailedSources(sources) {
  const banner = document.getElementById("banner");
  const failed = sources.filter((s) => s.status === "failed" || s.status === "partial");
  banner.replaceChildren();
  banner.hidden = failed.length === 0;
  for (const source of failed) {
    const item = document.createElement("p");
    const when = source.started_at.slice(0, 16).replace("T", " ");
    const head = document.createElement("strong");
    head.textContent = `${source.source}: last fetch ${source.status} (${when} UTC)`;
    const detail = document.createElement("span");
    detail.textContent = ` ${source.error || ""}`;
    const hint = document.createElement("em");
    hint.textContent = source.hint ? ` → ${source.hint}` : "";
    item.append(head, detail, hint);
    banner.append(item);
  }
}

async function loadFreshness() {
  const [rows, sources] = await Promise.all([getJSON("/api/freshness"), getJSON("/api/sources")]);
  showFreshness(rows);
  showFailedSources(sources);
  return freshness;
}

// The stale inputs among ``symbols`` (a signal's instruments), for its card.
function staleAmong(symbols) {
  return symbols.map((s) => freshness.bySymbol[s]).filter((r) => r && r.stale);
}
