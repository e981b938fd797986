// Add a book: search the providers' catalogues (every configured one at once), pick a result, want it.
// A book the library owns or the wanted list holds is marked so; wanting it anyway is refused by the API (409).

import { api } from "./api.js";
import { providerCover } from "./cover.js";
import { h, fill } from "./dom.js";
import { EMPTY, hoursMinutes, label } from "./format.js";
import { actionButton, badge, errorNotice, liveRegion, loader, notice, viewHeader } from "./widgets.js";

/** @param {any} book one CatalogueBookRead */
function facts(book) {
  const parts = [
    book.authors.length ? `by ${book.authors.join(", ")}` : null,
    book.narrators.length ? `read by ${book.narrators.join(", ")}` : null,
    book.series_name ? `${book.series_name}${book.series_position ? ` #${book.series_position}` : ""}` : null,
    book.published_year ? String(book.published_year) : null,
    book.duration_minutes ? hoursMinutes(book.duration_minutes * 60) : null,
    book.language || null,
    book.format_type ? label(book.format_type) : null,
  ];
  return parts.filter(Boolean).join(" · ") || EMPTY;
}

/**
 * What POST /api/wanted gets for a result: the book and the edition picked.
 * @param {any} book
 */
export function wantedBody(book) {
  return {
    title: book.title,
    subtitle: book.subtitle || undefined,
    authors: book.authors.slice(0, 20),
    series: book.series_name ? { name: book.series_name, position: book.series_position || undefined } : undefined,
    asin: book.asin || undefined,
    isbn: book.isbn || undefined,
    language: book.language || undefined,
    release_date: book.release_date || undefined,
    edition: {
      source: book.source,
      source_id: book.source_id,
      narrators: book.narrators.slice(0, 20),
      publisher: book.publisher || undefined,
      published_year: book.published_year || undefined,
      format_type: ["unabridged", "abridged", "dramatized"].includes(book.format_type) ? book.format_type : undefined,
      duration_minutes: book.duration_minutes ?? undefined,
      cover_url: book.cover_url && /^https?:\/\//.test(book.cover_url) ? book.cover_url : undefined,
    },
  };
}

/**
 * @param {{kind: string, id: number, detail: string}} held
 * @param {string} title
 */
function heldNote(held, title) {
  if (held.kind === "owned") {
    return h("p", { class: "held" }, badge("imported", "In the library"), " ", h("span", { class: "small", text: held.detail }));
  }
  return h("p", { class: "held" }, badge("wanted", "On the wanted list"), " ", h("a", { class: "small", href: `#/wanted?q=${encodeURIComponent(title)}`, text: held.detail }));
}

/**
 * One result with its "Want it" button (or why it cannot be wanted).
 * @param {any} book
 * @param {(message: string, tone?: string) => void} notify
 */
function resultCard(book, notify) {
  const feedback = h("div", { class: "card-feedback", "aria-live": "polite" });
  const actions = h("div", { class: "card-actions" });
  if (book.held) {
    actions.append(heldNote(book.held, book.title));
  } else {
    actions.append(
      actionButton(
        "Want it",
        async () => {
          const wanted = await api.post("/api/wanted", wantedBody(book));
          fill(actions, heldNote({ kind: "wanted", id: wanted.id, detail: `on the wanted list as ${wanted.title} (${wanted.status})` }, wanted.title));
          fill(feedback, notice(wanted.explanation || `${wanted.title} is on the wanted list.`, "good"));
          notify(`Wanted: ${wanted.title}.`);
        },
        { tone: "primary", onError: (error) => fill(feedback, errorNotice(error, `Want ${book.title}`)) },
      ),
    );
  }
  return h(
    "article",
    { class: "card catalogue-card", dataset: { source: book.source, id: book.source_id } },
    providerCover(book.cover_url, book.title),
    h(
      "div",
      { class: "catalogue-body" },
      h("h2", { class: "catalogue-title" }, book.title, book.subtitle ? h("span", { class: "subtitle", text: book.subtitle }) : null),
      h("p", { class: "small", text: facts(book) }),
      h("p", { class: "small muted" }, "From ", book.sources.map(label).join(", "), book.asin ? [" · ASIN ", h("code", { text: book.asin })] : null),
      actions,
      feedback,
    ),
  );
}

/** @param {any[]} providers one CatalogueProviderRead each */
function providerReport(providers) {
  const failed = providers.filter((provider) => provider.status !== "ok");
  return h(
    "div",
    { class: "provider-report" },
    h(
      "ul",
      { class: "chips provider-statuses", "aria-label": "Providers asked" },
      providers.map((provider) =>
        h("li", { dataset: { provider: provider.provider } }, badge(provider.status === "ok" ? "ok" : "failed", `${label(provider.provider)}: ${provider.status === "ok" ? `${provider.results} found` : label(provider.status)}`)),
      ),
    ),
    failed.map((provider) => errorNotice({ message: provider.error || `${label(provider.provider)} gave no answer.`, code: provider.error_code }, label(provider.provider))),
  );
}

/**
 * @param {HTMLElement} root
 * @param {{params: URLSearchParams, setParams: (values: object) => void, notify: (message: string, tone?: string) => void}} context
 */
export function render(root, { params, setParams, notify }) {
  const state = { q: params.get("q") || "", author: params.get("author") || "" };
  const results = liveRegion();
  const title = h("input", { type: "search", name: "q", id: "add-title", value: state.q, required: true, autocomplete: "off", maxlength: "300" });
  const author = h("input", { type: "search", name: "author", id: "add-author", value: state.author, autocomplete: "off", maxlength: "300" });
  const form = h(
    "form",
    { class: "filters add-book-form", role: "search" },
    h("div", { class: "field field-search" }, h("label", { class: "field-label", for: "add-title", text: "Title" }), title),
    h("div", { class: "field field-search" }, h("label", { class: "field-label", for: "add-author", text: "Author (optional)" }), author),
    h("div", { class: "field" }, h("button", { type: "submit", class: "button button-primary", text: "Search the providers" })),
  );
  const load = loader(
    results,
    () => api.get("/api/catalogue/search", state),
    (found) => [
      providerReport(found.providers),
      found.results.length
        ? h("div", { class: "cards catalogue-results" }, found.results.map((book) => resultCard(book, notify)))
        : notice(`No provider knows a book called “${found.query}”${found.author ? ` by ${found.author}` : ""}.`),
    ],
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    state.q = title.value.trim();
    state.author = author.value.trim();
    if (!state.q) {
      fill(results, notice("Type a title to search for.", "warn"));
      return;
    }
    setParams(state);
    load();
  });
  root.append(
    viewHeader("Add a book", "Search Google Books, Audible and Open Library, then want the edition you mean: Shelfkeeper searches the indexers for it."),
    form,
    results,
  );
  if (state.q) load();
  else fill(results, notice("Search by title, and by author to narrow it down."));
}
