// Queue: downloads with their progress and state, why each release was picked, and pause/resume/cancel/retry.

import { api } from "./api.js";
import * as live from "./live.js";
import { h, fill } from "./dom.js";
import { EMPTY, bytes, hoursMinutes, label, speed } from "./format.js";
import {
  actionButton,
  badge,
  dataTable,
  disclosure,
  errorNotice,
  filterBar,
  filterUpdater,
  liveRegion,
  loader,
  pager,
  progressBar,
  selectField,
  statCards,
  timeAgo,
  viewHeader,
} from "./widgets.js";
import { ACTIVE_DOWNLOAD_STATUSES, DOWNLOAD_MOVES, DOWNLOAD_STATUSES } from "./vocabulary.js";

/** Whether the lifecycle lets a download in ``status`` move to ``target`` (the buttons follow it). */
const canBecome = (status, target) => (DOWNLOAD_MOVES[status] || []).includes(target);
const REFRESH_SECONDS = 5;

function readState(params) {
  return {
    status: params.get("status") || "",
    sort: params.get("sort") || "-created",
    limit: Number(params.get("limit")) || 25,
    offset: Number(params.get("offset")) || 0,
  };
}

/** Why this release was chosen: the ranking's sentences (or its named reasons). */
function releaseReasons(download) {
  const release = download.release || {};
  const lines = Array.isArray(release.summary) && release.summary.length
    ? release.summary
    : (release.reasons || []).map((reason) => (typeof reason === "string" ? reason : reason.text || reason.code));
  if (!lines.length) return null;
  const title = release.score !== undefined ? `Why this release (score ${release.score})` : "Why this release";
  return disclosure(title, h("ul", { class: "reasons" }, lines.map((line) => h("li", { text: line }))));
}

function releaseCell(download) {
  const facts = [download.indexer, bytes(download.size_bytes), download.format].filter((fact) => fact && fact !== EMPTY);
  return [
    h("strong", { class: "break", text: download.release_title }),
    h("span", { class: "block small", text: facts.join(" · ") }),
    download.flags.length ? h("span", { class: "block small", text: download.flags.join(", ") }) : null,
    releaseReasons(download),
  ];
}

function progressCell(download) {
  const extra = [];
  if (download.status === "downloading") {
    if (download.eta_seconds) extra.push(`${hoursMinutes(download.eta_seconds)} left`);
    if (download.download_speed) extra.push(speed(download.download_speed));
  }
  return [
    progressBar(download.progress, `${download.release_title} progress`),
    extra.length ? h("span", { class: "block small", text: extra.join(" · ") }) : null,
  ];
}

function stateCell(download) {
  return [
    badge(download.status),
    download.client_state ? h("span", { class: "block small", text: `qBittorrent: ${download.client_state}` }) : null,
    download.retry_count ? h("span", { class: "block small", text: `Retried ${download.retry_count}×` }) : null,
    download.next_retry_at ? h("span", { class: "block small" }, "Next try ", timeAgo(download.next_retry_at)) : null,
  ];
}

function resultCell(download) {
  const history = download.wanted_book_id ? `#/history?wanted_book_id=${download.wanted_book_id}` : `#/history?download_id=${download.id}`;
  return [
    download.result ? h("p", { class: "why", text: download.result }) : h("span", { class: "muted", text: EMPTY }),
    h("span", { class: "block small" }, "Added ", timeAgo(download.created_at)),
    h("a", { class: "block small", href: history, text: "History" }),
  ];
}

/** A download's progress and state as the stream tells them, written into its row (the rest of the row stays). */
function patchRow(results, download) {
  const row = results.querySelector(`tr[data-id="${download.id}"]`);
  if (!row) return false;
  /** @type {[string, (download: any) => (Node | string | null)[]][]} */
  const cells = [["State", stateCell], ["Progress", progressCell]];
  for (const [name, cell] of cells) {
    const td = row.querySelector(`td[data-label="${name}"]`);
    if (td) td.replaceChildren(.../** @type {(Node | string)[]} */ (cell(download).filter(Boolean)));
  }
  return true;
}

function actionsCell(download, act) {
  const buttons = [
    canBecome(download.status, "paused") ? act("Pause", download, "pause") : null,
    download.status === "paused" ? act("Resume", download, "resume") : null,
    canBecome(download.status, "queued") ? act("Retry", download, "retry", "primary") : null,
    canBecome(download.status, "cancelled") ? act("Cancel", download, "cancel", "danger") : null,
  ].filter(Boolean);
  return buttons.length ? h("div", { class: "row-actions" }, buttons) : null;
}

function blocklistSection(page, { onRemove, onOffset }) {
  const columns = [
    { label: "Release", class: "col-title", cell: (entry) => [h("strong", { class: "break", text: entry.release_title }), h("span", { class: "block small", text: entry.indexer })] },
    { label: "Why", cell: (entry) => h("p", { class: "why", text: entry.reason }) },
    { label: "When", cell: (entry) => timeAgo(entry.created_at) },
    { label: "Actions", class: "col-actions", cell: (entry, row) => actionButton("Remove", () => onRemove(entry), { onError: (error) => row.showError(error) }) },
  ];
  return [
    dataTable({ caption: "Blocklist", columns, rows: page.items, empty: "Nothing is blocklisted." }),
    page.total > page.limit ? pager(page, { noun: "entries", onOffset }) : null,
  ];
}

/** The blocklist, paged on its own; removing an entry reloads it. */
function blocklistLoader(region, notify) {
  let offset = 0;
  const load = loader(
    region,
    () => api.get("/api/downloads/blocklist", { limit: 25, offset }),
    (page) =>
      blocklistSection(page, {
        onRemove: async (entry) => {
          await api.delete(`/api/downloads/blocklist/${entry.id}`);
          notify(`“${entry.release_title}” may be grabbed again.`);
          load({ quiet: true });
        },
        onOffset: (next) => {
          offset = next;
          load();
        },
      }),
  );
  return load;
}

