"""Hotspots: planted clusters found with the right members and ranked by heat, noise left out,
the same problem at another place apart, votes raising heat, idempotent re-runs, promotion to a
governance project with its events, the worker's claim, scoping of pages and API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone, translation

from suqiu.appeals import services as appeal_services
from suqiu.appeals.models import Appeal, AppealEvent, EventKind
from suqiu.appeals.tests.chain import act, actor
from suqiu.core import clock
from suqiu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from suqiu.core.testing import G1_POINT, G2_POINT, G3_POINT, G4_POINT, PASSWORD
from suqiu.core.tests.browser import ARTIFACTS, sign_in
from suqiu.hotspots import selectors, services
from suqiu.hotspots.models import GovernanceProject, Hotspot, HotspotJob, HotspotMember

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 3, 30, 12, 0))

# Cluster A: rubbish at the east gate, grid G1 (community C1, street S1): six people.
RUBBISH_G1 = [
    ("东门垃圾堆积发臭", "小区东门的垃圾堆积好几天没人清运，发臭了"),
    ("东门垃圾没人清运", "东门垃圾站的垃圾没人清运，堆积到路边，很臭"),
    ("小区东门垃圾发臭", "东门口垃圾堆积如山，天热发臭，苍蝇乱飞，一直没人清运"),
    ("东门垃圾站满了没人清运", "东门垃圾站垃圾满出来了，堆积在门口发臭"),
    ("垃圾堆积在东门口", "东门口的垃圾堆积三天了，没有人来清运，味道很臭"),
    ("东门垃圾又堆积了", "东门的垃圾清运不及时，又堆积发臭了"),
]
# Cluster B: street lights out, grid G3 (community C2, street S1): four people.
LIGHTS_G3 = [
    ("幸福路路灯不亮", "幸福路一整排路灯晚上都不亮，漆黑一片"),
    ("幸福路晚上路灯坏了", "幸福路的路灯坏了一个星期，晚上漆黑，走路害怕"),
    ("路灯不亮幸福路漆黑", "晚上幸福路路灯全部不亮，老人孩子出门不安全"),
    ("幸福路路灯全坏了", "幸福路路灯不亮很多天了，晚上一片漆黑"),
]
# Cluster C: square-dance noise, grid G4 (community C3, street S2): three people.
DANCE_G4 = [
    ("广场舞音响噪音扰民", "每天晚上广场舞音响声音太大，噪音扰民"),
    ("广场舞噪音太大", "广场舞的音响噪音大到晚上十点，严重扰民"),
    ("晚上广场舞音响扰民", "广场舞音响开得很大，噪音吵得孩子没法写作业"),
]
# Cluster D: the same problem as A at another place (grid G2): three people.
RUBBISH_G2 = [
    ("西门垃圾堆积发臭", "西门的垃圾堆积好几天没人清运，发臭了"),
    ("西门垃圾没人清运", "西门垃圾站的垃圾没人清运，堆积在路边很臭"),
    ("西门口垃圾发臭", "西门口垃圾堆积，天热发臭，一直没人清运"),
]
# Noise: unrelated appeals in G1.
NOISE_G1 = [
    ("3栋电梯故障", "3栋电梯经常困人，请物业维修"),
    ("楼顶漏水", "顶楼下雨天漏水，墙面发霉"),
    ("停车收费太贵", "地面停车位收费标准太高"),
    ("井盖丢失", "人行道上一个井盖丢了，很危险"),
    ("流浪狗咬人", "附近有流浪狗，已经咬伤一个小孩"),
]

_phone = iter(range(13800000000, 13900000000))


def create(world, text, point, *, days_ago: float, at=None):
    """An appeal taken by the intake operator from a distinct caller."""
    data = appeal_services.AppealInput(
        title=text[0],
        description=text[1],
        lat=point[0],
        lon=point[1],
        reporter_name="来电人",
        reporter_phone=str(next(_phone)),
    )
    with clock.at(at or NOW - timedelta(days=days_ago)):
        return appeal_services.appeal_create(actor=actor(world.operator), data=data)


@pytest.fixture
def planted(world):
    out = {}
    for key, texts, point in (
        ("A", RUBBISH_G1, G1_POINT),
        ("B", LIGHTS_G3, G3_POINT),
        ("C", DANCE_G4, G4_POINT),
        ("D", RUBBISH_G2, G2_POINT),
        ("noise", NOISE_G1, G1_POINT),
    ):
        out[key] = {create(world, t, point, days_ago=1 + i * 2).pk for i, t in enumerate(texts)}
    # An appeal older than the window: never part of a hotspot.
    out["old"] = {create(world, RUBBISH_G1[0], G1_POINT, days_ago=45).pk}
    return out


def run(**kw):
    with clock.at(NOW):
        return services.run(**kw)


def current(window="30d"):
    return list(Hotspot.objects.filter(window=window, is_current=True).order_by("-heat"))


def members(h) -> set[int]:
    return set(HotspotMember.objects.filter(hotspot=h).values_list("appeal_id", flat=True))


def by_members(planted) -> dict[str, Hotspot]:
    found = {}
    for h in current():
        for key in ("A", "B", "C", "D"):
            if members(h) == planted[key]:
                found[key] = h
    return found


def test_planted_clusters_are_found_with_their_members_ranked_by_heat(planted):
    result = run()
    assert result.appeals == sum(len(v) for k, v in planted.items() if k != "old")
    hotspots = current()
    assert [members(h) for h in hotspots[:2]] == [planted["A"], planted["B"]]
    found = by_members(planted)
    assert set(found) == {"A", "B", "C", "D"}  # each planted cluster exactly, nothing more
    assert len(hotspots) == 4
    everything = set().union(*(members(h) for h in hotspots))
    assert not everything & planted["noise"]
    assert not everything & planted["old"]
    a = found["A"]
    assert (a.size, a.reporters) == (6, 6)
    assert a.heat > found["B"].heat > found["C"].heat
    assert "垃圾" in a.title and a.representative_id in planted["A"]
    assert "垃圾" in a.terms


def test_a_grid_problem_at_three_estates_names_them_after_its_title(world):
    texts = [
        ("龙田新村垃圾桶满溢", "龙田新村的垃圾桶满溢，垃圾散落一地，几天没人清运"),
        ("龙田花园垃圾桶满溢", "龙田花园门口垃圾桶满溢了，垃圾没人清运，发臭"),
        ("龙兴大厦垃圾桶满溢", "龙兴大厦楼下垃圾桶满溢，垃圾清运不及时"),
        ("龙田花园垃圾桶又满溢", "龙田花园垃圾桶满溢，垃圾没人清运"),
    ]
    for i, t in enumerate(texts):
        create(world, t, G1_POINT, days_ago=1 + i)
    run()
    (h,) = current()
    assert h.size == 4
    # Two of four name 龙田花园: no estate speaks for the grid's hotspot, so its place is the
    # grid and its title says which estates it spans.
    assert "花园" not in h.place_label and "·" not in h.place_label
    assert world.g1.name in h.place_label
    title, spanned = h.display_title.removesuffix("）").split("（还有")
    assert h.title == title  # the places are kept apart and said in the reader's language
    with translation.override("en"):
        assert h.display_title == f"{title} (also {spanned.replace('、', ', ')})"
    assert title in [t for t, _d in texts]
    named = {"龙田新村", "龙田花园", "龙兴大厦"}
    (own,) = [p for p in named if p in title]
    others = spanned.split("、")
    assert set(others) == named - {own}
    if own != "龙田花园":
        assert others[0] == "龙田花园"  # the commonest first


def test_the_same_problem_at_two_places_is_two_hotspots(planted):
    run()
    found = by_members(planted)
    assert found["A"].pk != found["D"].pk
    assert found["A"].block != found["D"].block


def test_votes_raise_heat(planted):
    run()
    before = by_members(planted)
    assert before["C"].heat <= before["D"].heat + 1  # alike: three callers each
    # Votes come with imported messages (or a partner's channel); set here as the import does.
    Appeal.objects.filter(pk__in=planted["C"]).update(support_votes=40, oppose_votes=2)
    run()
    after = by_members(planted)
    assert after["C"].pk == before["C"].pk
    assert after["C"].votes == 126
    assert after["C"].heat > before["C"].heat
    assert after["C"].heat > after["D"].heat
    assert after["C"].heat > after["B"].heat  # votes lift it above a four-caller hotspot


def test_a_rerun_is_idempotent(planted):
    first = run()
    snapshot = {h.pk: (members(h), h.heat, h.title) for h in current()}
    second = run()
    assert (second.created, second.removed, second.updated) == (0, 0, 0)  # nothing changed
    assert second.hotspots == first.hotspots
    assert second.featurised == 0  # features are computed once per appeal
    assert {h.pk: (members(h), h.heat, h.title) for h in current()} == snapshot
    assert HotspotMember.objects.count() == sum(len(m) for m, _h, _t in snapshot.values())


def test_a_new_member_joins_the_same_hotspot(planted, world):
    run()
    a = by_members(planted)["A"]
    late = create(
        world, ("东门垃圾还是没人清运", "东门垃圾堆积发臭，清运车一直没来"), G1_POINT, days_ago=0.5
    )
    run()
    a.refresh_from_db()
    assert late.pk in members(a) and a.size == 7


def test_an_until_window_runs_on_history_apart_from_the_rolling_one(planted):
    with clock.at(NOW + timedelta(days=400)):
        result = services.run(days=30, until=NOW)
    assert result.window == "30d@2026-03-30"
    assert Hotspot.objects.filter(window="30d@2026-03-30").count() == 4
    assert not Hotspot.objects.filter(window="30d").exists()


def test_windows_are_named_for_people_and_a_bad_window_is_refused(planted, world, client):
    run()
    with clock.at(NOW + timedelta(days=400)):
        services.run(days=60, until=NOW)
    client.login(username=world.dispatcher.username, password=PASSWORD)
    with translation.override("en"):
        assert services.window_label("30d") == "last 30 days"
        assert services.window_label("60d@2026-03-30") == "60 days to 2026-03-30"
    with translation.override("zh-hans"):
        assert services.window_label("30d") == "近 30 天"
    listing = client.get(reverse("hotspots:list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert listing.context["windows"] == [
        ("30d", "近 30 天"),
        ("60d@2026-03-30", "截至 2026-03-30 的 60 天"),
    ]
    assert ">近 30 天</option>" in listing.content.decode()
    for bad in ("garbage", "30", "0d", "30d@yesterday", "30d@2026-03-30x"):
        response = client.get("/api/v1/hotspots", {"window": bad}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 422, bad
        # Said in the reader's language, without the pattern (that is for programs).
        assert response.json()["error"]["fields"]["window"] == ["格式不符（见 API 说明）。"], bad
    assert client.get("/api/v1/hotspots", {"window": "60d@2026-03-30"}).json()["count"] == 4


def test_promotion_creates_the_project_and_a_note_on_every_member(planted, world):
    run()
    a = by_members(planted)["A"]
    project = services.promote(
        actor=actor(world.dispatcher),
        hotspot_id=a.pk,
        data=services.ProjectInput(
            title="东门垃圾清运专项治理",
            description="增加清运频次",
            handler_organisation=world.c1.pk,
            handler_person=world.community_worker.pk,
        ),
    )
    assert set(project.appeals.values_list("pk", flat=True)) == planted["A"]
    assert (project.status, project.created_by_id) == ("open", world.dispatcher.pk)
    a.refresh_from_db()
    assert a.project_id == project.pk
    notes = AppealEvent.objects.filter(kind=EventKind.NOTE, data__source="hotspots")
    assert set(notes.values_list("appeal_id", flat=True)) == planted["A"]
    assert {n.data["project"] for n in notes} == {project.pk}
    assert all(n.actor_id == world.dispatcher.pk for n in notes)
    with pytest.raises(Conflict):
        services.promote(
            actor=actor(world.dispatcher),
            hotspot_id=a.pk,
            data=services.ProjectInput(title="again", handler_organisation=world.c1.pk),
        )
    # The promoted hotspot keeps its id and project through re-runs, even when it is not found
    # again (its appeals were rejected as spam, say).
    run()
    a.refresh_from_db()
    assert a.project_id == project.pk and a.is_current
    Appeal.objects.filter(pk__in=planted["A"]).update(status="rejected")
    run()
    a.refresh_from_db()
    assert (a.project_id, a.is_current) == (project.pk, False)


def test_promotion_input_is_checked_and_nothing_is_half_saved(planted, world):
    run()
    a = by_members(planted)["A"]
    with pytest.raises(ValidationFailed) as exc:
        services.promote(
            actor=actor(world.dispatcher),
            hotspot_id=a.pk,
            data=services.ProjectInput(
                title=" ", handler_organisation=world.c1.pk, handler_person=world.handler.pk
            ),
        )
    assert set(exc.value.fields) == {"title", "handler_person"}
    with pytest.raises(PermissionDenied):
        services.promote(
            actor=actor(world.community_worker),
            hotspot_id=a.pk,
            data=services.ProjectInput(title="x", handler_organisation=world.c1.pk),
        )
    assert not GovernanceProject.objects.exists()
    assert not AppealEvent.objects.filter(data__source="hotspots").exists()


def test_a_hotspot_across_streets_is_titled_by_what_the_reader_sees(world):
    """A hotspot blocked by a named estate spans two streets; its representative appeal is in
    S2. S1's leader sees the hotspot (one of its appeals is theirs) but not S2's resident's words:
    list page, detail page, API and the appeal page's panel are titled by S1's own appeal."""
    from django.test import Client

    from suqiu.api.testing import ApiClient

    def by_area(title, description, area, days_ago):
        data = appeal_services.AppealInput(
            title=title,
            description=description,
            area=area.pk,
            reporter_name="来电人",
            reporter_phone=str(next(_phone)),
        )
        with clock.at(NOW - timedelta(days=days_ago)):
            return appeal_services.appeal_create(actor=actor(world.operator), data=data)

    theirs = [
        by_area(
            "丽景花园王建国家门口垃圾堆积发臭",
            "丽景花园东门垃圾堆积好几天没人清运，发臭了",
            world.c3,
            1,
        ),
        by_area("丽景花园垃圾没人清运", "丽景花园东门垃圾站的垃圾没人清运，堆积发臭", world.c3, 2),
        by_area("丽景花园东门垃圾发臭", "丽景花园东门口垃圾堆积，发臭，一直没人清运", world.c3, 3),
    ]
    mine = by_area("丽景花园垃圾清运不及时", "丽景花园垃圾清运不及时堆积发臭", world.c1, 4)
    run()
    (hotspot,) = current()
    assert members(hotspot) == {a.pk for a in theirs} | {mine.pk}
    assert hotspot.representative_id != mine.pk  # the case this test is about
    hidden = hotspot.title
    s1 = actor(world.leader)
    (listed,) = selectors.hotspot_list(actor=s1)
    assert listed.visible_size == 1
    assert mine.title in listed.display_title and hidden not in listed.display_title
    assert mine.title in selectors.hotspot_get(actor=s1, hotspot_id=hotspot.pk).display_title
    assert [h.display_title for h in selectors.hotspots_of_appeal(actor=s1, appeal=mine)] == [
        listed.display_title
    ]
    client = Client()
    client.login(username=world.leader.username, password=PASSWORD)
    for url in (
        reverse("hotspots:list"),
        reverse("hotspots:detail", args=[hotspot.pk]),
        reverse("workbench:appeal", args=[mine.pk]),
    ):
        page = client.get(url).content.decode()
        assert mine.title in page and hidden not in page, url
    api = ApiClient(world.leader)
    with clock.at(NOW):
        listed_api = api.get("/hotspots").json()
    assert hidden not in str(listed_api) and mine.title in str(listed_api)
    assert hidden not in str(api.get(f"/hotspots/{hotspot.pk}").json())
    # S1's leader may not make S2's part a project of theirs: the page says why instead of
    # offering the form, and the service refuses (409, nothing saved).
    page = client.get(reverse("hotspots:detail", args=[hotspot.pk])).content.decode()
    assert "data-beyond-area" in page and "data-promote" not in page
    with pytest.raises(Conflict) as refused:
        services.promote(
            actor=s1,
            hotspot_id=hotspot.pk,
            data=services.ProjectInput(title="丽景花园垃圾", handler_organisation=world.c1.pk),
        )
    assert refused.value.code == "beyond_your_area"
    assert not GovernanceProject.objects.exists()
    assert not AppealEvent.objects.filter(data__source="hotspots").exists()
    # The district's dispatcher sees it all and promotes all four.
    project = services.promote(
        actor=actor(world.dispatcher),
        hotspot_id=hotspot.pk,
        data=services.ProjectInput(title="丽景花园垃圾", handler_organisation=world.c3.pk),
    )
    assert set(project.appeals.values_list("pk", flat=True)) == members(hotspot)
    notes = AppealEvent.objects.filter(kind=EventKind.NOTE, data__source="hotspots")
    assert set(notes.values_list("appeal_id", flat=True)) == members(hotspot)
    # S2's leader and the administrator read the representative's own title.
    assert selectors.hotspot_get(
        actor=actor(world.leader_s2), hotspot_id=hotspot.pk
    ).display_title.startswith(hidden)
    assert selectors.hotspot_get(
        actor=actor(world.admin), hotspot_id=hotspot.pk
    ).display_title.startswith(hidden)


def test_a_leader_of_another_street_sees_nothing_of_it(planted, world):
    run()
    found = by_members(planted)
    s2 = actor(world.leader_s2)
    assert [h.pk for h in selectors.hotspot_list(actor=s2)] == [found["C"].pk]
    with pytest.raises(NotFound):
        selectors.hotspot_get(actor=s2, hotspot_id=found["A"].pk)
    with pytest.raises(NotFound):
        services.promote(
            actor=s2,
            hotspot_id=found["A"].pk,
            data=services.ProjectInput(title="x", handler_organisation=world.c3.pk),
        )
    s1 = actor(world.leader)
    assert {h.pk for h in selectors.hotspot_list(actor=s1)} == {
        found[k].pk for k in ("A", "B", "D")
    }
    assert selectors.hotspot_list(actor=actor(world.handler)).count() == 0  # not their role
    # Pages and API.
    from django.test import Client

    client = Client()
    client.login(username=world.leader_s2.username, password=PASSWORD)
    page = client.get(reverse("hotspots:list"))
    assert page.status_code == 200
    assert "广场舞" in page.content.decode() and "垃圾" not in page.content.decode()
    assert client.get(reverse("hotspots:detail", args=[found["A"].pk])).status_code == 404
    api = client.get("/api/v1/hotspots")
    assert api.status_code == 200
    assert [i["id"] for i in api.json()["items"]] == [found["C"].pk]
    assert client.get(f"/api/v1/hotspots/{found['A'].pk}").status_code == 404


def test_pages_list_detail_promote_and_the_appeal_panel(planted, world, client):
    run()
    a = by_members(planted)["A"]
    client.login(username=world.dispatcher.username, password=PASSWORD)
    home = client.get(reverse("workbench:home"))
    assert reverse("hotspots:list") in home.content.decode()  # the nav link
    listing = client.get(reverse("hotspots:list"))
    assert listing.status_code == 200 and a.title in listing.content.decode()
    # The map: one marker per hotspot at the mean place of its appeals, numbered by rank.
    points = listing.context["points"]
    ranked = list(listing.context["page"])
    assert [p["rank"] for p in points] == list(range(1, len(ranked) + 1))
    first = points[[h.pk for h in ranked].index(a.pk)]
    assert first["url"] == reverse("hotspots:detail", args=[a.pk])
    assert (first["lat"], first["lon"]) == (round(G1_POINT[0], 6), round(G1_POINT[1], 6))
    detail = client.get(reverse("hotspots:detail", args=[a.pk]))
    assert detail.status_code == 200
    # The navigation marks Hotspots as where the reader is, not the workbench.
    nav = detail.content.decode().split('class="mainnav"')[1].split("</nav>")[0]
    assert 'data-nav="hotspots" aria-current="page"' in nav
    assert nav.count('aria-current="page"') == 1
    assert detail.content.decode().count("data-appeal=") == 6
    # The map's points are the members with a location (all six here), each with its status.
    points = detail.context["points"]
    located = Appeal.objects.filter(pk__in=planted["A"], lat__isnull=False)
    assert sorted(p["code"] for p in points) == sorted(a.tracking_code for a in located)
    assert len(points) == 6 and 'id="hotspot-points"' in detail.content.decode()
    assert detail.content.decode().count('class="st st-received"') == 6
    # The choices say what each organisation is, and where each person belongs.
    html = detail.content.decode()
    assert f">{world.c1.name} · {world.c1.get_kind_display()}</option>" in html
    # The people: none before an organisation is chosen; then that organisation's (and those
    # of the organisations under it), the list reloaded by htmx when the organisation changes.
    member = world.community_worker.memberships.select_related("organisation").first()
    assert f">{world.community_worker} · " not in html
    assert f'hx-get="{reverse("hotspots:people")}"' in html
    options = client.get(reverse("hotspots:people"), {"handler_organisation": world.c1.pk})
    assert options.status_code == 200
    assert (
        f">{world.community_worker} · {member.organisation.name}</option>"
        in options.content.decode()
    )
    assert f">{world.handler} · " not in options.content.decode()  # of a department, not of C1
    assert client.get(reverse("hotspots:people"), {"handler_organisation": "x"}).status_code == 200
    refused = client.post(
        reverse("hotspots:promote", args=[a.pk]),
        {
            "title": "东门垃圾治理",
            "handler_organisation": world.c1.pk,
            "handler_person": world.handler.pk,
        },
    )
    assert refused.status_code == 422 and "handler_person" in refused.context["form"].errors
    assert not GovernanceProject.objects.exists()
    bad = client.post(reverse("hotspots:promote", args=[a.pk]), {"title": ""})
    assert bad.status_code == 422
    response = client.post(
        reverse("hotspots:promote", args=[a.pk]),
        {"title": "东门垃圾治理", "handler_organisation": world.c1.pk},
    )
    project = GovernanceProject.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "hotspots:project", args=[project.pk]
    )
    done = client.get(response["Location"]).content.decode()
    assert "项目已创建：纳入 6 件诉求" in done  # said once, on the project's page
    appeal_page = client.get(reverse("workbench:appeal", args=[min(planted["A"])]))
    assert reverse("hotspots:project", args=[project.pk]) in appeal_page.content.decode()
    # The timeline's note, in the reader's language whatever the promoter's was.
    with translation.override("en"):
        english = client.get(
            reverse("workbench:appeal", args=[min(planted["A"])]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    assert f"Taken into proactive governance project #{project.pk}: 东门垃圾治理" in english
    assert f"from hotspot #{a.pk}" in english and "source=hotspots" not in english
    last = AppealEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert client.post(reverse("hotspots:project_close", args=[project.pk])).status_code == 302
    project.refresh_from_db()
    assert project.status == "closed" and project.closed_by_id == world.dispatcher.pk
    # Closing is a change on every appeal of the project: each timeline says who closed it.
    closing = list(AppealEvent.objects.filter(pk__gt=last))
    assert sorted(e.appeal_id for e in closing) == sorted(planted["A"])
    assert {(e.kind, e.actor_id, e.data["project_closed"]) for e in closing} == {
        ("note", world.dispatcher.pk, True)
    }
    with translation.override("en"):
        english = client.get(
            reverse("workbench:appeal", args=[min(planted["A"])]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    assert f"Proactive governance project #{project.pk} closed: 东门垃圾治理" in english
    # A second close changes nothing and says why.
    assert client.post(reverse("hotspots:project_close", args=[project.pk])).status_code == 409
    assert AppealEvent.objects.filter(pk__gt=last).count() == len(closing)
    # A resident has no workbench; a handler has no hotspots.
    client.logout()
    client.login(username=world.handler.username, password=PASSWORD)
    assert client.get(reverse("hotspots:list")).status_code == 403
    assert (
        client.get(reverse("hotspots:people"), {"handler_organisation": world.c1.pk}).status_code
        == 403
    )
    refused = client.get("/api/v1/hotspots", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "只有调度员、领导和管理员可以查看热点。"


def test_api_promote(planted, world, client):
    run()
    a = by_members(planted)["A"]
    client.login(username=world.dispatcher.username, password=PASSWORD)
    body = client.get(f"/api/v1/hotspots/{a.pk}").json()
    assert body["rank"] == 1 and len(body["appeals"]) == 6
    client.get(reverse("workbench:home"))
    token = client.cookies["csrftoken"].value
    for bad, field in (
        ({"handler_organisation": world.c1.pk, "handler_person": 0}, "handler_person"),
        ({"handler_organisation": True}, "handler_organisation"),
        ({"handler_organisation": 0}, "handler_organisation"),
    ):
        refused = client.post(
            f"/api/v1/hotspots/{a.pk}/promote",
            {"title": "东门垃圾治理", **bad},
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
        assert refused.status_code == 422, (bad, refused.content)
        assert field in refused.json()["error"]["fields"], bad
    assert not GovernanceProject.objects.exists()
    r = client.post(
        f"/api/v1/hotspots/{a.pk}/promote",
        {"title": "东门垃圾治理", "handler_organisation": world.c1.pk},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert r.status_code == 201, r.content
    assert sorted(r.json()["appeals"]) == sorted(planted["A"])
    again = client.post(
        f"/api/v1/hotspots/{a.pk}/promote",
        {"title": "again", "handler_organisation": world.c1.pk},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_promoted"


def test_the_worker_duty_runs_when_due_and_only_once(planted, settings):
    settings.SUQIU_HOTSPOTS_EVERY_SECONDS = 3600
    with clock.at(NOW):
        assert services.run_due() == 4
        assert services.run_due() == 0  # claimed until an hour from now
    with clock.at(NOW + timedelta(minutes=61)):
        assert services.run_due() == 4
    job = HotspotJob.objects.get()
    assert job.last_result["hotspots"] == 4


def test_merging_duplicates_does_not_cool_their_hotspot(planted, world):
    """Four people report the street lights; a dispatcher merges three reports into the first.
    The next run still finds the hotspot with its four appeals and four reporters; a rejected
    report leaves it."""
    run()
    before = by_members(planted)["B"]
    first, *others = sorted(planted["B"])
    for pk in others:
        act(world.dispatcher, Appeal.objects.get(pk=pk), "merge", into=first)
    run()
    after = by_members(planted)["B"]
    assert after.pk == before.pk
    assert (after.size, after.reporters) == (4, 4)
    act(world.dispatcher, Appeal.objects.get(pk=first), "reject", reason="不属于受理范围")
    run()
    (lights,) = [h for h in current() if members(h) & planted["B"]]
    assert members(lights) == set(others)


def test_a_double_tap_is_not_a_report_of_its_own(world):
    """One caller's same words twice within a day (merged by the system at intake) and one other
    caller: two reports, not the three a hotspot needs; a third caller makes one, of three."""

    def call(text, phone, days_ago):
        data = appeal_services.AppealInput(
            title=text[0],
            description=text[1],
            lat=G3_POINT[0],
            lon=G3_POINT[1],
            reporter_name="来电人",
            reporter_phone=phone,
        )
        with clock.at(NOW - timedelta(days=days_ago)):
            return appeal_services.appeal_create(actor=actor(world.operator), data=data)

    first = call(LIGHTS_G3[0], "13911110000", 3)
    again = call(LIGHTS_G3[0], "13911110000", 2.9)
    assert again.status == "merged"  # the system's exact-repeat merge
    call(LIGHTS_G3[1], "13922220000", 2)
    run()
    assert current() == []
    third = call(LIGHTS_G3[2], "13933330000", 1)
    run()
    (lights,) = current()
    assert members(lights) == {first.pk, third.pk} | {
        a.pk for a in Appeal.objects.filter(reporter_phone="13922220000")
    }
    assert (lights.size, lights.reporters) == (3, 3)


def test_another_rolling_window_is_the_list_staff_see_first(planted, world, settings):
    """With SUQIU_HOTSPOTS_DAYS=14 the worker keeps a "14d" window, and that is the list the
    page and the API show without a window asked for."""
    from suqiu.api.testing import ApiClient

    settings.SUQIU_HOTSPOTS_DAYS = 14
    with clock.at(NOW):
        found = services.run_due()
    assert found > 0 and {h.window for h in Hotspot.objects.all()} == {"14d"}
    dispatcher = actor(world.dispatcher)
    assert selectors.hotspot_list(actor=dispatcher).count() == found
    assert selectors.windows(actor=dispatcher) == ["14d"]
    with clock.at(NOW):
        answer = ApiClient(world.dispatcher).get("/hotspots").json()
    assert answer["count"] == found
    assert {item["window"] for item in answer["items"]} == {"14d"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_window_at_once_store_one_list(planted):
    """``suqiu hotspots run`` beside the worker's run of the same window: both finish, and the
    window holds each planted cluster once (the second run waits for the first and then matches
    its hotspots), from an empty window and from a stored one."""
    from suqiu.appeals.tests.test_concurrency import race

    for _round in range(3):
        outcomes = race(run, run)
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        assert Hotspot.objects.filter(window="30d").count() == 4
        assert set(by_members(planted)) == {"A", "B", "C", "D"}


def test_promoting_a_hotspot_a_run_has_just_removed_is_not_found(planted, world, monkeypatch):
    """The run that removes the hotspot commits between the promotion's read and its lock."""
    run()
    a = by_members(planted)["A"]
    read = selectors.hotspot_get

    def removed_meanwhile(*, actor, hotspot_id):
        hotspot = read(actor=actor, hotspot_id=hotspot_id)
        Hotspot.objects.filter(pk=hotspot.pk).delete()
        return hotspot

    monkeypatch.setattr(selectors, "hotspot_get", removed_meanwhile)
    with pytest.raises(NotFound):
        services.promote(
            actor=actor(world.dispatcher),
            hotspot_id=a.pk,
            data=services.ProjectInput(title="东门垃圾", handler_organisation=world.c1.pk),
        )
    assert not GovernanceProject.objects.exists()


