// The first-run wizard (#/setup): Audiobookshelf, the download client, the indexers, the library folder and path
// mappings, each tested and saved like the Settings page does it, then the first library sync with its progress.
// Shown by itself on a fresh install (FIRST_RUN_WIZARD pending and Audiobookshelf not configured); once finished
// or skipped it is never shown again (the setting says so), and Settings > General opens it on request.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { elapsed, label } from "./format.js";
import { changesOf, markErrors, settingField, testSummary } from "./settings_form.js";
import { actionButton, badge, errorNotice, keyValues, notice } from "./widgets.js";

const SYNC_JOB = "library_sync_task";
const POLL_MS = 1000;
const FINISHED = ["success", "partial", "failed", "interrupted", "cancelled"];

const STEPS = [
  { id: "welcome", title: "Welcome" },
  {
    id: "audiobookshelf",
    title: "Audiobookshelf",
    intro: "The Audiobookshelf server whose library Shelfkeeper keeps complete: its address and an API token (Audiobookshelf: Settings > Users > your user > API token).",
    keys: ["abs_url", "abs_token", "abs_library_ids"],
    services: ["audiobookshelf"],
  },
  {
    id: "download",
    title: "Download client",
    intro: "The qBittorrent WebUI Shelfkeeper hands releases to (Transmission and Deluge are in Settings > Download clients).",
    keys: ["qb_host", "qb_port", "qb_username", "qb_password", "qb_category"],
    services: ["qbittorrent"],
  },
  {
    id: "indexers",
    title: "Indexers",
    intro: "Where releases are searched: Prowlarr (its address and API key) and MyAnonamouse (the mam_id session cookie). Either, both, or later.",
    keys: ["prowlarr_url", "prowlarr_api_key", "mam_id"],
    services: ["prowlarr", "mam"],
  },
  {
    id: "library",
    title: "Library folder",
    intro: "The folder of the Audiobookshelf library that imports go into, and how the download client's paths map to Shelfkeeper's (needed when they run in different containers).",
    keys: ["library_path", "remote_path_mappings", "import_mode"],
    services: [],
  },
  { id: "sync", title: "First sync" },
];

/** Whether the wizard should open by itself: not finished or skipped, and Audiobookshelf not configured yet. */
export async function needsWizard() {
  const settings = await api.get("/api/settings");
  return settings.values.first_run_wizard === "pending" && !(settings.values.abs_url && settings.secrets.abs_token);
}

function stepList(current) {
  return h(
    "ol",
    { class: "wizard-steps", "aria-label": "Steps" },
    STEPS.map((step, index) => h("li", { "aria-current": index === current ? "step" : null, class: index < current ? "done" : null, text: `${index + 1}. ${step.title}` })),
  );
}

/** Leave the wizard for good (``outcome``: "completed" or "skipped"), then go to the library. */
async function leave(outcome, notify) {
  await api.patch("/api/settings", { first_run_wizard: outcome });
  notify(outcome === "completed" ? "Setup done. Everything can be changed later in Settings." : "Setup skipped. Settings has every value; Settings > General opens the wizard again.", "good");
  window.location.hash = "#/library";
}

function settingsStep(step, settings, { body, next, notify }) {
  const controls = new Map();
  const feedback = h("div", { class: "feedback", "aria-live": "polite" });
  const form = h("section", { class: "settings-group wizard-form", "aria-labelledby": "wizard-step-title" });
  const onError = (prefix) => (error) => (markErrors(form, error), fill(feedback, errorNotice(error, prefix)));
  const tests = step.services.map((service) =>
    actionButton(
      `Test ${label(service)}`,
      async () => {
        markErrors(form, null);
        const changes = changesOf(step.keys, controls);
        const result = await api.post(`/api/system/integrations/${service}/test`, Object.keys(changes).length ? changes : undefined);
        fill(feedback, notice(testSummary(service, result), result.reachable && result.auth_ok !== false ? "good" : "warn"));
      },
      { onError: onError(`Test ${label(service)}`) },
    ),
  );
  const save = actionButton(
    "Save and continue",
    async () => {
      markErrors(form, null);
      const changes = changesOf(step.keys, controls);
      const saved = Object.keys(changes).length ? await api.patch("/api/settings", changes) : settings;
      if (Object.keys(changes).length) notify(`${step.title}: saved and applied.`, "good");
      next(saved);
    },
    { tone: "primary", onError: onError(`Save ${step.title}`) },
  );
  const later = h("button", { type: "button", class: "button button-quiet", text: "Not now, next step" });
  later.addEventListener("click", () => next(settings));
  fill(
    body,
    fill(
      form,
      h("h2", { id: "wizard-step-title", text: step.title }),
      h("p", { class: "intro", text: step.intro }),
      h("div", { class: "settings-fields" }, step.keys.map((key) => settingField(key, settings, controls))),
      h("div", { class: "settings-actions" }, tests, save, later),
      feedback,
    ),
  );
  /** @type {HTMLElement | null} */ (form.querySelector("input:not([disabled]), select:not([disabled])"))?.focus();
}

