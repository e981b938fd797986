// Metadata: how complete the library's metadata is, and every correction (old → new, source, confidence, why)
// with the person's say: approve or reject a pending one, revert an applied one.

import { api } from "./api.js";
import { h } from "./dom.js";
import { EMPTY, fieldValue, label, percent } from "./format.js";
import {
  actionButton,
  badge,
  dataTable,
  filterBar,
  filterUpdater,
  liveRegion,
  loader,
  notice,
  pager,
  progressBar,
  selectField,
  statCards,
  timeAgo,
  viewHeader,
} from "./widgets.js";

const STATUSES = ["pending", "applied", "reverted", "rejected", "dry_run"];
const FIELDS = ["title", "subtitle", "authors", "narrators", "series", "asin", "isbn", "publisher", "published_year", "language", "genres", "description"];
const SOURCES = ["google_books", "audnexus", "audible", "openlibrary"];

function readState(params) {
  return {
    // "all" in the address means every status; the API wants no status for that.
    status: params.get("status") || "pending",
    field: params.get("field") || "",
    source: params.get("source") || "",
    book_id: params.get("book_id") || "",
    sort: params.get("sort") || "-created",
    limit: Number(params.get("limit")) || 25,
    offset: Number(params.get("offset")) || 0,
  };
}

function query(state) {
  return { ...state, status: state.status === "all" ? "" : state.status };
}

function qualityCards(quality) {
  const shares = [
    ["ASIN", quality.with_asin],
    ["Series", quality.with_series],
    ["Narrator", quality.with_narrator],
    ["Cover", quality.with_cover],
    ["Description", quality.with_description],
  ];
  return [
    statCards([
      ["Books", quality.books],
      ["Average completeness", percent(quality.average_quality_score)],
      ["Waiting for review", quality.corrections.pending ?? 0],
      ["Applied", quality.corrections.applied ?? 0],
      ["Reverted", quality.corrections.reverted ?? 0],
    ]),
    h(
      "ul",
      { class: "share-list", "aria-label": "Books with each field" },
      shares.map(([name, share]) => h("li", {}, h("span", { class: "share-name", text: name }), progressBar(share.share, `Books with ${name}`), h("span", { class: "small", text: ` ${share.count}` }))),
    ),
  ];
}

function changeCell(correction) {
  return h(
    "div",
    { class: "change" },
    h("del", { "aria-label": "Old value", text: fieldValue(correction.old_value) }),
    h("span", { class: "arrow", "aria-hidden": "true", text: " → " }),
    h("ins", { "aria-label": "New value", text: fieldValue(correction.new_value) }),
  );
}

function statusCell(correction) {
  const when = correction.reverted_at || correction.applied_at || correction.created_at;
  return [badge(correction.status), h("span", { class: "block small" }, timeAgo(when))];
}

function actionsCell(correction, row, notify) {
  const onError = (error) => row.showError(error);
  const act = (text, verb, tone = "") =>
    actionButton(
      text,
      async () => {
        const updated = await api.post(`/api/metadata/corrections/${correction.id}/${verb}`);
        row.replace({ ...updated, book_title: correction.book_title });
        notify(`${label(correction.field)} of “${correction.book_title}”: ${label(updated.status).toLowerCase()}.`);
      },
      { tone, onError },
    );
  if (correction.status === "pending") return h("div", { class: "row-actions" }, act("Approve", "approve", "primary"), act("Reject", "reject"));
  if (correction.status === "applied") return h("div", { class: "row-actions" }, act("Revert", "revert", "danger"));
  return h("span", { class: "muted", text: EMPTY });
}

/** Corrections name their book by id; fetch each title once. */
async function withTitles(corrections, titles) {
  const missing = [...new Set(corrections.map((c) => c.book_id))].filter((id) => !titles.has(id));
  await Promise.all(
    missing.map((id) =>
      api
        .get(`/api/books/${id}`)
        .then((book) => titles.set(id, book.title))
        .catch(() => titles.set(id, `Book #${id}`)),
    ),
  );
  return corrections.map((c) => ({ ...c, book_title: titles.get(c.book_id) }));
}

function correctionColumns(notify) {
  return [
    { label: "Book", class: "col-title", cell: (c) => [h("strong", { text: c.book_title }), h("a", { class: "block small", href: `#/metadata?book_id=${c.book_id}&status=all`, text: "All its corrections" })] },
    { label: "Field", cell: (c) => label(c.field) },
    { label: "Change", class: "col-change", cell: changeCell },
    { label: "Source", cell: (c) => label(c.source) },
    { label: "Confidence", cell: (c) => progressBar(c.confidence, `Confidence of the ${c.field} change`) },
    { label: "Why", class: "col-why", cell: (c) => (c.reasons.length ? h("ul", { class: "reasons" }, c.reasons.map((reason) => h("li", { text: typeof reason === "string" ? reason : JSON.stringify(reason) }))) : EMPTY) },
    { label: "Status", cell: statusCell },
    { label: "Actions", class: "col-actions", cell: (c, row) => actionsCell(c, row, notify) },
  ];
}

function correctionFilters(state, update) {
  return filterBar(
    selectField({ label: "Status", name: "status", value: state.status, options: [...STATUSES.map((s) => [s, label(s)]), ["all", "Any"]], onChange: (status) => update({ status }) }),
    selectField({ label: "Field", name: "field", value: state.field, options: [["", "Any"], ...FIELDS.map((f) => [f, label(f)])], onChange: (field) => update({ field }) }),
    selectField({ label: "Source", name: "source", value: state.source, options: [["", "Any"], ...SOURCES.map((s) => [s, label(s)])], onChange: (source) => update({ source }) }),
    selectField({ label: "Sort", name: "sort", value: state.sort, options: [["-created", "Newest first"], ["-confidence", "Most confident first"], ["confidence", "Least confident first"]], onChange: (sort) => update({ sort }) }),
  );
}

/** "Only the corrections of book #7" with a way back to every book. */
function bookScope(state, update) {
  if (!state.book_id) return null;
  const note = h("p", { class: "scope" }, `Only the corrections of book #${state.book_id}. `);
  const clear = h("button", { type: "button", class: "button button-quiet", text: "Show every book" });
  clear.addEventListener("click", () => {
    note.remove();
    update({ book_id: "" });
  });
  note.append(clear);
  return note;
}

export function render(root, { params, setParams, notify }) {
  const state = readState(params);
  const titles = new Map();
  const quality = h("div", { class: "stats" });
  const results = liveRegion();
  const update = filterUpdater(state, setParams, () => load());
  const columns = correctionColumns(notify);
  root.append(
    viewHeader("Metadata", "Corrections from the metadata providers: what would change, from where, how sure, and why."),
    quality,
    correctionFilters(state, update),
    bookScope(state, update) || "",
    results,
  );
  loader(quality, () => api.get("/api/metadata/quality"), qualityCards)();
  const load = loader(
    results,
    async () => {
      const page = await api.get("/api/metadata/corrections", query(state));
      return { ...page, items: await withTitles(page.items, titles) };
    },
    (page) => [
      page.items.length ? dataTable({ caption: "Corrections", columns, rows: page.items }) : notice(state.status === "pending" ? "No corrections wait for review." : "No corrections match these filters."),
      pager(page, { noun: "corrections", onOffset: (offset) => update({ offset }), onLimit: (limit) => update({ limit }) }),
    ],
  );
  load();
}