function statsLoader(region) {
  return loader(
    region,
    () => api.get("/api/downloads/stats"),
    (figures) => [
      statCards([
        ["Active", figures.active],
        ["Speed", speed(figures.download_speed)],
        ["Left to fetch", bytes(figures.remaining_bytes)],
        ["All downloads", figures.total],
        ["Blocklisted", figures.blocklisted],
      ]),
      h("ul", { class: "chips" }, Object.entries(figures.by_status).map(([status, count]) => h("li", {}, `${label(status)}: ${count}`))),
    ],
  );
}

/** The columns of the downloads table; ``act`` makes a button that acts on one download. */
function downloadColumns(act) {
  return [
    { label: "Release", class: "col-title", cell: releaseCell },
    { label: "State", cell: stateCell },
    { label: "Progress", class: "col-progress", cell: progressCell },
    { label: "Result", class: "col-why", cell: resultCell },
    { label: "Actions", class: "col-actions", cell: (download) => actionsCell(download, act) },
  ];
}

/** A button acting on a download; a refusal is shown above the table (the rows are refreshed under it). */
function downloadAction(feedback, notify, done) {
  return (text, download, verb, tone = "") =>
    actionButton(
      text,
      async () => {
        if (verb === "cancel" && !window.confirm(`Cancel “${download.release_title}”? The torrent is removed from qBittorrent and the book is wanted again.`)) return;
        fill(feedback);
        if (verb === "cancel") await api.delete(`/api/downloads/${download.id}`);
        else await api.post(`/api/downloads/${download.id}/${verb}`);
        notify(`${text}: “${download.release_title}”.`);
        done();
      },
      { tone, onError: (error) => fill(feedback, errorNotice(error, `${text} “${download.release_title}”`)) },
    );
}

function queueFilters(state, update, autoRefresh) {
  return filterBar(
    selectField({ label: "Status", name: "status", value: state.status, options: [["", "Any"], ...DOWNLOAD_STATUSES.map((s) => [s, label(s)])], onChange: (status) => update({ status }) }),
    selectField({
      label: "Sort",
      name: "sort",
      value: state.sort,
      options: [["-created", "Newest first"], ["-priority", "Priority"], ["-progress", "Progress"], ["-updated", "Recently changed"]],
      onChange: (sort) => update({ sort }),
    }),
    h("label", { class: "field field-check" }, autoRefresh, h("span", { text: `Follow live (or refresh every ${REFRESH_SECONDS} s offline)` })),
  );
}

export function render(root, { params, setParams, notify }) {
  const state = readState(params);
  const [stats, feedback, results, blocklist] = [h("div", { class: "stats" }), h("div", { class: "feedback" }), liveRegion(), liveRegion()];
  const autoRefresh = h("input", { type: "checkbox", checked: true });
  const update = filterUpdater(state, setParams, () => load());
  const loadStats = statsLoader(stats);
  const refresh = () => {
    load({ quiet: true });
    loadStats({ quiet: true });
  };
  const columns = downloadColumns(downloadAction(feedback, notify, refresh));
  let moving = false;
  const shown = new Map(); // id -> the download as last shown
  const load = loader(
    results,
    () => api.get("/api/downloads", state),
    (page) => {
      moving = page.items.some((download) => ACTIVE_DOWNLOAD_STATUSES.includes(download.status));
      shown.clear();
      for (const download of page.items) shown.set(download.id, download);
      return [
        dataTable({ caption: "Downloads", columns, rows: page.items, empty: "No downloads match this filter." }),
        pager(page, { noun: "downloads", onOffset: (offset) => update({ offset }), onLimit: (limit) => update({ limit }) }),
      ];
    },
  );
  root.append(
    viewHeader("Queue", "Downloads in qBittorrent and their history: progress, state, and why each release was chosen."),
    stats,
    queueFilters(state, update, autoRefresh),
    feedback,
    results,
    h("h2", { text: "Blocklist" }),
    h("p", { class: "intro", text: "Releases that are never grabbed again, and why." }),
    blocklist,
  );
  load();
  loadStats();
  blocklistLoader(blocklist, notify)();
  // Rows are not re-rendered while focus is inside the table or a "why" is open; under a resting pointer they wait
  // a few seconds at most (rows do not jump under a click about to happen, and a change still shows).
  const held = () => results.contains(document.activeElement) || results.querySelector("details[open]");
  const busy = () => held() || results.matches(":hover");
  let reloadTimer = null;
  const reloadSoon = (waited = 0) => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => (held() || (waited < 8 && results.matches(":hover")) ? reloadSoon(waited + 1) : refresh()), 400);
  };
  const onDownload = (change) => {
    if (!autoRefresh.checked) return;
    const before = shown.get(change.id);
    const merged = { ...(before || {}), ...change };
    if (before && before.status === change.status && patchRow(results, merged)) {
      shown.set(change.id, merged);
      loadStats({ quiet: true });
    } else {
      reloadSoon(); // a new download, or one that moved to another status: the page and its filter decide
    }
  };
  const stops = [live.on("download", onDownload), live.on("resync", () => autoRefresh.checked && refresh())];
  // Offline (the stream lost), the queue is read every few seconds while something moves and someone looks.
  const timer = setInterval(() => {
    if (autoRefresh.checked && moving && !live.isLive() && !document.hidden && !busy()) refresh();
  }, REFRESH_SECONDS * 1000);
  return () => {
    clearInterval(timer);
    clearTimeout(reloadTimer);
    for (const stop of stops) stop();
  };
}
