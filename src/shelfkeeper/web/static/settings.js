// Settings, in tabs as the *arr apps have them: each group of settings with Test and Save, General's API key and
// backups, the job schedules in words, and the system's state with each outside service's Test button.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { EMPTY, elapsed, label } from "./format.js";
import { groupView } from "./settings_form.js";
import { apiKeyPanel, backupsPanel } from "./settings_general.js";
import { schedulesTable } from "./settings_schedules.js";
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
  if (!targets.length) return h("p", { class: "muted", text: "No notification target yet: add one in notify_urls above (docs/notifications.md)." });
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

// The tabs, laid out as the *arr apps' settings; the address keeps the one shown (#/settings?section=profiles).
const SECTIONS = [
  ["media", "Media management"],
  ["profiles", "Profiles"],
  ["indexers", "Indexers"],
  ["download", "Download clients"],
  ["metadata", "Metadata"],
  ["connect", "Connect"],
  ["general", "General"],
  ["schedules", "Schedules"],
  ["status", "Status"],
];

function sectionNav(current) {
  return h(
    "nav",
    { class: "settings-tabs", "aria-label": "Settings sections" },
    h(
      "ul",
      {},
      SECTIONS.map(([id, title]) => h("li", {}, h("a", { href: `#/settings?section=${id}`, "aria-current": id === current ? "page" : null, text: title }))),
    ),
  );
}

/** Where imports go with the library path in force: the layout Audiobookshelf reads, on two example books. */
function namingExample() {
  const region = h("div", { class: "naming-example" });
  loader(region, () => api.get("/api/system/naming"), (answer) => [
    h("p", { class: "field-label", text: "Folder layout (Audiobookshelf's): an example" }),
    h("ul", { class: "plain-list" }, answer.examples.map((path) => h("li", {}, h("code", { text: path })))),
  ])();
  return region;
}

/** Health, the system, the integrations with their Test buttons: what was the whole Settings page before. */
function statusSection(region, notify) {
  const system = liveRegion();
  const services = liveRegion();
  const health = liveRegion();
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
  fill(
    region,
    h("div", { class: "section-header" }, h("h2", { text: "Health" }), checkNow),
    health,
    h("h2", { text: "System" }),
    system,
    h("div", { class: "section-header" }, h("h2", { text: "Integrations" }), testAll),
    h("p", { class: "intro", text: "Test asks the service now; the table otherwise shows the last result Shelfkeeper saw." }),
    services,
  );
  loader(system, () => api.get("/api/system/status"), systemPanel)();
  // The health check may ask every service: it starts once the integrations table is shown.
  loadServices().then(() => loadHealth(false));
}

/** One tab of settings: the group of that name, and what goes with it. */
function settingsSection(region, section, notify) {
  const title = (SECTIONS.find(([id]) => id === section) || [section, section])[1];
  const group = h("div", {});
  const after = h("div", {});
  fill(region, group, after);
  const extras = {
    media: { extra: () => namingExample() },
    schedules: { keys: (key) => !key.startsWith("schedule_") },
  };
  api
    .get("/api/settings")
    .then((settings) => groupView(group, settings, title, { notify, ...(extras[section] || {}) }))
    .catch((error) => fill(group, errorNotice(error)));
  if (section === "connect") {
    const targets = liveRegion();
    fill(after, h("h2", { text: "Notification targets" }), targets);
    loader(targets, () => api.get("/api/system/notifications"), (list) => notificationTargets(list, notify))();
  } else if (section === "general") {
    fill(
      after,
      apiKeyPanel({ notify }),
      backupsPanel({ notify }),
      h("p", {}, "First steps again? ", h("a", { href: "#/setup", text: "Open the setup wizard" }), "."),
    );
  } else if (section === "schedules") {
    schedulesTable(after, { notify });
  }
}

export function render(root, { notify, params }) {
  const asked = params.get("section");
  const section = SECTIONS.some(([id]) => id === asked) ? asked : "media";
  const region = h("div", { class: "settings-section" });
  root.append(
    viewHeader("Settings", "Every setting, changed here and applied at once without a restart. Test checks a service with the values shown, saved or not."),
    h("div", { class: "settings-layout" }, sectionNav(section), region),
  );
  if (section === "status") statusSection(region, notify);
  else settingsSection(region, section, notify);
}
