// Settings > General, beside its settings: the API key (copy, rotate) and the backups (make, list, download,
// restore).

import { api, apiKey, request } from "./api.js";
import { h, fill } from "./dom.js";
import { bytes, dateTime } from "./format.js";
import { actionButton, dataTable, errorNotice, liveRegion, loader, notice, timeAgo } from "./widgets.js";

/** Put ``text`` on the clipboard; where the browser refuses (no secure context), select it for Ctrl+C instead. */
async function copyText(text, field) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    field.hidden = false;
    field.value = text;
    field.select();
    return false;
  }
}

/** The API key this browser uses: shown masked, copied, or replaced by a new one (answered once, kept here). */
export function apiKeyPanel({ notify }) {
  const feedback = h("div", { class: "feedback", "aria-live": "polite" });
  const fallback = h("input", { type: "text", class: "key-copy", readonly: true, hidden: true, "aria-label": "API key (select and copy)" });
  const masked = () => {
    const key = apiKey.get() || "";
    return key.length > 8 ? `${key.slice(0, 4)}${"•".repeat(8)}${key.slice(-4)}` : "•".repeat(key.length);
  };
  const shown = h("code", { class: "api-key", text: masked() });
  const copy = actionButton("Copy the key", async () => {
    const copied = await copyText(apiKey.get() || "", fallback);
    fill(feedback, notice(copied ? "Copied to the clipboard." : "The browser refused the clipboard: the key is selected, press Ctrl+C.", copied ? "good" : "warn"));
  });
  const rotate = actionButton(
    "Rotate the key",
    async () => {
      if (!window.confirm("Make a new API key? The old one stops working at once: every app using it (calendar feeds, scripts) needs the new one.")) return;
      const answer = await api.post("/api/system/apikey/rotate");
      apiKey.set(answer.api_key);
      shown.textContent = masked();
      fill(feedback, notice("A new key is in force and kept in this browser. Copy it now for your other apps: it is not shown again.", "good"));
      notify("API key rotated: the old key no longer works.", "good");
    },
    { onError: (error) => fill(feedback, errorNotice(error, "Rotate")) },
  );
  const forget = h("button", { type: "button", class: "button button-quiet", text: "Forget the key in this browser" });
  forget.addEventListener("click", () => document.getElementById("forget-key")?.click());
  return h(
    "section",
    { class: "settings-group", "aria-labelledby": "api-key-title" },
    h("h2", { id: "api-key-title", text: "API key" }),
    h("p", { class: "intro", text: "Every call to the API carries this key. Rotating it makes a new one; with API_KEY set in the environment, change it there." }),
    h("p", {}, "Key in this browser: ", shown),
    fallback,
    h("div", { class: "settings-actions" }, copy, rotate, forget),
    feedback,
  );
}

/** Download a backup with the key in its header (a plain link cannot carry it), as a file named like the backup. */
async function download(name) {
  const response = await fetch(`/api/system/backups/${encodeURIComponent(name)}`, { headers: { "X-Api-Key": apiKey.get() || "" }, cache: "no-store" });
  if (!response.ok) {
    await request("GET", `/api/system/backups/${encodeURIComponent(name)}`); // throws the API's own error
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function backupColumns(notify, reload) {
  return [
    { label: "Backup", cell: (backup) => h("code", { text: backup.name }) },
    { label: "Made", cell: (backup) => h("span", {}, h("span", { class: "block", text: dateTime(backup.created_at) }), timeAgo(backup.created_at)) },
    { label: "Size", cell: (backup) => bytes(backup.size_bytes) },
    { label: "Database", cell: (backup) => (backup.backend === "sqlite" ? "SQLite" : "PostgreSQL") },
    {
      label: "Actions",
      class: "col-actions",
      cell: (backup, row) => [
        actionButton("Download", () => download(backup.name), { onError: (error) => row.showError(error, "Download"), title: `Download ${backup.name}` }),
        actionButton(
          "Restore",
          async () => {
            if (!window.confirm(`Replace the database with ${backup.name}? Everything since it was made is lost. Jobs running now may fail.`)) return;
            const answer = await api.post(`/api/system/backups/${encodeURIComponent(backup.name)}/restore`);
            const again = answer.secrets_to_enter_again;
            notify(`Restored ${backup.name}.${again.length ? ` Enter again: ${again.join(", ")}.` : ""}`, again.length ? "warn" : "good");
            reload();
          },
          { onError: (error) => row.showError(error, "Restore"), title: `Restore ${backup.name}` },
        ),
      ],
    },
  ];
}

/** The backups in the data directory, with "Back up now". */
export function backupsPanel({ notify }) {
  const list = liveRegion();
  const feedback = h("div", { class: "feedback", "aria-live": "polite" });
  let load = null;
  const columns = backupColumns(notify, () => load({ quiet: true }));
  load = loader(list, () => api.get("/api/system/backups"), (backups) =>
    dataTable({ caption: "Backups", columns, rows: backups.map((backup) => ({ ...backup, id: backup.name })), empty: "No backup yet." }),
  );
  const make = actionButton(
    "Back up now",
    async () => {
      const made = await api.post("/api/system/backup");
      fill(feedback, notice(`Backup ${made.name} made (${bytes(made.size_bytes)}).`, "good"));
      await load({ quiet: true });
    },
    { tone: "primary", onError: (error) => fill(feedback, errorNotice(error, "Back up")) },
  );
  load();
  return h(
    "section",
    { class: "settings-group", "aria-labelledby": "backups-title" },
    h("h2", { id: "backups-title", text: "Backups" }),
    h("p", { class: "intro", text: "Copies of the database in the data directory (backup_keep are kept). Secrets in them stay encrypted with the data directory's key: keep secret.key with a downloaded backup." }),
    h("div", { class: "settings-actions" }, make),
    feedback,
    list,
  );
}
