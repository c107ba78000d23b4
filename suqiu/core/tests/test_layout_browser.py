"""The top bar on a phone and on a desk, in both languages, in a real browser.

Chinese text may break between any two characters, so a squeezed nav link used to stand as a
column of single characters ("工 / 作 / 台"). Every link, the user's name and the buttons of the
bar must each stay on one line, and the bar must not be wider than the screen.
"""

from __future__ import annotations

import pytest

from suqiu.core.tests.browser import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# For each item of the bar: its text and on how many lines it is laid out. An inline item: the
# distinct tops of its boxes (one line may hold several boxes, e.g. runs in two fonts); a button
# (one box): its content height over its line height.
BAR_ITEMS = """() => [...document.querySelectorAll(
    '.topbar .brand, .topbar .mainnav a, .topbar .session .who, .topbar .session button,'
    + ' .topbar .session > a')]
  .map((el) => {
    const cs = getComputedStyle(el);
    let lines;
    if (cs.display === 'inline') {
      lines = new Set([...el.getClientRects()].map((r) => Math.round(r.top))).size;
    } else {
      const lh = cs.lineHeight === 'normal' ? 1.3 * parseFloat(cs.fontSize)
                                            : parseFloat(cs.lineHeight);
      const content = el.getBoundingClientRect().height
        - ['paddingTop', 'paddingBottom', 'borderTopWidth', 'borderBottomWidth']
            .reduce((sum, k) => sum + parseFloat(cs[k]), 0);
      lines = Math.round(content / lh);
    }
    return {text: el.textContent.trim(), display: cs.display, lines};
  })"""


@pytest.mark.parametrize("width", [360, 1280])
def test_the_bar_keeps_every_item_on_one_line(world, page, width):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, world.dispatcher, "/workbench/")  # the dispatcher has the longest nav
    expect(page.locator("header .who")).to_have_text(str(world.dispatcher))
    for language in ("中文", "English"):
        if page.locator(".langswitch button", has_text=language).count():
            page.locator(".langswitch button", has_text=language).click()
            expect(page.locator(".langswitch button")).not_to_have_text(language)
        items = page.evaluate(BAR_ITEMS)
        assert len(items) >= 6, items  # brand, ≥ 3 nav links, name, sign-out
        for item in items:
            assert item["lines"] == 1, (width, language, item)
        assert page.evaluate("document.querySelector('.topbar').scrollWidth") <= width
        icon = page.locator("head link[rel=icon]").get_attribute("href")
        response = page.request.get(icon)  # the tab's icon (no request for /favicon.ico)
        assert response.status == 200 and "svg" in response.headers["content-type"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"topbar-{width}-{language}.png"))
