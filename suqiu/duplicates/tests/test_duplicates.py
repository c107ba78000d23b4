"""Duplicates: near-duplicates found by place, time and text through the index; exact repeats
merged by the system at intake; merge and dismiss from the workbench panel; the API's scoping."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from suqiu.appeals import services as appeal_services
from suqiu.appeals.models import Appeal, AppealEvent, EventKind
from suqiu.appeals.tests.chain import act, actor
from suqiu.core import clock
from suqiu.core.testing import G1_POINT, G2_POINT, G3_POINT, G4_POINT, PASSWORD
from suqiu.duplicates import index, services
from suqiu.duplicates.models import DuplicateCandidate, DuplicateEntry, DuplicateTerm

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(datetime(2026, 3, 2, 9, 0))

LIFT = ("3栋电梯坏了", "幸福花园3栋的电梯坏了三天，老人上下楼很困难，请物业尽快维修电梯")
LIFT_REWORDED = (
    "幸福花园3栋电梯又坏了",
    "我们幸福花园3栋电梯已经停了好几天，老年人上下楼很不方便，希望物业赶紧修好电梯",
)
RUBBISH = ("5栋门口垃圾没人清理", "5栋门口的垃圾堆了三天没人清理，味道很臭，夏天招蚊子")


def _near(point, north_m=0.0):
    return (point[0] + north_m / 111_320.0, point[1])


def create(world, text, *, by=None, point=G1_POINT, at=T0, **fields):
    who = world.resident if by is None else by
    lat, lon = point if point is not None else (None, None)
    data = appeal_services.AppealInput(
        title=text[0], description=text[1], lat=lat, lon=lon, **fields
    )
    with clock.at(at):
        return appeal_services.appeal_create(actor=actor(who), data=data)


def candidates_of(appeal):
    return {
        c.candidate_id: c
        for c in DuplicateCandidate.objects.filter(appeal=appeal).order_by("-similarity")
    }


# --- Near-duplicates -------------------------------------------------------------------------


def test_a_reworded_report_of_the_same_place_is_a_candidate(world):
    first = create(world, LIFT)
    create(world, RUBBISH, point=_near(G1_POINT, 50))
    second = create(
        world,
        LIFT_REWORDED,
        by=world.resident2,
        point=_near(G1_POINT, 120),
        at=T0 + timedelta(hours=3),
    )
    found = candidates_of(second)
    assert set(found) == {first.pk}
    assert found[first.pk].similarity >= index.config()["min_similarity"]
    assert 100 < found[first.pk].distance_m < 140
    assert second.status == "received"  # a near-duplicate is only suggested, never merged


def test_unrelated_text_at_the_same_place_is_not_a_candidate(world):
    create(world, LIFT)
    other = create(world, RUBBISH, by=world.resident2, at=T0 + timedelta(hours=1))
    assert candidates_of(other) == {}


def test_the_same_words_about_another_estate_are_not_a_candidate(world):
    garage = "地下车库进水", "{}地下车库进水了，积水有半米深，车都开不出去"
    ours = create(world, (garage[0], garage[1].format("松涛雅居")))
    theirs = create(world, ("竹林苑" + garage[0], garage[1].format("竹林苑")), by=world.resident2)
    again = create(
        world, ("松涛雅居小区" + garage[0], garage[1].format("松涛雅居")), by=world.resident2
    )
    assert candidates_of(theirs) == {}
    assert set(candidates_of(again)) == {ours.pk}  # "松涛雅居小区" is "松涛雅居"


def named(text: str) -> services.Named:
    return services.named_places(text, "")


@pytest.mark.parametrize(
    ("a", "b", "different"),
    [
        ("松涛雅居小区地下车库进水", "松涛雅居地下车库进水", False),  # one estate, two spellings
        ("松涛雅居地下车库进水", "竹林苑地下车库进水", True),
        ("伊景园滨河苑捆绑销售车位", "滨河苑捆绑销售车位", False),
        ("邦华小区物业违法锁电梯", "华邦小区物业违法锁电梯", False),  # a typo of one name
        ("龙田一街违停堵塞消防通道", "龙田二街违停堵塞消防通道", True),
        ("汤坑路井盖缺失", "锦绣东路井盖缺失", True),
        ("龙兴北路路面破损", "龙兴北路与龙田路交叉口路面破损", False),
        # The finest kind both name decides: the same estate, seen from two roads.
        ("龙兴北路福龙苑门口垃圾", "福龙苑门口垃圾，龙田路方向", False),
        ("龙兴北路福龙苑门口垃圾", "龙兴北路龙田花园门口垃圾", True),
        # A kind of place one of them does not name: the text decides.
        ("松涛雅居地下车库进水", "地下车库进水", False),
        ("汤坑路井盖缺失", "福龙苑井盖缺失", False),
    ],
)
def test_different_places(a, b, different):
    assert services.different_places(named(a), named(b)) is different
    assert services.different_places(named(b), named(a)) is different


def test_more_than_500_m_away_is_not_a_candidate(world):
    create(world, LIFT, point=G1_POINT)
    # G2's centre is about 1 km east of G1's, in the same community.
    far = create(
        world, LIFT_REWORDED, by=world.resident2, point=G2_POINT, at=T0 + timedelta(hours=1)
    )
    assert far.area_id == world.c1.pk
    assert candidates_of(far) == {}


def test_a_neighbour_across_a_community_border_is_found_by_distance(world):
    # G1 (community C1) and G3 (community C2) meet at latitude 22.705.
    first = create(world, LIFT, point=(22.7040, 114.2000))
    second = create(
        world,
        LIFT_REWORDED,
        by=world.resident2,
        point=(22.7060, 114.2000),
        at=T0 + timedelta(hours=1),
    )
    assert (first.area_id, second.area_id) == (world.c1.pk, world.c2.pk)
    assert set(candidates_of(second)) == {first.pk}


def test_without_coordinates_the_same_community_is_required(world):
    first = create(world, LIFT, point=None, area=world.c1.pk)
    elsewhere = create(
        world,
        LIFT_REWORDED,
        by=world.resident2,
        point=None,
        area=world.c3.pk,
        at=T0 + timedelta(hours=1),
    )
    assert candidates_of(elsewhere) == {}
    same = create(
        world,
        LIFT_REWORDED,
        by=world.operator,
        point=None,
        area=world.c1.pk,
        at=T0 + timedelta(hours=2),
    )
    assert set(candidates_of(same)) == {first.pk}
    assert candidates_of(same)[first.pk].distance_m is None


def test_an_appeal_with_coordinates_meets_one_without_in_its_community(world):
    first = create(world, LIFT, point=None, area=world.c1.pk)
    second = create(world, LIFT_REWORDED, by=world.resident2, at=T0 + timedelta(hours=1))
    assert second.area_id == world.c1.pk
    assert set(candidates_of(second)) == {first.pk}


def test_an_open_appeal_older_than_the_window_is_not_compared(world, settings):
    settings.SUQIU_DUPLICATES = {"open_days": 90}
    create(world, LIFT, at=T0 - timedelta(days=91))
    recent = create(world, LIFT, by=world.resident2, at=T0 - timedelta(days=30))
    later = create(world, LIFT_REWORDED, by=world.operator, at=T0)
    assert set(candidates_of(later)) == {recent.pk}


def test_finished_long_ago_is_not_compared_but_recently_finished_is(world):
    long_ago = create(world, LIFT, at=T0 - timedelta(days=60))
    with clock.at(T0 - timedelta(days=45)):
        act(world.dispatcher, long_ago, "reject", reason="已处理")
    recently = create(world, LIFT, by=world.resident2, at=T0 - timedelta(days=20))
    with clock.at(T0 - timedelta(days=10)):
        act(world.dispatcher, recently, "reject", reason="已处理")
    new = create(world, LIFT_REWORDED, by=world.operator, at=T0)
    assert set(candidates_of(new)) == {recently.pk}


def test_merged_appeals_are_not_candidates(world):
    main = create(world, LIFT)
    merged = create(world, LIFT_REWORDED, by=world.resident2, at=T0 + timedelta(minutes=5))
    with clock.at(T0 + timedelta(minutes=10)):
        act(world.dispatcher, merged, "merge", into=main.pk)
    third = create(world, LIFT_REWORDED, by=world.operator, at=T0 + timedelta(hours=1))
    assert set(candidates_of(third)) == {main.pk}


# --- Exact repeats -------------------------------------------------------------------------------


def test_an_exact_repeat_is_merged_by_the_system_at_intake(world):
    first = create(world, LIFT)
    # Punctuation, spaces and full-width letters do not make it a different text.
    again = create(
        world, (LIFT[0] + "！", LIFT[1].replace("，", ", ")), at=T0 + timedelta(hours=23)
    )
    assert again.status == "merged"  # the instance later hooks see
    again.refresh_from_db()
    assert (again.status, again.merged_into_id) == ("merged", first.pk)
    merge = AppealEvent.objects.get(appeal=again, kind=EventKind.MERGE)
    assert merge.actor_id is None and merge.actor_label == "system"
    assert merge.is_public and merge.public_text == first.tracking_code
    assert AppealEvent.objects.filter(appeal=first, kind=EventKind.MERGED_IN).count() == 1
    # The merged repeat is not indexed and is no one's candidate.
    assert not DuplicateEntry.objects.filter(appeal=again).exists()
    assert not DuplicateCandidate.objects.filter(appeal=again).exists()


def test_the_exact_repeat_note_is_in_the_readers_language(world):
    """The system's note is worded when read, not in the language of the intake that caused it."""
    first = create(world, LIFT)
    with translation.override("en"):  # the repeat came in through an English request
        again = create(world, LIFT, at=T0 + timedelta(hours=1))
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(world.dispatcher)
    html = chinese.get(reverse("workbench:appeal", args=[again.pk])).content.decode()
    assert f"与 {first.tracking_code} 完全重复" in html and "Exact repeat" not in html
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(world.dispatcher)
    html = english.get(reverse("workbench:appeal", args=[again.pk])).content.decode()
    assert f"Exact repeat of {first.tracking_code}: same reporter" in html


