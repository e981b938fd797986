// The editable settings (GET/PATCH /api/settings), grouped as the *arr apps do, each group with Test and Save.
// Secrets are write-only: shown as "set"/"not set" with a field to replace them. A value the environment fixes,
// or one read at start-up only, is shown read-only with a note saying where to change it.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { label } from "./format.js";
import { actionButton, badge, errorNotice, notice } from "./widgets.js";

const GROUP_INTROS = {
  "Media management": "The Audiobookshelf server, the library folder imports go into, and how download paths map to it.",
  Profiles: "What a good release is (formats, bitrate, size, words, narrators, seeders) and what is wanted and grabbed.",
  Indexers: "Where releases are searched: Prowlarr and MyAnonamouse.",
  "Download clients": "qBittorrent, and when a download is retried or given up.",
  Metadata: "The metadata sources and the confidence at which a correction applies by itself or waits for review.",
  Connect: "Where notifications go (Apprise URLs, comma-separated; write-only: they often hold a token).",
  Schedules: "When each job runs (five-field cron in the time zone of General), and how long history is kept.",
  General: "Time zone, logging and what is read only when Shelfkeeper starts.",
};

function idOf(key) {
  return `setting-${key}`;
}

/** One setting's input and how to read a change from it (``undefined``: unchanged). */
function control(key, settings) {
  const value = settings.values[key];
  const isSecret = key in settings.secrets;
  const fixedBy = settings.environment.includes(key) ? "environment" : settings.start_up_only.includes(key) ? "start-up" : null;
  const common = { id: idOf(key), name: key, disabled: fixedBy !== null, "aria-describedby": `${idOf(key)}-help` };
  if (isSecret) {
    const input = h("input", { ...common, type: "password", autocomplete: "new-password", placeholder: settings.secrets[key] ? "Enter a new value to replace it" : "Not set" });
    return { input, status: badge(settings.secrets[key] ? "yes" : "unknown", settings.secrets[key] ? "set" : "not set"), read: () => (input.value ? input.value : undefined) };
  }
  if (typeof value === "boolean") {
    const input = h("input", { ...common, type: "checkbox", checked: value });
    return { input, read: () => (input.checked === value ? undefined : input.checked) };
  }
  if (typeof value === "number") {
    const input = h("input", { ...common, type: "number", step: "any", value: String(value) });
    return { input, read: () => (input.value === String(value) ? undefined : input.value === "" ? null : Number(input.value)) };
  }
  const shown = Array.isArray(value) ? value.join(", ") : value ?? "";
  const input = h("input", { ...common, type: "text", value: shown, spellcheck: "false" });
  return { input, read: () => (input.value.trim() === shown ? undefined : input.value.trim() === "" ? null : input.value.trim()) };
}

function fieldRow(key, settings, controls) {
  const made = control(key, settings);
  controls.set(key, made);
  const fixedNote = settings.environment.includes(key)
    ? `Set by the environment (${key.toUpperCase()}), which wins: change it there.`
    : settings.start_up_only.includes(key)
      ? `Read at start-up only: set ${key.toUpperCase()} in the environment or .env.`
      : null;
  const check = made.input.type === "checkbox";
  return h(
    "div",
    { class: `setting${check ? " setting-check" : ""}`, dataset: { key } },
    h("label", { for: idOf(key), class: "field-label" }, h("code", { text: key })),
    h("div", { class: "setting-input" }, made.input, made.status || null),
    h(
      "p",
      { id: `${idOf(key)}-help`, class: "setting-help small" },
      settings.descriptions[key] || "",
      fixedNote ? h("span", { class: "setting-fixed block", text: fixedNote }) : null,
    ),
    h("p", { class: "setting-error error-text small", role: "alert", hidden: true }),
  );
}

