// History: what happened (wanted, searched, grabbed, failed, imported, metadata corrected, blocklisted ...), overall
// or for one book; then the job runs (those that did nothing folded into one row) and the failed attempts.

import { api } from "./api.js";
import { h } from "./dom.js";
import * as live from "./live.js";
import { EMPTY, bytes, elapsed, fieldValue, jobLabel, label, plainValue } from "./format.js";
import { badge, dataTable, disclosure, filterBar, keyValues, liveRegion, loader, pager, selectField, timeAgo, viewHeader } from "./widgets.js";
import { EVENT_TITLES, FAILURE_KINDS, JOB_LABELS, TASK_STATUSES, TASK_TRIGGERS } from "./vocabulary.js";

const REFRESH_SECONDS = 5; // polling while the live stream is lost
const SCOPES = [
  ["book_id", "book"],
  ["wanted_book_id", "wanted book"],
  ["download_id", "download"],
];
const EVENT_TONES = {
  grabbed: "busy",
  searched: "plain",
  wanted: "busy",
  imported: "good",
  metadata_corrected: "good",
  book_released: "good",
  health_resolved: "good",
  download_failed: "bad",
  job_failed: "bad",
  health_problem: "bad",
  blocklisted: "bad",
  download_stalled: "warn",
  metadata_reverted: "warn",
  metadata_review: "warn",
  job_partial: "warn",
  mam_ratio_low: "warn",
  top10_approval: "warn",
};

function readState(params) {
  return {
    type: params.get("type") || "",
    book_id: params.get("book_id") || "",
    wanted_book_id: params.get("wanted_book_id") || "",
    download_id: params.get("download_id") || "",
    events_offset: Number(params.get("events_offset")) || 0,
    name: params.get("name") || "",
    status: params.get("status") || "",
    trigger: params.get("trigger") || "",
    limit: Number(params.get("limit")) || 25,
    offset: Number(params.get("offset")) || 0,
    kind: params.get("kind") || "",
    failed_offset: Number(params.get("failed_offset")) || 0,
  };
}

function note(text) {
  return h("span", { class: "block small", text });
}

// ---- events ---------------------------------------------------------------------------------------------------

/** What an event of each kind says beyond its sentence: the search's figures, the release, the changes... */
function eventFacts(event) {
  const details = event.details || {};
  const release = event.release || {};
  const facts = [];
  if (event.type === "wanted") facts.push(["Why", details.explanation || label(details.reason || "")], ["Found by", details.source]);
  if (event.type === "searched") {
    facts.push(["Releases found", details.found], ["Acceptable", details.accepted]);
    if (details.best) facts.push(["Best", `${details.best.title} (score ${details.best.score})`]);
  }
  if (["grabbed", "blocklisted", "download_failed", "download_stalled", "imported"].includes(event.type) && release.title) {
    facts.push(["Release", release.title], ["Indexer", release.indexer], ["Size", release.size_bytes ? bytes(release.size_bytes) : null]);
  }
  if (event.type === "grabbed") facts.push(["Grabbed by", details.manual ? "a person" : "automation"], ["Score", details.score]);
  if (details.reason && event.type !== "wanted") facts.push(["Why", details.reason]);
  if (details.next) facts.push(["What next", details.next]);
  if (details.path) facts.push(["Where", details.path]);
  return facts.filter(([, value]) => value !== undefined && value !== null && value !== "");
}

function changesList(event) {
  const changes = (event.details || {}).changes || [];
  if (!changes.length) return null;
  return h(
    "ul",
    { class: "event-changes" },
    changes.map((change) =>
      h(
        "li",
        {},
        h("strong", { text: `${label(change.field)}: ` }),
        h("del", { class: "break", text: fieldValue(change.old) }),
        h("span", { "aria-hidden": "true", text: " → " }),
        h("ins", { class: "break", text: fieldValue(change.new) }),
      ),
    ),
  );
}

