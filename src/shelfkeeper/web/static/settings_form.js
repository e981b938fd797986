// The editable settings (GET/PATCH /api/settings), grouped as the *arr apps do, each group with Test and Save.
// Secrets are write-only: shown as "set"/"not set" with a field to replace them. A value the environment fixes,
// or one read at start-up only, is shown read-only with a note saying where to change it.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { label } from "./format.js";
import { EDITORS, choiceEditor } from "./settings_editors.js";
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

/** Why a setting cannot be changed here: the environment fixes it, or it is read at start-up only. */
function fixedReason(key, settings) {
  if (settings.environment.includes(key)) return `Set by the environment (${key.toUpperCase()}), which wins: change it there.`;
  if (settings.start_up_only.includes(key)) return `Read at start-up only: set ${key.toUpperCase()} in the environment or .env.`;
  return null;
}

/** One setting's input and how to read a change from it (``undefined``: unchanged). */
function control(key, settings) {
  const value = settings.values[key];
  const isSecret = key in settings.secrets;
  const disabled = fixedReason(key, settings) !== null;
  const common = { id: idOf(key), name: key, disabled, "aria-describedby": `${idOf(key)}-help` };
  if (isSecret) {
    const input = h("input", { ...common, type: "password", autocomplete: "new-password", placeholder: settings.secrets[key] ? "Enter a new value to replace it" : "Not set" });
    return { element: input, status: badge(settings.secrets[key] ? "yes" : "unknown", settings.secrets[key] ? "set" : "not set"), read: () => (input.value ? input.value : undefined) };
  }
  if (EDITORS[key]) return EDITORS[key](key, value, { disabled, choices: settings.choices ? settings.choices[key] : null });
  if (settings.choices && settings.choices[key]) return choiceEditor(key, value, settings.choices[key], common);
  if (typeof value === "boolean") {
    const input = h("input", { ...common, type: "checkbox", checked: value });
    return { element: input, read: () => (input.checked === value ? undefined : input.checked) };
  }
  if (typeof value === "number") {
    const input = h("input", { ...common, type: "number", step: "any", value: String(value) });
    return { element: input, read: () => (input.value === String(value) ? undefined : input.value === "" ? null : Number(input.value)) };
  }
  const shown = Array.isArray(value) ? value.join(", ") : value ?? "";
  const input = h("input", { ...common, type: "text", value: shown, spellcheck: "false" });
  return { element: input, read: () => (input.value.trim() === shown ? undefined : input.value.trim() === "" ? null : input.value.trim()) };
}

/** One setting: its name, its input, its one-line help, and a line for its validation error. */
export function settingField(key, settings, controls) {
  const made = control(key, settings);
  controls.set(key, made);
  const fixedNote = fixedReason(key, settings);
  const check = made.element.type === "checkbox";
  const name = h("code", { text: key });
  const heading = made.group
    ? h("span", { id: `${idOf(key)}-label`, class: "field-label" }, name)
    : h("label", { for: idOf(key), class: "field-label" }, name);
  const input = made.group ? h("div", { role: "group", "aria-labelledby": `${idOf(key)}-label`, class: "setting-group-input" }, made.element) : made.element;
  return h(
    "div",
    { class: `setting${check ? " setting-check" : ""}${made.group ? " setting-wide" : ""}`, dataset: { key } },
    heading,
    h("div", { class: "setting-input" }, input, made.status || null),
    h(
      "p",
      { id: `${idOf(key)}-help`, class: "setting-help small" },
      settings.descriptions[key] || "",
      fixedNote ? h("span", { class: "setting-fixed block", text: fixedNote }) : null,
    ),
    h("p", { class: "setting-error error-text small", role: "alert", hidden: true }),
  );
}

/** The changed settings among ``keys``: {key: new value}; a key fixed elsewhere is never sent. */
export function changesOf(keys, controls) {
  const changes = {};
  for (const key of keys) {
    const input = controls.get(key);
    if (!input || input.element.disabled) continue;
    const value = input.read();
    if (value !== undefined) changes[key] = value;
  }
  return changes;
}

