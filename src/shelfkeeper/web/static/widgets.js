// The page's building blocks: badges, error notices, filters, tables, pagers, buttons that act.

import { h, fill } from "./dom.js";
import { dateTime, label, percent, plainValue, relativeTime } from "./format.js";

const TONES = {
  good: ["success", "imported", "applied", "ok", "completed", "corrected", "downloaded", "scheduled", "yes"],
  busy: ["downloading", "running", "searching", "grabbed", "importing", "queued", "wanted"],
  warn: ["paused", "needs_review", "pending", "dry_run", "waiting", "retry", "unknown", "partial", "interrupted"],
  bad: ["failed", "no_match", "cancelled", "refused", "unreachable", "no"],
};

/** A small coloured word for a status; the colour is never the only signal (the word is there too). */
export function badge(value, text = label(value)) {
  const tone = Object.keys(TONES).find((name) => TONES[name].includes(value)) || "plain";
  return h("span", { class: `badge badge-${tone}`, text });
}

/** An API error as people read it: the envelope's message, its stable code, and any details. */
export function errorNotice(error, prefix = "") {
  const details = error && error.details;
  const lines = [];
  if (Array.isArray(details)) {
    for (const item of details) lines.push(item.field && item.message ? `${item.field}: ${item.message}` : plainValue(item));
  } else if (details && typeof details === "object") {
    for (const [name, value] of Object.entries(details)) lines.push(`${name}: ${plainValue(value)}`);
  }
  // A validation error's message already lists its fields; say each thing once.
  const detailItems = lines.filter((line) => !String(error.message).includes(line)).map((text) => h("li", { text }));
  return h(
    "div",
    { class: "notice notice-error", role: "alert" },
    h("p", {}, prefix ? `${prefix}: ` : "", h("span", { class: "error-message", text: error.message || String(error) })),
    error.code ? h("p", { class: "error-code" }, "Error code ", h("code", { text: error.code })) : null,
    detailItems.length ? h("ul", { class: "error-details" }, detailItems) : null,
  );
}

/** A neutral or happy message in a view. */
export function notice(text, tone = "info") {
  return h("div", { class: `notice notice-${tone}`, role: "status" }, text);
}

/** "Loading…" while an answer is on its way. */
export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status", text });
}

/** A <time> saying "3 minutes ago", with the full date on hover and for screen readers' "datetime". */
export function timeAgo(iso) {
  if (!iso) return h("span", { class: "muted", text: "—" });
  return h("time", { datetime: iso, title: dateTime(iso), text: relativeTime(iso) });
}

/** A native progress bar (screen readers announce it) with the share written next to it. */
export function progressBar(share, name) {
  const value = Math.max(0, Math.min(1, Number(share) || 0));
  return h(
    "span",
    { class: "progress" },
    h("progress", { max: "100", value: String(Math.round(value * 1000) / 10), "aria-label": name }),
    h("span", { class: "progress-text", text: percent(value) }),
  );
}

/** A <dl> of names and values (evidence, configuration). */
export function keyValues(entries, { className = "key-values" } = {}) {
  const list = h("dl", { class: className });
  for (const [name, value] of Array.isArray(entries) ? entries : Object.entries(entries || {})) {
    list.append(h("dt", { text: name }), h("dd", {}, value instanceof Node ? value : plainValue(value)));
  }
  return list;
}

/** A collapsible block. */
export function disclosure(summary, ...content) {
  return h("details", {}, h("summary", { text: summary }), ...content);
}

/** A labelled <select>; ``options`` are [value, text] pairs. */
export function selectField({ label: text, name, value = "", options, onChange }) {
  const select = h("select", { name });
  select.addEventListener("change", () => onChange(select.value));
  for (const [optionValue, optionText] of options) select.append(h("option", { value: optionValue, text: optionText }));
  if (value && !options.some(([optionValue]) => optionValue === value)) {
    select.append(h("option", { value, text: value })); // a value from the address that the list does not know
  }
  select.value = value;
  return labelled(text, select);
}