function taskProgress(task) {
  const done = FINISHED.includes(task.status);
  const counts = Object.entries(task.counts || {}).filter(([, value]) => typeof value === "number");
  return [
    h("p", {}, badge(task.status), " ", done ? `Finished in ${elapsed(task.duration_seconds)}.` : "Reading the Audiobookshelf library…"),
    done ? null : h("progress", { class: "wizard-progress", "aria-label": "First sync" }),
    counts.length ? keyValues(counts.map(([name, value]) => [label(name), String(value)])) : null,
    task.error ? h("p", { class: "error-text", text: task.error }) : null,
  ];
}

/** The last step: start the library sync, follow its Task until it ends, then finish. */
function syncStep({ body, notify, timers }) {
  const progress = h("div", { class: "sync-progress", "aria-live": "polite" });
  const finish = actionButton("Finish", () => leave("completed", notify), { tone: "primary", onError: (error) => fill(progress, errorNotice(error)) });
  const follow = async (taskId) => {
    const task = await api.get(`/api/scheduler/history/${taskId}`);
    fill(progress, taskProgress(task));
    if (!FINISHED.includes(task.status)) timers.poll = setTimeout(() => follow(taskId).catch((error) => fill(progress, errorNotice(error))), POLL_MS);
    else if (task.status === "success" || task.status === "partial") finish.focus();
  };
  const start = actionButton(
    "Start the first sync",
    async () => {
      let taskId;
      try {
        taskId = (await api.post(`/api/scheduler/trigger/${SYNC_JOB}`)).task_id;
      } catch (error) {
        if (/** @type {{code?: string}} */ (error).code !== "JOB_ALREADY_RUNNING") throw error;
        const running = await api.get("/api/scheduler/running");
        taskId = running.find((task) => task.name === SYNC_JOB)?.id;
        if (!taskId) throw error;
      }
      start.remove(); // one sync: from here the page follows it
      await follow(taskId);
    },
    { tone: "primary", onError: (error) => fill(progress, errorNotice(error, "First sync")) },
  );
  fill(
    body,
    h(
      "section",
      { class: "settings-group", "aria-labelledby": "wizard-step-title" },
      h("h2", { id: "wizard-step-title", text: "First sync" }),
      h("p", { class: "intro", text: "Shelfkeeper reads the Audiobookshelf library (books, series, authors) to find what is missing. It runs every 15 minutes from now on; the first one can start now." }),
      h("div", { class: "settings-actions" }, start, finish),
      progress,
    ),
  );
  start.focus();
}

function welcomeStep({ body, next }) {
  const begin = h("button", { type: "button", class: "button button-primary", text: "Start" });
  begin.addEventListener("click", () => next());
  fill(
    body,
    h(
      "section",
      { class: "settings-group", "aria-labelledby": "wizard-step-title" },
      h("h2", { id: "wizard-step-title", text: "Welcome to Shelfkeeper" }),
      h("p", { text: "A few steps connect Shelfkeeper to Audiobookshelf, a download client and your indexers, then read your library once. Each step is tested before it is saved, applied at once, and can be changed later in Settings." }),
      h("div", { class: "settings-actions" }, begin),
    ),
  );
  begin.focus();
}

export function render(root, { notify }) {
  /** @type {{poll: ReturnType<typeof setTimeout> | undefined}} */
  const timers = { poll: undefined };
  const steps = h("div", {});
  const body = h("div", { class: "wizard-body" });
  const skip = actionButton("Skip the wizard", () => leave("skipped", notify), { title: "Never show the wizard again", onError: (error) => fill(body, errorNotice(error)) });
  root.append(
    h("header", { class: "view-header" }, h("div", {}, h("h1", { text: "Set up Shelfkeeper", tabindex: "-1" }), h("p", { class: "intro", text: "First steps, in order; every step can be left for later." })), h("div", { class: "view-actions" }, skip)),
    steps,
    body,
  );
  let settings = null;
  const show = (index) => {
    clearTimeout(timers.poll);
    fill(steps, stepList(index));
    const step = STEPS[index];
    const next = (saved) => {
      if (saved) settings = saved;
      show(index + 1);
    };
    const back = index > 1 ? h("button", { type: "button", class: "button button-quiet wizard-back", text: `Back to ${STEPS[index - 1].title}` }) : null;
    back?.addEventListener("click", () => show(index - 1));
    if (step.id === "welcome") welcomeStep({ body, next });
    else if (step.id === "sync") syncStep({ body, notify, timers });
    else settingsStep(step, settings, { body, next, notify });
    if (back) body.append(back);
  };
  api
    .get("/api/settings")
    .then((answer) => {
      settings = answer;
      show(0);
    })
    .catch((error) => fill(body, errorNotice(error)));
  return () => clearTimeout(timers.poll);
}