function bookCell(event) {
  const book = event.book || {};
  const links = [];
  if (book.book_id) links.push(h("a", { class: "block small", href: `#/history?book_id=${book.book_id}`, text: "This book's history" }));
  else if (book.wanted_book_id) links.push(h("a", { class: "block small", href: `#/history?wanted_book_id=${book.wanted_book_id}`, text: "This book's history" }));
  if (!book.title) return h("span", { class: "muted", text: EMPTY });
  return [h("strong", { class: "break", text: book.title }), book.author ? note(book.author) : null, ...links];
}

const EVENT_COLUMNS = [
  { label: "When", cell: (event) => timeAgo(event.time) },
  { label: "Event", cell: (event) => h("span", { class: `badge badge-${EVENT_TONES[event.type] || "plain"}`, text: EVENT_TITLES[event.type] || label(event.type) }) },
  { label: "Book", class: "col-title", cell: bookCell },
  {
    label: "What happened",
    class: "col-why",
    cell: (event) => {
      const facts = eventFacts(event);
      return [h("p", { class: "why break", text: event.message }), changesList(event), facts.length ? keyValues(facts, { className: "key-values event-facts" }) : null];
    },
  },
];

function scopeOf(state) {
  return SCOPES.find(([key]) => state[key]) || null;
}

/** "Only the history of book #7", with a way back to everything. */
function scopeNote(state, update) {
  const scope = scopeOf(state);
  if (!scope) return null;
  const [key, noun] = scope;
  const clear = h("button", { type: "button", class: "button button-quiet", text: "Show everything" });
  clear.addEventListener("click", () => update({ book_id: "", wanted_book_id: "", download_id: "", events_offset: 0 }));
  return h("p", { class: "scope" }, `Only the history of ${noun} #${state[key]}. `, clear);
}

function eventFilters(state, update) {
  const options = [["", "Any"], ...Object.entries(EVENT_TITLES)];
  return filterBar(selectField({ label: "Event", name: "type", value: state.type, options, onChange: (type) => update({ type, events_offset: 0 }) }));
}

function eventQuery(state) {
  return { type: state.type, book_id: state.book_id, wanted_book_id: state.wanted_book_id, download_id: state.download_id, limit: 25, offset: state.events_offset };
}

// ---- job runs --------------------------------------------------------------------------------------------------

/** A run that found nothing to do: it succeeded, counted nothing (or only zeros) and said nothing. */
function idle(task) {
  return task.status === "success" && !task.error && Object.values(task.counts || {}).every((value) => !value);
}

/** Consecutive idle runs of the same job become one row ("12 runs that did nothing"). */
export function foldIdleRuns(tasks) {
  const rows = [];
  for (const task of tasks) {
    const last = rows[rows.length - 1];
    if (idle(task) && last && last.folded && last.name === task.name) {
      last.runs.push(task);
    } else if (idle(task)) {
      rows.push({ id: `idle-${task.id}`, folded: true, name: task.name, runs: [task] });
    } else {
      rows.push(task);
    }
  }
  return rows.map((row) => (row.folded && row.runs.length === 1 ? row.runs[0] : row));
}

function countChips(values) {
  const entries = Object.entries(values || {});
  if (!entries.length) return null;
  return h("ul", { class: "chips" }, entries.map(([name, value]) => h("li", { text: `${label(name)}: ${plainValue(value)}` })));
}

function foldedOr(cell, folded) {
  return (task) => (task.folded ? folded(task) : cell(task));
}

