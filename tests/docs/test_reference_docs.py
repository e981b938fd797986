"""The generated reference documents in docs/ are up to date with the code."""

from pathlib import Path

from shelfkeeper.errors import ERROR_CODES, error_code_reference
from shelfkeeper.settings import Settings, configuration_reference

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_error_code_reference_is_current():
    assert (DOCS / "error-codes.md").read_text(encoding="utf-8") == error_code_reference()


def test_every_code_is_documented_with_its_status():
    text = (DOCS / "error-codes.md").read_text(encoding="utf-8")
    for code, entry in ERROR_CODES.items():
        assert f"| `{code}` | {entry.status} |" in text


def test_configuration_reference_is_current():
    assert (DOCS / "configuration.md").read_text(encoding="utf-8") == configuration_reference()


def test_every_setting_has_help():
    text = configuration_reference()
    for name in Settings.model_fields:
        if not name.startswith("schedule_"):
            row = next(line for line in text.splitlines() if line.startswith(f"| `{name.upper()}` |"))
            assert not row.endswith("|  |"), f"{name} has no description"
