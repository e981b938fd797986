// The page's shell: the API key prompt, hash routing between the views, and short notes after actions.

import { apiKey, whenUnauthorized } from "./api.js";
import { h, fill } from "./dom.js";
import * as history from "./history.js";
import * as library from "./library.js";
import { indicator as liveIndicator } from "./live.js";
import * as metadata from "./metadata.js";
import * as queue from "./queue.js";
import * as series from "./series.js";
import * as settings from "./settings.js";
import * as tasks from "./tasks.js";
import * as wanted from "./wanted.js";

const VIEWS = {
  library: { title: "Library", module: library },
  series: { title: "Series", module: series },
  wanted: { title: "Wanted", module: wanted },
  queue: { title: "Queue", module: queue },
  history: { title: "History", module: history },
  tasks: { title: "Tasks", module: tasks },
  metadata: { title: "Metadata", module: metadata },
  settings: { title: "Settings", module: settings },
};

const main = document.getElementById("main");
const dialog = document.getElementById("key-dialog");
const keyForm = document.getElementById("key-form");
const keyInput = document.getElementById("key-input");
const keyProblem = document.getElementById("key-problem");
const toast = document.getElementById("toast");
let cleanup = null;
let toastTimer = null;

/** Where we are: "#/wanted?status=failed" -> {name: "wanted", params}. */
function currentRoute() {
  const raw = window.location.hash.replace(/^#\/?/, "");
  const [name, query = ""] = raw.split("?");
  return { name: name || "library", params: new URLSearchParams(query) };
}

/** Keep a view's filters in the address (bookmarkable, survives a reload) without rendering the view again. */
function setParams(values) {
  const { name } = currentRoute();
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const text = query.toString();
  window.history.replaceState(null, "", `#/${name}${text ? `?${text}` : ""}`);
}

/** A short note after an action ("Approved …"), read out by screen readers, gone after a few seconds. */
function notify(message, tone = "good") {
  clearTimeout(toastTimer);
  fill(toast, h("p", { class: `toast toast-${tone}`, text: message }));
  toastTimer = setTimeout(() => fill(toast), 6000);
}

function markNavigation(name) {
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function show({ focus = false } = {}) {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  if (!apiKey.get()) {
    fill(main, h("p", { class: "loading", text: "Waiting for the API key…" }));
    askForKey();
    return;
  }
  const { name, params } = currentRoute();
  const view = VIEWS[name];
  markNavigation(name);
  const root = h("div", { class: `view view-${name}` });
  fill(main, root);
  if (!view) {
    document.title = "Not found · Shelfkeeper";
    root.append(h("h1", { text: "No such page" }), h("p", {}, "Try the ", h("a", { href: "#/library", text: "library" }), "."));
    return;
  }
  document.title = `${view.title} · Shelfkeeper`;
  cleanup = view.module.render(root, { params, setParams, notify }) || null;
  if (focus) root.querySelector("h1")?.focus();
}

/** Ask for the key; ``problem`` says why we ask again (the API's own message). */
function askForKey(problem = "") {
  keyProblem.textContent = problem ? `${problem} Enter the key again.` : "";
  keyProblem.hidden = !problem;
  if (!dialog.open) {
    keyInput.value = "";
    dialog.showModal();
  }
  keyInput.focus();
}

keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (!key) {
    askForKey("The key is empty.");
    return;
  }
  apiKey.set(key);
  dialog.close();
  show({ focus: true });
});

// Without a key the page can show nothing, so Escape does not close the prompt.
dialog.addEventListener("cancel", (event) => {
  if (!apiKey.get()) event.preventDefault();
});

document.getElementById("forget-key").addEventListener("click", () => {
  apiKey.clear();
  show();
});

whenUnauthorized((error) => {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  fill(main, h("p", { class: "loading", text: "Waiting for the API key…" }));
  askForKey(error.message);
});

document.getElementById("forget-key").before(liveIndicator());
window.addEventListener("hashchange", () => show({ focus: true }));
show();
