// Wanted: the books the library lacks, why each is wanted, and the person's say (approve, ignore, search, grab).

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { bytes, label, plainValue, reasonLabel } from "./format.js";
import {
  actionButton,
  badge,
  dataTable,
  disclosure,
  errorNotice,
  filterBar,
  filterUpdater,
  keyValues,
  liveRegion,
  loader,
  notice,
  pager,
  searchField,
  selectField,
  timeAgo,
  viewHeader,
} from "./widgets.js";
import { WANTED_REASONS, WANTED_STATUSES } from "./vocabulary.js";

const SORTS = [
  ["-created", "Newest first"],
  ["title", "Title"],
  ["author", "Author"],
  ["-priority", "Priority"],
  ["release_date", "Release date"],
  ["reason", "Reason"],
  ["status", "Status"],
  ["-last_searched", "Searched most recently"],
];

function readState(params) {
  const state = {};
  for (const name of ["q", "reason", "status", "approved", "series_id", "author_id"]) state[name] = params.get(name) || "";
  state.sort = params.get("sort") || "-created";
  state.limit = Number(params.get("limit")) || 25;
  state.offset = Number(params.get("offset")) || 0;
  return state;
}

function canApprove(book) {
  return !book.approved || book.status === "ignored" || book.status === "failed";
}

function canIgnore(book) {
  return book.status !== "ignored" && book.status !== "imported";
}