const RUN_COLUMNS = [
  {
    label: "Run",
    cell: foldedOr(
      (task) => [h("strong", { text: `#${task.id}` }), h("span", { class: "block", text: jobLabel(task.name) }), h("code", { class: "block small job-name", text: task.name, title: "The job's name in the API" })],
      (group) => [h("strong", { text: `${group.runs.length} runs that did nothing` }), h("span", { class: "block", text: jobLabel(group.name) })],
    ),
  },
  { label: "Trigger", cell: foldedOr((task) => [label(task.trigger), task.attempt > 1 ? note(`Attempt ${task.attempt}`) : null], (group) => label(group.runs[0].trigger)) },
  { label: "Status", cell: foldedOr((task) => badge(task.status), () => badge("plain", "Nothing to do")) },
  {
    label: "Started",
    cell: foldedOr(
      (task) => timeAgo(task.started_at || task.created_at),
      (group) => h("span", {}, timeAgo(group.runs[group.runs.length - 1].started_at), " to ", timeAgo(group.runs[0].started_at)),
    ),
  },
  { label: "Took", class: "col-number", cell: foldedOr((task) => (task.status === "running" ? "running…" : elapsed(task.duration_seconds)), () => EMPTY) },
  {
    label: "Counts",
    cell: foldedOr(
      (task) => [
        countChips(task.counts) || h("span", { class: "muted", text: EMPTY }),
        Object.keys(task.metrics || {}).length ? disclosure("Metrics", keyValues(Object.entries(task.metrics).map(([name, value]) => [label(name), plainValue(value)]))) : null,
        Object.keys(task.parameters || {}).length ? note(`With ${plainValue(task.parameters)}`) : null,
      ],
      (group) => note(`Runs #${group.runs[group.runs.length - 1].id} to #${group.runs[0].id}`),
    ),
  },
  {
    label: "Error",
    class: "col-why",
    cell: foldedOr(
      (task) =>
        task.error
          ? [h("p", { class: "why error-text break", text: task.error }), task.traceback ? disclosure("Traceback", h("pre", { class: "traceback", text: task.traceback })) : null]
          : h("span", { class: "muted", text: EMPTY }),
      () => h("span", { class: "muted", text: EMPTY }),
    ),
  },
];

function runFilters(state, update) {
  return filterBar(
    selectField({ label: "Job", name: "name", value: state.name, options: [["", "Any"], ...Object.entries(JOB_LABELS)], onChange: (name) => update({ name, offset: 0 }) }),
    selectField({ label: "Status", name: "status", value: state.status, options: [["", "Any"], ...TASK_STATUSES.map((s) => [s, label(s)])], onChange: (status) => update({ status, offset: 0 }) }),
    selectField({ label: "Trigger", name: "trigger", value: state.trigger, options: [["", "Any"], ...TASK_TRIGGERS.map((t) => [t, label(t)])], onChange: (trigger) => update({ trigger, offset: 0 }) }),
  );
}

// ---- failed attempts -------------------------------------------------------------------------------------------

const FAILURE_COLUMNS = [
  { label: "When", cell: (failure) => timeAgo(failure.created_at) },
  { label: "Kind", cell: (failure) => badge("plain", label(failure.kind)) },
  { label: "What", class: "col-title", cell: (failure) => h("strong", { class: "break", text: failure.subject }) },
  { label: "Why", class: "col-why", cell: (failure) => h("p", { class: "why break", text: failure.reason }) },
  {
    label: "Evidence",
    cell: (failure) => [
      Object.keys(failure.evidence || {}).length ? disclosure("Evidence", keyValues(Object.entries(failure.evidence).map(([name, value]) => [label(name), plainValue(value)]))) : null,
      failure.wanted_book_id ? note(`Wanted book #${failure.wanted_book_id}`) : null,
      failure.download_id ? note(`Download #${failure.download_id}`) : null,
      failure.book_id ? note(`Book #${failure.book_id}`) : null,
      failure.task_id ? note(`Run #${failure.task_id}`) : null,
    ],
  },
];

function failuresLoader(region, state, update) {
  return loader(
    region,
    () => api.get("/api/system/failed-attempts", { kind: state.kind, limit: 25, offset: state.failed_offset }),
    (page) => [
      dataTable({ caption: "Failed attempts", columns: FAILURE_COLUMNS, rows: page.items, empty: "Nothing has failed." }),
      pager(page, { noun: "failures", onOffset: (failed_offset) => update({ failed_offset }) }),
    ],
  );
}

// ---- the view --------------------------------------------------------------------------------------------------

