// Metadata: how complete the library's metadata is, and the corrections one card per book: every changed field
// before and after, one list of the reasons, and the person's say: approve or reject (one field, a book, or every
// book selected), revert an applied one. Every action reloads the counters it changed.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { EMPTY, fieldValue, label, percent } from "./format.js";
import {
  actionButton,
  badge,
  dataTable,
  errorNotice,
  filterBar,
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
    status: params.get("status") || "pending", // "all": every status
    field: params.get("field") || "",
    source: params.get("source") || "",
    book_id: params.get("book_id") || "",
    limit: Number(params.get("limit")) || 10,
    offset: Number(params.get("offset")) || 0,
  };
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

function statusCell(correction) {
  const when = correction.reverted_at || correction.applied_at || correction.created_at;
  return [badge(correction.status), h("span", { class: "block small" }, timeAgo(when))];
}

function reasonText(reason) {
  return typeof reason === "string" ? reason : JSON.stringify(reason);
}

/** The columns of one book's before/after table; ``act`` makes a button acting on one correction. */
function changeColumns(act) {
  return [
    { label: "Field", cell: (c) => h("strong", { text: label(c.field) }) },
    { label: "Before", class: "col-value", cell: (c) => h("del", { class: "value", text: fieldValue(c.old_value) }) },
    { label: "After", class: "col-value", cell: (c) => h("ins", { class: "value", text: fieldValue(c.new_value) }) },
    { label: "Source", cell: (c) => label(c.source) },
    { label: "Confidence", cell: (c) => progressBar(c.confidence, `Confidence of the ${c.field} change`) },
    { label: "Status", cell: statusCell },
    {
      label: "Actions",
      class: "col-actions",
      cell: (c, row) => {
        if (c.status === "pending") return h("div", { class: "row-actions" }, act("Approve", c, row, "approve", "primary"), act("Reject", c, row, "reject"));
        if (c.status === "applied") return h("div", { class: "row-actions" }, act("Revert", c, row, "revert", "danger"));
        return h("span", { class: "muted", text: EMPTY });
      },
    },
  ];
}

/** One book's card: its title, the before/after of every field, the reasons once, and what can be done. */
function bookCard(review, { selection, onChanged, onBulk, notify }) {
  const act = (text, correction, row, verb, tone = "") =>
    actionButton(
      text,
      async () => {
        const updated = await api.post(`/api/metadata/corrections/${correction.id}/${verb}`);
        row.replace(updated);
        selection.delete(correction.id);
        notify(`${label(correction.field)} of “${review.title}”: ${label(updated.status).toLowerCase()}.`);
        onChanged();
      },
      { tone, onError: (error) => row.showError(error) },
    );
  const pending = review.corrections.filter((c) => c.status === "pending").map((c) => c.id);
  const heading = h("h2", { class: "review-title", text: review.title });
  let pick = null;
  if (pending.length) {
    pick = h("input", { type: "checkbox", class: "review-pick", "aria-label": `Select ${review.title}`, dataset: { ids: pending.join(",") } });
    pick.checked = pending.every((id) => selection.has(id));
    pick.addEventListener("change", () => {
      for (const id of pending) pick.checked ? selection.add(id) : selection.delete(id);
      onChanged({ selectionOnly: true });
    });
  }
  const bookActions = pending.length
    ? h(
        "div",
        { class: "row-actions" },
        actionButton(`Approve ${pending.length === 1 ? "it" : `all ${pending.length}`}`, () => onBulk("approve", pending), { tone: "primary" }),
        actionButton(`Reject ${pending.length === 1 ? "it" : `all ${pending.length}`}`, () => onBulk("reject", pending)),
      )
    : null;
  return h(
    "article",
    { class: "review-card", dataset: { bookId: String(review.book_id) } },
    h(
      "header",
      { class: "review-head" },
      pick,
      h(
        "div",
        { class: "review-name" },
        heading,
        review.author ? h("span", { class: "block small", text: review.author }) : null,
        h(
          "span",
          { class: "block small" },
          `${review.corrections.length} ${review.corrections.length === 1 ? "change" : "changes"} from ${review.sources.map(label).join(", ")} · `,
          h("a", { href: `#/metadata?book_id=${review.book_id}&status=all`, text: "All its corrections" }),
          " · ",
          h("a", { href: `#/history?book_id=${review.book_id}`, text: "History" }),
        ),
      ),
      bookActions,
    ),
    dataTable({ caption: `Changes to ${review.title}`, columns: changeColumns(act), rows: review.corrections }),
    review.reasons.length
      ? h("div", { class: "review-why" }, h("h3", { text: "Why" }), h("ul", { class: "reasons" }, review.reasons.map((reason) => h("li", { text: reasonText(reason) }))))
      : null,
  );
}