function bookCell(book) {
  return [
    h("strong", { text: book.title }),
    book.subtitle ? h("span", { class: "subtitle", text: book.subtitle }) : null,
    h("span", { class: "block", text: book.author_name || "Unknown author" }),
    book.series_name ? h("span", { class: "block small", text: `${book.series_name}${book.series_position ? ` #${book.series_position}` : ""}` }) : null,
    book.asin ? h("span", { class: "block small" }, "ASIN ", h("code", { text: book.asin })) : null,
  ];
}

function whyCell(book) {
  const evidence = Object.entries(book.evidence || {}).filter(([name]) => name !== "explanation");
  return [
    badge("plain", reasonLabel(book.reason)),
    h("p", { class: "why", text: book.explanation || "No explanation was recorded." }),
    h("span", { class: "small muted", text: `Listed by ${label(book.source)}` }),
    evidence.length ? disclosure("Evidence", keyValues(evidence.map(([name, value]) => [label(name), plainValue(value)]))) : null,
    book.flags.length ? h("span", { class: "block small", text: `Flags: ${book.flags.join(", ")}` }) : null,
  ];
}

function statusCell(book) {
  return [
    badge(book.status),
    book.approved ? null : h("span", { class: "block small attention", text: "Waits for your approval" }),
    book.upcoming ? h("span", { class: "block small", text: `Not released yet${book.release_date ? ` (${book.release_date.slice(0, 10)})` : ""}` }) : null,
    book.priority ? h("span", { class: "block small", text: `Priority ${book.priority}` }) : null,
  ];
}

function searchedCell(book) {
  if (!book.search_count) return h("span", { class: "muted", text: "Not searched yet" });
  return [h("span", { text: `${book.search_count} time${book.search_count === 1 ? "" : "s"}, last ` }), timeAgo(book.last_searched_at)];
}

/** The ranked releases of a manual search: score, verdict and every reason; accepted ones can be grabbed. */
function releasesPanel(book, result, { notify, refreshRow }) {
  const failures = result.sources.filter((source) => !source.ok);
  const list = h(
    "ol",
    { class: "releases" },
    result.releases.map((ranked) => {
      const release = ranked.release;
      const facts = [release.indexer, bytes(release.size_bytes), release.file_type, release.seeders !== null ? `${release.seeders} seeders` : null].filter(Boolean);
      return h(
        "li",
        { class: ranked.accepted ? "release accepted" : "release rejected" },
        h("p", {}, h("strong", { text: release.title }), " ", badge(ranked.accepted ? "ok" : "failed", ranked.accepted ? `Accepted, score ${ranked.score}` : "Rejected")),
        h("p", { class: "small", text: facts.join(" · ") }),
        h("ul", { class: "reasons" }, ranked.summary.map((line) => h("li", { text: line }))),
        ranked.accepted
          ? actionButton(
              "Grab this release",
              async () => {
                const download = await api.post("/api/downloads", { wanted_book_id: book.id, release });
                notify(`Sent “${download.release_title}” to qBittorrent.`);
                await refreshRow();
              },
              { tone: "primary", onError: (error) => list.before(errorNotice(error, "Grab")) },
            )
          : null,
      );
    }),
  );
  return h(
    "div",
    { class: "releases-panel" },
    h("p", {}, `${result.releases.length} releases found, ${result.accepted} accepted.`),
    failures.map((source) => errorNotice({ message: `${label(source.name)}: ${source.error}`, code: source.error_code })),
    result.releases.length ? list : null,
  );
}

function actionsCell(book, row, { notify }) {
  const act = (verb, done) => async () => {
    const updated = await api.post(`/api/wanted/${book.id}/${verb}`);
    row.replace(updated);
    notify(`${done} “${book.title}”.`);
  };
  const onError = (error) => row.showError(error);
  const panel = h("div", { class: "search-panel" });
  const refreshRow = async () => row.replace(await api.get(`/api/wanted/${book.id}`));
  const search = actionButton(
    "Search releases",
    async () => {
      fill(panel, h("p", { class: "loading", text: "Asking the indexers…" }));
      try {
        const result = await api.post("/api/downloads/search", { wanted_book_id: book.id });
        fill(panel, releasesPanel(book, result, { notify, refreshRow }));
      } catch (error) {
        fill(panel, errorNotice(error, "Search"));
      }
    },
    { onError },
  );
  return [
    h(
      "div",
      { class: "row-actions" },
      canApprove(book) ? actionButton("Approve", act("approve", "Approved"), { tone: "primary", onError }) : null,
      canIgnore(book) ? actionButton("Ignore", act("ignore", "Ignored"), { onError }) : null,
      ["wanted", "failed"].includes(book.status) ? search : null,
    ),
    panel,
  ];
}

function columns(context) {
  return [
    { label: "Book", class: "col-title", cell: bookCell },
    { label: "Why it is wanted", class: "col-why", cell: whyCell },
    { label: "Status", cell: statusCell },
    { label: "Searched", cell: searchedCell },
    { label: "Actions", class: "col-actions", cell: (book, row) => actionsCell(book, row, context) },
  ];
}

function scopeNote(state, update) {
  const scope = state.series_id ? ["series_id", `series ${state.series_id}`] : state.author_id ? ["author_id", `author ${state.author_id}`] : null;
  if (!scope) return null;
  const clear = h("button", { type: "button", class: "button button-quiet", text: "Show all" });
  clear.addEventListener("click", () => update({ [scope[0]]: "" }));
  return h("p", { class: "scope" }, `Only the wanted books of ${scope[1]}. `, clear);
}

export function render(root, { params, setParams, notify }) {
  const state = readState(params);
  const results = liveRegion();
  const scope = h("div");
  const update = filterUpdater(state, setParams, () => {
    fill(scope, scopeNote(state, update));
    load();
  });
  fill(scope, scopeNote(state, update));
  root.append(
    viewHeader("Wanted", "Books the library lacks, each with the reason it is wanted and who said so."),
    filterBar(
      searchField({ label: "Search", value: state.q, placeholder: "Title or author", onSearch: (q) => update({ q }) }),
      selectField({ label: "Reason", name: "reason", value: state.reason, options: [["", "Any"], ...WANTED_REASONS.map((r) => [r, reasonLabel(r)])], onChange: (reason) => update({ reason }) }),
      selectField({ label: "Status", name: "status", value: state.status, options: [["", "Any"], ...WANTED_STATUSES.map((s) => [s, label(s)])], onChange: (status) => update({ status }) }),
      selectField({
        label: "Approval",
        name: "approved",
        value: state.approved,
        options: [["", "Any"], ["false", "Waiting for approval"], ["true", "Approved"]],
        onChange: (approved) => update({ approved }),
      }),
      selectField({ label: "Sort", name: "sort", value: state.sort, options: SORTS, onChange: (sort) => update({ sort }) }),
    ),
    scope,
    results,
  );
  const table = columns({ notify });
  const load = loader(
    results,
    () => api.get("/api/wanted", state),
    (page) => [
      page.items.length ? dataTable({ caption: "Wanted books", columns: table, rows: page.items }) : notice("No wanted books match these filters."),
      pager(page, { noun: "wanted books", onOffset: (offset) => update({ offset }), onLimit: (limit) => update({ limit }) }),
    ],
  );
  load();
}
