// Calendar: the releases of the books Shelfkeeper wants (gaps of followed series, authors' new books) by month,
// the books imported lately, and the iCal feed for a calendar app.

import { api, apiKey } from "./api.js";
import { h } from "./dom.js";
import { day, label } from "./format.js";
import { actionButton, badge, liveRegion, loader, notice, selectField, viewHeader } from "./widgets.js";

const SPANS = [
  ["3", "Next 3 months"],
  ["6", "Next 6 months"],
  ["12", "Next 12 months"],
];

/**
 * The window asked for: from the first of this month (UTC) until ``months`` later.
 * @param {number} months
 * @param {Date} [now]
 */
export function calendarWindow(months, now = new Date()) {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + months, 1));
  return { start: start.toISOString(), end: end.toISOString() };
}

/**
 * Entries grouped by their month ("2026-12"), in date order.
 * @param {Array<{at: string}>} entries
 * @returns {Map<string, any[]>}
 */
export function byMonth(entries) {
  const months = new Map();
  for (const entry of entries) {
    const key = entry.at.slice(0, 7);
    if (!months.has(key)) months.set(key, []);
    months.get(key).push(entry);
  }
  return months;
}

/** @param {string} key "2026-12" */
function monthName(key) {
  const [year, month] = key.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, 1)).toLocaleDateString(undefined, { month: "long", year: "numeric", timeZone: "UTC" });
}

/** @param {any} entry one CalendarEntryRead */
function entryItem(entry) {
  const series = entry.series ? `${entry.series}${entry.position ? ` #${entry.position}` : ""}` : null;
  return h(
    "li",
    { class: `calendar-entry calendar-${entry.kind}`, dataset: { kind: entry.kind } },
    h("time", { class: "calendar-day", datetime: entry.at, text: day(entry.at) }),
    h(
      "div",
      {},
      h("strong", { text: entry.title }),
      h("span", { class: "small muted block", text: [entry.author, series].filter(Boolean).join(" · ") }),
    ),
    h("span", { class: "calendar-badges" }, badge(entry.kind === "release" ? "scheduled" : "imported", entry.kind === "release" ? "Release" : "Imported"), " ", badge(entry.status, label(entry.status))),
  );
}

/** The feed's address with the key (calendar apps cannot send headers), to copy into a calendar app. */
function feedPanel() {
  const address = new URL("/feed/calendar.ics", window.location.origin);
  address.searchParams.set("apikey", apiKey.get() || "");
  const field = h("input", { type: "text", readonly: true, id: "ics-address", value: address.href, class: "feed-address" });
  const copied = h("span", { class: "small", role: "status" });
  const copy = actionButton(
    "Copy",
    async () => {
      await navigator.clipboard.writeText(address.href);
      copied.textContent = "Copied.";
    },
    {
      onError: () => {
        field.select(); // no clipboard (plain http, or refused): the address is selected for a manual copy
        copied.textContent = "Select the address and copy it.";
      },
    },
  );
  return h(
    "details",
    { class: "feed-panel" },
    h("summary", { text: "Subscribe in a calendar app (iCal feed)" }),
    h("p", { class: "hint", text: "The address holds your API key: share it as you would the key. Releases from 30 days ago to a year ahead, and the imports of the last 30 days." }),
    h("div", { class: "inline-form" }, h("label", { class: "field-label", for: "ics-address", text: "Feed address" }), field, copy, copied),
    h("p", {}, h("a", { href: address.href, text: "Download the feed (.ics)", download: "shelfkeeper.ics" })),
  );
}

/**
 * @param {HTMLElement} root
 * @param {{params: URLSearchParams, setParams: (values: object) => void}} context
 */
export function render(root, { params, setParams }) {
  const state = { months: params.get("months") || "3" };
  const results = liveRegion();
  root.append(
    viewHeader("Calendar", "When the books Shelfkeeper wants come out — the gaps of followed series, followed authors' new books — and what was imported lately."),
    h("div", { class: "filters" }, selectField({ label: "Show", name: "months", value: state.months, options: SPANS, onChange: (months) => { state.months = months; setParams(state); load(); } })),
    feedPanel(),
    results,
  );
  const load = loader(
    results,
    () => api.get("/api/calendar", calendarWindow(Number(state.months) || 3)),
    (entries) => {
      if (!entries.length) return notice("Nothing is coming out or imported in this period. Follow series and authors to see their releases here.");
      const months = byMonth(entries);
      return [...months].map(([key, items]) =>
        h("section", { class: "calendar-month", dataset: { month: key } }, h("h2", { text: monthName(key) }), h("ol", { class: "calendar-list" }, items.map(entryItem))),
      );
    },
  );
  load();
}
