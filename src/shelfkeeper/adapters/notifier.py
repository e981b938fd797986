"""Notifications out: Apprise for its 100+ services, and a plain JSON webhook carrying Shelfkeeper's own payload."""

from __future__ import annotations

import asyncio
import logging
import warnings

import httpx

from shelfkeeper.domain.events import Event, EventType, NotifyTarget, payload
from shelfkeeper.errors import ServiceError, ServiceUnreachable

logger = logging.getLogger("shelfkeeper.notifications")

SERVICE = "notifications"
WEBHOOK_SCHEMES = {"webhook": "http", "webhooks": "https"}
TIMEOUT_SECONDS = 10.0
_FAILURES = {EventType.DOWNLOAD_FAILED, EventType.HEALTH_PROBLEM, EventType.MAM_RATIO_LOW, EventType.JOB_FAILED}
_WARNINGS = {EventType.DOWNLOAD_STALLED, EventType.METADATA_REVIEW, EventType.TOP10_APPROVAL, EventType.JOB_PARTIAL}


class AppriseNotifier:
    """The ``Notifier`` port: ``webhook(s)://`` targets get the JSON payload, every other URL goes to Apprise."""

    def __init__(self, *, timeout: float = TIMEOUT_SECONDS, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.timeout = timeout
        self.transport = transport

    async def send(self, target: NotifyTarget, event: Event) -> None:
        scheme = target.url.split("://", 1)[0].lower()
        if scheme in WEBHOOK_SCHEMES:
            await self._post_webhook(target, event, WEBHOOK_SCHEMES[scheme])
        else:
            await asyncio.wait_for(asyncio.to_thread(self._apprise, target, event), self.timeout + 5)

    async def _post_webhook(self, target: NotifyTarget, event: Event, http_scheme: str) -> None:
        url = http_scheme + "://" + target.url.split("://", 1)[1]
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
                response = await client.post(url, json=payload(event))
        except httpx.HTTPError as exc:
            raise ServiceUnreachable(SERVICE, f"{target.shown} could not be reached ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise ServiceError(SERVICE, f"{target.shown} answered HTTP {response.status_code}")

    def _apprise(self, target: NotifyTarget, event: Event) -> None:
        with warnings.catch_warnings():  # apprise imports the deprecated imghdr module
            warnings.simplefilter("ignore", DeprecationWarning)
            import apprise  # imported on first use: it is large and most requests never notify

        sender = apprise.Apprise()
        if not sender.add(target.url):
            raise ServiceError(SERVICE, f"{target.shown} is not a URL Apprise understands", code="NOTIFY_BAD_TARGET")
        kind = (
            apprise.NotifyType.FAILURE
            if event.type in _FAILURES
            else apprise.NotifyType.WARNING
            if event.type in _WARNINGS
            else apprise.NotifyType.SUCCESS
            if event.type in (EventType.IMPORTED, EventType.HEALTH_RESOLVED)
            else apprise.NotifyType.INFO
        )
        cover = event.book.get("cover_url")  # linked in the body, never fetched by Shelfkeeper
        body = event.message + (f"\n{cover}" if isinstance(cover, str) and cover else "")
        if not sender.notify(title=event.title, body=body, notify_type=kind):
            raise ServiceError(SERVICE, f"{target.shown} did not accept the notification")