def test_the_command_prints_the_top(planted, capsys):
    with clock.at(NOW):
        call_command("hotspots", "run", "--days", "30")
    out = capsys.readouterr().out
    assert "4 hotspots" in out
    assert "  1. heat" in out and "垃圾" in out.splitlines()[1]


@pytest.mark.parametrize("args", [["--threshold", "0.5"], ["--dry-run"]])
def test_a_trial_run_prints_and_leaves_the_list_as_it_was(planted, args, capsys):
    """Trying another threshold must not replace the list staff see: the hotspots it would drop
    came back under new ids, without their promotions."""
    run()
    before = {h.pk: members(h) for h in current()}
    with clock.at(NOW):
        call_command("hotspots", "run", *args)
    out = capsys.readouterr().out
    assert out.startswith("trial run (") and "nothing stored" in out and "  1. heat" in out
    assert {h.pk: members(h) for h in current()} == before
    with clock.at(NOW):
        call_command("hotspots", "run", "--threshold", "0.3")  # the configured one: stored
    assert "trial run" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--threshold", "5"], "threshold"),
        (["--threshold", "0"], "threshold"),
        (["--days", "0"], "days"),
        (["--days", "100000"], "days"),
        (["--until", "0001-01-01"], "until"),
        (["--until", "9999-12-31"], "until"),
    ],
)
def test_a_run_with_bad_options_is_refused_and_keeps_the_list(planted, args, field, settings):
    run()
    before = {h.pk: members(h) for h in current()}
    with clock.at(NOW), pytest.raises(ValidationFailed) as refused:
        services.run(
            days=int(args[1]) if args[0] == "--days" else 30,
            threshold=float(args[1]) if args[0] == "--threshold" else None,
            until=datetime.strptime(args[1], "%Y-%m-%d") if args[0] == "--until" else None,
        )
    assert field in refused.value.fields
    with clock.at(NOW), pytest.raises(CommandError):
        call_command("hotspots", "run", *args)
    assert {h.pk: members(h) for h in current()} == before  # nothing replaced, nothing lost
    # A deployment's configured threshold is checked the same way.
    settings.SUQIU_HOTSPOTS_THRESHOLD = "1.5"
    with clock.at(NOW), pytest.raises(ValidationFailed):
        services.run()


