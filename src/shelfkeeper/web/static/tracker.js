// MyAnonamouse: the ratio autopilot's record. Ratio, bonus points and wedges over time (inline SVG), and every
// request to MAM's bonus store with MAM's answer.

import { api } from "./api.js";
import { h } from "./dom.js";
import { EMPTY, bytes, dateTime, label } from "./format.js";
import { badge, dataTable, liveRegion, loader, pager, statCards, timeAgo, viewHeader } from "./widgets.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 720;
const PANEL = 110; // height of one series' panel
const PAD = { left: 64, right: 16, top: 14, bottom: 22 };
const SERIES = [
  { key: "ratio", name: "Ratio", digits: 2 },
  { key: "bonus_points", name: "Bonus points", digits: 0 },
  { key: "wedges", name: "Wedges", digits: 0 },
];

function readState(params) {
  return { limit: Number(params.get("limit")) || 100, offset: Number(params.get("offset")) || 0 };
}

/** An SVG element: the DOM helper ``h`` makes HTML elements only. */
function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") element.textContent = String(value);
    else if (value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) if (child) element.append(child);
  return element;
}

function shown(value, digits) {
  return value === null || value === undefined ? EMPTY : Number(value).toLocaleString(undefined, { maximumFractionDigits: digits });
}

/** One panel: a series' line and points over the snapshots' times, its own scale; the floor on the ratio. */
function panel(series, snapshots, index, floor) {
  const top = index * PANEL;
  const points = snapshots.filter((s) => s[series.key] !== null && s[series.key] !== undefined);
  const times = snapshots.map((s) => Date.parse(s.at));
  const [first, last] = [Math.min(...times), Math.max(...times)];
  const values = points.map((s) => Number(s[series.key]));
  if (series.key === "ratio" && floor !== null) values.push(floor);
  let [low, high] = [Math.min(...values), Math.max(...values)];
  if (low === high) [low, high] = [low - 1, high + 1];
  const x = (at) => PAD.left + (last === first ? 0.5 : (Date.parse(at) - first) / (last - first)) * (WIDTH - PAD.left - PAD.right);
  const y = (value) => top + PAD.top + (1 - (value - low) / (high - low)) * (PANEL - PAD.top - PAD.bottom);
  const path = points.map((s, i) => `${i ? "L" : "M"}${x(s.at).toFixed(1)},${y(Number(s[series.key])).toFixed(1)}`).join(" ");
  const group = svg("g", { class: `chart-series chart-${series.key}`, "data-series": series.key });
  group.append(
    svg("text", { x: 4, y: top + PAD.top + 4, class: "chart-label", text: series.name }),
    svg("text", { x: PAD.left - 6, y: y(high) + 4, "text-anchor": "end", class: "chart-tick", text: shown(high, series.digits) }),
    svg("text", { x: PAD.left - 6, y: y(low) + 4, "text-anchor": "end", class: "chart-tick", text: shown(low, series.digits) }),
    svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(low), y2: y(low), class: "chart-axis", stroke: "currentColor", "stroke-opacity": 0.3 }),
  );
  if (series.key === "ratio" && floor !== null) {
    group.append(
      svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(floor), y2: y(floor), class: "chart-floor", stroke: "#b91c1c", "stroke-dasharray": "4 3" },
        svg("title", { text: `Ratio floor ${floor}` })),
    );
  }
  if (path) group.append(svg("path", { d: path, fill: "none", stroke: "currentColor", "stroke-width": 2, class: "chart-line" }));
  for (const s of points) {
    const value = Number(s[series.key]);
    group.append(
      svg("circle", { cx: x(s.at).toFixed(1), cy: y(value).toFixed(1), r: 3, class: "chart-point", fill: "currentColor" },
        svg("title", { text: `${dateTime(s.at)}: ${series.name} ${shown(value, series.digits)}` })),
    );
  }
  return group;
}

function chart(snapshots, floor) {
  if (!snapshots.length) return h("p", { class: "muted", text: "No stats yet: they are read when MAM is searched or crawled." });
  const ordered = [...snapshots].reverse(); // the API answers newest first
  const height = PANEL * SERIES.length;
  const figure = svg(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${height}`, width: "100%", role: "img", class: "tracker-chart", "aria-labelledby": "tracker-chart-title" },
    svg("title", { id: "tracker-chart-title", text: `Ratio, bonus points and wedges over ${ordered.length} stats readings` }),
    SERIES.map((series, index) => panel(series, ordered, index, floor)),
  );
  const span = `${dateTime(ordered[0].at)} to ${dateTime(ordered[ordered.length - 1].at)}`;
  return h("figure", { class: "tracker-figure" }, figure, h("figcaption", { class: "small muted", text: span }));
}

const PURCHASE_COLUMNS = [
  { label: "When", cell: (row) => timeAgo(row.at) },
  { label: "What", cell: (row) => [h("strong", { text: label(row.kind) }), row.torrent_id ? h("span", { class: "block small", text: `Torrent ${row.torrent_id}` }) : null, row.amount ? h("span", { class: "block small", text: `${row.amount} GB` }) : null] },
  { label: "Cost", class: "col-number", cell: (row) => (row.cost_points ? `${row.cost_points.toLocaleString()} points` : EMPTY) },
  { label: "Answer", cell: (row) => [badge(row.success ? "done" : "refused", row.success ? "Done" : "Refused"), row.answer ? h("span", { class: "block small", text: row.answer }) : null] },
  { label: "Why", class: "col-why", cell: (row) => h("p", { class: "why", text: (row.reasons || []).map((r) => r.text).join("; ") || EMPTY }) },
];

function current(history) {
  const latest = history.snapshots.items[0];
  const { policy } = history;
  return statCards([
    ["Ratio", latest ? shown(latest.ratio, 2) : EMPTY],
    ["Floor", policy.ratio_floor],
    ["Bonus points", latest ? shown(latest.bonus_points, 0) : EMPTY],
    ["Wedges", latest ? shown(latest.wedges, 0) : EMPTY],
    ["Uploaded", latest && latest.uploaded_bytes !== null ? bytes(latest.uploaded_bytes) : EMPTY],
    ["Downloaded", latest && latest.downloaded_bytes !== null ? bytes(latest.downloaded_bytes) : EMPTY],
    ["Purchases today", `${policy.purchases_today} of ${policy.daily_purchase_cap}`],
    ["Wedge policy", label(policy.wedge_policy)],
  ]);
}

export function render(root, { params, setParams }) {
  const state = readState(params);
  const region = liveRegion();
  const update = (change) => {
    Object.assign(state, change);
    setParams(state);
    load();
  };
  const load = loader(
    region,
    () => api.get("/api/tracker/history", { limit: state.limit, offset: state.offset }),
    (history) => [
      current(history),
      h("h2", { text: "Over time" }),
      chart(history.snapshots.items, history.policy.ratio_floor),
      h("h2", { text: "Bonus store" }),
      dataTable({ caption: "Purchases and wedges spent", columns: PURCHASE_COLUMNS, rows: history.purchases.items, empty: "Nothing bought or spent yet." }),
      pager(history.purchases, { noun: "purchases", onOffset: (offset) => update({ offset }), onLimit: (limit) => update({ limit }) }),
    ],
  );
  root.append(
    viewHeader("MyAnonamouse", "The ratio autopilot: your ratio, bonus points and wedges over time, and what it bought or spent, with MAM's answer."),
    region,
  );
  load();
  return null;
}