def test_a_third_repeat_joins_the_main_appeal(world):
    first = create(world, LIFT)
    create(world, LIFT, at=T0 + timedelta(hours=1))
    third = create(world, LIFT, at=T0 + timedelta(hours=2))
    third.refresh_from_db()
    assert third.merged_into_id == first.pk


def test_a_repeat_by_phone_without_an_account_is_merged(world):
    first = create(
        world, LIFT, by=world.operator, reporter_phone="139 1234 5678", reporter_name="王"
    )
    again = create(
        world, LIFT, by=world.operator, reporter_phone="13912345678", at=T0 + timedelta(hours=2)
    )
    assert (again.status, again.merged_into_id) == ("merged", first.pk)
    other_phone = create(
        world, LIFT, by=world.operator, reporter_phone="13900000000", at=T0 + timedelta(hours=3)
    )
    assert other_phone.status == "received"


LAMP = ("路灯不亮", "路灯不亮")


def test_the_same_words_from_another_place_are_not_merged(world):
    """The same reporter sending the same text from two places (a grid worker, a resident who
    passed two broken lights) reports two problems: the second is an appeal of its own."""
    first = create(world, LAMP, point=G1_POINT)
    # G4 is in another street's community, about 3 km away.
    far = create(world, LAMP, point=G4_POINT, at=T0 + timedelta(hours=1))
    assert far.area_id != first.area_id
    # G2 is in G1's community, but about 1 km away: coordinates decide.
    same_community = create(world, LAMP, point=G2_POINT, at=T0 + timedelta(hours=2))
    assert same_community.area_id == first.area_id
    for appeal in (far, same_community):
        appeal.refresh_from_db()
        assert (appeal.status, appeal.merged_into_id) == ("received", None)
        # The normal path: checked for candidates (none this far away) and indexed.
        assert candidates_of(appeal) == {}
        assert DuplicateEntry.objects.filter(appeal=appeal).exists()
    # At the first place again (within the radius, across the street): merged into the first.
    again = create(world, LAMP, point=_near(G1_POINT, 100), at=T0 + timedelta(hours=3))
    assert (again.status, again.merged_into_id) == ("merged", first.pk)