function correctionFilters(state, update) {
  return filterBar(
    selectField({ label: "Status", name: "status", value: state.status, options: [...STATUSES.map((s) => [s, label(s)]), ["all", "Any"]], onChange: (status) => update({ status }) }),
    selectField({ label: "Field", name: "field", value: state.field, options: [["", "Any"], ...FIELDS.map((f) => [f, label(f)])], onChange: (field) => update({ field }) }),
    selectField({ label: "Source", name: "source", value: state.source, options: [["", "Any"], ...SOURCES.map((s) => [s, label(s)])], onChange: (source) => update({ source }) }),
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

/** What a bulk review answered, in words. */
function bulkSummary(answer) {
  const verb = answer.action === "approve" ? "Approved" : "Rejected";
  const done = `${verb} ${answer.done.length} ${answer.done.length === 1 ? "correction" : "corrections"}`;
  return answer.failed.length ? `${done}; ${answer.failed.length} refused (see above the cards).` : `${done}.`;
}

function bulkFailures(answer) {
  if (!answer.failed.length) return null;
  return h(
    "div",
    { class: "notice notice-error", role: "alert" },
    h("p", { text: "Some approvals were refused; the others were carried out." }),
    h("ul", { class: "error-details" }, answer.failed.map((failure) => h("li", {}, `Correction #${failure.id}: ${failure.error} `, h("code", { text: failure.error_code })))),
  );
}

export function render(root, { params, setParams, notify }) {
  const state = readState(params);
  const selection = new Set();
  const quality = h("div", { class: "stats" });
  const [feedback, results] = [h("div", { class: "feedback" }), liveRegion()];
  const bulkBar = h("div", { class: "bulk-bar", role: "group", "aria-label": "Review every selected book" });
  const update = (change) => {
    Object.assign(state, change);
    if (!("offset" in change)) state.offset = 0;
    setParams(state);
    selection.clear();
    load();
  };
  const loadQuality = loader(quality, () => api.get("/api/metadata/quality"), qualityCards);

  const bulk = async (action, ids) => {
    fill(feedback);
    try {
      const answer = await api.post("/api/metadata/corrections/bulk", { action, ids });
      for (const id of ids) selection.delete(id);
      fill(feedback, bulkFailures(answer));
      notify(bulkSummary(answer), answer.failed.length ? "warn" : "good");
    } catch (error) {
      fill(feedback, errorNotice(error, action === "approve" ? "Approve" : "Reject"));
    }
    load({ quiet: true });
    loadQuality({ quiet: true });
  };

  const renderBulkBar = (reviews) => {
    const pendingIds = reviews.flatMap((review) => review.corrections.filter((c) => c.status === "pending").map((c) => c.id));
    if (!pendingIds.length) {
      fill(bulkBar);
      return;
    }
    const all = h("input", { type: "checkbox", id: "review-all" });
    all.checked = pendingIds.every((id) => selection.has(id));
    all.addEventListener("change", () => {
      for (const id of pendingIds) all.checked ? selection.add(id) : selection.delete(id);
      for (const box of results.querySelectorAll(".review-pick")) /** @type {HTMLInputElement} */ (box).checked = all.checked;
      renderBulkBar(reviews);
    });
    const chosen = [...selection];
    const count = h("span", { class: "bulk-count", role: "status", text: `${chosen.length} ${chosen.length === 1 ? "correction" : "corrections"} selected` });
    const approve = actionButton("Approve selected", () => bulk("approve", [...selection]), { tone: "primary" });
    const reject = actionButton("Reject selected", () => bulk("reject", [...selection]));
    approve.disabled = reject.disabled = !chosen.length;
    fill(bulkBar, h("label", { class: "field field-check", for: "review-all" }, all, h("span", { text: "Select every book on this page" })), count, approve, reject);
  };

  let shown = [];
  const onChanged = ({ selectionOnly = false } = {}) => {
    renderBulkBar(shown);
    if (!selectionOnly) loadQuality({ quiet: true }); // the counters follow every action
  };
  const load = loader(
    results,
    () => api.get("/api/metadata/review", { status: state.status, field: state.field, source: state.source, book_id: state.book_id, limit: state.limit, offset: state.offset }),
    (page) => {
      shown = page.items;
      renderBulkBar(shown);
      return [
        page.items.length
          ? h("div", { class: "review-cards" }, page.items.map((review) => bookCard(review, { selection, onChanged, onBulk: bulk, notify })))
          : notice(state.status === "pending" ? "No corrections wait for review." : "No corrections match these filters."),
        pager(page, { noun: "books", onOffset: (offset) => update({ offset }), onLimit: (limit) => update({ limit }) }),
      ];
    },
  );
  root.append(
    viewHeader("Metadata", "Corrections from the metadata providers, one card per book: what would change, from where, how sure, and why."),
    quality,
    correctionFilters(state, update),
    bookScope(state, update) || "",
    bulkBar,
    feedback,
    results,
  );
  loadQuality();
  load();
}
