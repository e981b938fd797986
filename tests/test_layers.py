"""The layers hold: use cases talk to the ports, never to an adapter; the domain needs no database, HTTP or settings."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "shelfkeeper"
NO_ADAPTERS = ("automation", "services", "domain")
DOMAIN_FORBIDS = ("sqlalchemy", "httpx", "shelfkeeper.settings", "shelfkeeper.adapters")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, *, as_if: Path | None = None) -> Iterator[tuple[int, str]]:
    """Every module a file imports (relative imports resolved as if it were ``as_if``), with its line;
    ``from x import y`` gives x and x.y (y may be a module)."""
    where = as_if or path
    package = module_name(where).split(".")
    if where.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"


def within(module: str, roots: tuple[str, ...]) -> bool:
    return any(module == root or module.startswith(root + ".") for root in roots)


def offenders(layers: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for layer in layers:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for line, module in imported_modules(path):
                if within(module, forbidden):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    return sorted(set(found))


def test_use_cases_and_domain_never_import_an_adapter() -> None:
    assert offenders(NO_ADAPTERS, ("shelfkeeper.adapters",)) == []


def test_the_domain_needs_no_database_http_or_settings() -> None:
    assert offenders(("domain",), DOMAIN_FORBIDS) == []


@pytest.mark.parametrize(
    ("source", "where", "forbidden"),
    [
        ("import shelfkeeper.adapters.mam\n", "services/x.py", "shelfkeeper.adapters.mam"),
        ("from shelfkeeper.adapters.mam import MamClient\n", "services/x.py", "shelfkeeper.adapters.mam"),
        ("from shelfkeeper import adapters\n", "services/x.py", "shelfkeeper.adapters"),
        ("from ..adapters import mam\n", "automation/x.py", "shelfkeeper.adapters"),
        ("from ...adapters.http import ServiceClient\n", "domain/releases/x.py", "shelfkeeper.adapters.http"),
        ("def f():\n    import shelfkeeper.adapters.http\n", "automation/x.py", "shelfkeeper.adapters.http"),
    ],
)
def test_every_form_of_import_is_seen(tmp_path: Path, source: str, where: str, forbidden: str) -> None:
    """The checker itself: a plain, a from-, a package-level, a relative and a nested import are all found."""
    fake = tmp_path / "x.py"
    fake.write_text(source, encoding="utf-8")
    seen = {module for _, module in imported_modules(fake, as_if=PACKAGE / where)}
    assert forbidden in seen, seen
