// Series: owned against known positions for every series, the missing ones, and "complete now".

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { label, percent, positionRanges } from "./format.js";
import { actionButton, badge, errorNotice, filterBar, filterUpdater, liveRegion, loader, monitorButton, monitoredField, notice, pager, progressBar, searchField, selectField, viewHeader } from "./widgets.js";

function readState(params) {
  return {
    q: params.get("q") || "",
    complete: params.get("complete") || "",
    monitored: params.get("monitored") || "",
    limit: Number(params.get("limit")) || 25,
    offset: Number(params.get("offset")) || 0,
  };
}

function positionChips(positions, tone) {
  if (!positions.length) return h("span", { class: "muted", text: "none" });
  return h("ul", { class: `chips chips-${tone}` }, positionRanges(positions).map((range) => h("li", { text: range })));
}

function completionText(entry) {
  if (entry.completion === null || entry.completion === undefined) return "Known positions not found yet";
  const known = entry.known_total ?? entry.known_positions.length;
  return `${entry.owned_count} of ${known} owned (${percent(entry.completion)})`;
}

/** What a gap search found: the wanted books with their reasons, what was skipped, which providers failed. */
export function foundReport(found) {
  const counts = found.counts || {};
  const created = counts.wanted_created ?? 0;
  /** @type {HTMLElement[]} */
  const parts = [
    h("p", {}, h("strong", { text: `${found.missing.length} missing book${found.missing.length === 1 ? "" : "s"} on the wanted list` }), ` (${created} new).`),
  ];
  if (found.missing.length) {
    parts.push(
      h(
        "ul",
        { class: "found-list" },
        found.missing.map((book) =>
          h(
            "li",
            {},
            h("strong", { text: book.series_position ? `#${book.series_position} ${book.title}` : book.title }),
            book.explanation ? h("span", { class: "why", text: ` — ${book.explanation}` }) : null,
          ),
        ),
      ),
    );
  }
  for (const failure of found.provider_failures) {
    parts.push(errorNotice({ message: `${label(failure.provider)} failed for ${failure.subject}: ${failure.message}`, code: failure.error_code }));
  }
  if (found.excluded && found.excluded.length) {
    parts.push(
      h(
        "details",
        {},
        h("summary", { text: `${found.excluded.length} left out, and why` }),
        h("ul", {}, found.excluded.map((item) => h("li", { text: `${item.title}: ${item.reason} (${item.detail})` }))),
      ),
    );
  }
  return h("div", { class: "found-report" }, parts);
}

/**
 * A card's "Complete now" button: POST to ``path`` (a gap search), ``searching`` shown meanwhile, then what it
 * found (``foundReport``) in ``feedback``, or ``redraw(found)`` draws the card again with it. Series and authors cards.
 * @param {{name: string, searching: string, path: string, notify: (message: string, tone?: string) => void,
 *   feedback: HTMLElement, redraw?: ((found: any) => Promise<void>) | null}} options
 */
export function completeNowButton({ name, searching, path, notify, feedback, redraw = null }) {
  return actionButton(
    "Complete now",
    async () => {
      fill(feedback, h("p", { class: "loading", text: searching }));
      const found = await api.post(path);
      if (redraw) await redraw(found);
      else fill(feedback, foundReport(found));
      notify(`Checked ${name}: ${found.missing.length} missing.`);
    },
    { tone: "primary", onError: (error) => fill(feedback, errorNotice(error, `Complete ${name}`)) },
  );
}

function seriesCard(entry, { notify }) {
  const feedback = h("div", { class: "card-feedback", "aria-live": "polite" });
  const card = h("article", { class: "card series-card", dataset: { id: entry.id } });
  const complete = completeNowButton({
    name: entry.name,
    searching: "Searching the providers for this series' gaps…",
    path: `/api/series/${entry.id}/complete`,
    notify,
    feedback,
    // The card shows the series as it is now (known positions and completion may have moved), with the report.
    redraw: async (/** @type {any} */ found) => {
      const summary = await api.get("/api/series/completion-summary", { q: entry.name, limit: 100 });
      const now = summary.items.find((/** @type {any} */ item) => item.id === entry.id) || entry;
      const next = seriesCard(now, { notify });
      next.querySelector(".card-feedback")?.replaceChildren(foundReport(found));
      card.replaceWith(next);
    },
  });
  const monitor = monitorButton({
    name: entry.name,
    monitored: entry.monitored,
    toggle: (action) => api.post(`/api/series/${entry.id}/${action}`),
    rebuild: (monitored) => card.replaceWith(seriesCard({ ...entry, monitored }, { notify })),
    notify,
    feedback,
  });
  const wantedLink = h("a", { class: "button button-link", href: `#/wanted?series_id=${entry.id}`, text: "Wanted books of this series" });
  fill(card, seriesFacts(entry), h("div", { class: "card-actions" }, complete, monitor, wantedLink), feedback);
  return card;
}

/** A series' name, completion, and its owned, known and missing positions. */
function seriesFacts(entry) {
  return [
    h(
      "header",
      { class: "card-header" },
      h("h2", { text: entry.name }),
      entry.monitored ? badge("scheduled", "Monitored") : badge("paused", "Not monitored"),
    ),
    h("p", { class: "completion" }, progressBar(entry.completion ?? 0, `${entry.name} completion`), h("span", { text: completionText(entry) })),
    h(
      "dl",
      { class: "positions" },
      [
        ["Owned", entry.owned_positions, "owned"],
        ["Known", entry.known_positions, "known"],
        ["Missing", entry.missing_positions, "missing"],
      ].map(([name, positions, tone]) => [h("dt", { text: name }), h("dd", {}, positionChips(positions, tone))]),
    ),
  ];
}

export function render(root, { params, setParams, notify }) {
  const state = readState(params);
  const totals = h("p", { class: "summary", text: " " });
  const results = liveRegion();
  const update = filterUpdater(state, setParams, () => load());
  root.append(
    viewHeader("Series", "How complete each series is: the positions you own, the ones the providers know, the gaps."),
    totals,
    filterBar(
      searchField({ label: "Search", value: state.q, placeholder: "Series name", onSearch: (q) => update({ q }) }),
      selectField({
        label: "Completion",
        name: "complete",
        value: state.complete,
        options: [["", "Any"], ["false", "Incomplete"], ["true", "Complete"]],
        onChange: (complete) => update({ complete }),
      }),
      monitoredField(state.monitored, (monitored) => update({ monitored })),
    ),
    results,
  );
  const load = loader(
    results,
    () => api.get("/api/series/completion-summary", state),
    (summary) => {
      totals.textContent = `${summary.complete_series} complete of ${summary.series_with_known_positions} series with known positions (${summary.total} shown by these filters).`;
      return [
        summary.items.length ? h("div", { class: "cards" }, summary.items.map((entry) => seriesCard(entry, { notify }))) : notice("No series match these filters."),
        pager(summary, { noun: "series", onOffset: (offset) => update({ offset }), onLimit: (limit) => update({ limit }) }),
      ];
    },
  );
  load();
}
