"""The top bar on a phone and on a desk, in both languages, in a real browser.

Chinese text may break between any two characters, so a squeezed nav link used to stand as a
column of single characters ("工 / 作 / 台"). Every link, the user's name and the buttons of the
bar must each stay on one line, and the bar must not be wider than the screen.
"""

from __future__ import annotations

import pytest

from suqiu.core.tests.browser import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def in_each_language(page):
    """Yield 中文 then English, switching the page to each through the bar's language button
    (it names the other language) when it is not shown in it yet; each page with its style
    sheets loaded (measured while they load, a badge's text wraps: "In progress" on two lines
    once in the full suite)."""
    from playwright.sync_api import expect

    for language in ("中文", "English"):
        switch = page.locator(".langswitch button", has_text=language)
        if switch.count():
            switch.click()
            expect(page.locator(".langswitch button")).not_to_have_text(language)
        page.wait_for_load_state("load")
        yield language


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
    for language in in_each_language(page):
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


# For each cell of a column: on how many lines its text is laid out. The boxes of its text
# (not of the cell, as tall as its row, nor of a badge, taller than its text), in order from the
# top; a box that starts below the previous line's bottom starts a new line.
CELL_LINES = """(selector) => [...document.querySelectorAll(selector)].map((el) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const rects = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      rects.push(...[...range.getClientRects()].filter((r) => r.width > 0));
    }
    rects.sort((a, b) => a.top - b.top);
    let lines = 0, bottom = -Infinity;
    for (const r of rects) {
      if (r.top >= bottom - 2) { lines += 1; bottom = r.bottom; }
      else bottom = Math.max(bottom, r.bottom);
    }
    return {text: el.textContent.trim(), lines};
  })"""


@pytest.mark.parametrize("width", [1024, 1280, 1440])
def test_the_appeal_list_keeps_the_due_column_in_view(world, page, width):
    """On a laptop the list shows every column up to the due time without scrolling sideways,
    and a category or an organisation's name is not broken inside (物业/管理)."""
    from playwright.sync_api import expect

    from suqiu.appeals.tests.chain import bring_to

    # Names as long as a real district's.
    for obj, name in (
        (world.c1, "龙田社区"),
        (world.g1, "龙田社区第1网格"),
        (world.housing, "坪山区住房和建设局"),
    ):
        obj.name = name
        obj.save(update_fields=["name"])
    for i in range(3):
        bring_to(world, "in_progress", title=f"龙田花园{i + 1}栋地下车库入口积水严重影响出行")
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, world.dispatcher, "/workbench/?queue=in_progress")
    for language in in_each_language(page):
        expect(page.locator("td.c-due")).to_have_count(3)
        overflow = page.evaluate(
            "(() => { const r = document.querySelector('#wb-results');"
            " return r.scrollWidth - r.clientWidth; })()"
        )
        assert overflow <= 0, (width, language, overflow)
        due = page.locator("td.c-due").first.bounding_box()
        assert due["x"] + due["width"] <= width, (width, language, due)
        for cell in page.evaluate(CELL_LINES, "td.c-cat, td.c-urg, td.c-status"):
            assert cell["lines"] == 1, (width, language, cell)
        for cell in page.evaluate(CELL_LINES, "td.c-lead, td.c-area"):
            # at most one break, at the " · " between the organisation and the person
            assert cell["lines"] <= 2, (width, language, cell)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"appeal-list-{width}-{language}.png"))


def test_on_a_phone_the_reply_check_follows_the_actions(world, page):
    """One column on a phone: what the verifier acts on (actions, then the reply check) comes
    before the map and the timeline, not after them."""
    from suqiu.replies.tests.test_replies import resolve

    appeal, _check = resolve(world, "楼道灯已修好。")  # a reply with warnings
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, world.dispatcher, f"/workbench/appeals/{appeal.pk}")
    # The appeal page itself, with its style sheets (measured unstyled, the cards stand in the
    # document's order).
    page.wait_for_url(f"**/workbench/appeals/{appeal.pk}")
    page.wait_for_load_state("load")
    tops = page.evaluate(
        """() => Object.fromEntries(['.ap-facts', '.ap-actions', '.reply-checks', '.ap-timeline']
             .map((s) => [s, document.querySelector(s).getBoundingClientRect().top]))"""
    )
    order = sorted(tops, key=tops.get)
    assert order == [".ap-facts", ".ap-actions", ".reply-checks", ".ap-timeline"], tops
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "appeal-phone-reply-check.png"), full_page=True)