@pytest.mark.parametrize("version", [1, 99], ids=["older", "newer (a rolled-back deploy)"])
def test_features_of_another_version_are_computed_again_once(planted, version):
    from suqiu.hotspots.models import AppealFeatures

    run()
    stale = sorted(planted["B"])
    AppealFeatures.objects.filter(appeal_id__in=stale).update(version=version, terms="")
    again = run()
    assert again.featurised == len(stale)
    assert run().featurised == 0  # stored this time: not computed again on every run
    assert set(
        AppealFeatures.objects.filter(version=services.FEATURES_VERSION).values_list(
            "appeal_id", flat=True
        )
    ) >= set(stale)
    assert by_members(planted)["B"].size == 4


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_detail_page_layout_on_a_desk_and_on_a_phone(planted, world, page):
    """On a desk the facts and the promotion form stand side by side; on a phone the facts come
    first and the form under them (a grid area named only for phones once pushed the facts into a
    third column under the form on a desk)."""
    run()
    a = by_members(planted)["A"]
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, world.dispatcher, reverse("hotspots:detail", args=[a.pk]))
    facts, form = page.locator(".ap-facts"), page.locator("[aria-labelledby=hs-promote]")
    form.wait_for()
    f, p = facts.bounding_box(), form.bounding_box()
    assert abs(f["y"] - p["y"]) < 2 and f["x"] + f["width"] <= p["x"], (f, p)
    assert f["width"] > p["width"]  # the facts take the wide column
    members = page.locator("section:has(table[data-members])").bounding_box()
    assert members["y"] >= max(f["y"] + f["height"], p["y"] + p["height"]) + 8  # a gap
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # The map shows one marker per member appeal with a location.
    page.locator("[data-wb-points] .leaflet-marker-icon").first.wait_for()
    assert page.locator("[data-wb-points] .leaflet-marker-icon").count() == 6
    page.screenshot(path=str(ARTIFACTS / "hotspot-detail-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 900})
    f, p = facts.bounding_box(), form.bounding_box()
    assert f["y"] + f["height"] <= p["y"] and abs(f["x"] - p["x"]) < 2, (f, p)
    page.screenshot(path=str(ARTIFACTS / "hotspot-detail-390.png"), full_page=True)
    # Promoted: the project page gives its one card the whole width, the appeals below it.
    page.set_viewport_size({"width": 1280, "height": 900})
    form.locator("select[name=handler_organisation]").select_option(str(world.c1.pk))
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/projects/\d+$"))
    card = page.locator(".ap-facts").bounding_box()
    appeals = page.locator("section:has(table)").last.bounding_box()
    assert abs(card["width"] - appeals["width"]) < 2, (card, appeals)
    assert appeals["y"] >= card["y"] + card["height"] + 8
    page.screenshot(path=str(ARTIFACTS / "project-1280.png"), full_page=True)


def test_an_estate_named_bare_joins_the_appeals_that_name_it_with_a_suffix(world):
    """Phone calls without a point: two callers say "万润滨江天著楼盘", two only "万润滨江天著"
    (one of them only in the description; the extractor alone finds just the city for those);
    all four are one hotspot at the estate."""
    texts = [
        ("万润滨江天著楼盘精装修价格虚高", "A市万润滨江天著楼盘的精装修价格虚高，质量很差"),
        ("投诉万润滨江天著楼盘精装修", "万润滨江天著楼盘精装修价格虚高，材料质量差"),
        ("A市万润滨江天著精装修价格虚高", "万润滨江天著的精装修质量差价格虚高，请核查"),
        ("A市精装修价格虚高质量差", "买了万润滨江天著的房子，精装修价格虚高质量差"),
        # Another estate's same complaint, named bare and learnt nowhere: not a member.
        ("A市江山帝景精装修价格虚高", "江山帝景的精装修价格虚高，质量差"),
    ]
    ids = [create(world, t, (None, None), days_ago=1 + i).pk for i, t in enumerate(texts)]
    assert Appeal.objects.filter(pk__in=ids, grid__isnull=True, lat__isnull=True).count() == 5
    run()
    (hotspot,) = current()
    assert members(hotspot) == set(ids[:4])
    assert "万润滨江天著" in hotspot.place_label


# One problem at one estate, reported on the spot (a point in grid G1) and by phone (no point,
# the estate named): 丽景花园's lifts.
LIFTS_ON_SPOT = [
    ("丽景花园电梯困人", "丽景花园3栋电梯又困人了，电梯老旧经常故障"),
    ("丽景花园电梯经常故障困人", "丽景花园的电梯经常故障，昨天又困人"),
    ("丽景花园电梯故障困人", "丽景花园5栋电梯故障困人，物业不维修"),
]
LIFTS_BY_PHONE = [  # callers spell the estate as they please
    ("丽景花园小区电梯老是困人", "丽景花园小区电梯老旧，经常故障困人，请督促维修"),
    ("反映A4区丽景花园小区电梯故障", "丽景花园小区电梯故障困人多次，物业不管"),
    ("丽景花园电梯困人没人修", "丽景花园2栋电梯困人，故障一直没人维修"),
]


def test_reports_on_the_spot_and_by_phone_about_one_estate_are_one_hotspot(world):
    spot = [create(world, t, G1_POINT, days_ago=1 + i).pk for i, t in enumerate(LIFTS_ON_SPOT)]
    phone = [
        create(world, t, (None, None), days_ago=2 + i).pk for i, t in enumerate(LIFTS_BY_PHONE)
    ]
    # The same complaint at another estate, by phone: another place, not a member.
    other = create(
        world, ("锦绣花园电梯故障困人", "锦绣花园电梯故障困人"), (None, None), days_ago=3
    )
    assert Appeal.objects.filter(pk__in=phone, grid__isnull=True).count() == 3
    run()
    (h,) = current()
    assert members(h) == set(spot) | set(phone)
    assert other.pk not in members(h)
    assert (h.size, h.reporters) == (6, 6)
    # Placed by the grid, where it was seen, and the estate all six name, however spelled; no
    # other places after its title (its spellings are one place).
    assert h.block == f"g:{world.g1.pk}"
    assert world.g1.name in h.place_label and "丽景花园" in h.place_label
    assert h.display_title == h.title and "丽景花园" in h.title
    # Without the join (what the hotspots were before): two hotspots, one per block.
    grid_only = {
        frozenset(d.id for d in c.members)
        for c in services.clustering.cluster(
            [_without_place(d) for d in _docs()],
            window_start=NOW - timedelta(days=30),
            window_end=NOW,
        )
    }
    assert grid_only == {frozenset(spot), frozenset(phone)}


def _docs():
    with clock.at(NOW):
        start, end = services.window_of(services.DEFAULT_DAYS, None)
    return services.load_docs(start, end)


def _without_place(d):
    d.place_key = ""
    return d


def test_two_reports_on_the_spot_join_the_phone_reports_of_their_estate(world):
    """Two reports made in the grid are too few for a hotspot of the grid's own; they name the
    estate three phone callers name, with the same problem: one hotspot of five."""
    spot = [create(world, t, G1_POINT, days_ago=1 + i).pk for i, t in enumerate(LIFTS_ON_SPOT[:2])]
    phone = [
        create(world, t, (None, None), days_ago=2 + i).pk for i, t in enumerate(LIFTS_BY_PHONE)
    ]
    # A report in the grid naming the estate, about something else: left out.
    create(world, ("丽景花园停车收费太贵", "丽景花园地面停车位收费标准太高"), G1_POINT, days_ago=1)
    # One from another grid naming an estate of that name, the same complaint: the phone
    # callers' hotspot takes in one grid's reports, the grid most of them come from.
    elsewhere = create(world, LIFTS_ON_SPOT[2], G2_POINT, days_ago=2)
    run()
    (h,) = current()
    assert members(h) == set(spot) | set(phone)
    assert elsewhere.pk not in members(h)
    # A report made on the spot places it: the grid, and the estate most of them name.
    assert h.block == f"g:{world.g1.pk}"
    assert world.g1.name in h.place_label and "丽景花园" in h.place_label


def test_two_grids_are_not_joined_through_an_estate_name(world):
    """Estates of one name in two grids are two places: the phone reports join one of them."""
    g1 = [create(world, t, G1_POINT, days_ago=1 + i).pk for i, t in enumerate(LIFTS_ON_SPOT)]
    g2 = [create(world, t, G2_POINT, days_ago=1 + i).pk for i, t in enumerate(LIFTS_ON_SPOT)]
    phone = {
        create(world, t, (None, None), days_ago=2 + i).pk for i, t in enumerate(LIFTS_BY_PHONE)
    }
    run()
    found = [members(h) for h in current()]
    assert len(found) == 2
    # Each grid's reports stay together and apart from the other grid's; the phone reports all
    # joined one of them.
    assert {frozenset(m - phone) for m in found} == {frozenset(g1), frozenset(g2)}
    assert sorted(len(m & phone) for m in found) == [0, 3]


# --- One person's case that is a common problem ------------------------------------------------


def _renters(world):
    from suqiu.duplicates.tests.test_duplicates import _elderly_renters

    return _elderly_renters(world)


def test_a_case_and_the_similar_appeals_elsewhere_become_one_project(world):
    case, c2, s2 = _renters(world)
    data = services.ProjectInput(title="高龄老人租房帮扶", handler_organisation=world.s1.pk)
    with pytest.raises(PermissionDenied):
        services.start_project(actor=actor(world.community_worker), appeal_id=case.pk, data=data)
    project = services.start_project(actor=actor(world.leader), appeal_id=case.pk, data=data)
    linked = {case.pk, *(a.pk for a in c2)}
    assert set(project.appeals.values_list("pk", flat=True)) == linked  # not street S2's
    notes = AppealEvent.objects.filter(kind=EventKind.NOTE, data__source="common_problem")
    assert set(notes.values_list("appeal_id", flat=True)) == linked
    assert {(n.data["project"], n.data["case"]) for n in notes} == {(project.pk, case.pk)}
    # Once in an open project, the case is not taken in again.
    with pytest.raises(Conflict) as exc:
        services.start_project(actor=actor(world.dispatcher), appeal_id=case.pk, data=data)
    assert exc.value.code == "already_in_project"
    assert GovernanceProject.objects.count() == 1


def test_a_merged_case_is_not_started_as_a_project(world):
    """The page hides the action on a merged appeal; the service refuses it too (the main
    appeal is the case), and nothing is saved."""
    case, c2, _s2 = _renters(world)
    act(world.dispatcher, case, "merge", into=c2[0].pk)
    with pytest.raises(Conflict) as exc:
        services.start_project(
            actor=actor(world.leader),
            appeal_id=case.pk,
            data=services.ProjectInput(title="高龄老人租房帮扶", handler_organisation=world.s1.pk),
        )
    assert exc.value.code == "merged_case" and c2[0].tracking_code in str(exc.value)
    assert not GovernanceProject.objects.exists()
    assert not AppealEvent.objects.filter(data__source="common_problem").exists()


def test_a_single_case_is_not_a_project_and_bad_input_saves_nothing(world):
    case, _c2, s2 = _renters(world)
    # Street S2 has no other community telling it: a single case.
    with pytest.raises(Conflict) as exc:
        services.start_project(
            actor=actor(world.dispatcher),
            appeal_id=s2.pk,
            data=services.ProjectInput(title="x", handler_organisation=world.s2.pk),
        )
    assert exc.value.code == "no_common_problem"
    with pytest.raises(ValidationFailed) as exc:
        services.start_project(
            actor=actor(world.dispatcher),
            appeal_id=case.pk,
            data=services.ProjectInput(title="", handler_organisation=None),
        )
    assert set(exc.value.fields) == {"title", "handler_organisation"}
    with pytest.raises(NotFound):  # the leader of street S2 does not see the case
        services.start_project(
            actor=actor(world.leader_s2),
            appeal_id=case.pk,
            data=services.ProjectInput(title="x", handler_organisation=world.s2.pk),
        )
    assert not GovernanceProject.objects.exists()
    assert not AppealEvent.objects.filter(data__source="common_problem").exists()


def test_the_elsewhere_panel_and_the_common_problem_page(world, client):
    case, c2, _s2 = _renters(world)
    client.login(username=world.leader.username, password=PASSWORD)
    page = client.get(reverse("workbench:appeal", args=[case.pk])).content.decode()
    panel = page.split('id="elsewhere-panel"')[1].split("</section>")[0]
    assert all(a.tracking_code in panel for a in c2)
    assert "data-elsewhere-summary" in panel
    assert reverse("hotspots:common", args=[case.pk]) in panel
    common = client.get(reverse("hotspots:common", args=[case.pk]))
    assert common.status_code == 200
    assert common.content.decode().count("data-appeal=") == 2
    bad = client.post(reverse("hotspots:common", args=[case.pk]), {"title": "租房帮扶"})
    assert bad.status_code == 422 and not GovernanceProject.objects.exists()
    response = client.post(
        reverse("hotspots:common", args=[case.pk]),
        {"title": "高龄老人租房帮扶", "handler_organisation": world.s1.pk},
    )
    project = GovernanceProject.objects.get()
    assert response["Location"] == reverse("hotspots:project", args=[project.pk])
    again = client.post(
        reverse("hotspots:common", args=[case.pk]),
        {"title": "again", "handler_organisation": world.s1.pk},
    )
    assert again.status_code == 409 and GovernanceProject.objects.count() == 1
    # Opened again, the page says why there is no form rather than just leaving it out.
    common = client.get(reverse("hotspots:common", args=[case.pk])).content.decode()
    assert "data-in-project" in common and "data-start-project" not in common
    page = client.get(reverse("workbench:appeal", args=[case.pk])).content.decode()
    panel = page.split('id="elsewhere-panel"')[1].split("</section>")[0]
    assert reverse("hotspots:project", args=[project.pk]) in panel
    assert reverse("hotspots:common", args=[case.pk]) not in panel
    # Community staff see only their own community: no panel, no page.
    client.logout()
    client.login(username=world.community_worker.username, password=PASSWORD)
    page = client.get(reverse("workbench:appeal", args=[case.pk])).content.decode()
    assert 'id="elsewhere-panel"' not in page
    assert client.get(reverse("hotspots:common", args=[case.pk])).status_code == 403


def test_api_common_problem(world, client):
    case, c2, _s2 = _renters(world)
    client.login(username=world.dispatcher.username, password=PASSWORD)
    body = client.get(f"/api/v1/appeals/{case.pk}/common-problem").json()
    assert {s["appeal_id"] for s in body["similar"]} == {a.pk for a in c2}
    assert body["communities"] == [c2[0].area.name] and body["project_ids"] == []
    assert all("phone" not in key for s in body["similar"] for key in s)
    client.get(reverse("workbench:home"))
    token = client.cookies["csrftoken"].value
    post = {
        "path": f"/api/v1/appeals/{case.pk}/common-problem/project",
        "content_type": "application/json",
        "headers": {"X-CSRFToken": token},
    }
    bad = client.post(data={"title": "x", "handler_organisation": 999999}, **post)
    assert bad.status_code == 422 and "handler_organisation" in bad.json()["error"]["fields"]
    r = client.post(data={"title": "高龄老人租房帮扶", "handler_organisation": world.s1.pk}, **post)
    assert r.status_code == 201, r.content
    assert sorted(r.json()["appeals"]) == sorted([case.pk, *(a.pk for a in c2)])
    again = client.post(data={"title": "again", "handler_organisation": world.s1.pk}, **post)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_in_project"
    body = client.get(f"/api/v1/appeals/{case.pk}/common-problem").json()
    assert body["project_ids"] == [r.json()["id"]]
    client.logout()
    client.login(username=world.community_worker.username, password=PASSWORD)
    assert client.get(f"/api/v1/appeals/{case.pk}/common-problem").status_code == 403


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_from_the_elsewhere_panel_to_a_project_on_a_phone(world, page):
    """A street leader on a phone opens a case, follows the panel's link, and starts the project;
    the facts come before the form, and the table of similar appeals fits the screen."""
    case, c2, _s2 = _renters(world)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, world.leader, reverse("workbench:appeal", args=[case.pk]))
    panel = page.locator("#elsewhere-panel")
    assert all(a.tracking_code in panel.inner_text() for a in c2)
    panel.locator("a[data-common-problem]").click()
    page.wait_for_url(re.compile(r"/hotspots/common/\d+$"))
    facts, form = page.locator(".ap-facts"), page.locator("[aria-labelledby=cp-start]")
    f, p = facts.bounding_box(), form.bounding_box()
    assert f["y"] + f["height"] <= p["y"], (f, p)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width  # nothing pushes the page sideways
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "common-problem-390.png"), full_page=True)
    form.locator("select[name=handler_organisation]").select_option(str(world.s1.pk))
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/projects/\d+$"))
    project = GovernanceProject.objects.get()
    assert set(project.appeals.values_list("pk", flat=True)) == {case.pk, *(a.pk for a in c2)}


