"""Acceptance: a resident reports a problem in a real browser and staff take it through the
whole work chain: dispatch → accept → resolve → verify → revisit → closed.

Debian's Chromium, driven by Playwright, against the live Django server (SQLite pass only; the
PostgreSQL pass deselects ``browser``). Each person has their own browser context (own cookies).
Waiting is Playwright's auto-waiting (``expect``), never sleeps. Screenshots of each step are
written to test-artifacts/browser/.
"""

from __future__ import annotations

import hashlib
import io
import re
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page, expect

from suqiu.core.testing import G1_POINT, PASSWORD

pytestmark = pytest.mark.browser

# Static assets every page of the flow must have loaded (from the live server, status 200).
EXPECTED_STATIC = [
    "/static/suqiu/app.css",
    "/static/suqiu/resident.js",
    "/static/suqiu/map.js",
    "/static/suqiu/workbench.css",
    "/static/suqiu/workbench.js",
    "/static/django_htmx/htmx-2.min.js",
    "/static/leaflet/leaflet.js",
    "/static/leaflet/leaflet.css",
]

TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
PUBLIC_REPLY = "已更换楼道灯泡并检修线路，现已恢复照明。"


def png_bytes() -> bytes:
    """A small real PNG (the service checks the content, not the file name)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 16, 46)).save(buffer, format="PNG")
    return buffer.getvalue()


def sign_in(context, user, next_path: str) -> Page:
    page = context.new_page()
    page.goto(f"/accounts/login/?next={quote(next_path)}")
    form = page.locator("main form")
    form.locator("input[name=username]").fill(user.username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(next_path.split("?")[0]) + r"(\?.*)?$"))
    expect(page.locator("header .who")).to_have_text(str(user))
    return page


def place_pin_in_grid(page: Page, grid_name: str) -> None:
    """Tap the map at the centre of a grid: its permanent label sits at the polygon's centre.

    The map fits itself to the grids once they load (an animated zoom), so wait until the label
    has stopped moving (and the page scrolling) before reading its position. Labels ignore pointer events, so a click at
    their centre reaches the map underneath.
    """
    label = page.locator(".leaflet-tooltip.grid-label", has_text=grid_name)
    expect(label).to_be_visible()
    page.locator("#pick-map").scroll_into_view_if_needed()  # mouse clicks land in the viewport
    page.wait_for_function(
        """(name) => {
            const el = [...document.querySelectorAll('.leaflet-tooltip.grid-label')]
                .find((e) => e.textContent.trim() === name);
            if (!el || document.querySelector('#pick-map .leaflet-zoom-anim')) return false;
            const r = el.getBoundingClientRect();
            const key = [r.x, r.y, r.width, r.height].join();
            const s = (window.__labelStill ||= { key: '', frames: 0 });
            s.frames = s.key === key ? s.frames + 1 : 0;
            s.key = key;
            return s.frames >= 5;
        }""",
        arg=grid_name,
    )
    box = label.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def act(page: Page, action: str, status: str, **fields: str) -> None:
    """Open an action's form on the appeal page, fill it, send it (htmx) and wait for the status."""
    form = page.locator(f"form[action$='/act/{action}']")
    expect(form).to_have_count(1)
    page.locator(f"details.act-{action} > summary").click()
    for name, value in fields.items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    with page.expect_response(
        lambda r: r.url.endswith(f"/act/{action}") and r.request.method == "POST"
    ) as answer:
        form.locator("button[type=submit]").click()
    response = answer.value
    assert response.status == 200, f"{action}: HTTP {response.status}"
    assert response.request.headers.get("hx-request") == "true", f"{action} was not sent by htmx"
    expect(page.locator("#appeal-panel .ap-tags .st")).to_have_class(
        re.compile(rf"\bst-{status}\b")
    )
    expect(page.locator("#appeal-panel .ap-notice")).to_be_visible()


def open_from_queue(page: Page, queue: str, code: str) -> None:
    page.goto(f"/workbench/?queue={queue}")
    expect(page.locator(f".wb-queues a.q-{queue}")).to_have_attribute("aria-current", "true")
    page.locator(".wb-table a.code", has_text=code).click()
    expect(page.locator("#appeal-panel .ap-code")).to_have_text(code)


