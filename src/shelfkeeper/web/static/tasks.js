// Tasks: the scheduled jobs by name in words, with their schedules in words, next and last runs; run one now, pause,
// resume, reschedule. The job's registered name (the API's) is kept in small print under its name.

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { elapsed, jobLabel, label } from "./format.js";
import { nextRun, scheduleEditor, scheduleWords } from "./settings_schedules.js";
import { actionButton, badge, dataTable, errorNotice, liveRegion, loader, timeAgo, viewHeader } from "./widgets.js";

const REFRESH_SECONDS = 3;
const RUN_KINDS = { schedule: "Scheduled run", manual: "Run by hand", retry: "Retry of a failed run" };

function schedulerLine(status) {
  if (status.is_leader) return `The scheduler runs in this process (${status.this_process}); times are in ${status.timezone}.`;
  if (status.leader) return `The scheduler runs in another process (${status.leader}); times are in ${status.timezone}.`;
  return "No process runs the scheduler now (RUN_SCHEDULER is off, or it is starting): jobs run only when triggered here.";
}

/** The job's name in words; its registered name (what the API and the logs use) in small print and as a tooltip. */
function jobCell(job) {
  return [
    h("strong", { class: "block", text: jobLabel(job.name), title: `API name: ${job.name}` }),
    h("code", { class: "block small job-name", text: job.name }),
    h("p", { class: "small", text: job.description }),
  ];
}

function scheduleCell(job) {
  return [...scheduleWords(job), job.enabled ? badge("scheduled", "Scheduled") : badge("paused", "Paused")];
}

function lastCell(job) {
  if (job.running) return [badge("running"), h("a", { class: "block small", href: `#/history?name=${job.name}`, text: `Run #${job.running_task_id}` })];
  const run = job.last_run;
  if (!run) return h("span", { class: "muted", text: "Never ran" });
  return [
    badge(run.status),
    h("span", { class: "block small" }, RUN_KINDS[run.trigger] || label(run.trigger), ", ", timeAgo(run.finished_at || run.started_at), `, took ${elapsed(run.duration_seconds)}`),
    run.error ? h("p", { class: "why error-text", text: run.error }) : null,
    h("a", { class: "block small", href: `#/history?name=${job.name}`, text: "History" }),
  ];
}

/** Change the cron schedule (its meaning shown as you type), or go back to the default: the Schedules tab's editor. */
function changeSchedule(job, row, notify) {
  return h("details", { class: "schedule-editor" }, h("summary", { text: "Change schedule" }), scheduleEditor(job, row, notify));
}

/** Run now, pause or resume, and the schedule editor of one job; ``onStarted`` hears of a run started. */
function jobActions(job, row, { notify, onStarted }) {
  const onError = (error) => row.showError(error);
  const trigger = actionButton(
    "Run now",
    async () => {
      const answer = await api.post(`/api/scheduler/trigger/${job.name}`);
      notify(`Started ${jobLabel(answer.name)} (run #${answer.task_id}); follow it in History.`);
      row.replace(await api.get(`/api/scheduler/jobs/${job.name}`));
      onStarted();
    },
    { tone: "primary", onError },
  );
  const verb = job.enabled ? "pause" : "resume";
  const toggle = actionButton(job.enabled ? "Pause" : "Resume", async () => row.replace(await api.post(`/api/scheduler/jobs/${job.name}/${verb}`)), { onError });
  return [h("div", { class: "row-actions" }, trigger, toggle), changeSchedule(job, row, notify)];
}

function showSchedulerStatus(status) {
  api
    .get("/api/scheduler/status")
    .then((answer) => {
      status.textContent = schedulerLine(answer);
    })
    .catch((error) => fill(status, errorNotice(error, "Scheduler status")));
}

export function render(root, { notify }) {
  const status = h("p", { class: "summary", text: " " });
  const results = liveRegion();
  let running = false;
  const onStarted = () => {
    running = true;
  };
  const columns = [
    { label: "Job", class: "col-title", cell: jobCell },
    { label: "Schedule", cell: scheduleCell },
    { label: "Next run", cell: nextRun },
    { label: "Last run", class: "col-why", cell: lastCell },
    { label: "Actions", class: "col-actions", cell: (job, row) => jobActions(job, row, { notify, onStarted }) },
  ];
  const load = loader(
    results,
    () => api.get("/api/scheduler/jobs"),
    (jobs) => {
      running = jobs.some((job) => job.running);
      return dataTable({ caption: "Jobs", columns, rows: jobs, empty: "No jobs are registered." });
    },
  );
  root.append(viewHeader("Tasks", "The jobs that keep the library complete and correct, and when they run."), status, results);
  showSchedulerStatus(status);
  load();
  const timer = setInterval(() => {
    const busy = results.contains(document.activeElement) || results.querySelector("details[open]");
    if (running && !document.hidden && !busy) load({ quiet: true });
  }, REFRESH_SECONDS * 1000);
  return () => clearInterval(timer);
}