def test_a_repeat_across_a_community_border_within_the_radius_is_merged(world):
    first = create(world, LAMP, point=(22.7040, 114.2000))
    again = create(world, LAMP, point=(22.7060, 114.2000), at=T0 + timedelta(hours=1))
    assert (first.area_id, again.area_id) == (world.c1.pk, world.c2.pk)
    assert (again.status, again.merged_into_id) == ("merged", first.pk)


def test_a_repeat_by_phone_without_coordinates_needs_the_same_community(world):
    phone = {"by": world.operator, "reporter_phone": "13912345678", "point": None}
    first = create(world, LAMP, area=world.c1.pk, **phone)
    elsewhere = create(world, LAMP, area=world.c3.pk, at=T0 + timedelta(hours=1), **phone)
    assert (elsewhere.status, elsewhere.merged_into_id) == ("received", None)
    assert candidates_of(elsewhere) == {}
    again = create(world, LAMP, area=world.c1.pk, at=T0 + timedelta(hours=2), **phone)
    assert (again.status, again.merged_into_id) == ("merged", first.pk)
    # One with a point and one without: the community decides.
    located = create(
        world, LAMP, by=world.operator, reporter_phone="13912345678", at=T0 + timedelta(hours=3)
    )
    assert located.area_id == world.c1.pk
    assert (located.status, located.merged_into_id) == ("merged", first.pk)


def test_a_repeat_at_another_address_is_not_merged(world):
    """One phone, the same words, one community, no coordinates, two addresses typed in: two
    places. The same address again (written with other spacing) is a repeat."""
    phone = {"by": world.operator, "reporter_phone": "13912345678", "point": None}
    first = create(world, LAMP, area=world.c1.pk, address="幸福路3号", **phone)
    other = create(
        world, LAMP, area=world.c1.pk, address="和平路88号", at=T0 + timedelta(hours=1), **phone
    )
    assert (other.status, other.merged_into_id) == ("received", None)
    again = create(
        world, LAMP, area=world.c1.pk, address="幸福路 3号", at=T0 + timedelta(hours=2), **phone
    )
    assert (again.status, again.merged_into_id) == ("merged", first.pk)
    # A fuller writing of the same address is the same place.
    fuller = create(
        world,
        LAMP,
        area=world.c1.pk,
        address="深圳市幸福路3号楼",
        at=T0 + timedelta(hours=3),
        **phone,
    )
    assert (fuller.status, fuller.merged_into_id) == ("merged", first.pk)


