"""The metadata-correction pipeline against the fake providers and the fake Audiobookshelf, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shelfkeeper.automation.metadata_correction import ProviderMatch, correct_book, proposals_for
from shelfkeeper.automation.metadata_refresh import metadata_full_refresh_task, metadata_new_books_task
from shelfkeeper.automation.metadata_review import approve_correction, reject_correction, revert_correction
from shelfkeeper.db.tables import Book, FailedAttempt, MetadataCorrection, ProviderCache, ServiceState
from shelfkeeper.domain.library.items import SeriesRef
from shelfkeeper.domain.metadata.candidates import BookCandidate
from shelfkeeper.domain.metadata.distance import BookFacts, Decision, MatchScore, Penalty
from shelfkeeper.domain.metadata.matching import MatchResult
from shelfkeeper.errors import Conflict, QuotaExhausted, ServiceUnreachable
from shelfkeeper.services.metadata import book_facts, from_json, quality_score, to_json
from tests.automation.metadata_world import (
    DECOY_IDS,
    DUNE_ASIN,
    FELLOWSHIP_ASIN,
    LEVIATHAN_ASIN,
    OMENS_ASIN,
    WRONG_KINGS_ASIN,
    World,
    boards_fixture,  # noqa: F401 - a fixture
    world_fixture,  # noqa: F401 - a fixture
)


def corrections(world: World, story: str | None = None) -> list[MetadataCorrection]:
    with Session(world.engine) as session:
        query = select(MetadataCorrection).order_by(MetadataCorrection.id)
        if story is not None:
            query = query.where(MetadataCorrection.book_id == world.books[story])
        return list(session.scalars(query))


def correct(world: World, story: str, **options: Any) -> Any:
    return world.call(lambda run: correct_book(run, world.books[story], **options))


def matched_id(correction: MetadataCorrection) -> str:
    """The provider record a correction came from, as its reasons name it ("matched audnexus B00...: 'Title'")."""
    header = next(reason for reason in correction.reasons if reason.startswith("matched "))
    return str(header.split()[2]).rstrip(":")


def facts(world: World, story: str) -> BookFacts:
    with Session(world.engine) as session:
        return book_facts(session.get_one(Book, world.books[story]))


# ---- the messy library -------------------------------------------------------------------------------------------

EXPECTED = [
    # story, status, ASIN after, values the book then has (in the database and in Audiobookshelf)
    pytest.param(
        "leviathan",
        "corrected",
        LEVIATHAN_ASIN,
        {"title": "Leviathan Wakes", "narrators": ("Jefferson Mays",), "series": (SeriesRef("The Expanse", "1"),)},
        id="unabridged-suffix-last-first-sequel-decoy",
    ),
    pytest.param(
        "dune",
        "corrected",
        DUNE_ASIN,
        {"narrators": ("Scott Brick", "Orlagh Cassidy"), "series": (SeriesRef("Dune", "1"),)},
        id="abridged-and-sequel-decoys",
    ),
    pytest.param("omens", "corrected", OMENS_ASIN, {"narrators": ("Martin Jarvis",)}, id="dramatization-decoy"),
    pytest.param(
        "fellowship",
        "corrected",
        FELLOWSHIP_ASIN,
        {"title": "The Fellowship of the Ring", "series": (SeriesRef("The Lord of the Rings", "1"),)},
        id="moved-the-omnibus-decoy",
    ),
    # Google's print ISBN is not the audiobook's, and Audible's other ASIN is another product: nothing to change.
    pytest.param(
        "kings", "ok", WRONG_KINGS_ASIN, {"title": "The Way of Kings", "isbn": None}, id="asin-never-replaced"
    ),
    pytest.param("outsider", "needs_review", None, {"authors": ()}, id="no-author-same-title-decoys"),
    pytest.param("unknown", "no_match", None, {"title": "Grandpa Reads Aloud"}, id="nothing-found"),
]


@pytest.mark.parametrize(("story", "status", "asin", "values"), EXPECTED)
def test_each_messy_book_ends_right_and_no_decoy_is_applied(
    world: World, story: str, status: str, asin: str | None, values: dict[str, Any]
) -> None:
    before = facts(world, story)
    outcome = correct(world, story)
    assert str(outcome.status) == status
    book = world.book(story)
    assert book.metadata_status == status and book.metadata_checked_at is not None
    assert book.asin == asin and world.abs_item(story)["asin"] == asin
    after = facts(world, story)
    for name, value in values.items():
        assert getattr(after, name) == value
    rows = corrections(world, story)
    assert [r.id for r in rows] == [c.id for c in outcome.corrections]
    for row in rows:
        assert row.source in ("google_books", "audnexus", "openlibrary") and 0 < row.confidence <= 1
        assert row.reasons and row.task_id is None
        assert row.old_value == to_json(row.field, getattr(before, row.field))
        if row.status == "applied":
            assert matched_id(row) not in DECOY_IDS
            assert row.applied_at is not None
            assert to_json(row.field, getattr(after, row.field)) == row.new_value
    assert book.quality_score == quality_score(book)
    assert book.extra["metadata_match"]["matches"][0]["provider"] == "google_books"


def test_the_whole_library_every_change_recorded_and_visible_in_audiobookshelf(world: World) -> None:
    for story in world.books:
        correct(world, story)
    rows = corrections(world)
    applied = [r for r in rows if r.status == "applied"]
    assert {r.status for r in rows} == {"applied", "pending"}
    assert not any(matched_id(r) in DECOY_IDS for r in applied)
    for row in applied:
        story = next(name for name, book_id in world.books.items() if book_id == row.book_id)
        held = world.abs_item(story)
        expected = from_json(row.field, row.new_value)
        if row.field == "series":
            assert held["series"] == [(ref.name, ref.sequence) for ref in expected]  # type: ignore[union-attr]
        elif row.field == "published_year":
            assert held["published_year"] == str(expected)
        elif isinstance(expected, tuple):
            assert held[row.field] == list(expected)
        else:
            assert held[row.field] == expected
    # Nothing was written for the book whose matches all wait for review, nor for the one without a match.
    assert world.patched_fields("outsider") == set() and world.patched_fields("unknown") == set()
    assert all(r.status == "pending" for r in corrections(world, "outsider"))


def test_write_back_failure_leaves_the_confident_changes_pending(world: World) -> None:
    world.abs.faults.set("down")
    outcome = correct(world, "leviathan")
    assert outcome.written_back is False and str(outcome.status) == "needs_review"
    rows = corrections(world, "leviathan")
    assert rows and {r.status for r in rows} == {"pending"}
    assert all("write-back to Audiobookshelf failed" in r.reasons[-1] for r in rows if r.confidence >= 0.9)
    assert world.book("leviathan").title == "Leviathan Wakes (Unabridged)" and world.book("leviathan").asin is None


# ---- dry run, cache, failing providers, quota -------------------------------------------------------------------


@pytest.mark.parametrize("by_setting", [False, True], ids=["parameter", "setting"])
def test_dry_run_records_what_would_change_and_changes_nothing(world: World, by_setting: bool) -> None:
    if by_setting:
        world.make_context(metadata_dry_run=True)
    before = world.book("leviathan")
    outcome = correct(world, "leviathan", **({} if by_setting else {"dry_run": True}))
    assert outcome.dry_run and str(outcome.status) == "corrected" and "would change" in outcome.message
    rows = corrections(world, "leviathan")
    assert rows and {r.status for r in rows} == {"dry_run"}
    assert {r.field for r in rows} >= {"title", "narrators", "series", "asin"}
    after = world.book("leviathan")
    assert (after.title, after.asin, after.metadata_status, after.metadata_checked_at) == (
        before.title,
        None,
        "unchecked",
        None,
    )
    assert world.abs.patches == []


def test_a_second_check_is_answered_from_the_cache(world: World) -> None:
    correct(world, "dune", dry_run=True)
    first = world.provider_requests()
    assert all(count > 0 for count in first.values())
    correct(world, "dune", dry_run=True)
    assert world.provider_requests() == first
    with Session(world.engine) as session:
        sources = set(session.scalars(select(ProviderCache.source)))
    assert sources == {"google_books", "audnexus", "audible", "openlibrary"}


def test_no_cache_when_the_setting_is_zero(world: World) -> None:
    world.make_context(provider_cache_hours=0)
    correct(world, "dune", dry_run=True)
    first = world.provider_requests()
    correct(world, "dune", dry_run=True)
    assert world.provider_requests() == {name: 2 * count for name, count in first.items()}


def test_a_source_left_out_of_metadata_sources_is_not_asked(world: World) -> None:
    world.make_context(metadata_sources=["audnexus", "openlibrary"], provider_cache_hours=0)
    outcome = correct(world, "leviathan")
    assert [m.provider for m in outcome.matches] == ["audnexus", "openlibrary"]
    assert world.provider_requests()["google_books"] == 0
    assert "google_books" not in {r.source for r in corrections(world, "leviathan")}


def test_a_provider_down_is_skipped_and_the_others_still_correct(world: World) -> None:
    world.google.faults.set("down")
    outcome = correct(world, "leviathan")
    google = next(m for m in outcome.matches if m.provider == "google_books")
    assert google.error_code == "SERVICE_ERROR" and google.result is None  # the proxy's 502 for a service down
    assert str(outcome.status) == "corrected"
    sources = {r.source for r in corrections(world, "leviathan")}
    assert "audnexus" in sources and "google_books" not in sources
    assert world.book("leviathan").asin == LEVIATHAN_ASIN
    with Session(world.engine) as session:
        assert session.scalar(select(FailedAttempt.id)) is None
        state = session.get_one(ServiceState, "google_books.last_lookup").data
    assert state["reachable"] is False and state["error_code"] == "SERVICE_ERROR"


def test_every_provider_down_is_a_failed_attempt_and_the_book_stays_unchecked(world: World) -> None:
    for fake in (world.google, world.nexus, world.audible, world.openlibrary):
        fake.faults.set("down")
    with pytest.raises(ServiceUnreachable, match="every provider failed"):
        correct(world, "dune")
    with Session(world.engine) as session:
        attempt = session.scalars(select(FailedAttempt)).one()
    assert attempt.kind == "metadata" and attempt.book_id == world.books["dune"]
    assert set(attempt.evidence["errors"]) == {"google_books", "audnexus", "openlibrary"}
    assert world.book("dune").metadata_status == "unchecked" and world.book("dune").metadata_checked_at is None


def test_a_batch_where_every_provider_failed_ends_failed_with_the_error(world: World) -> None:
    for fake in (world.google, world.nexus, world.audible, world.openlibrary):
        fake.faults.set("down")
    result = world.call(metadata_new_books_task)
    assert result.status == "failed" and result.counts["books_failed"] == len(world.books)
    assert result.error is not None and "every provider failed" in result.error
    assert result.counts.get("books_checked", 0) == 0


def test_quota_exhausted_stops_the_batch_cleanly(world: World) -> None:
    world.make_context(google_books_daily_budget=2)
    result = world.call(metadata_full_refresh_task)
    assert result.counts["books_checked"] == 2
    assert result.metrics["stopped"].startswith("quota exhausted: google_books")
    assert result.metrics["books_left_unchecked"] == len(world.books) - 2
    with Session(world.engine) as session:
        unchecked = session.scalars(select(Book.id).where(Book.metadata_checked_at.is_(None))).all()
    assert len(unchecked) == len(world.books) - 2
    with pytest.raises(QuotaExhausted):  # one book asked by hand says so too
        correct(world, "omens")


# ---- the batches ------------------------------------------------------------------------------------------------


def test_full_refresh_dry_run_changes_nothing_and_reports_what_it_would_change(world: World) -> None:
    result = world.call(metadata_full_refresh_task, dry_run=True)
    assert result.counts["books_checked"] == len(world.books) and result.metrics["dry_run"] is True
    would = result.metrics["would_change"]
    assert {(c["book_id"], c["field"]) for c in would} >= {(world.books["leviathan"], "asin")}
    assert result.counts["corrections_dry_run"] == len(corrections(world)) == len(would)
    with Session(world.engine) as session:
        assert set(session.scalars(select(Book.metadata_status))) == {"unchecked"}
    assert world.abs.patches == []


def test_a_restarted_refresh_skips_the_books_this_refresh_already_checked(world: World) -> None:
    parameters: dict[str, Any] = {"limit": 3, "batch_size": 2}
    first = world.call(lambda run: metadata_full_refresh_task(_with(run, parameters)))
    assert first.counts["books_checked"] == 3 and "cycle_started_at" in parameters
    done = {book_id for book_id in world.books.values() if world_book_checked(world, book_id)}
    requests = world.provider_requests()
    parameters.pop("limit")
    second = world.call(lambda run: metadata_full_refresh_task(_with(run, parameters)))
    assert second.counts["books_checked"] == len(world.books) - 3
    assert all(world_book_checked(world, book_id) for book_id in world.books.values())
    assert world.provider_requests()["google_books"] > requests["google_books"]
    assert len(done) == 3


def _with(run: Any, parameters: dict[str, Any]) -> Any:
    run.parameters = parameters  # the same dict, as the runner hands a retry the parameters of the failed run
    return run


def world_book_checked(world: World, book_id: int) -> bool:
    with Session(world.engine) as session:
        return session.get_one(Book, book_id).metadata_checked_at is not None


def test_new_books_task_takes_recent_and_never_checked_books(world: World) -> None:
    old = datetime.now(UTC) - timedelta(days=30)
    with Session(world.engine) as session:
        for story in ("dune", "omens"):
            book = session.get_one(Book, world.books[story])
            book.abs_added_at, book.metadata_checked_at = old, old  # added long ago, checked since
        session.get_one(Book, world.books["kings"]).abs_added_at = old  # added long ago, never checked
        session.commit()
    result = world.call(metadata_new_books_task)
    assert result.counts["books_checked"] == len(world.books) - 2
    assert world.book("dune").metadata_checked_at == old
    assert world.book("kings").metadata_checked_at is not None


# ---- approve, reject, revert ------------------------------------------------------------------------------------


def _row(world: World, story: str, field: str) -> MetadataCorrection:
    return next(r for r in corrections(world, story) if r.field == field)


def test_revert_round_trip_through_audiobookshelf(world: World) -> None:
    correct(world, "leviathan")
    assert world.abs_item("leviathan")["narrators"] == ["Jefferson Mays"]
    for field in ("narrators", "title", "published_year", "series"):
        reverted = world.call(partial(revert_correction, correction_id=_row(world, "leviathan", field).id))
        assert reverted.status == "reverted" and reverted.reverted_at is not None
    held = world.abs_item("leviathan")
    assert held["narrators"] == [] and held["title"] == "Leviathan Wakes (Unabridged)"
    assert held["published_year"] is None and held["series"] == []
    book = facts(world, "leviathan")
    assert (book.narrators, book.title, book.published_year, book.series) == (
        (),
        "Leviathan Wakes (Unabridged)",
        None,
        (),
    )
    assert book.asin == LEVIATHAN_ASIN  # the other corrections stay
    with pytest.raises(Conflict, match="is reverted; it must be applied to be reverted"):
        world.call(lambda run: revert_correction(run, _row(world, "leviathan", "title").id))


def test_revert_refused_when_the_field_changed_again(world: World) -> None:
    correct(world, "leviathan")
    narrators = _row(world, "leviathan", "narrators")
    with Session(world.engine) as session:
        from shelfkeeper.services.metadata import set_field_values

        set_field_values(session, session.get_one(Book, world.books["leviathan"]), {"narrators": ("Someone Else",)})
        session.commit()
    with pytest.raises(Conflict, match="narrators is now 'Someone Else'") as refused:
        world.call(lambda run: revert_correction(run, narrators.id))
    assert refused.value.code == "CORRECTION_STATE_CONFLICT"
    title = _row(world, "leviathan", "title")
    world.abs.data.apply_media_patch(world.abs.item(world.items["leviathan"]), {"metadata": {"title": "Renamed"}})
    with pytest.raises(Conflict, match="Audiobookshelf's title is now 'Renamed'"):
        world.call(lambda run: revert_correction(run, title.id))
    assert _row(world, "leviathan", "title").status == "applied"


def test_approve_and_reject_pending_corrections(world: World) -> None:
    correct(world, "outsider")
    authors, asin = _row(world, "outsider", "authors"), _row(world, "outsider", "asin")
    approved = world.call(lambda run: approve_correction(run, authors.id))
    assert approved.status == "applied" and approved.applied_at is not None
    assert world.abs_item("outsider")["authors"] == ["Albert Camus"] and facts(world, "outsider").authors == (
        "Albert Camus",
    )
    rejected = world.call(lambda run: reject_correction(run, asin.id))
    assert rejected.status == "rejected" and world.book("outsider").asin is None
    assert "asin" not in world.patched_fields("outsider")
    with pytest.raises(Conflict, match="is rejected; it must be pending to be approved"):
        world.call(lambda run: approve_correction(run, asin.id))
    for row in corrections(world, "outsider"):
        if row.status == "pending":
            world.call(partial(reject_correction, correction_id=row.id))
    assert world.book("outsider").metadata_status == "corrected"


def test_checking_again_does_not_duplicate_what_waits_for_review(world: World) -> None:
    first = correct(world, "outsider")
    again = correct(world, "outsider")
    assert [c.id for c in again.corrections] == [c.id for c in first.corrections]
    assert len(corrections(world, "outsider")) == len(first.corrections)


def test_approve_refused_when_the_field_changed_since_the_proposal(world: World) -> None:
    correct(world, "outsider")
    narrators = _row(world, "outsider", "narrators")
    with Session(world.engine) as session:
        from shelfkeeper.services.metadata import set_field_values

        set_field_values(session, session.get_one(Book, world.books["outsider"]), {"narrators": ("Will Patton",)})
        session.commit()
    with pytest.raises(Conflict, match="approving would overwrite that later change"):
        world.call(lambda run: approve_correction(run, narrators.id))


# ---- pure pieces ------------------------------------------------------------------------------------------------


def _match(provider: str, decision: Decision, **candidate: Any) -> ProviderMatch:
    found = BookCandidate(
        source=provider, source_id=f"{provider}-1", title="Dune", authors=("Frank Herbert",), **candidate
    )
    score = MatchScore((Penalty("title", 1.0, 1.0, "title match"),))
    return ProviderMatch(provider, 1, MatchResult(found, score, decision, ("why",)))


BOOK = BookFacts(title="Dune", authors=("Frank Herbert",), duration_seconds=75_600)


@pytest.mark.parametrize(
    ("matches", "expected"),
    [
        pytest.param([], {}, id="nothing"),
        pytest.param([_match("google_books", Decision.REJECT, description="D")], {}, id="rejected-proposes-nothing"),
        pytest.param(
            [_match("google_books", Decision.APPLY, description="D")], {"description": ("google_books", "D")}, id="one"
        ),
        pytest.param(
            [
                _match("google_books", Decision.APPLY, description="Google's"),
                _match("audnexus", Decision.APPLY, description="Audible's"),
            ],
            {"description": ("google_books", "Google's")},
            id="google-first",
        ),
        pytest.param(
            [
                _match("google_books", Decision.REVIEW, description="Google's"),
                _match("audnexus", Decision.APPLY, description="Audible's"),
            ],
            {"description": ("audnexus", "Audible's")},
            id="apply-before-review",
        ),
        pytest.param(
            [_match("openlibrary", Decision.APPLY, published_year=1965, isbn="9780441013593", description="D")],
            {"description": ("openlibrary", "D")},
            id="openlibrary-fills-the-works-fields-only",
        ),
        pytest.param(  # a print volume: no narrator, no runtime, so its ISBN and year are another edition's
            [_match("google_books", Decision.APPLY, isbn="9780441013593", published_year=1965)],
            {},
            id="google-print-edition-fields-withheld",
        ),
        pytest.param(
            [
                _match(
                    "audnexus",
                    Decision.APPLY,
                    narrators=("Scott Brick",),
                    series=(SeriesRef("Dune", "1"),),
                    duration_minutes=1260,
                    published_year=2007,
                )
            ],
            {
                "narrators": ("audnexus", ("Scott Brick",)),
                "series": ("audnexus", (SeriesRef("Dune", "1"),)),
                "published_year": ("audnexus", 2007),
            },
            id="the-items-edition-narrators-year-and-series",
        ),
        pytest.param(
            [
                _match(
                    "audnexus",
                    Decision.APPLY,
                    narrators=("Simon Vance",),
                    series=(SeriesRef("Dune", "1"),),
                    duration_minutes=480,
                    format_type="abridged",
                    asin="B0ABRIDGED",
                )
            ],
            {"series": ("audnexus", (SeriesRef("Dune", "1"),))},
            id="abridged-edition-gives-the-work-only",
        ),
        pytest.param([_match("google_books", Decision.APPLY, subtitle="P" * 501)], {}, id="too-long-for-the-column"),
    ],
)
def test_one_proposal_per_field_from_the_most_trusted_match(
    matches: list[ProviderMatch], expected: dict[str, tuple[str, Any]]
) -> None:
    proposals = proposals_for(BOOK, matches)
    assert {p.field: (p.source, p.new) for p in proposals} == expected
    assert all(p.reasons[1].startswith(f"matched {p.source} ") for p in proposals)


def test_on_equal_trust_the_first_of_metadata_sources_gives_the_value() -> None:
    matches = [
        _match("google_books", Decision.APPLY, subtitle="From Google"),
        _match("audnexus", Decision.APPLY, subtitle="From Audnexus"),
    ]
    assert [p.source for p in proposals_for(BOOK, matches) if p.field == "subtitle"] == ["google_books"]
    chosen = proposals_for(BOOK, matches, order=["audnexus", "google_books"])
    assert [(p.source, p.new) for p in chosen if p.field == "subtitle"] == [("audnexus", "From Audnexus")]


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("title", "Dune", "Dune"),
        ("subtitle", None, None),
        ("published_year", 1965, 1965),
        ("authors", ("Frank Herbert",), ["Frank Herbert"]),
        ("narrators", (), []),
        ("genres", ("Science Fiction", "Classics"), ["Science Fiction", "Classics"]),
        (
            "series",
            (SeriesRef("Dune", "1"), SeriesRef("Dune Chronicles", None)),
            [
                {"name": "Dune", "sequence": "1"},
                {"name": "Dune Chronicles", "sequence": None},
            ],
        ),
        ("series", (), []),
    ],
)
def test_field_values_round_trip_through_json(field: str, value: Any, stored: Any) -> None:
    assert to_json(field, value) == stored
    assert from_json(field, stored) == value
