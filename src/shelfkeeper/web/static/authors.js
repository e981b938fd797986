// Authors: the monitored authors, how much of each catalogue the library owns, the missing books, "complete now".

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { EMPTY, day, percent } from "./format.js";
import { completeNowButton } from "./series.js";
import { badge, filterBar, filterUpdater, liveRegion, loader, monitorButton, monitoredField, notice, pager, progressBar, searchField, timeAgo, viewHeader } from "./widgets.js";

/** @param {URLSearchParams} params */
function readState(params) {
  return {
    q: params.get("q") || "",
    monitored: params.get("monitored") || "",
    limit: Number(params.get("limit")) || 25,
    offset: Number(params.get("offset")) || 0,
  };
}

/** @param {any} entry one AuthorCompletion */
function completionText(entry) {
  if (!entry.known_catalogue_size) return "Catalogue not read yet";
  const share = entry.completion === null || entry.completion === undefined ? "" : ` (${percent(entry.completion)})`;
  return `${entry.owned_books} of ${entry.known_catalogue_size} owned${share}`;
}

/** @param {any} book one WantedRead */
function missingItem(book) {
  const when = book.release_date ? ` · ${book.upcoming ? "comes out" : "came out"} ${day(book.release_date)}` : "";
  return h(
    "li",
    { dataset: { id: book.id } },
    h("strong", { text: book.title }),
    book.series_name ? h("span", { class: "muted", text: ` — ${book.series_name}${book.series_position ? ` #${book.series_position}` : ""}` }) : null,
    " ",
    badge(book.status),
    h("span", { class: "small muted", text: when }),
  );
}

/**
 * The author's books on the wanted list, read when the list is opened.
 * @param {any} entry
 */
function missingBooks(entry) {
  const list = h("div", { class: "missing-books" });
  const details = h("details", { class: "author-missing" }, h("summary", { text: `Missing books (${entry.missing})` }), list);
  let loaded = false;
  details.addEventListener("toggle", () => {
    if (!details.open || loaded) return;
    loaded = true;
    loader(
      list,
      () => api.get(`/api/authors/${entry.id}/missing`, { limit: 100 }),
      (page) =>
        page.items.length
          ? [
              h("ul", { class: "found-list" }, page.items.map(missingItem)),
              page.total > page.items.length ? h("p", { class: "small", text: `${page.items.length} of ${page.total} shown.` }) : null,
              h("a", { class: "small", href: `#/wanted?author_id=${entry.id}`, text: "All of them on the wanted list" }),
            ]
          : notice("Nothing of this author is missing."),
    )();
  });
  return details;
}

/**
 * One author's card.
 * @param {any} entry one AuthorCompletion
 * @param {{notify: (message: string, tone?: string) => void}} context
 * @returns {HTMLElement}
 */
function authorCard(entry, { notify }) {
  const feedback = h("div", { class: "card-feedback", "aria-live": "polite" });
  const card = h("article", { class: "card author-card", dataset: { id: entry.id } });
  const complete = completeNowButton({
    name: entry.name,
    searching: `Reading ${entry.name}'s catalogue at the providers…`,
    path: `/api/authors/${entry.id}/discover`,
    notify,
    feedback,
  });
  const monitor = monitorButton({
    name: entry.name,
    monitored: entry.monitored,
    toggle: (action) => api.post(`/api/authors/${entry.id}/${action}`),
    rebuild: (monitored) => card.replaceWith(authorCard({ ...entry, monitored }, { notify })),
    notify,
    feedback,
  });
  const facts = [
    ["Missing", entry.missing],
    ["Upcoming", entry.upcoming],
    ["Ignored", entry.ignored],
  ];
  fill(
    card,
    h("header", { class: "card-header" }, h("h2", { text: entry.name }), entry.monitored ? badge("scheduled", "Monitored") : badge("paused", "Not monitored")),
    h("p", { class: "completion" }, progressBar(entry.completion ?? 0, `${entry.name} catalogue owned`), h("span", { text: completionText(entry) })),
    h("dl", { class: "author-facts" }, facts.map(([name, value]) => h("div", {}, h("dt", { text: String(name) }), h("dd", { text: String(value) })))),
    h("p", { class: "small muted" }, "Catalogue last read ", entry.last_catalogue_check_at ? timeAgo(entry.last_catalogue_check_at) : EMPTY),
    entry.missing ? missingBooks(entry) : null,
    h("div", { class: "card-actions" }, complete, monitor),
    feedback,
  );
  return card;
}

/**
 * @param {HTMLElement} root
 * @param {{params: URLSearchParams, setParams: (values: object) => void, notify: (message: string, tone?: string) => void}} context
 */
export function render(root, { params, setParams, notify }) {
  const state = readState(params);
  const totals = h("p", { class: "summary", text: " " });
  const results = liveRegion();
  const update = filterUpdater(state, setParams, () => load());
  root.append(
    viewHeader("Authors", "Each author's catalogue: the books you own, the ones missing, and whether Shelfkeeper follows them.", h("a", { class: "button", href: "#/add", text: "Add a book" })),
    totals,
    filterBar(
      searchField({ label: "Search", value: state.q, placeholder: "Author's name", onSearch: (q) => update({ q }) }),
      monitoredField(state.monitored, (monitored) => update({ monitored })),
    ),
    results,
  );
  const load = loader(
    results,
    () => api.get("/api/authors/completion-summary", state),
    (summary) => {
      const missing = summary.items.reduce((sum, entry) => sum + entry.missing, 0);
      totals.textContent = `${summary.total} ${summary.total === 1 ? "author" : "authors"} · ${missing} missing ${missing === 1 ? "book" : "books"} among those shown.`;
      return [
        summary.items.length ? h("div", { class: "cards" }, summary.items.map((entry) => authorCard(entry, { notify }))) : notice("No authors match these filters."),
        pager(summary, { noun: "authors", onOffset: (offset) => update({ offset }), onLimit: (limit) => update({ limit }) }),
      ];
    },
  );
  load();
}
