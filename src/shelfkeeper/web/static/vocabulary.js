// Generated from domain/lifecycle.py, domain/events.py, jobs/registry.py and logs.py by shelfkeeper.web.vocabulary: do not edit.
// Regenerate: python -m shelfkeeper.web.vocabulary > src/shelfkeeper/web/static/vocabulary.js

export const DOWNLOAD_STATUSES = Object.freeze(["queued", "downloading", "paused", "completed", "importing", "imported", "failed", "cancelled"]);
export const ACTIVE_DOWNLOAD_STATUSES = Object.freeze(["queued", "downloading", "paused", "completed", "importing"]);
export const DOWNLOAD_MOVES = Object.freeze({"queued": ["downloading", "paused", "completed", "failed", "cancelled"], "downloading": ["paused", "completed", "failed", "cancelled"], "paused": ["downloading", "completed", "failed", "cancelled"], "completed": ["importing", "imported", "failed", "cancelled"], "importing": ["completed", "imported", "failed"], "imported": [], "failed": ["queued"], "cancelled": []});
export const WANTED_STATUSES = Object.freeze(["wanted", "searching", "grabbed", "downloaded", "imported", "ignored", "failed"]);
export const WANTED_REASONS = Object.freeze(["series_gap", "author_catalogue", "top10", "manual"]);
export const TASK_STATUSES = Object.freeze(["pending", "running", "success", "partial", "failed", "interrupted", "cancelled"]);
export const TASK_TRIGGERS = Object.freeze(["schedule", "manual", "retry"]);
export const FAILURE_KINDS = Object.freeze(["download", "import", "metadata", "search", "sync"]);
export const JOB_LABELS = Object.freeze({"cleanup_old_tasks": "Clean-up of old runs", "mam_scraping_task": "MyAnonamouse search", "library_sync_task": "Library sync", "metadata_full_refresh_task": "Metadata check (all books)", "metadata_new_books_task": "Metadata check (new books)", "download_monitor_task": "Download monitor", "series_completion_task": "Series completion", "author_completion_task": "Author completion", "top10_discovery_task": "Top-10 discovery", "notifications_task": "Notifications", "health_check_task": "Health checks", "release_day_task": "Release day"});
export const LOG_LEVELS = Object.freeze(["debug", "info", "warning", "error", "critical"]);
export const EVENT_TITLES = Object.freeze({"grabbed": "Grabbed", "imported": "Imported", "download_failed": "Download failed", "download_stalled": "Download stalled", "metadata_review": "Metadata waiting for review", "top10_approval": "Top-10 books awaiting approval", "book_released": "New book released", "health_problem": "Health problem", "health_resolved": "Health problem resolved", "mam_ratio_low": "MyAnonamouse ratio under the floor", "job_failed": "Job failed", "job_partial": "Job partly done", "wanted": "Wanted", "searched": "Searched", "blocklisted": "Blocklisted", "metadata_corrected": "Metadata corrected", "metadata_reverted": "Metadata reverted"});
