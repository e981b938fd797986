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


def _openapi():
    import tempfile

    from shelfkeeper.api.app import create_app

    settings = Settings(data_dir=Path(tempfile.mkdtemp()), api_key="docs", run_scheduler=False, _env_file=None)
    return create_app(settings).openapi()


def test_api_reference_is_current_and_lists_every_route():
    from shelfkeeper.api.reference import api_reference

    schema = _openapi()
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    assert text == api_reference(schema)
    for path, item in schema["paths"].items():
        for method in item:
            assert f"### `{method.upper()} {path}`" in text


def test_postman_collection_is_current():
    import json

    from shelfkeeper.api.reference import postman_collection

    saved = json.loads((DOCS / "shelfkeeper.postman_collection.json").read_text(encoding="utf-8"))
    assert saved == postman_collection(_openapi())
    requests = [item for folder in saved["item"] for item in folder["item"]]
    assert all(r["request"]["header"][0] == {"key": "X-Api-Key", "value": "{{apiKey}}"} for r in requests)
