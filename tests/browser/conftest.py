"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright against
pytest-django's ``live_server``.

Playwright's sync API keeps an asyncio event loop in the main thread, and Django refuses ORM
calls from a thread with a running loop (``SynchronousOnlyOperation``). The test body and the
database fixtures (set-up, flush) do ORM work in that thread, so ``DJANGO_ALLOW_ASYNC_UNSAFE``
is set for as long as the browser is running (and
restored afterwards, so the rest of the suite keeps Django's guard). Nothing here is async: the
flag only silences the check, it does not make anything run concurrently.

Every request to anything but the live server (map tiles, fonts, telemetry) is aborted, so the
tests never touch the network. Screenshots go to ``test-artifacts/browser/`` (gitignored).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Debian's package (the root conftest.py skips browser tests without it, or fails them in CI).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
# Playwright's auto-waiting default is 30 s; a step that needs longer is broken, not slow.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def _orm_beside_playwright():
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(_orm_beside_playwright):
    """One headless Chromium per test module (Debian's binary; Playwright downloads nothing)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Traffic:
    """What the pages asked the live server for, and what was kept from the network."""

    origin: str
    responses: list[tuple[int, str]] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def failed(self) -> list[tuple[int, str]]:
        return [(status, url) for status, url in self.responses if status >= 400]

    def static_failures(self) -> list[tuple[int, str]]:
        return [(s, u) for s, u in self.failed() if urlsplit(u).path.startswith("/static/")]

    def loaded(self, path: str) -> bool:
        return any(s == 200 and urlsplit(u).path == path for s, u in self.responses)


@pytest.fixture
def traffic(live_server) -> Traffic:
    return Traffic(origin=live_server.url)


@pytest.fixture
def new_context(browser, live_server, traffic):
    """Make browser contexts (one per person: separate cookies) wired to ``traffic``.

    ``new_context(**options)`` takes Playwright's context options (viewport, is_mobile, ...).
    """
    contexts = []
    origin = urlsplit(live_server.url).netloc

    def block_the_network(route):
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:
            traffic.blocked.append(route.request.url)
            route.abort()

    def make(**options):
        options.setdefault("base_url", live_server.url)
        options.setdefault("locale", "zh-CN")
        options.setdefault("timezone_id", "Asia/Shanghai")
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", block_the_network)

        def watch(page):
            page.on("response", lambda r: traffic.responses.append((r.status, r.url)))
            page.on("pageerror", lambda e: traffic.page_errors.append(f"{page.url}: {e}"))

        context.on("page", watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shoot():
    """``shoot(page, "01-report")`` saves a full-page screenshot under test-artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
