// Library: every book, searched, filtered, sorted and paged.

import { api } from "./api.js";
import { bookCover } from "./cover.js";
import { h, fill } from "./dom.js";
import { EMPTY, label, hoursMinutes, percent } from "./format.js";
import { badge, dataTable, errorNotice, filterBar, filterUpdater, liveRegion, loader, pager, searchField, selectField, viewHeader } from "./widgets.js";

const SORTS = [
  ["title", "Title, A–Z"],
  ["-title", "Title, Z–A"],
  ["author", "Author"],
  ["-created", "Newest in Shelfkeeper"],
  ["-added", "Newest in Audiobookshelf"],
  ["-year", "Year, newest first"],
  ["year", "Year, oldest first"],
  ["-duration", "Longest first"],
  ["quality", "Metadata quality, worst first"],
  ["-quality", "Metadata quality, best first"],
];
const METADATA_STATUSES = ["unchecked", "ok", "corrected", "needs_review", "no_match"];

const COLUMNS = [
  { label: "Cover", class: "col-cover", cell: (book) => bookCover(book) },
  {
    label: "Title",
    class: "col-title",
    cell: (book) => [h("strong", { text: book.title }), book.subtitle ? h("span", { class: "subtitle", text: book.subtitle }) : null],
  },
  { label: "Author", cell: (book) => book.authors.map((author) => author.name).join(", ") || EMPTY },
  {
    label: "Series",
    cell: (book) =>
      book.series.length
        ? book.series.map((entry) => (entry.position ? `${entry.name} #${entry.position}` : entry.name)).join("; ")
        : EMPTY,
  },
  { label: "Narrator", cell: (book) => book.narrators.join(", ") || EMPTY },
  { label: "Year", class: "col-number", cell: (book) => (book.published_year ? String(book.published_year) : EMPTY) },
  { label: "Language", cell: (book) => book.language || EMPTY },
  { label: "Length", class: "col-number", cell: (book) => hoursMinutes(book.duration_seconds) },
  { label: "ASIN", cell: (book) => (book.asin ? h("code", { text: book.asin }) : h("span", { class: "muted", text: "none" })) },
  {
    label: "Metadata",
    cell: (book) => [
      badge(book.metadata_status),
      book.quality_score !== null ? h("span", { class: "small", text: ` ${percent(book.quality_score)} complete` }) : null,
      h("a", { class: "small block", href: `#/metadata?book_id=${book.id}&status=all`, text: "Corrections" }),
      book.in_library ? null : h("span", { class: "small block", text: "Removed from Audiobookshelf" }),
    ],
  },
];

function readState(params) {
  return {
    q: params.get("q") || "",
    language: params.get("language") || "",
    has_asin: params.get("has_asin") || "",
    metadata_status: params.get("metadata_status") || "",
    sort: params.get("sort") || "title",
    limit: Number(params.get("limit")) || 25,
    offset: Number(params.get("offset")) || 0,
  };
}

function summary(stats) {
  const hours = Math.round(stats.total_duration_hours).toLocaleString();
  return `${stats.in_library.toLocaleString()} books in the library · ${hours} hours · ${stats.with_asin.toLocaleString()} with an ASIN · ${stats.authors.toLocaleString()} authors · ${stats.series.toLocaleString()} series`;
}

/** The library's totals in one line, and its languages (with their counts) into the language filter. */
function showTotals(statsLine, languages, chosen) {
  api
    .get("/api/books/stats")
    .then((stats) => {
      statsLine.textContent = summary(stats);
      const select = languages.querySelector("select");
      for (const [language, count] of Object.entries(stats.by_language)) {
        if (language !== chosen) select.append(h("option", { value: language, text: `${language} (${count})` }));
      }
    })
    .catch((error) => fill(statsLine, errorNotice(error, "Library totals")));
}

function libraryFilters(state, update, languages) {
  return filterBar(
    searchField({ label: "Search", value: state.q, placeholder: "Title, author, narrator, series", onSearch: (q) => update({ q }) }),
    languages,
    selectField({
      label: "ASIN",
      name: "has_asin",
      value: state.has_asin,
      options: [["", "Any"], ["true", "Has an ASIN"], ["false", "No ASIN"]],
      onChange: (has_asin) => update({ has_asin }),
    }),
    selectField({
      label: "Metadata",
      name: "metadata_status",
      value: state.metadata_status,
      options: [["", "Any"], ...METADATA_STATUSES.map((status) => [status, label(status)])],
      onChange: (metadata_status) => update({ metadata_status }),
    }),
    selectField({ label: "Sort", name: "sort", value: state.sort, options: SORTS, onChange: (sort) => update({ sort }) }),
  );
}

export function render(root, { params, setParams }) {
  const state = readState(params);
  const statsLine = h("p", { class: "summary", text: " " });
  const results = liveRegion();
  const update = filterUpdater(state, setParams, () => load());
  const languages = selectField({ label: "Language", name: "language", value: state.language, options: [["", "Any"]], onChange: (language) => update({ language }) });
  root.append(viewHeader("Library", "Every book Shelfkeeper knows from Audiobookshelf."), statsLine, libraryFilters(state, update, languages), results);
  const load = loader(
    results,
    () => api.get("/api/books", state),
    (page) => [
      dataTable({ caption: "Books", columns: COLUMNS, rows: page.items, empty: "No books match these filters." }),
      pager(page, { noun: "books", onOffset: (offset) => update({ offset }), onLimit: (limit) => update({ limit }) }),
    ],
  );
  showTotals(statsLine, languages, state.language);
  load();
}