export function render(root, { params, setParams }) {
  const state = readState(params);
  const [eventsRegion, runs, failures, scope] = [liveRegion(), liveRegion(), liveRegion(), h("div", { class: "scope-area" })];
  let running = false;
  const update = (change) => {
    Object.assign(state, change);
    setParams(state);
    if (["type", "book_id", "wanted_book_id", "download_id", "events_offset"].some((key) => key in change)) {
      scope.replaceChildren(...present([scopeNote(state, update)]));
      loadEvents();
    }
    if (["name", "status", "trigger", "offset", "limit"].some((key) => key in change)) loadRuns();
    if (["kind", "failed_offset"].some((key) => key in change)) loadFailures();
  };
  const loadEvents = loader(
    eventsRegion,
    () => api.get("/api/events", eventQuery(state)),
    (page) => [
      dataTable({ caption: "Events", columns: EVENT_COLUMNS, rows: page.items, empty: scopeOf(state) ? "Nothing has happened to it yet." : "Nothing has happened yet." }),
      pager(page, { noun: "events", onOffset: (events_offset) => update({ events_offset }) }),
    ],
  );
  const loadRuns = loader(
    runs,
    () => api.get("/api/scheduler/history", { name: state.name, status: state.status, trigger: state.trigger, limit: state.limit, offset: state.offset }),
    (page) => {
      running = page.items.some((task) => task.status === "running" || task.status === "pending");
      return [
        dataTable({ caption: "Job runs", columns: RUN_COLUMNS, rows: foldIdleRuns(page.items), empty: "No runs match these filters." }),
        pager(page, { noun: "runs", onOffset: (offset) => update({ offset }), onLimit: (limit) => update({ limit, offset: 0 }) }),
      ];
    },
  );
  const loadFailures = failuresLoader(failures, state, update);
  scope.replaceChildren(...present([scopeNote(state, update)]));
  root.append(
    viewHeader("History", "What happened, newest first: wanted, searched, grabbed, failed, imported, metadata corrected, blocklisted."),
    scope,
    eventFilters(state, update),
    eventsRegion,
    h("h2", { text: "Job runs" }),
    h("p", { class: "intro", text: "What each job did and when; runs that found nothing to do are folded into one row." }),
    runFilters(state, update),
    runs,
    h("h2", { text: "Failed attempts" }),
    h("p", { class: "intro", text: "Every failure of a download, import, search, sync or metadata check, with its evidence. Kept forever." }),
    filterBar(selectField({ label: "Kind", name: "kind", value: state.kind, options: [["", "Any"], ...FAILURE_KINDS.map((k) => [k, label(k)])], onChange: (kind) => update({ kind, failed_offset: 0 }) })),
    failures,
  );
  loadEvents();
  loadRuns();
  loadFailures();
  const quietly = () => !eventsRegion.querySelector("details[open]") && !runs.querySelector("details[open]");
  let eventTimer = null;
  let runTimer = null;
  const soon = (timer, load) => {
    clearTimeout(timer);
    return setTimeout(() => quietly() && load({ quiet: true }), 300);
  };
  const stops = [
    live.on("history", () => {
      if (state.events_offset === 0) eventTimer = soon(eventTimer, loadEvents);
    }),
    live.on("task", () => {
      if (state.offset === 0) runTimer = soon(runTimer, loadRuns);
    }),
    live.on("resync", () => {
      loadEvents({ quiet: true });
      loadRuns({ quiet: true });
    }),
  ];
  // While the stream is lost: the runs are read every few seconds while one is going, the events too.
  const timer = setInterval(() => {
    if (live.isLive() || document.hidden || !quietly()) return;
    loadEvents({ quiet: true });
    if (running) loadRuns({ quiet: true });
  }, REFRESH_SECONDS * 1000);
  return () => {
    clearInterval(timer);
    clearTimeout(eventTimer);
    clearTimeout(runTimer);
    for (const stop of stops) stop();
  };
}

/**
 * The nodes of ``items`` that are there (a part left out is null).
 * @template T
 * @param {(T | null | undefined)[]} items
 * @returns {T[]}
 */
function present(items) {
  return /** @type {T[]} */ (items.filter((item) => item !== null && item !== undefined));
}