def test_map_centres_come_only_from_appeals_the_user_may_see(planted, world):
    run()
    a = by_members(planted)["A"]  # community C1's appeals
    everyone = selectors.hotspot_centres(actor=actor(world.dispatcher), hotspot_ids=[a.pk])
    assert everyone[a.pk][2] == 6
    outsider = selectors.hotspot_centres(actor=actor(world.community_worker_c3), hotspot_ids=[a.pk])
    assert outsider == {}


def test_a_merged_appeal_starts_no_project_of_its_own(world, client):
    case, c2, _s2 = _renters(world)
    act(world.dispatcher, c2[0], "merge", into=case.pk)
    client.login(username=world.leader.username, password=PASSWORD)
    page = client.get(reverse("workbench:appeal", args=[c2[0].pk])).content.decode()
    panel = page.split('id="elsewhere-panel"')[1].split("</section>")[0]
    assert case.tracking_code in panel  # the similar appeals are still shown
    assert reverse("hotspots:common", args=[c2[0].pk]) not in panel


def test_a_project_is_closed_by_those_over_its_handler_not_by_any_viewer(world):
    """The second street's leader sees the project (one of its appeals is in their street) but
    does not close the first street's community's project; its creator, and a leader over the
    handling community, do."""
    from suqiu.appeals.tests.chain import new_appeal
    from suqiu.core.testing import G4_POINT

    theirs = new_appeal(world, title="二街道的垃圾", description="垃圾满溢", point=G4_POINT)

    def project(created_by):
        p = GovernanceProject.objects.create(
            title="垃圾治理", handler_organisation=world.c1, created_by=created_by
        )
        p.appeals.set([theirs])
        return p

    first = project(world.dispatcher)
    assert selectors.project_get(actor=actor(world.leader_s2), project_id=first.pk) == first
    with pytest.raises(PermissionDenied):
        services.close_project(actor=actor(world.leader_s2), project_id=first.pk)
    assert GovernanceProject.objects.get(pk=first.pk).status == "open"
    assert not AppealEvent.objects.filter(appeal=theirs, kind=EventKind.NOTE).exists()
    assert services.close_project(actor=actor(world.leader), project_id=first.pk).status == "closed"
    # Staff of another organisation see nothing of it (their area is the district's).
    for outsider in (world.roads_handler, world.volunteer):
        assert first not in selectors.project_list(actor=actor(outsider))
    second = project(world.leader_s2)  # their own project: theirs to close
    assert services.close_project(actor=actor(world.leader_s2), project_id=second.pk).closed_by_id


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_rank_on_the_list_map_can_be_seen(world, page):
    """Eight hotspots in each of two grids far apart: the map fits the two places, and the
    rank badges moved apart around each place stay inside the map (they once spiralled out of
    it past the top and bottom edges, so a leader could not see where rank 18 was)."""
    now = timezone.now()
    for n in range(16):
        point = G1_POINT if n % 2 else G4_POINT
        appeal = create(world, (f"问题{n}", f"问题{n}的描述"), point, days_ago=1, at=now)
        hotspot = Hotspot.objects.create(
            window=services.current_window(),
            window_start=now - timedelta(days=30),
            window_end=now,
            title=f"问题{n}",
            block="test",
            heat=100 - n,
            size=1,
            reporters=1,
            first_seen=now,
            last_seen=now,
        )
        HotspotMember.objects.create(hotspot=hotspot, appeal=appeal)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, world.dispatcher, reverse("hotspots:list"))
    page.locator("[data-wb-points][data-placed]").wait_for()
    badges = page.locator("[data-wb-points] .hs-rank")
    assert badges.count() == 16
    box = page.locator("[data-wb-points]").bounding_box()
    outside = []
    for i in range(16):
        b = badges.nth(i).bounding_box()
        if not (
            b["x"] >= box["x"]
            and b["y"] >= box["y"]
            and b["x"] + b["width"] <= box["x"] + box["width"]
            and b["y"] + b["height"] <= box["y"] + box["height"]
        ):
            outside.append(badges.nth(i).inner_text())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hotspot-list-map-1280.png"))
    assert outside == [], outside