let fieldCount = 0;

/** A field: its own <label> names the control, so the name is the label alone (not the options' text). */
function labelled(text, control, className = "field") {
  fieldCount += 1;
  control.id = `field-${fieldCount}`;
  return h("div", { class: className }, h("label", { class: "field-label", for: control.id, text }), control);
}

/** A search box: searches as you type (after a short pause) and on Enter. */
export function searchField({ label: text, name = "q", value = "", placeholder = "", onSearch }) {
  let timer = null;
  const input = h("input", { type: "search", name, value, placeholder, autocomplete: "off" });
  const run = () => {
    clearTimeout(timer);
    onSearch(input.value.trim());
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 300);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      run();
    }
  });
  return labelled(text, input, "field field-search");
}

/** The filter bar above a list. */
export function filterBar(...fields) {
  return h("form", { class: "filters", role: "search", onsubmit: (event) => event.preventDefault() }, fields);
}

/**
 * A button that runs ``action`` (a promise): disabled while it runs; an error is handed to ``onError``.
 * @param {string} text
 * @param {() => Promise<unknown> | unknown} action
 * @param {{tone?: string, onError?: (error: any) => void, title?: string}} [options]
 * @returns {HTMLButtonElement}
 */
export function actionButton(text, action, { tone = "", onError, title } = {}) {
  const button = h("button", { type: "button", class: tone ? `button button-${tone}` : "button", title, text });
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await action();
    } catch (error) {
      if (onError) onError(error);
      else throw error;
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
  return button;
}

/**
 * One table row. Each column is {label, cell(row, rowControl)}; ``rowControl`` lets a cell's buttons replace the
 * row with a new answer or show an error under the row's actions.
 */
export function tableRow(columns, row) {
  const tr = h("tr", { dataset: { id: row.id ?? row.name ?? "" } });
  const control = {
    replace(updated) {
      const next = tableRow(columns, updated);
      tr.replaceWith(next);
      return next;
    },
    showError(error, prefix) {
      const cell = tr.lastElementChild;
      if (!cell) return;
      const old = cell.querySelector(".row-feedback");
      if (old) old.remove();
      cell.append(h("div", { class: "row-feedback" }, errorNotice(error, prefix)));
    },
    element: () => tr,
  };
  for (const column of columns) {
    tr.append(h("td", { class: column.class, dataset: { label: column.label } }, column.cell(row, control)));
  }
  return tr;
}

/** A table of ``rows``; on narrow screens the stylesheet turns each row into a card labelled from its columns. */
export function dataTable({ caption, columns, rows, empty = "Nothing here." }) {
  if (!rows.length) return notice(empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data-table" },
      caption ? h("caption", { class: "visually-hidden", text: caption }) : null,
      h("thead", {}, h("tr", {}, columns.map((column) => h("th", { scope: "col", class: column.class, text: column.label })))),
      h("tbody", {}, rows.map((row) => tableRow(columns, row))),
    ),
  );
}

/**
 * "Showing 1–25 of 120" with Previous / Next and the page size (``onLimit`` absent: no size chooser).
 * @param {{total: number, limit: number, offset: number}} page
 * @param {{onOffset: (offset: number) => void, onLimit?: (limit: number) => void, noun?: string}} handlers
 */
