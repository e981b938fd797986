// Settings: the system's state, each outside service with a Test button, and the settings, editable by group.

import { api, apiKey } from "./api.js";
import { byId, h, fill } from "./dom.js";
import { EMPTY, elapsed, label } from "./format.js";
import { settingsGroups } from "./settings_form.js";
import { actionButton, badge, dataTable, errorNotice, keyValues, liveRegion, loader, timeAgo, viewHeader } from "./widgets.js";

function yesNo(value, yes, no, unknown = "Not checked") {
  if (value === true) return badge("yes", yes);
  if (value === false) return badge("no", no);
  return badge("unknown", unknown);
}

function systemPanel(status) {
  const database = status.database || {};
  const scheduler = status.scheduler || {};
  const revision = database.revision === database.head ? database.revision : `${database.revision} (newest is ${database.head}: run shelfkeeper db upgrade)`;
  return [
    keyValues([
      ["Version", status.version],
      ["Python", status.python],
      ["Up for", elapsed(status.uptime_seconds)],
      ["Database", `${database.backend} · ${database.reachable ? "reachable" : `unreachable: ${database.error}`}`],
      ["Database address", database.url],
      ["Schema revision", revision || EMPTY],
      ["Scheduler", scheduler.is_leader ? "runs in this process" : scheduler.leader ? `runs in ${scheduler.leader}` : "not running here"],
    ]),
    status.configuration_notes && status.configuration_notes.length
      ? h("div", { class: "notice notice-warn" }, h("p", { text: "Configuration notes:" }), h("ul", {}, status.configuration_notes.map((text) => h("li", { text }))))
      : null,
  ];
}

function integrationColumns(notify) {
  return [
    { label: "Service", cell: (service) => h("strong", { text: label(service.name) }) },
    { label: "Configured", cell: (service) => (service.configured ? badge("yes", "Configured") : badge("no", "Not configured")) },
    { label: "Reachable", cell: (service) => (service.configured ? yesNo(service.checked ? service.reachable : null, "Reachable", "Unreachable") : h("span", { class: "muted", text: EMPTY })) },
    { label: "Credentials", cell: (service) => (service.auth_ok === null ? h("span", { class: "muted", text: EMPTY }) : yesNo(service.auth_ok, "Accepted", "Refused")) },
    { label: "Version", cell: (service) => service.version || EMPTY },
    { label: "Checked", cell: (service) => (service.checked_at ? timeAgo(service.checked_at) : h("span", { class: "muted", text: "Never" })) },
    {
      label: "Last error",
      class: "col-why",
      cell: (service) =>
        service.last_error
          ? [h("p", { class: "why error-text", text: service.last_error }), service.last_error_code ? h("code", { class: "small", text: service.last_error_code }) : null, service.last_error_at ? h("span", { class: "block small" }, timeAgo(service.last_error_at)) : null]
          : h("span", { class: "muted", text: EMPTY }),
    },
    { label: "Budget today", cell: (service) => (service.budget_limit ? `${service.budget_left} of ${service.budget_limit} left` : EMPTY) },
    {
      label: "Actions",
      class: "col-actions",
      cell: (service, row) =>
        actionButton(
          "Test",
          async () => {
            const checked = await api.post(`/api/system/integrations/${service.name}/test`);
            row.replace(checked);
            notify(`${label(service.name)}: ${checked.reachable ? "reachable" : "not reachable"}${checked.auth_ok === false ? ", credentials refused" : ""}.`, checked.reachable ? "good" : "warn");
          },
          { onError: (error) => row.showError(error), title: `Test ${label(service.name)} now` },
        ),
    },
  ];
}

function healthPanel(report) {
  if (!report.problems.length) {
    return h("p", { class: "notice notice-good", text: `No problems found (checked ${new Date(report.checked_at).toLocaleString()}).` });
  }
  return h(
    "ul",
    { class: "health-problems" },
    report.problems.map((problem) =>
      h(
        "li",
        { class: `notice ${problem.level === "error" ? "notice-error" : "notice-warn"}`, "data-code": problem.code },
        badge(problem.level === "error" ? "no" : "unknown", problem.level === "error" ? "Error" : "Warning"),
        " ",
        h("span", { text: problem.message }),
        " ",
        h("code", { class: "small", text: problem.doc }),
      ),
    ),
  );
}

