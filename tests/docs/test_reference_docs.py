"""The generated reference documents in docs/ are up to date with the code."""

from pathlib import Path

from shelfkeeper.errors import ERROR_CODES, error_code_reference

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_error_code_reference_is_current():
    assert (DOCS / "error-codes.md").read_text(encoding="utf-8") == error_code_reference()


def test_every_code_is_documented_with_its_status():
    text = (DOCS / "error-codes.md").read_text(encoding="utf-8")
    for code, entry in ERROR_CODES.items():
        assert f"| `{code}` | {entry.status} |" in text
