// The page's shell: the API key prompt, hash routing between the views, and short notes after actions.

import { apiKey, whenUnauthorized } from "./api.js";
import { byId, h, fill } from "./dom.js";
import * as addBook from "./add_book.js";
import * as authors from "./authors.js";
import * as calendar from "./calendar.js";
import * as history from "./history.js";
import * as library from "./library.js";
import { indicator as liveIndicator } from "./live.js";
import * as metadata from "./metadata.js";
import * as queue from "./queue.js";
import * as series from "./series.js";
import * as settings from "./settings.js";
import * as stats from "./stats.js";
import * as system from "./system.js";
import * as tasks from "./tasks.js";
import * as tracker from "./tracker.js";
import * as wanted from "./wanted.js";
import * as wizard from "./wizard.js";

const VIEWS = {
  library: { title: "Library", module: library },
  series: { title: "Series", module: series },
  authors: { title: "Authors", module: authors },
  add: { title: "Add a book", module: addBook },
  calendar: { title: "Calendar", module: calendar },
  wanted: { title: "Wanted", module: wanted },
  queue: { title: "Queue", module: queue },
  history: { title: "History", module: history },
  tasks: { title: "Tasks", module: tasks },
  metadata: { title: "Metadata", module: metadata },
  tracker: { title: "MyAnonamouse", module: tracker },
  stats: { title: "Statistics", module: stats },
  system: { title: "System", module: system },
  settings: { title: "Settings", module: settings },
  setup: { title: "Setup", module: wizard },
};

const main = byId("main", HTMLElement);
const dialog = byId("key-dialog", HTMLDialogElement);
const keyForm = byId("key-form", HTMLFormElement);
const keyInput = byId("key-input", HTMLInputElement);
const keyProblem = byId("key-problem", HTMLElement);
const toast = byId("toast", HTMLElement);
let cleanup = null;
let toastTimer = null;
let firstRunChecked = false;

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
  for (const link of document.querySelectorAll("#nav a[data-view]")) {
    if (!(link instanceof HTMLAnchorElement)) continue;
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
  if (!firstRunChecked) {
    firstRunChecked = true; // a fresh install opens the setup wizard once per page load, until done or skipped
    wizard.needsWizard().then((needed) => needed && currentRoute().name !== "setup" && (window.location.hash = "#/setup"), () => (firstRunChecked = false));
  }
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

byId("forget-key", HTMLButtonElement).addEventListener("click", () => {
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

document.getElementById("forget-key")?.before(liveIndicator());
window.addEventListener("hashchange", () => show({ focus: true }));
show();