def test_a_repeat_after_25_hours_is_only_a_candidate(world):
    first = create(world, LIFT)
    later = create(world, LIFT, at=T0 + timedelta(hours=25))
    assert later.status == "received"
    assert candidates_of(later)[first.pk].similarity == 1.0


def test_the_same_text_from_another_reporter_is_not_merged(world):
    first = create(world, LIFT)
    other = create(world, LIFT, by=world.resident2, at=T0 + timedelta(minutes=5))
    assert other.status == "received"
    assert set(candidates_of(other)) == {first.pk}


def test_a_repeat_of_a_finished_appeal_is_not_merged(world):
    first = create(world, LIFT)
    with clock.at(T0 + timedelta(hours=1)):
        act(world.dispatcher, first, "reject", reason="不属于受理范围")
    again = create(world, LIFT, at=T0 + timedelta(hours=2))
    assert again.status == "received"


def test_a_repeat_whose_main_appeal_closes_meanwhile_is_kept_and_indexed(world, monkeypatch):
    """The main appeal is rejected between the repeat check's read and the merge (another
    dispatcher at that moment): the service refuses the merge, and the resident's new appeal is
    kept as an appeal of its own, with its candidates and in the index; the intake does not fail."""
    first = create(world, LIFT)
    found = services.exact_repeat_of

    def rejected_meanwhile(appeal, rkey, cfg):
        main = found(appeal, rkey, cfg)
        assert main is not None and main.pk == first.pk  # the read saw it open
        with clock.at(T0 + timedelta(hours=1)):
            act(world.dispatcher, first, "reject", reason="不属于受理范围")
        return main

    monkeypatch.setattr(services, "exact_repeat_of", rejected_meanwhile)
    again = create(world, LIFT, at=T0 + timedelta(hours=1))
    again.refresh_from_db()
    assert (again.status, again.merged_into_id) == ("received", None)
    assert not AppealEvent.objects.filter(appeal=again, kind=EventKind.MERGE).exists()
    assert DuplicateEntry.objects.filter(appeal=again).exists()
    assert set(candidates_of(again)) == {first.pk}


# --- The index -------------------------------------------------------------------------------------


def test_the_check_reads_only_appeals_that_share_terms(world):
    filler = [
        ("路灯不亮", "人民路东段路灯晚上不亮，行人看不清路"),
        ("噪音扰民", "工地夜间施工噪音太大，影响休息"),
        ("井盖缺失", "学府路口的井盖丢了，晚上很危险"),
        ("违章停车", "消防通道被私家车堵住"),
        ("绿化带杂草", "公园旁绿化带杂草丛生，无人修剪"),
    ]
    unrelated = [
        create(world, text, by=world.operator, at=T0 - timedelta(hours=i + 1))
        for i, text in enumerate(filler * 4)
    ]
    first = create(world, LIFT, at=T0)
    appeal = Appeal.objects.get(pk=first.pk)  # the look-up below is the same as at intake
    new = Appeal(
        title=LIFT_REWORDED[0],
        description=LIFT_REWORDED[1],
        lat=G1_POINT[0],
        lon=G1_POINT[1],
        area_id=appeal.area_id,
        created_at=T0 + timedelta(hours=1),
    )
    terms = index.terms_of(new.title, new.description)
    with CaptureQueriesContext(connection) as queries:
        search = services.find_candidates(new, terms)
    assert search.loaded_ids == [first.pk]
    assert [c.appeal_id for c in search.candidates] == [first.pk]
    # One index look-up and one load of the named appeals; no unrelated appeal is read.
    assert len(queries) == 2
    assert "duplicates_duplicateterm" in queries[0]["sql"]
    assert f"IN ({first.pk})" in queries[1]["sql"]
    assert len(unrelated) == 20 and first.pk not in {a.pk for a in unrelated}
    assert search.lookup.postings_read <= len(terms)  # only the lift appeal's postings


def test_a_term_everybody_uses_is_cut_off(world, settings):
    settings.SUQIU_DUPLICATES = {"max_postings": 3}
    for i in range(5):
        create(
            world,
            (f"小区物业问题{i}号", "小区物业服务差"),
            by=world.operator,
            at=T0 - timedelta(hours=i + 1),
        )
    new = create(world, ("小区物业", "小区物业不作为"), by=world.resident2, at=T0)
    search = services.find_candidates(new, index.terms_of(new.title, new.description))
    assert search.lookup.keys_too_common >= 1
    assert search.loaded_ids == []