export function pager({ total, limit, offset }, { onOffset, onLimit, noun = "items" }) {
  const first = total ? offset + 1 : 0;
  const last = Math.min(offset + limit, total);
  const status = h("p", { class: "pager-status", role: "status", text: `Showing ${first}–${last} of ${total} ${noun}` });
  const previous = h("button", { type: "button", class: "button", text: "Previous", disabled: offset <= 0 });
  const next = h("button", { type: "button", class: "button", text: "Next", disabled: offset + limit >= total });
  previous.addEventListener("click", () => onOffset(Math.max(0, offset - limit)));
  next.addEventListener("click", () => onOffset(offset + limit));
  const size = onLimit
    ? selectField({
        label: "Per page",
        name: "limit",
        value: String(limit),
        options: ["10", "25", "50", "100"].map((n) => [n, n]),
        onChange: (value) => onLimit(Number(value)),
      })
    : null;
  return h("nav", { class: "pager", "aria-label": `Pages of ${noun}` }, status, h("div", { class: "pager-buttons" }, previous, next, size));
}

/** A row of figures: [["Books", 120], ["Hours", 4210]]. */
export function statCards(entries) {
  return h(
    "dl",
    { class: "stat-cards" },
    entries.map(([name, value]) => h("div", { class: "stat-card" }, h("dt", { text: name }), h("dd", { text: String(value) }))),
  );
}

/** The heading of a view, with one sentence saying what it is for. */
export function viewHeader(title, intro, ...actions) {
  return h(
    "header",
    { class: "view-header" },
    h("div", {}, h("h1", { text: title, tabindex: "-1" }), intro ? h("p", { class: "intro", text: intro }) : null),
    actions.length ? h("div", { class: "view-actions" }, actions) : null,
  );
}

/** A region whose content is replaced on each load; marked busy meanwhile. */
export function liveRegion(className = "results") {
  return h("div", { class: className });
}

/** Load into ``region``: a loading line first, then ``render(data)``, or the error notice. Stale answers are dropped. */
export function loader(region, fetchData, render) {
  let generation = 0;
  return async function load({ quiet = false } = {}) {
    const mine = ++generation;
    if (!quiet) fill(region, loading());
    region.setAttribute("aria-busy", "true");
    try {
      const data = await fetchData();
      if (mine === generation) fill(region, render(data));
    } catch (error) {
      if (mine === generation) fill(region, errorNotice(error));
    } finally {
      if (mine === generation) region.removeAttribute("aria-busy");
    }
  };
}

/**
 * The ``update(change)`` of a filtered list view: ``change`` merged into ``state`` (back to the first page unless
 * the change is the page itself), written to the address with ``setParams``, then ``reload()``.
 * @param {Record<string, any>} state
 * @param {(values: object) => void} setParams
 * @param {() => unknown} reload
 * @returns {(change: Record<string, any>) => void}
 */
export function filterUpdater(state, setParams, reload) {
  return (change) => {
    Object.assign(state, change);
    if (!("offset" in change)) state.offset = 0;
    setParams(state);
    reload();
  };
}

/**
 * The "Monitored" filter of a list view: any, monitored, not monitored.
 * @param {string} value
 * @param {(value: string) => void} onChange
 */
export function monitoredField(value, onChange) {
  return selectField({ label: "Monitored", name: "monitored", value, options: [["", "Any"], ["true", "Monitored"], ["false", "Not monitored"]], onChange });
}

/**
 * A card's "Monitor" / "Stop monitoring" button: ``toggle(action)`` asks for "monitor" or "unmonitor" (a promise
 * of the updated entry), ``rebuild(monitored)`` draws the card again; an error is shown in ``feedback``.
 * @param {{name: string, monitored: boolean, toggle: (action: string) => Promise<any>, rebuild: (monitored: boolean) => void, notify: (message: string, tone?: string) => void, feedback: HTMLElement}} options
 */
export function monitorButton({ name, monitored, toggle, rebuild, notify, feedback }) {
  return actionButton(
    monitored ? "Stop monitoring" : "Monitor",
    async () => {
      const updated = await toggle(monitored ? "unmonitor" : "monitor");
      rebuild(updated.monitored);
      notify(updated.monitored ? `Monitoring ${name}.` : `Stopped monitoring ${name}.`);
    },
    { onError: (error) => fill(feedback, errorNotice(error)) },
  );
}