def test_resident_appeal_goes_through_the_whole_work_chain(
    world, settings, new_context, traffic, shoot
):
    from suqiu.appeals.models import Appeal, AppealEvent

    # The map opens on G1 (it then fits all grids in view; the pin goes on G1's label). Its tiles
    # come from a real tile server, which the browser contexts never reach (see conftest).
    settings.SUQIU = {**settings.SUQIU, "MAP_CENTER": G1_POINT, "MAP_TILE_URL": TILE_URL}
    photo = png_bytes()

    # --- The resident reports a broken stair light, with a pin and a photo. ---
    resident_ctx = new_context()
    resident = sign_in(resident_ctx, world.resident, "/report")
    resident.locator("#id_title").fill("楼道灯坏了")
    resident.locator("#id_description").fill("3号楼2单元楼道灯一周没亮，晚上老人上下楼很危险。")
    place_pin_in_grid(resident, world.g1.name)
    expect(resident.locator("#id_lat")).not_to_have_value("")
    lat = float(resident.locator("#id_lat").input_value())
    lon = float(resident.locator("#id_lon").input_value())
    assert abs(lat - G1_POINT[0]) < 0.004 and abs(lon - G1_POINT[1]) < 0.004, (lat, lon)
    expect(resident.locator("#pin-clear")).to_be_visible()
    resident.locator("#id_photos").set_input_files(
        files=[{"name": "stair-light.png", "mimeType": "image/png", "buffer": photo}]
    )
    expect(resident.locator("#photo-summary")).to_contain_text("1")
    expect(resident.locator("#id_reporter_phone")).to_have_value(world.resident.phone)
    shoot(resident, "01-report-filled")
    resident.locator("form.report-form button[type=submit]").click()
    expect(resident).to_have_url(re.compile(r"/submitted/[A-Z0-9-]+$"))
    code = resident.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    shoot(resident, "02-submitted")
    appeal = Appeal.objects.get(tracking_code=code)
    assert appeal.grid_id == world.g1.pk

    # --- The dispatcher assesses it (housing) and dispatches it to the category's default. ---
    dispatcher = sign_in(new_context(), world.dispatcher, "/workbench/?queue=to_assess")
    expect(dispatcher.locator(".wb-table a.code", has_text=code)).to_be_visible()
    shoot(dispatcher, "03-workbench-to-assess")
    dispatcher.locator(".wb-table a.code", has_text=code).click()
    expect(dispatcher.locator("#appeal-panel .ap-code")).to_have_text(code)
    expect(dispatcher.locator("#appeal-panel .ap-photos img")).to_have_count(1)
    expect(dispatcher.locator("#appeal-panel .ap-photos img")).to_have_js_property(
        "naturalWidth", 64
    )
    # Only the actions the dispatcher may take now: no accept or resolve on a new appeal.
    expect(dispatcher.locator("details.act-assess")).to_have_count(1)
    expect(dispatcher.locator("details.act-accept, details.act-resolve")).to_have_count(0)
    act(dispatcher, "assess", "assessed", category=str(world.cat_housing.pk))
    dispatch_org = dispatcher.locator("form[action$='/act/dispatch'] [name=lead_organisation]")
    expect(dispatch_org).to_have_value(str(world.housing.pk))
    act(dispatcher, "dispatch", "dispatched")
    shoot(dispatcher, "04-dispatched")

    # --- The housing department's handler accepts it and resolves it with a public reply. ---
    handler = sign_in(new_context(), world.handler, "/workbench/?queue=to_accept")
    open_from_queue(handler, "to_accept", code)
    expect(handler.locator("details.act-assess, details.act-verify")).to_have_count(0)
    act(handler, "accept", "in_progress")
    act(
        handler,
        "resolve",
        "resolved",
        public_reply=PUBLIC_REPLY,
        internal_note="更换灯泡两个，线路接头老化已处理。",
    )
    # The resolver may not verify their own work.
    expect(handler.locator("details.act-verify")).to_have_count(0)
    shoot(handler, "05-resolved")

    # --- Someone else (the dispatcher) verifies the result. ---
    open_from_queue(dispatcher, "to_verify", code)
    act(dispatcher, "verify", "verified", note="电话回访确认灯已亮。")
    shoot(dispatcher, "06-verified")

    # --- The resident reads the reply on the tracking page and rates it: closed. ---
    resident.goto(f"/track/{code}")
    expect(resident.locator(".status-box")).to_have_class(re.compile(r"\bstatus-verified\b"))
    expect(resident.locator(".track-card .reply")).to_contain_text(PUBLIC_REPLY)
    rating = resident.locator("form.revisit")
    rating.locator(
        "label.choice", has=resident.locator("input[name=satisfaction][value='5']")
    ).click()
    rating.locator(
        "label.choice", has=resident.locator("input[name=was_resolved][value=yes]")
    ).click()
    expect(rating.locator("input[name=satisfaction][value='5']")).to_be_checked()
    expect(rating.locator("input[name=was_resolved][value=yes]")).to_be_checked()
    rating.locator("textarea[name=comment]").fill("修得很快，谢谢！")
    shoot(resident, "07-track-rate")
    rating.locator("button[type=submit]").click()
    expect(resident.locator(".status-box")).to_have_class(re.compile(r"\bstatus-closed\b"))
    expect(resident.locator(".track-card .alert-ok")).to_be_visible()
    expect(resident.locator("form.revisit")).to_have_count(0)
    shoot(resident, "08-closed")

    # --- What the database recorded. ---
    appeal.refresh_from_db()
    assert appeal.status == "closed"
    assert appeal.category_id == world.cat_housing.pk
    assert appeal.lead_organisation_id == world.housing.pk
    assert appeal.public_reply == PUBLIC_REPLY
    assert appeal.satisfaction == 5 and appeal.revisit_resolved is True
    assert appeal.reporter_id == world.resident.pk
    events = [
        (e.kind, e.actor_id)
        for e in AppealEvent.objects.filter(appeal=appeal).order_by("created_at", "id")
    ]
    assert events == [
        ("created", world.resident.pk),
        ("assess", world.dispatcher.pk),
        ("dispatch", world.dispatcher.pk),
        ("accept", world.handler.pk),
        ("resolve", world.handler.pk),
        ("verify", world.dispatcher.pk),
        ("revisit", world.resident.pk),
    ]
    [stored] = appeal.photos.all()
    assert stored.content_type == "image/png"
    assert (stored.width, stored.height) == (64, 48)
    with stored.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == hashlib.sha256(photo).hexdigest()

    # --- The pages loaded their CSS and scripts from the server, and nothing went outside. ---
    assert traffic.static_failures() == []
    assert traffic.failed() == []
    missing = [path for path in EXPECTED_STATIC if not traffic.loaded(path)]
    assert missing == []
    assert traffic.page_errors == []
    # The map did ask for tiles, and every request off the live server was stopped.
    assert traffic.blocked
    assert {urlsplit(url).netloc for url in traffic.blocked} == {"tile.openstreetmap.org"}