function changesOf(keys, controls) {
  const changes = {};
  for (const key of keys) {
    const entry = controls.get(key);
    if (!entry || entry.input.disabled) continue;
    const value = entry.read();
    if (value !== undefined) changes[key] = value;
  }
  return changes;
}

function markErrors(section, error) {
  for (const line of section.querySelectorAll(".setting-error")) {
    line.hidden = true;
    line.textContent = "";
  }
  for (const item of (error && Array.isArray(error.details) ? error.details : [])) {
    const row = item.field && section.querySelector(`.setting[data-key="${CSS.escape(item.field)}"]`);
    if (!row) continue;
    const line = row.querySelector(".setting-error");
    line.textContent = item.message;
    line.hidden = false;
    row.querySelector("input")?.setAttribute("aria-invalid", "true");
  }
}

function testSummary(service, result) {
  if (!result.configured) return `${label(service)}: not configured. ${result.last_error || ""}`.trim();
  const parts = [result.reachable ? "reachable" : "not reachable"];
  if (result.version) parts.push(`version ${result.version}`);
  if (result.auth_ok === false) parts.push("credentials refused");
  return `${label(service)}: ${parts.join(", ")}${result.last_error ? ` (${result.last_error})` : ""}.`;
}

function groupSection(group, settings, { notify, onSaved }) {
  const controls = new Map();
  const feedback = h("div", { class: "feedback", "aria-live": "polite" });
  const section = h("section", { class: "settings-group", "aria-labelledby": `group-${group.name.replaceAll(" ", "-")}` });
  const tests = group.services.map((service) =>
    actionButton(
      `Test ${label(service)}`,
      async () => {
        markErrors(section, null);
        const changes = changesOf(group.keys, controls);
        const result = await api.post(`/api/system/integrations/${service}/test`, Object.keys(changes).length ? changes : undefined);
        fill(feedback, notice(testSummary(service, result), result.reachable && result.auth_ok !== false ? "good" : "warn"));
      },
      { onError: (error) => (markErrors(section, error), fill(feedback, errorNotice(error, `Test ${label(service)}`))) },
    ),
  );
  const save = actionButton(
    "Save",
    async () => {
      markErrors(section, null);
      const changes = changesOf(group.keys, controls);
      if (!Object.keys(changes).length) {
        fill(feedback, notice("Nothing changed."));
        return;
      }
      const saved = await api.patch("/api/settings", changes);
      notify(`${group.name}: saved and applied, no restart needed.`, "good");
      onSaved(saved, group.name);
    },
    { tone: "primary", onError: (error) => (markErrors(section, error), fill(feedback, errorNotice(error, `Save ${group.name}`))) },
  );
  return fill(
    section,
    h("h3", { id: `group-${group.name.replaceAll(" ", "-")}`, text: group.name }),
    GROUP_INTROS[group.name] ? h("p", { class: "intro", text: GROUP_INTROS[group.name] }) : null,
    h("div", { class: "settings-fields" }, group.keys.map((key) => fieldRow(key, settings, controls))),
    h("div", { class: "settings-actions" }, tests, save),
    feedback,
  );
}

/** The groups of ``settings`` (the answer of GET /api/settings) into ``region``; a save re-renders them. */
export function settingsGroups(region, settings, { notify }) {
  /** @param {any} current @param {string | null} [savedGroup] */
  const render = (current, savedGroup = null) => {
    fill(
      region,
      current.environment.some((key) => !current.start_up_only.includes(key))
        ? notice("Values set in the environment win over the page and are shown read-only.")
        : null,
      current.groups.map((group) => groupSection(group, current, { notify, onSaved: (saved, name) => render(saved, name) })),
    );
    if (savedGroup) {
      const heading = region.querySelector(`#group-${savedGroup.replaceAll(" ", "-")}`);
      const feedback = heading && heading.parentElement.querySelector(".feedback");
      if (feedback) fill(feedback, notice("Saved and applied without a restart.", "good"));
    }
  };
  render(settings);
}
