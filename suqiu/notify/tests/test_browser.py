"""The inbox in a real browser (Debian's Chromium through Playwright, against ``live_server``):
the badge shows the unread count, "Mark read" swaps the item through htmx and the badge follows
without a page load. Screenshots go to test-artifacts/browser/ (gitignored)."""

from __future__ import annotations

import re

import pytest

from suqiu.core.tests.browser import ARTIFACTS, sign_in
from suqiu.notify.services import notify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mark_read_in_the_browser_updates_the_badge(world, page):
    from playwright.sync_api import expect

    notify(kind="k", users=[world.dispatcher], subject="新诉求待分拨", body="一社区 楼道灯坏了")
    notify(kind="k", users=[world.dispatcher], subject="诉求即将超时", body="还剩 2 小时")
    sign_in(page, world.dispatcher, "/workbench/notify/")
    expect(page).to_have_url(re.compile(r"/workbench/notify/$"))
    badge = page.locator("a[data-nav=notify] .nav-badge")
    expect(badge).to_have_text("2")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notify-inbox.png"), full_page=True)
    item = page.locator(".notify-item", has_text="新诉求待分拨")
    item.get_by_role("button").click()
    expect(page.locator(".notify-item", has_text="新诉求待分拨")).not_to_have_class(
        re.compile(r"\bunread\b")
    )
    expect(badge).to_have_text("1")
    expect(page.locator("#notify-unread")).to_contain_text("1")
    page.locator(".notify-item", has_text="诉求即将超时").get_by_role("button").click()
    expect(page.locator("a[data-nav=notify]")).to_be_visible()
    expect(page.locator("a[data-nav=notify] .nav-badge")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "notify-inbox-read.png"), full_page=True)


def test_an_administrator_sends_a_failed_message_again(world, page, settings):
    from playwright.sync_api import expect

    from suqiu.notify.models import MessageStatus, OutboxMessage

    settings.SUQIU_NOTIFY = {"SMS_URL": "http://127.0.0.1:9/"}
    notify(kind="reporter.created", contacts=[("sms", "13700000001")], subject="s", body="短信")
    OutboxMessage.objects.update(
        status=MessageStatus.FAILED, attempts=6, last_error="SMS gateway answered 400: bad number"
    )
    sign_in(page, world.admin, "/workbench/notify/failures")
    expect(page).to_have_url(re.compile(r"/workbench/notify/failures$"))
    expect(page.locator("a[data-nav=notify_failures] .nav-badge")).to_have_text("1")
    row = page.locator("tr[data-message]")
    expect(row).to_contain_text("bad number")
    expect(row).to_contain_text("137****0001")
    page.screenshot(path=str(ARTIFACTS / "notify-failures.png"), full_page=True)
    row.get_by_role("button").click()
    expect(row).to_contain_text("Queued again")
    assert OutboxMessage.objects.get().status == "pending"


def test_a_resident_finds_and_reads_their_messages(world, page):
    from playwright.sync_api import expect

    notify(kind="k", users=[world.resident], subject="您的诉求已受理", body="编号 SQ-1")
    notify(kind="k", users=[world.resident], subject="您的诉求已办结", body="请评价")
    sign_in(page, world.resident, "/")
    link = page.locator("a[data-nav=notify]")
    expect(link.locator(".badge")).to_have_text("2")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "resident-home-messages.png"), full_page=True)
    link.click()
    expect(page).to_have_url(re.compile(r"/workbench/notify/$"))
    expect(page.locator(".notify-item")).to_have_count(2)
    page.locator(".notify-item", has_text="您的诉求已受理").get_by_role("button").click()
    expect(page.locator("a[data-nav=notify] .badge")).to_have_text("1")
    page.screenshot(path=str(ARTIFACTS / "resident-inbox.png"), full_page=True)
    page.goto("/")
    expect(page.locator("a[data-nav=notify] .badge")).to_have_text("1")
