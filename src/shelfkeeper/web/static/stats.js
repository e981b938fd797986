// Statistics: the library's growth over time and how complete each series is, as charts (inline SVG).

import { api } from "./api.js";
import { completionChart, growthChart } from "./charts.js";
import { h } from "./dom.js";
import { percent } from "./format.js";
import { liveRegion, loader, notice, selectField, viewHeader } from "./widgets.js";

const SPANS = {
  month: [["12", "Last 12 months"], ["24", "Last 24 months"], ["60", "Last 5 years"]],
  week: [["12", "Last 12 weeks"], ["26", "Last 26 weeks"], ["52", "Last 52 weeks"]],
};

/**
 * A period's short name: "Dec 2026" for a month, "7 Dec" for a week.
 * @param {string} start an ISO date
 * @param {string} interval
 */
function periodLabel(start, interval) {
  const date = new Date(`${start}T00:00:00Z`);
  const options = interval === "month" ? { month: "short", year: "numeric", timeZone: "UTC" } : { day: "numeric", month: "short", timeZone: "UTC" };
  return date.toLocaleDateString(undefined, /** @type {Intl.DateTimeFormatOptions} */ (options));
}

/** @param {any} growth one GrowthRead */
function growthFigure(growth) {
  const points = growth.points.map((point) => ({ label: periodLabel(point.start, growth.interval), total: point.total, added: point.added }));
  const last = points[points.length - 1];
  const added = points.reduce((sum, point) => sum + point.added, 0);
  const description = `${added} books added over ${points.length} ${growth.interval}s; ${last ? last.total : 0} in the library now.`;
  return h(
    "figure",
    { class: "chart-figure" },
    growthChart({ points, title: "Books in the library over time", description }),
    h("figcaption", { class: "small muted", text: `${description} The line is the library's size; the bars, the books added each ${growth.interval}.` }),
  );
}

/** @param {any} summary the answer of /api/series/completion-summary */
function completionFigure(summary) {
  const rows = summary.items
    .filter((entry) => entry.completion !== null && entry.completion !== undefined)
    .map((entry) => ({ label: entry.name, share: entry.completion, text: `${entry.owned_count}/${entry.known_total ?? entry.known_positions.length} · ${percent(entry.completion)}` }));
  if (!rows.length) return notice("No series has known positions yet: the series check reads them from the providers.");
  const description = `${summary.complete_series} of ${summary.series_with_known_positions} series with known positions are complete.`;
  return h(
    "figure",
    { class: "chart-figure" },
    completionChart({ rows, title: "How complete each series is", description }),
    h("figcaption", { class: "small muted", text: `${description} Showing ${rows.length} incomplete series.` }),
  );
}

/**
 * @param {HTMLElement} root
 * @param {{params: URLSearchParams, setParams: (values: object) => void}} context
 */
export function render(root, { params, setParams }) {
  const state = { interval: params.get("interval") === "week" ? "week" : "month", periods: params.get("periods") || "12" };
  const growth = liveRegion("chart-region");
  const completion = liveRegion("chart-region");
  const loadGrowth = loader(growth, () => api.get("/api/stats/library-growth", state), growthFigure);
  const loadCompletion = loader(completion, () => api.get("/api/series/completion-summary", { complete: "false", limit: 15 }), completionFigure);
  const spans = h("div", { class: "span-field" });
  const showSpans = () =>
    spans.replaceChildren(
      selectField({
        label: "Period",
        name: "periods",
        value: state.periods,
        options: SPANS[state.interval],
        onChange: (periods) => {
          state.periods = periods;
          setParams(state);
          loadGrowth();
        },
      }),
    );
  showSpans();
  root.append(
    viewHeader("Statistics", "How the library grew, and how complete its series are."),
    h(
      "section",
      { "aria-labelledby": "growth-heading" },
      h("h2", { id: "growth-heading", text: "Library growth" }),
      h(
        "form",
        { class: "filters", onsubmit: (event) => event.preventDefault() },
        selectField({
          label: "By",
          name: "interval",
          value: state.interval,
          options: [["month", "Month"], ["week", "Week"]],
          onChange: (interval) => {
            state.interval = interval;
            state.periods = "12";
            showSpans();
            setParams(state);
            loadGrowth();
          },
        }),
        spans,
      ),
      growth,
    ),
    h("section", { "aria-labelledby": "completion-heading" }, h("h2", { id: "completion-heading", text: "Series completion" }), completion, h("p", {}, h("a", { href: "#/series?complete=false", text: "Every incomplete series" }))),
  );
  loadGrowth();
  loadCompletion();
}