def test_report_page_works_on_a_phone(world, new_context, traffic, shoot):
    """390×844 (a common phone): the send button is on screen after scrolling, fits the width,
    and a tap on it sends the report (here by address, anonymously)."""
    from suqiu.appeals.models import Appeal

    phone = new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = phone.new_page()
    page.goto("/report")
    submit = page.locator("form.report-form button[type=submit]")
    expect(submit).to_be_visible()
    # Nothing is wider than the screen (no sideways scrolling on a phone).
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#id_title").fill("路灯不亮")
    page.locator("#id_description").fill("小区东门路灯坏了三天。")
    page.locator("#id_address").fill("和平路12号东门")
    page.locator("#id_is_anonymous").check()
    expect(page.locator("#id_reporter_phone")).to_be_hidden()
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_in_viewport()
    box = submit.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["height"] >= 40  # a comfortable tap target
    shoot(page, "09-mobile-report")
    submit.tap()
    expect(page).to_have_url(re.compile(r"/submitted/[A-Z0-9-]+$"))
    code = page.locator("#tracking-code").inner_text().strip()
    shoot(page, "10-mobile-submitted")
    appeal = Appeal.objects.get(tracking_code=code)
    assert appeal.is_anonymous and appeal.reporter_name == "" and appeal.reporter_phone == ""
    assert appeal.address == "和平路12号东门"
    assert traffic.failed() == []
    assert traffic.page_errors == []
