"""Leases: one holder at a time, renewal, expiry and takeover, on both databases."""

from shelfkeeper.jobs.leases import LeaseManager
from tests.jobs.clock import FakeClock


def test_only_one_holder_until_expiry(sessions):
    clock = FakeClock()
    leases = LeaseManager(sessions, clock)
    assert leases.acquire("job:x", "a", 30)
    assert not leases.acquire("job:x", "b", 30)
    assert leases.current("job:x").holder == "a"
    clock.advance(seconds=29)
    assert not leases.acquire("job:x", "b", 30)
    clock.advance(seconds=2)
    assert leases.current("job:x") is None
    assert leases.acquire("job:x", "b", 30)
    assert leases.current("job:x").holder == "b"


def test_renewal_keeps_and_loss_is_reported(sessions):
    clock = FakeClock()
    leases = LeaseManager(sessions, clock)
    assert leases.acquire("s", "a", 10)
    clock.advance(seconds=8)
    assert leases.renew("s", "a", 10)
    clock.advance(seconds=8)
    assert not leases.acquire("s", "b", 10)
    clock.advance(seconds=3)
    assert leases.acquire("s", "b", 10)
    assert not leases.renew("s", "a", 10)


def test_release_frees_at_once_and_only_for_the_holder(sessions):
    leases = LeaseManager(sessions, FakeClock())
    assert leases.acquire("s", "a", 60, task_id=7)
    leases.release("s", "b")
    assert leases.current("s").task_id == 7
    leases.release("s", "a")
    assert leases.current("s") is None
    assert leases.acquire("s", "b", 60)


def test_live_lists_unexpired_by_prefix(sessions):
    clock = FakeClock()
    leases = LeaseManager(sessions, clock)
    leases.acquire("job:a", "p", 10)
    leases.acquire("job:b", "p", 100)
    leases.acquire("__scheduler__", "p", 100)
    clock.advance(seconds=50)
    assert [lease.name for lease in leases.live("job:")] == ["job:b"]
