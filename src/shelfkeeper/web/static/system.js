// System: the health checks, each outside service with its last check, and the log viewer with a level filter.
// Backups and the API key live under Settings › General.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { EMPTY, jobLabel, label } from "./format.js";
import { LOG_LEVELS } from "./vocabulary.js";
import { actionButton, badge, dataTable, errorNotice, liveRegion, loader, notice, selectField, timeAgo, viewHeader } from "./widgets.js";

const LEVELS = [...LOG_LEVELS];
const LEVEL_TONES = { DEBUG: "plain", INFO: "ok", WARNING: "paused", ERROR: "failed", CRITICAL: "failed" };

/** What a health problem is about, in words: a failing job by its name in words ("Library sync"), not its id. */
function problemSource(problem) {
  return problem.code === "job_failing" ? jobLabel(problem.source) : label(problem.source);
}

/** @param {any} health one HealthRead */
function healthReport(health) {
  const when = h("p", { class: "small muted" }, "Checked ", health.checked_at ? timeAgo(health.checked_at) : EMPTY);
  if (health.healthy) return [notice("Everything Shelfkeeper depends on answered as it should.", "good"), when];
  return [
    h(
      "ul",
      { class: "health-problems" },
      health.problems.map((problem) =>
        h(
          "li",
          { class: `notice notice-${problem.level === "error" ? "error" : "warn"}`, dataset: { code: problem.code } },
          h("strong", { text: `${problemSource(problem)}: `, title: problem.source }),
          problem.message,
          h("span", { class: "small block" }, "Code ", h("code", { text: problem.code }), " · how to fix it: ", h("code", { text: problem.doc })),
        ),
      ),
    ),
    when,
  ];
}

const SERVICE_COLUMNS = [
  { label: "Service", cell: (service) => h("strong", { text: label(service.name) }) },
  {
    label: "State",
    cell: (service) => {
      if (!service.configured) return badge("unknown", "Not configured");
      if (!service.checked) return badge("pending", "Not checked yet");
      if (!service.reachable) return badge("unreachable", "Unreachable");
      if (service.auth_ok === false) return badge("refused", "Credentials refused");
      return badge("ok", "Reachable");
    },
  },
  { label: "Version", cell: (service) => service.version || EMPTY },
  { label: "Last check", cell: (service) => timeAgo(service.checked_at) },
  {
    label: "Last error",
    class: "col-why",
    cell: (service) => (service.last_error ? [h("span", { class: "error-text", text: service.last_error }), " ", timeAgo(service.last_error_at)] : EMPTY),
  },
];

const LOG_COLUMNS = [
  { label: "Time", class: "col-number", cell: (record) => timeAgo(record.time) },
  { label: "Level", cell: (record) => badge(LEVEL_TONES[record.level] || "plain", record.level) },
  { label: "Source", cell: (record) => [h("code", { text: record.logger }), record.task_id ? h("span", { class: "small block", text: `run ${record.task_id}` }) : null] },
  {
    label: "Message",
    class: "col-why",
    cell: (record) => [h("span", { class: "break log-message", text: record.message }), record.exception ? h("details", {}, h("summary", { text: "Traceback" }), h("pre", { class: "traceback", text: record.exception })) : null],
  },
];

/**
 * @param {HTMLElement} root
 * @param {{params: URLSearchParams, setParams: (values: object) => void, notify: (message: string, tone?: string) => void}} context
 */
export function render(root, { params, setParams, notify }) {
  const chosen = params.get("level") || "";
  const state = { level: LEVELS.includes(chosen) ? chosen : "info", limit: params.get("limit") || "100" };
  const health = liveRegion("health");
  const services = liveRegion("services");
  const logs = liveRegion("logs");
  const loadHealth = loader(health, () => api.get("/api/system/health"), healthReport);
  const loadServices = loader(services, () => api.get("/api/system/integrations"), (list) => dataTable({ caption: "Outside services", columns: SERVICE_COLUMNS, rows: list }));
  const loadLogs = loader(
    logs,
    () => api.get("/api/system/logs", state),
    (answer) => [
      h("p", { class: "small muted", text: `${answer.items.length} ${answer.items.length === 1 ? "record" : "records"} at ${answer.level} or above, newest first (the server keeps the last ${answer.capacity} in memory; a restart empties them).` }),
      dataTable({ caption: "Log records", columns: LOG_COLUMNS, rows: answer.items, empty: `No record at ${answer.level} or above since the server started.` }),
    ],
  );
  const checkNow = actionButton(
    "Check now",
    async () => {
      const answer = await api.get("/api/system/health", { refresh: true });
      fill(health, healthReport(answer));
      notify(answer.healthy ? "Healthy." : `${answer.problems.length} problem(s) found.`, answer.healthy ? "good" : "warn");
    },
    { onError: (error) => fill(health, errorNotice(error, "Health check")) },
  );
  const testAll = actionButton(
    "Test all",
    async () => {
      const list = await api.get("/api/system/integrations", { check: true });
      fill(services, dataTable({ caption: "Outside services", columns: SERVICE_COLUMNS, rows: list }));
      notify(`Tested ${list.filter((service) => service.configured).length} configured services.`);
    },
    { onError: (error) => fill(services, errorNotice(error, "Test all")) },
  );
  const level = selectField({
    label: "Level",
    name: "level",
    value: state.level,
    options: LEVELS.map((name) => [name, `${label(name)} and above`]),
    onChange: (value) => {
      state.level = value;
      setParams(state);
      loadLogs();
    },
  });
  const limit = selectField({
    label: "Show",
    name: "limit",
    value: state.limit,
    options: ["50", "100", "200", "500", "1000"].map((n) => [n, `${n} newest`]),
    onChange: (value) => {
      state.limit = value;
      setParams(state);
      loadLogs();
    },
  });
  const refresh = actionButton("Refresh", () => loadLogs());
  root.append(
    viewHeader("System", "Is everything healthy, how each outside service answered last, and what the server logged."),
    h("section", { class: "system-section", "aria-labelledby": "health-heading" }, h("div", { class: "section-header" }, h("h2", { id: "health-heading", text: "Health" }), checkNow), health),
    h("section", { class: "system-section", "aria-labelledby": "services-heading" }, h("div", { class: "section-header" }, h("h2", { id: "services-heading", text: "Services" }), testAll), services),
    h("section", { class: "system-section", "aria-labelledby": "logs-heading" }, h("h2", { id: "logs-heading", text: "Logs" }), h("form", { class: "filters", onsubmit: (event) => event.preventDefault() }, level, limit, h("div", { class: "field" }, refresh)), logs),
    h(
      "section",
      { class: "system-section", "aria-labelledby": "upkeep-heading" },
      h("h2", { id: "upkeep-heading", text: "Backups and the API key" }),
      h("p", {}, "Making, downloading and restoring backups, and showing or rotating the API key, are in ", h("a", { href: "#/settings?section=general", text: "Settings › General" }), "."),
    ),
  );
  loadHealth();
  loadServices();
  loadLogs();
}
