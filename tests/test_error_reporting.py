"""Sentry is optional: nothing happens without a DSN; a DSN without the package gives a note, not a crash."""

import sys

from shelfkeeper.logs import configure_error_reporting


def test_no_dsn_does_nothing():
    assert configure_error_reporting(None) is None
    assert configure_error_reporting("") is None


def test_dsn_without_the_package_explains(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # what an absent package looks like to `import`
    note = configure_error_reporting("https://key@sentry.example/1")
    assert note is not None and "shelfkeeper[sentry]" in note
