"""Browser-test helpers shared by the apps' browser tests: a Playwright ``page`` on Debian's
Chromium against ``live_server`` (requests to any other host are aborted), and ``sign_in``.
The root conftest.py loads this module as a plugin, so ``page`` is a fixture everywhere."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from suqiu.core.testing import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"


@pytest.fixture
def page(live_server):
    from playwright.sync_api import expect, sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are not async.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=15_000)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )
            context = browser.new_context(base_url=live_server.url, locale="en-GB")
            context.route(
                re.compile(r"^(?!" + re.escape(live_server.url) + ").*"),
                lambda route: route.abort(),
            )
            yield context.new_page()
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def sign_in(page, user, next_url: str) -> None:
    """Sign ``user`` in and return on the page signed in to, loaded with its style sheets (a
    layout measured while they load is the unstyled page's)."""
    page.goto(f"/accounts/login/?next={next_url}")
    form = page.locator("main form")
    form.locator("input[name=username]").fill(user.username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url, wait_until="load")