/** Each error the API names a field of (422 details) under that field; a new answer clears the old ones. */
export function markErrors(section, error) {
  for (const line of section.querySelectorAll(".setting-error")) {
    line.hidden = true;
    line.textContent = "";
  }
  for (const input of section.querySelectorAll('[aria-invalid="true"]')) input.removeAttribute("aria-invalid");
  for (const item of (error && Array.isArray(error.details) ? error.details : [])) {
    const row = item.field && section.querySelector(`.setting[data-key="${CSS.escape(item.field)}"]`);
    if (!row) continue;
    const line = row.querySelector(".setting-error");
    line.textContent = item.message;
    line.hidden = false;
    row.querySelector("input, select")?.setAttribute("aria-invalid", "true");
  }
}

/** One sentence on a test: "qBittorrent: reachable, version v5.0.4." */
export function testSummary(service, result) {
  if (!result.configured) return `${label(service)}: not configured. ${result.last_error || ""}`.trim();
  const parts = [result.reachable ? "reachable" : "not reachable"];
  if (result.version) parts.push(`version ${result.version}`);
  if (result.auth_ok === false) parts.push("credentials refused");
  return `${label(service)}: ${parts.join(", ")}${result.last_error ? ` (${result.last_error})` : ""}.`;
}

function headingId(name) {
  return `group-${name.replaceAll(" ", "-")}`;
}

/**
 * One group of settings with its Test buttons (one per service, testing the values shown, saved or not) and Save.
 * ``keys`` narrows the group (the Schedules tab edits the schedules in a table of its own); ``extra`` is shown
 * under the fields and is given each saved answer (the naming example follows the library path).
 */
/**
 * @param {any} group
 * @param {any} settings
 * @param {{notify: any, onSaved: (answer: any) => void, keys?: string[], extra?: HTMLElement | null}} options
 */
function groupSection(group, settings, { notify, onSaved, keys = group.keys, extra = null }) {
  const controls = new Map();
  const feedback = h("div", { class: "feedback", "aria-live": "polite" });
  const section = h("section", { class: "settings-group", "aria-labelledby": headingId(group.name) });
  const tests = group.services.map((service) =>
    actionButton(
      `Test ${label(service)}`,
      async () => {
        markErrors(section, null);
        const changes = changesOf(keys, controls);
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
      const changes = changesOf(keys, controls);
      if (!Object.keys(changes).length) {
        fill(feedback, notice("Nothing changed."));
        return;
      }
      const saved = await api.patch("/api/settings", changes);
      notify(`${group.name}: saved and applied, no restart needed.`, "good");
      onSaved(saved);
    },
    { tone: "primary", onError: (error) => (markErrors(section, error), fill(feedback, errorNotice(error, `Save ${group.name}`))) },
  );
  return fill(
    section,
    h("h2", { id: headingId(group.name), text: group.name }),
    GROUP_INTROS[group.name] ? h("p", { class: "intro", text: GROUP_INTROS[group.name] }) : null,
    h("div", { class: "settings-fields" }, keys.map((key) => settingField(key, settings, controls))),
    extra,
    h("div", { class: "settings-actions" }, tests, save),
    feedback,
  );
}

/**
 * The group called ``name`` of ``settings`` (the answer of GET /api/settings) into ``region``; a save draws it
 * again from the server's answer and calls ``onSaved(answer)``.
 */
/**
 * @param {HTMLElement} region
 * @param {any} settings
 * @param {string} name
 * @param {{notify: any, onSaved?: (answer: any) => void, keys?: ((key: string) => boolean) | null,
 *   extra?: ((current: any) => HTMLElement | null) | null}} options
 */
export function groupView(region, settings, name, { notify, onSaved = () => {}, keys = null, extra = null }) {
  const draw = (current, saved) => {
    const group = current.groups.find((candidate) => candidate.name === name);
    if (!group) return fill(region, notice(`No settings group called ${name}.`, "warn"));
    const shown = keys ? group.keys.filter(keys) : group.keys;
    fill(
      region,
      shown.some((key) => current.environment.includes(key) && !current.start_up_only.includes(key))
        ? notice("Values set in the environment win over the page and are shown read-only.")
        : null,
      groupSection(group, current, {
        notify,
        keys: shown,
        extra: extra ? extra(current) : null,
        onSaved: (answer) => {
          draw(answer, true);
          onSaved(answer);
        },
      }),
    );
    const feedback = region.querySelector(".feedback");
    if (saved && feedback) fill(feedback, notice("Saved and applied without a restart.", "good"));
    return region;
  };
  return draw(settings, false);
}
