"""The web page for people: ``GET /`` serves the page and ``/static/...`` its scripts and styles.

Both are public: they hold no data. The page asks for the API key and sends it with every API call itself.
Neither appears in the OpenAPI document (it describes the API, not the page).
"""

from __future__ import annotations

import mimetypes
import os
from functools import cache
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from shelfkeeper import __version__

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
TEMPLATE = WEB_DIR / "templates" / "index.html"
STATIC_DIR = WEB_DIR / "static"

# Everything the page loads comes from this server: no CDN, no external font (users may run offline), and a
# script injected through some field could neither run inline nor send data elsewhere. Images are the exception:
# a provider's cover (https, or a mirror on this machine) and Audiobookshelf's covers as blob: addresses, which the
# page makes from GET /api/books/{id}/cover (an <img> cannot send the API key).
LOOPBACK_IMAGES = "http://127.0.0.1:* http://localhost:*"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    f"img-src 'self' data: blob: https: {LOOPBACK_IMAGES}; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Revalidate every time (the ETag makes that cheap): after an upgrade the browser never mixes old and new modules.
CACHE_HEADERS = {"Cache-Control": "no-cache"}

# Some systems map .js to text/plain (a Windows registry, a bare container); browsers refuse such ES modules.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")

router = APIRouter(include_in_schema=False)


@cache
def page_html() -> str:
    """The page, with the version stamped in (read once per process)."""
    return TEMPLATE.read_text(encoding="utf-8").replace("{{ version }}", __version__)


@router.get("/", response_class=HTMLResponse)
def page() -> HTMLResponse:
    """The web page (public: it holds no data; it asks for the API key itself)."""
    return HTMLResponse(page_html(), headers={**SECURITY_HEADERS, **CACHE_HEADERS})


class PageAssets(StaticFiles):
    """The page's static files, with the same security and caching headers as the page."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update({**SECURITY_HEADERS, **CACHE_HEADERS})
        return response


def install(app: FastAPI) -> None:
    """Serve the page at ``/`` and its assets under ``/static``."""
    app.include_router(router)
    app.mount("/static", PageAssets(directory=STATIC_DIR), name="static")
