"""A circuit breaker per outside service: closed, open after repeated failures, half-open for one trial call."""

from __future__ import annotations

from collections.abc import Callable


class CircuitBreaker:
    """Counts consecutive failed calls; holds calls back for ``cooldown`` seconds once ``threshold`` is reached.

    After the cooldown exactly one trial call goes through (half-open): its success closes the circuit, its
    failure opens it again for another cooldown. Time comes from ``clock`` (seconds, monotonic).
    """

    def __init__(self, threshold: int, cooldown: float, clock: Callable[[], float]) -> None:
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
        self._clock = clock
        self.consecutive_failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def is_open(self) -> bool:
        """True while calls are held back (open, or half-open waiting for the trial call's outcome)."""
        return self._opened_at is not None

    def seconds_until_trial(self) -> float:
        """Seconds left before a trial call is allowed (0 when closed or when the cooldown is over)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown - self._clock())

    def try_acquire(self) -> bool:
        """May a call go out now? In half-open state only the first caller gets True (the trial call)."""
        if self._opened_at is None:
            return True
        if self._trial_in_flight or self.seconds_until_trial() > 0:
            return False
        self._trial_in_flight = True
        return True

    def record_success(self) -> None:
        """The call reached a healthy service: close the circuit and forget earlier failures."""
        self.consecutive_failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_failure(self) -> None:
        """The call failed in a way that says the service is unwell (unreachable, 5xx, rate limited)."""
        self.consecutive_failures += 1
        if self._trial_in_flight or self.consecutive_failures >= self.threshold:
            self._opened_at = self._clock()
        self._trial_in_flight = False

    def release(self) -> None:
        """The call ended without telling anything about the service (cancelled, or never sent)."""
        self._trial_in_flight = False
