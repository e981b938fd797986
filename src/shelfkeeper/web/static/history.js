// History: every job run with its status, counts and errors; and the permanent record of failures.

import { api } from "./api.js";
import { h } from "./dom.js";
import { EMPTY, elapsed, jobLabel, label, plainValue } from "./format.js";
import { badge, dataTable, disclosure, filterBar, keyValues, liveRegion, loader, pager, selectField, timeAgo, viewHeader } from "./widgets.js";
import { FAILURE_KINDS, JOB_LABELS, TASK_STATUSES, TASK_TRIGGERS } from "./vocabulary.js";
const REFRESH_SECONDS = 3;

function readState(params) {
  return {
    name: params.get("name") || "",
    status: params.get("status") || "",
    trigger: params.get("trigger") || "",
    limit: Number(params.get("limit")) || 25,
    offset: Number(params.get("offset")) || 0,
    kind: params.get("kind") || "",
    failed_offset: Number(params.get("failed_offset")) || 0,
  };
}

function countChips(values) {
  const entries = Object.entries(values || {});
  if (!entries.length) return null;
  return h("ul", { class: "chips" }, entries.map(([name, value]) => h("li", { text: `${label(name)}: ${plainValue(value)}` })));
}

const RUN_COLUMNS = [
  { label: "Run", cell: (task) => [h("strong", { text: `#${task.id}` }), h("span", { class: "block", text: jobLabel(task.name) }), h("code", { class: "block small job-name", text: task.name, title: "The job's name in the API" })] },
  { label: "Trigger", cell: (task) => [label(task.trigger), task.attempt > 1 ? h("span", { class: "block small", text: `Attempt ${task.attempt}` }) : null] },
  { label: "Status", cell: (task) => badge(task.status) },
  { label: "Started", cell: (task) => timeAgo(task.started_at || task.created_at) },
  { label: "Took", class: "col-number", cell: (task) => (task.status === "running" ? "running…" : elapsed(task.duration_seconds)) },
  {
    label: "Counts",
    cell: (task) => [
      countChips(task.counts) || h("span", { class: "muted", text: EMPTY }),
      Object.keys(task.metrics || {}).length ? disclosure("Metrics", keyValues(Object.entries(task.metrics).map(([name, value]) => [label(name), plainValue(value)]))) : null,
      Object.keys(task.parameters || {}).length ? h("span", { class: "block small", text: `With ${plainValue(task.parameters)}` }) : null,
    ],
  },
  {
    label: "Error",
    class: "col-why",
    cell: (task) =>
      task.error
        ? [h("p", { class: "why error-text", text: task.error }), task.traceback ? disclosure("Traceback", h("pre", { class: "traceback", text: task.traceback })) : null]
        : h("span", { class: "muted", text: EMPTY }),
  },
];

function note(text) {
  return h("span", { class: "block small", text });
}

const FAILURE_COLUMNS = [
  { label: "When", cell: (failure) => timeAgo(failure.created_at) },
  { label: "Kind", cell: (failure) => badge("plain", label(failure.kind)) },
  { label: "What", class: "col-title", cell: (failure) => h("strong", { class: "break", text: failure.subject }) },
  { label: "Why", class: "col-why", cell: (failure) => h("p", { class: "why", text: failure.reason }) },
  {
    label: "Evidence",
    cell: (failure) => [
      Object.keys(failure.evidence || {}).length
        ? disclosure("Evidence", keyValues(Object.entries(failure.evidence).map(([name, value]) => [label(name), plainValue(value)])))
        : null,
      failure.wanted_book_id ? note(`Wanted book #${failure.wanted_book_id}`) : null,
      failure.download_id ? note(`Download #${failure.download_id}`) : null,
      failure.book_id ? note(`Book #${failure.book_id}`) : null,
      failure.task_id ? note(`Run #${failure.task_id}`) : null,
    ],
  },
];

function runFilters(state, update) {
  const options = [["", "Any"], ...Object.entries(JOB_LABELS)];
  const jobs = selectField({ label: "Job", name: "name", value: state.name, options, onChange: (name) => update({ name }) });
  return filterBar(
    jobs,
    selectField({ label: "Status", name: "status", value: state.status, options: [["", "Any"], ...TASK_STATUSES.map((s) => [s, label(s)])], onChange: (status) => update({ status }) }),
    selectField({ label: "Trigger", name: "trigger", value: state.trigger, options: [["", "Any"], ...TASK_TRIGGERS.map((t) => [t, label(t)])], onChange: (trigger) => update({ trigger }) }),
  );
}

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

export function render(root, { params, setParams }) {
  const state = readState(params);
  const runs = liveRegion();
  const failures = liveRegion();
  let running = false;
  const update = (change) => {
    Object.assign(state, change);
    if (!("offset" in change) && !("failed_offset" in change) && !("kind" in change)) state.offset = 0;
    setParams(state);
    if ("kind" in change || "failed_offset" in change) loadFailures();
    else loadRuns();
  };
  const runQuery = () => ({ name: state.name, status: state.status, trigger: state.trigger, limit: state.limit, offset: state.offset });
  const loadRuns = loader(
    runs,
    () => api.get("/api/scheduler/history", runQuery()),
    (page) => {
      running = page.items.some((task) => task.status === "running" || task.status === "pending");
      return [
        dataTable({ caption: "Job runs", columns: RUN_COLUMNS, rows: page.items, empty: "No runs match these filters." }),
        pager(page, { noun: "runs", onOffset: (offset) => update({ offset }), onLimit: (limit) => update({ limit }) }),
      ];
    },
  );
  const loadFailures = failuresLoader(failures, state, update);
  root.append(
    viewHeader("History", "What each job did and when: its counts, and its error when it failed."),
    runFilters(state, update),
    runs,
    h("h2", { text: "Failed attempts" }),
    h("p", { class: "intro", text: "Every failure of a download, import, search, sync or metadata check, with its evidence. Kept forever." }),
    filterBar(
      selectField({ label: "Kind", name: "kind", value: state.kind, options: [["", "Any"], ...FAILURE_KINDS.map((k) => [k, label(k)])], onChange: (kind) => update({ kind, failed_offset: 0 }) }),
    ),
    failures,
  );
  loadRuns();
  loadFailures();
  const timer = setInterval(() => {
    if (running && !document.hidden && !runs.querySelector("details[open]")) loadRuns({ quiet: true });
  }, REFRESH_SECONDS * 1000);
  return () => clearInterval(timer);
}
