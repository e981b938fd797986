"""The Tasks view reads like the Settings › Schedules tab: each job by its name in words, its schedule in words
and its next run; the registered name (the API's) stays in small print. The network is cut throughout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from shelfkeeper.jobs.registry import default_jobs
from tests.browser.conftest import LiveApp, open_with_key

pytestmark = pytest.mark.browser
JOB = "author_completion_task"


@pytest.fixture
def daily_author_completion(live_app: LiveApp) -> Iterator[None]:
    """Author completion at 03:00 every day for this test, back to its default after."""
    live_app.data("PUT", f"/api/scheduler/jobs/{JOB}", json={"schedule": "0 3 * * *"})
    yield
    live_app.data("PUT", f"/api/scheduler/jobs/{JOB}", json={"reset_schedule": True})


def job_row(page: Any, name: str) -> Any:
    return page.locator("table.data-table tbody tr").filter(has=page.locator("code.job-name", has_text=name))


def test_tasks_show_jobs_and_schedules_in_words_with_the_next_run(
    web_page: Any, live_app: LiveApp, outside: list[str], daily_author_completion: None
) -> None:
    open_with_key(web_page, "#/tasks")
    row = job_row(web_page, JOB)
    job, schedule, next_run = (row.locator("td").nth(i) for i in range(3))
    expect(job.locator("strong")).to_have_text("Author completion")
    expect(job.locator("strong")).to_have_attribute("title", f"API name: {JOB}")
    expect(schedule.locator("strong")).to_have_text("every day at 03:00")
    expect(schedule.locator("code")).to_have_text("0 3 * * *")
    expect(schedule).to_contain_text("Changed here; configured: on the 3rd of every month at 03:00")
    server_next = live_app.data("GET", f"/api/scheduler/jobs/{JOB}")["next_run_at"]
    assert server_next is not None
    expect(next_run.locator("time")).to_have_attribute("datetime", server_next)
    # No job is named by its id, nor scheduled by bare cron, as the main text of its row.
    labels = {name: spec.label for name, spec in default_jobs().items()}
    rows = web_page.locator("table.data-table tbody tr")
    expect(rows).to_have_count(len(labels))
    for index in range(rows.count()):
        cells = rows.nth(index).locator("td")
        name = cells.nth(0).locator("code.job-name").inner_text()
        assert cells.nth(0).locator("strong").inner_text() == labels[name]
        words = cells.nth(1).locator("strong").inner_text()
        assert words.startswith("every ") or words.startswith("on the "), (name, words)
    # A job's runs in History are named by its label too (the seeded failed run of the MAM search).
    web_page.goto("/#/history?name=mam_scraping_task")
    runs = web_page.locator("table.data-table").filter(has=web_page.locator("caption", has_text="Job runs"))
    run = runs.locator("tbody tr").first
    expect(run.locator("td").first.locator("span").first).to_have_text("MyAnonamouse search")
    expect(run.locator("code.job-name")).to_have_text("mam_scraping_task")
