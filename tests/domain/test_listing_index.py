"""The sync's listing index answers as the plain dictionary and set it replaces (each item's series in the
listing's order, and whether the item listing showed the item)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shelfkeeper.domain.library.items import LibrarySeries
from shelfkeeper.domain.library.listing_index import ListingIndex

IDS = st.sampled_from([f"li_{n}" for n in range(12)] + ["", "7f9c0e4e-1c1b-4c6e-9a59-3b1a2f0d5e11"])
SEQUENCES = st.none() | st.sampled_from(["1", "2", "1.5", "1-3", "Book 4", ""])
SERIES = st.builds(
    LibrarySeries,
    id=st.sampled_from([f"se_{n}" for n in range(5)]),
    name=st.sampled_from(["Mistborn", "Earthsea Cycle, The", ""]),
    members=st.lists(st.tuples(IDS, SEQUENCES), max_size=6).map(tuple),
)
# The listings in any order: series pages, item pages, or one after the other.
EVENTS = st.lists(st.one_of(SERIES, st.lists(IDS, max_size=5)), max_size=12)


@settings(max_examples=500)
@given(EVENTS)
def test_the_index_answers_as_a_dictionary_and_a_set(events: list[LibrarySeries | list[str]]) -> None:
    index = ListingIndex()
    members: dict[str, tuple[tuple[str, str | None], ...]] = {}
    names: dict[str, str] = {}
    listed: set[str] = set()
    for event in events:
        if isinstance(event, LibrarySeries):
            index.add_series(event)
            names[event.id] = event.name
            for item_id, sequence in event.members:
                members[item_id] = (*members.get(item_id, ()), (event.id, sequence))
        else:
            index.mark_listed(event)
            listed.update(event)
    for item_id in {*members, *listed, "li_unknown"}:
        assert index.memberships(item_id) == members.get(item_id, ())
        assert index.was_listed(item_id) is (item_id in listed)
    assert index.names == names


def test_an_item_in_two_series_keeps_both_in_order() -> None:
    index = ListingIndex()
    index.mark_listed(["li_1"])
    index.add_series(LibrarySeries("se_cosmere", "Cosmere", (("li_1", "3"),)))
    index.add_series(LibrarySeries("se_mistborn", "Mistborn", (("li_1", "1"), ("li_2", None))))
    assert index.memberships("li_1") == (("se_cosmere", "3"), ("se_mistborn", "1"))
    assert index.memberships("li_2") == (("se_mistborn", None),)
    assert index.was_listed("li_1") and not index.was_listed("li_2")
