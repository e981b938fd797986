// Settings > Schedules: each job's schedule in words ("every day at 03:00") with its next run; a change is saved
// through the scheduler API and the row shows the next run the server computed for the new schedule.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { cronWords, describeCron } from "./cron.js";
import { dateTime, jobLabel } from "./format.js";
import { actionButton, badge, dataTable, errorNotice, liveRegion, loader, timeAgo } from "./widgets.js";

/** A job's next run: the date and time, and how far off; "Paused" when paused. Tasks shows it too. */
export function nextRun(job) {
  if (!job.enabled) return badge("paused", "Paused");
  if (!job.next_run_at) return h("span", { class: "muted", text: "—" });
  return h("span", { class: "next-run" }, h("span", { class: "block", text: dateTime(job.next_run_at) }), h("span", { class: "small" }, timeAgo(job.next_run_at)));
}

/** A job's schedule in words over its cron expression, and the configured one when changed here. */
export function scheduleWords(job) {
  return [
    h("strong", { class: "block schedule-words", text: describeCron(job.schedule) }),
    h("code", { class: "small", text: job.schedule }),
    job.overridden ? h("span", { class: "block small", text: `Changed here; configured: ${describeCron(job.default_schedule)}` }) : null,
  ];
}

/** The cron box with its meaning under it as you type, Save, and Back to default when changed here. Tasks uses it too. */
export function scheduleEditor(job, row, notify) {
  const preview = h("p", { class: "small cron-preview", "aria-live": "polite", text: describeCron(job.schedule) });
  const input = h("input", { type: "text", class: "cron", value: job.schedule, spellcheck: "false", "aria-label": `Schedule of ${jobLabel(job.name)} (cron)` });
  input.addEventListener("input", () => {
    preview.textContent = cronWords(input.value) || "Five fields: minute hour day-of-month month day-of-week.";
  });
  const done = (answer, what) => {
    const next = row.replace(answer);
    next.querySelector("input.cron")?.focus();
    notify(`${jobLabel(job.name)}: ${what}; next run ${answer.next_run_at ? dateTime(answer.next_run_at) : "none"}.`);
  };
  const save = actionButton("Save", async () => done(await api.put(`/api/scheduler/jobs/${job.name}`, { schedule: input.value.trim() }), `now ${describeCron(input.value)}`), {
    tone: "primary",
    onError: (error) => row.showError(error, "Schedule"),
  });
  const reset = job.overridden
    ? actionButton("Back to default", async () => done(await api.put(`/api/scheduler/jobs/${job.name}`, { reset_schedule: true }), "back to its configured schedule"), {
        onError: (error) => row.showError(error),
      })
    : null;
  return h("div", { class: "schedule-edit" }, input, preview, h("div", { class: "settings-actions" }, save, reset));
}

function columns(notify) {
  return [
    { label: "Job", cell: (job) => [h("strong", { class: "block", text: jobLabel(job.name) }), h("span", { class: "small", text: job.description })] },
    { label: "Schedule", cell: scheduleWords },
    { label: "Next run", cell: nextRun },
    { label: "Change", class: "col-actions", cell: (job, row) => scheduleEditor(job, row, notify) },
  ];
}

/** The jobs table into ``region``. */
export function schedulesTable(region, { notify }) {
  const table = liveRegion();
  const load = loader(
    table,
    () => api.get("/api/scheduler/jobs"),
    (jobs) => [
      jobs.length ? h("p", { class: "intro", text: `Times are in ${jobs[0].timezone} (General > timezone).` }) : null,
      dataTable({ caption: "Job schedules", columns: columns(notify), rows: jobs.map((job) => ({ ...job, id: job.name })), empty: "No jobs." }),
    ],
  );
  fill(region, h("h2", { text: "Job schedules" }), table);
  load().catch((error) => fill(table, errorNotice(error)));
  return region;
}