@pytest.mark.postgres
def test_the_look_up_is_an_index_scan_on_postgres(world):
    create(world, LIFT)
    # Enough unrelated postings that a sequential scan would be the planner's choice if the
    # primary key could not serve the look-up.
    DuplicateTerm.objects.bulk_create(
        [DuplicateTerm(key=k, appeal_id=1_000_000 + k % 997) for k in range(-30_000, 30_000, 2)],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE duplicates_duplicateterm")
        keys = [index.term_key(t, world.c1.pk) for t in index.terms_of(*LIFT_REWORDED)]
        cursor.execute(
            "EXPLAIN SELECT k.key, t.appeal_id FROM unnest(%s::integer[]) AS k(key) "
            "CROSS JOIN LATERAL (SELECT appeal_id FROM duplicates_duplicateterm "
            "WHERE key = k.key ORDER BY appeal_id DESC LIMIT 51) AS t",
            [keys],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan Backward using duplicates_duplicateterm_pkey" in plan, plan
    assert "Seq Scan on duplicates_duplicateterm" not in plan


def test_the_look_up_reads_at_most_the_limit_of_a_common_key(world):
    """A key with thousands of postings costs the limit plus one rows, on SQLite as on
    PostgreSQL: the read does not grow with the index."""
    common, rare = 2_000_000_001, 2_000_000_002
    DuplicateTerm.objects.bulk_create(
        [DuplicateTerm(key=common, appeal_id=10_000 + i) for i in range(3000)]
        + [DuplicateTerm(key=rare, appeal_id=10_000 + i) for i in range(0, 30, 3)],
        batch_size=1000,
    )
    found = index.look_up([common, rare], max_postings=50)
    assert found.postings_read == 51 + 10
    assert found.keys_too_common == 1
    assert found.ranked == [10_000 + i for i in range(27, -1, -3)]


def test_prune_takes_finished_and_old_appeals_out_of_the_index(world):
    rejected = create(world, LIFT)
    with clock.at(T0 + timedelta(hours=1)):
        act(world.dispatcher, rejected, "reject", reason="重复")
    kept = create(world, RUBBISH, at=T0 + timedelta(hours=2))
    entry = DuplicateEntry.objects.get(appeal=rejected)
    assert entry.expires_at == T0 + timedelta(hours=1, days=30)
    assert DuplicateTerm.objects.filter(appeal_id=rejected.pk).count() == len(
        index.unpack_keys(entry.keys)
    )
    with clock.at(T0 + timedelta(days=29)):
        assert services.prune() == 0
    with clock.at(T0 + timedelta(days=31)):
        assert services.prune() == 1
    assert not DuplicateEntry.objects.filter(appeal=rejected).exists()
    assert not DuplicateTerm.objects.filter(appeal_id=rejected.pk).exists()
    assert DuplicateTerm.objects.filter(appeal_id=kept.pk).count() > 0
    with clock.at(T0 + timedelta(days=181)):
        assert services.prune() == 1
    assert DuplicateTerm.objects.count() == 0


def test_a_failed_intake_leaves_no_index_rows(world, monkeypatch):
    def broken(**kw):
        raise RuntimeError("later hook failed")

    monkeypatch.setattr(
        appeal_services, "_AFTER_CREATE", [*appeal_services._AFTER_CREATE, (99, broken)]
    )
    with pytest.raises(RuntimeError):
        create(world, LIFT)
    assert DuplicateEntry.objects.count() == 0 and DuplicateTerm.objects.count() == 0


# --- Workbench panel ------------------------------------------------------------------------------


def _pair(world):
    first = create(world, LIFT)
    second = create(world, LIFT_REWORDED, by=world.resident2, at=T0 + timedelta(hours=1))
    return first, second


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_the_panel_lists_candidates_with_merge_and_dismiss(world, client):
    first, second = _pair(world)
    _login(client, world.dispatcher)
    page = client.get(reverse("workbench:appeal", args=[second.pk])).content.decode()
    assert 'id="dup-panel"' in page
    assert first.tracking_code in page
    assert reverse("workbench:act", args=[second.pk, "merge"]) in page
    assert f'name="into" value="{first.tracking_code}"' in page
    # The earlier appeal's page shows the later report, with a button that takes it in.
    page = client.get(reverse("workbench:appeal", args=[first.pk])).content.decode()
    assert second.tracking_code in page and 'data-relation="later"' in page
    panel = page.split('id="dup-panel"')[1].split("</section>")[0]
    assert second.tracking_code in panel
    assert 'name="into"' not in panel
    row = DuplicateCandidate.objects.get(appeal=second, candidate=first)
    assert reverse("duplicates:merge_in", args=[first.pk, row.pk]) in panel


def test_merge_a_later_report_in_from_the_earlier_appeal(world, client):
    first, second = _pair(world)
    row = DuplicateCandidate.objects.get(appeal=second, candidate=first)
    _login(client, world.dispatcher)
    url = reverse("duplicates:merge_in", args=[first.pk, row.pk])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="appeal-panel"' in html and first.tracking_code in html  # this appeal's panel
    second.refresh_from_db()
    assert (second.status, second.merged_into_id) == ("merged", first.pk)
    assert AppealEvent.objects.filter(appeal=first, kind=EventKind.MERGED_IN).count() == 1
    # Again: the later one is merged already; refused on this appeal's panel, nothing written.
    events = AppealEvent.objects.count()
    again = client.post(url, HTTP_HX_REQUEST="true")
    assert again.status_code == 409 and AppealEvent.objects.count() == events
    # A candidate row of another pair, through this appeal's URL: not found, nothing merged.
    third = create(world, RUBBISH, point=G3_POINT, at=T0)
    fourth = create(world, RUBBISH, by=world.resident2, point=G3_POINT, at=T0 + timedelta(hours=2))
    foreign = DuplicateCandidate.objects.get(appeal=fourth, candidate=third)
    refused = client.post(
        reverse("duplicates:merge_in", args=[first.pk, foreign.pk]), HTTP_HX_REQUEST="true"
    )
    assert refused.status_code == 404
    fourth.refresh_from_db()
    assert fourth.status == "received"


def test_merge_in_needs_a_user_who_may_merge_the_later_report(world, client):
    first, second = _pair(world)
    row = DuplicateCandidate.objects.get(appeal=second, candidate=first)
    _login(client, world.handler)  # a department handler: sees neither, merges nothing
    response = client.post(reverse("duplicates:merge_in", args=[first.pk, row.pk]))
    assert response.status_code == 404
    second.refresh_from_db()
    assert second.status == "received"


def test_merge_from_the_panel_merges_into_the_candidate(world, client):
    first, second = _pair(world)
    _login(client, world.dispatcher)
    response = client.post(
        reverse("workbench:act", args=[second.pk, "merge"]),
        {"into": first.tracking_code, "reason": "同一问题"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    second.refresh_from_db()
    assert (second.status, second.merged_into_id) == ("merged", first.pk)


def test_the_merged_reporter_follows_the_main_appeal_on_the_tracking_page(world, client):
    first, second = _pair(world)
    act(world.dispatcher, second, "merge", into=first.pk)
    act(world.dispatcher, first, "assess", category="HOUSING")
    act(world.dispatcher, first, "dispatch")
    page = client.get(reverse("resident:track_detail", args=[second.tracking_code]))
    text = page.content.decode()
    assert first.tracking_code in text
    assert 'class="main-progress"' in text
    assert "status-dispatched" in text  # the main appeal's status, not "merged"
    # One sentence, in the page's language, with its link (Chinese punctuation in Chinese).
    assert f'href="/track/{first.tracking_code}">{first.tracking_code}</a>。请通过' in text


def test_dismiss_records_who_and_hides_the_candidate(world, client):
    first, second = _pair(world)
    row = DuplicateCandidate.objects.get(appeal=second, candidate=first)
    _login(client, world.dispatcher)
    response = client.post(
        reverse("duplicates:dismiss", args=[second.pk, row.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.dismissed_by_id == world.dispatcher.pk and row.dismissed_at is not None
    html = response.content.decode()
    assert f'data-candidate="{first.tracking_code}"' not in html  # the row is gone
    assert "data-dismissed" in html and first.tracking_code in html  # and the user is told
    page = client.get(reverse("workbench:appeal", args=[second.pk])).content.decode()
    assert 'id="dup-panel"' not in page


def test_dismiss_needs_an_assessor_and_a_visible_appeal(world, client):
    first, second = _pair(world)
    row = DuplicateCandidate.objects.get(appeal=second, candidate=first)
    _login(client, world.grid_worker)  # sees C1, may not assess
    response = client.post(reverse("duplicates:dismiss", args=[second.pk, row.pk]))
    assert response.status_code == 403
    client.logout()
    _login(client, world.community_worker_c3)  # does not see C1
    response = client.post(reverse("duplicates:dismiss", args=[second.pk, row.pk]))
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.dismissed_at is None


def test_a_candidate_in_another_community_cannot_be_dismissed_from_this_one(world, client):
    """Two reports 45 m apart on either side of a community boundary are candidates of each
    other; the first community's worker does not see the second's appeal, so its candidate is
    neither listed nor dismissed (404, nothing written, no tracking code in the answer)."""
    from suqiu.api.testing import ApiClient

    other = create(world, LIFT, by=world.resident2, point=(22.7052, 114.200))
    mine = create(world, LIFT_REWORDED, point=(22.7048, 114.200), at=T0 + timedelta(hours=1))
    assert mine.area_id != other.area_id
    row = DuplicateCandidate.objects.get(appeal=mine, candidate=other)
    _login(client, world.community_worker)
    assert services.candidates_for(actor=actor(world.community_worker), appeal=mine) == []
    response = client.post(reverse("duplicates:dismiss", args=[mine.pk, row.pk]))
    assert response.status_code == 404
    assert other.tracking_code not in response.content.decode()
    answer = ApiClient(world.community_worker).post(
        f"/appeals/{mine.pk}/duplicates/{row.pk}/dismiss"
    )
    assert answer.status_code == 404
    row.refresh_from_db()
    assert row.dismissed_at is None


# --- API ---------------------------------------------------------------------------------------


def _api(client, user, appeal_id, **params):
    _login(client, user)
    return client.get(f"/api/v1/appeals/{appeal_id}/duplicates", params)


def test_the_api_lists_candidates(world, client):
    first, second = _pair(world)
    response = _api(client, world.dispatcher, second.pk)
    assert response.status_code == 200
    [item] = response.json()
    assert item["tracking_code"] == first.tracking_code
    assert item["relation"] == "earlier" and item["similarity"] > 0.3
    assert item["distance_m"] == 0.0 and item["dismissed"] is False


def test_the_api_is_scoped(world, client):
    # Across the C1/C2 border: a C1 community worker sees the C1 appeal only.
    c2_first = create(world, LIFT, point=(22.7060, 114.2000))
    c1_second = create(
        world,
        LIFT_REWORDED,
        by=world.resident2,
        point=(22.7040, 114.2000),
        at=T0 + timedelta(hours=1),
    )
    assert _api(client, world.dispatcher, c1_second.pk).json()[0]["appeal_id"] == c2_first.pk
    client.logout()
    response = _api(client, world.community_worker, c1_second.pk)
    assert response.status_code == 200 and response.json() == []
    client.logout()
    assert _api(client, world.community_worker, c2_first.pk).status_code == 404
    client.logout()
    # The reporter of the C2 appeal sees their appeal, not the other person's.
    assert _api(client, world.resident, c2_first.pk).json() == []
    client.logout()
    assert _api(client, world.resident, c1_second.pk).status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_report_sent_twice_at_once_is_merged_once(world):
    from suqiu.appeals.tests.test_concurrency import race

    for round_ in range(5):
        text = (LIFT[0], f"{LIFT[1]}（第{round_}轮）")
        at = T0 + timedelta(hours=round_)
        outcomes = race(
            lambda text=text, at=at: create(world, text, at=at),
            lambda text=text, at=at: create(world, text, at=at),
        )
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        pks = [value.pk for _, value in outcomes]
        stored = {a.pk: a for a in Appeal.objects.filter(pk__in=pks)}
        statuses = sorted(a.status for a in stored.values())
        assert statuses == ["merged", "received"], statuses
        merged = next(a for a in stored.values() if a.status == "merged")
        assert merged.merged_into_id in stored


def test_a_merged_pair_shows_the_merge_and_cannot_be_dismissed(world, client):
    """Once one appeal is merged into the other, both pages say so instead of offering "not a
    duplicate"; dismissing the pair anyway is a 409 that changes nothing."""
    from suqiu.api.testing import ApiClient

    first, second = _pair(world)
    row = DuplicateCandidate.objects.get(appeal=second, candidate=first)
    _login(client, world.dispatcher)
    client.post(
        reverse("workbench:act", args=[second.pk, "merge"]),
        {"into": first.tracking_code, "reason": "同一问题"},
    )
    second.refresh_from_db()
    assert second.merged_into_id == first.pk
    for appeal, label in ((second, "本诉求已并入该件"), (first, "已并入本诉求")):
        page = client.get(reverse("workbench:appeal", args=[appeal.pk])).content.decode()
        panel = page.split('id="dup-panel"')[1].split("</section>")[0]
        assert label in panel
        assert "dismiss" not in panel and 'name="into"' not in panel
    response = ApiClient(world.dispatcher).post(f"/appeals/{second.pk}/duplicates/{row.pk}/dismiss")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_merged"
    response = client.post(reverse("duplicates:dismiss", args=[first.pk, row.pk]))
    assert response.status_code == 409
    row.refresh_from_db()
    assert row.dismissed_at is None


def test_dismiss_through_the_api(world):
    from suqiu.api.testing import ApiClient

    first, second = _pair(world)
    row = DuplicateCandidate.objects.get(appeal=second, candidate=first)
    path = f"/appeals/{second.pk}/duplicates/{row.pk}/dismiss"
    assert ApiClient(world.grid_worker).post(path).status_code == 403
    assert ApiClient(world.community_worker_c3).post(path).status_code == 404
    response = ApiClient(world.dispatcher).post(path)
    assert response.status_code == 200 and response.json()["dismissed"] is True
    client = ApiClient(world.dispatcher)
    assert client.get(f"/appeals/{second.pk}/duplicates").json() == []
    listed = client.get(f"/appeals/{second.pk}/duplicates", {"include_dismissed": "true"}).json()
    assert [item["id"] for item in listed] == [row.pk]


# --- Similar appeals elsewhere ---------------------------------------------------------------------

RENT = (
    "独居老人想找一楼出租房",
    "我今年82岁，一个人租房住在六楼，没有电梯，腿脚不好上下楼很难，想找一间租金便宜的一楼或者带电梯的房子",
)
RENT_C2 = (
    "老人求助寻找低楼层出租房",
    "我母亲80岁一个人租房住，住在顶楼没有电梯，膝盖不好爬不了楼梯，想找租金便宜的一楼或者带电梯的房子",
)
RENT_C2_AGAIN = (
    "高龄老人租房难",
    "隔壁80多岁的独居老人租的房子在七楼，没有电梯下不了楼，想换一间一楼或带电梯的便宜房子",
)


def _elderly_renters(world):
    """One case in C1 (street S1); two like it in C2 (S1), one in C3 (street S2), and an
    unrelated appeal in C2."""
    case = create(world, RENT, at=T0 + timedelta(days=2))
    c2 = [
        create(world, RENT_C2, by=world.resident2, point=G3_POINT),
        create(world, RENT_C2_AGAIN, by=world.resident2, point=G3_POINT, at=T0 + timedelta(days=1)),
    ]
    create(world, RUBBISH, by=world.resident2, point=G3_POINT)
    # Another person (the same person's same words within a day would be an exact repeat).
    s2 = create(world, RENT_C2, by=world.resident, point=G4_POINT)
    assert s2.status == "received"
    return case, c2, s2


def test_similar_appeals_in_the_other_communities_of_the_street_are_shown(world):
    case, c2, s2 = _elderly_renters(world)
    assert candidates_of(case) == {}  # another community: never a duplicate
    found = services.similar_elsewhere(actor=actor(world.dispatcher), appeal=case)
    assert {e.appeal.pk for e in found} == {a.pk for a in c2}
    assert {e.community for e in found} == {c2[0].area.name}
    assert all(e.similarity >= index.config()["elsewhere_min_similarity"] for e in found)
    # Seen from C2, the C1 case is among them, and later appeals count too.
    from_c2 = services.similar_elsewhere(actor=actor(world.dispatcher), appeal=c2[0])
    assert case.pk in {e.appeal.pk for e in from_c2}
    assert s2.pk not in {e.appeal.pk for e in from_c2}  # another street
    # Scoped: the leader of street S2 sees none of street S1's appeals.
    assert services.similar_elsewhere(actor=actor(world.leader_s2), appeal=case) == []


def test_neighbours_with_the_same_need_in_the_own_community_are_shown(world):
    """The seed's community found the common problem among its own residents: the case's own
    community counts too, except its pending duplicate candidates, which are listed here once
    dismissed ("not a duplicate": another person with the same need); merged ones never."""
    # About 1 km from the case, in its community: not a duplicate by distance.
    far = create(world, RENT_C2, by=world.resident2, point=G2_POINT)
    # Next door: a duplicate candidate of the case.
    near = create(world, RENT_C2_AGAIN, by=world.grid_worker, point=_near(G1_POINT, 60))
    case = create(world, RENT, at=T0 + timedelta(days=2))
    assert far.area_id == near.area_id == case.area_id == world.c1.pk
    assert set(candidates_of(case)) == {near.pk}

    def shown():
        found = services.similar_elsewhere(actor=actor(world.dispatcher), appeal=case)
        assert all(e.community == world.c1.name for e in found)
        return {e.appeal.pk for e in found}

    assert shown() == {far.pk}
    # Seen from the candidate's side the pair is pending too.
    assert case.pk not in {
        e.appeal.pk for e in services.similar_elsewhere(actor=actor(world.dispatcher), appeal=near)
    }
    row = DuplicateCandidate.objects.get(appeal=case, candidate=near)
    services.dismiss(actor=actor(world.dispatcher), appeal=case, candidate_id=row.pk)
    assert shown() == {far.pk, near.pk}
    act(world.dispatcher, far, "merge", into=case.pk)
    assert shown() == {near.pk}


def test_a_merged_appeal_offers_no_dismiss_for_its_other_candidates(world, client):
    first, second = _pair(world)
    third = create(world, LIFT_REWORDED, by=world.grid_worker, at=T0 + timedelta(hours=2))
    act(world.dispatcher, second, "merge", into=first.pk)
    _login(client, world.dispatcher)
    page = client.get(reverse("workbench:appeal", args=[second.pk])).content.decode()
    panel = page.split('id="dup-panel"')[1].split("</section>")[0]
    assert third.tracking_code in panel  # still listed, for the record
    assert "不是重复" not in panel and "Not a duplicate" not in panel
    # The open appeals keep theirs.
    page = client.get(reverse("workbench:appeal", args=[third.pk])).content.decode()
    panel = page.split('id="dup-panel"')[1].split("</section>")[0]
    assert "不是重复" in panel