function notificationTargets(targets, notify) {
  if (!targets.length) return h("p", { class: "muted", text: "No notification target: set NOTIFY_URLS (docs/notifications.md)." });
  const columns = [
    { label: "Target", cell: (target) => h("code", { text: target.target }) },
    { label: "Events", cell: (target) => (target.events ? target.events.join(", ") : "All") },
    { label: "State", cell: (target) => (target.failing ? badge("no", `Failing (${target.attempts})`) : badge("yes", "OK")) },
    { label: "Last error", class: "col-why", cell: (target) => target.last_error || EMPTY },
  ];
  const test = actionButton(
    "Send a test",
    async () => {
      const answers = await api.post("/api/system/notifications/test");
      const good = answers.filter((answer) => answer.ok).length;
      notify(`Test sent: ${good} of ${answers.length} targets accepted it.`, good === answers.length ? "good" : "warn");
    },
    { title: "Send a test notification to every target now" },
  );
  return [dataTable({ caption: "Notification targets", columns, rows: targets.map((t) => ({ ...t, id: t.target })) }), test];
}

export function render(root, { notify }) {
  const system = liveRegion();
  const services = liveRegion();
  const config = liveRegion();
  const health = liveRegion();
  const targets = liveRegion();
  const loadHealth = (refresh) => loader(health, () => api.get("/api/system/health", refresh ? { refresh: true } : {}), healthPanel)();
  const checkNow = actionButton("Check now", async () => loadHealth(true), { title: "Run every health check now" });
  const columns = integrationColumns(notify);
  const renderServices = (list) => dataTable({ caption: "Integrations", columns, rows: list.map((s) => ({ ...s, id: s.name })) });
  const loadServices = loader(services, () => api.get("/api/system/integrations"), renderServices);
  const testAll = actionButton(
    "Test all",
    async () => {
      const list = await api.get("/api/system/integrations", { check: true });
      fill(services, renderServices(list));
      notify(`Tested ${list.filter((s) => s.configured).length} configured services.`);
    },
    { onError: (error) => fill(services, errorNotice(error, "Test all")) },
  );
  const forget = h("button", { type: "button", class: "button", text: "Forget the key in this browser" });
  forget.addEventListener("click", () => byId("forget-key", HTMLButtonElement).click());
  root.append(
    viewHeader("Settings", "The system's state, the outside services Shelfkeeper talks to, and every setting, changed here without a restart."),
    h("div", { class: "section-header" }, h("h2", { text: "Health" }), checkNow),
    health,
    h("h2", { text: "System" }),
    system,
    h("div", { class: "section-header" }, h("h2", { text: "Integrations" }), testAll),
    h("p", { class: "intro", text: "Test asks the service now; the table otherwise shows the last result Shelfkeeper saw." }),
    services,
    h("h2", { text: "Notifications" }),
    targets,
    h("h2", { text: "Configuration" }),
    h("p", { class: "intro", text: "Each group is saved on its own and applied at once. Test checks a service with the values in its group, saved or not." }),
    config,
    h("h2", { text: "API key" }),
    h("p", { text: `This browser keeps the key${apiKey.get() ? "" : " (none yet)"}; the server keeps it in its data directory or API_KEY.` }),
    forget,
  );
  loader(system, () => api.get("/api/system/status"), systemPanel)();
  // The health check may ask every service: it starts once the integrations table is shown.
  loadServices().then(() => loadHealth(false));
  loader(targets, () => api.get("/api/system/notifications"), (list) => notificationTargets(list, notify))();
  const refresh = async () => {
    const settings = await api.get("/api/settings");
    settingsGroups(config, settings, {
      notify: (message, tone) => {
        notify(message, tone);
        loadServices({ quiet: true }); // a saved service shows as configured at once
      },
    });
  };
  refresh().catch((error) => fill(config, errorNotice(error)));
}
