"""Time left on the workbench: the text and colour of each row and of the appeal page, the
"overdue" queue and the order of the queues (urgency, then due time)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from suqiu.appeals.tests.chain import act, bring_to, new_appeal
from suqiu.core import clock
from suqiu.core.testing import PASSWORD
from suqiu.timelimits.display import (
    clock_of,
    clock_of_first_contact,
    duration_text,
    working_duration_text,
)

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=user.username, password=PASSWORD)
    return client


def home(user, **params):
    return client_for(user).get(reverse("workbench:home"), params)


def test_durations_in_words():
    with translation.override("en"):
        assert duration_text(timedelta(hours=2, minutes=15)) == "2 h 15 min"
        assert duration_text(timedelta(days=3, hours=4, minutes=59)) == "3 d 4 h"
        assert duration_text(timedelta(seconds=20)) == "1 min"
        assert duration_text(-timedelta(hours=3)) == "3 h 0 min"
    with translation.override("zh-hans"):
        assert duration_text(timedelta(hours=2, minutes=15)) == "2小时15分钟"


def test_working_time_reads_in_working_days_of_the_calendar():
    # The default working day is 7 hours (09:00-12:00, 14:00-18:00).
    with translation.override("en"):
        assert working_duration_text(35 - 1 / 60) == "4 working days 6 h"
        assert working_duration_text(7.5) == "1 working day 0 h"
        assert working_duration_text(-8) == "1 working day 1 h"
        assert working_duration_text(3.5) == "3 h 30 min"
    with translation.override("zh-hans"):
        assert working_duration_text(16) == "2个工作日2小时"


def test_the_clock_of_an_appeal(world):
    now = timezone.now()
    with clock.at(now - timedelta(hours=21, minutes=45)):
        appeal = new_appeal(world)  # normal: dispatch due in 24 h → 2 h 15 min left
    appeal.refresh_from_db()
    with translation.override("en"):
        shown = clock_of(appeal, now)
        assert shown["text"] == "2 h 15 min left"
        assert shown["level"] == "soon"  # past the reminder time (80%)
        assert shown["stage"] == "dispatch"
        late = clock_of(appeal, now + timedelta(hours=5, minutes=15))
        assert (late["text"], late["level"]) == ("overdue by 3 h 0 min", "late")
        early = clock_of(appeal, now - timedelta(hours=10))
        assert early["level"] == "ok"


def test_a_suspended_appeal_shows_its_paused_clock(world):
    appeal = bring_to(world, "in_progress")
    act(world.dispatcher, appeal, "suspend", reason="等待")
    appeal.refresh_from_db()
    with translation.override("en"):
        shown = clock_of(appeal, timezone.now())
    assert shown["level"] == "paused"
    # The resolve limit (5 working days) was kept in working hours and reads so.
    assert re.fullmatch(r"paused, (5 working days 0 h|4 working days 6 h) left", shown["text"])
    # The first contact's clock is stopped too, and the page shows no due time for it.
    with translation.override("en"):
        first = clock_of_first_contact(appeal, timezone.now() + timedelta(days=30))
    assert first["level"] == "paused" and first["text"].startswith("paused, ")
    assert "left" in first["text"]
    text = client_for(world.dispatcher).get(reverse("workbench:appeal", args=[appeal.pk]))
    text = text.content.decode()
    assert 'data-first-contact-level="paused"' in text
    assert re.search(r"First contact due</dt><dd><span ", text)  # no stale due time
    act(world.leader, appeal, "resume")
    text = client_for(world.dispatcher).get(reverse("workbench:appeal", args=[appeal.pk]))
    text = text.content.decode()
    assert 'data-first-contact-level="ok"' in text
    # Accept started the first contact, resume moved it: both events name its due time.
    assert text.count("first contact due ") == 2


def test_rows_and_page_show_time_left_and_overdue(world):
    now = timezone.now()
    with clock.at(now - timedelta(hours=30)):
        late = new_appeal(world, title="早就到期")
    with clock.at(now - timedelta(hours=1)):
        fresh = new_appeal(world, title="刚收到")
    response = home(world.dispatcher, queue="to_assess")
    html = response.content.decode()
    assert "overdue by 6 h" in html
    assert "23 h 0 min left" in html or "22 h 59 min left" in html
    assert 'data-due-level="late"' in html and 'data-due-level="ok"' in html
    overdue = home(world.dispatcher, queue="overdue")
    assert [r["appeal"].pk for r in overdue.context["rows"]] == [late.pk]
    assert {q["name"]: q["count"] for q in overdue.context["queues"]}["overdue"] == 1
    page = client_for(world.dispatcher).get(reverse("workbench:appeal", args=[late.pk]))
    text = page.content.decode()
    assert "overdue by 6 h" in text and "stage: dispatch" in text
    assert fresh.pk != late.pk


def test_queues_sort_by_urgency_then_due_time(world):
    now = timezone.now()
    with clock.at(now - timedelta(hours=2)):
        normal_old = new_appeal(world, title="一般旧")  # due in 22 h
    with clock.at(now - timedelta(hours=20)):
        normal_older = new_appeal(world, title="一般更旧")  # due in 4 h
    with clock.at(now - timedelta(minutes=30)):
        urgent = new_appeal(world, title="加急", urgency="urgent")  # due in 1.5 h
    with clock.at(now - timedelta(minutes=10)):
        emergency = new_appeal(world, title="紧急", urgency="emergency")  # due in 50 min
    rows = home(world.dispatcher, queue="to_assess").context["rows"]
    assert [r["appeal"].pk for r in rows] == [
        emergency.pk,
        urgent.pk,
        normal_older.pk,
        normal_old.pk,
    ]


def test_an_escalation_reads_well_in_the_timeline(world):
    from suqiu.timelimits.duties import escalate_overdue

    now = timezone.now()
    with clock.at(now - timedelta(hours=30)):
        appeal = new_appeal(world)
    escalate_overdue(now=now)
    page = client_for(world.dispatcher).get(reverse("workbench:appeal", args=[appeal.pk]))
    text = page.content.decode()
    assert "Overdue: escalated" in text
    assert "dispatch limit ended" in text
    assert "Escalated" in text


def test_a_stage_reminder_reads_well_in_the_timeline_for_staff_only(world):
    from suqiu.timelimits.duties import remind_due

    now = timezone.now()
    with clock.at(now - timedelta(hours=20)):  # normal: dispatch due in 4 h, reminded from 4.8 h
        appeal = new_appeal(world)
    assert remind_due(now=now) == 1
    text = client_for(world.dispatcher).get(reverse("workbench:appeal", args=[appeal.pk]))
    text = text.content.decode()
    assert "Due soon: reminded" in text and "dispatch limit ends" in text
    assert 'data-due-level="soon"' in text
    # The reporter's page shows no supervision events.
    resident = client_for(world.resident)
    for url in (
        reverse("resident:mine", args=[appeal.pk]),
        reverse("resident:track_detail", args=[appeal.tracking_code]),
    ):
        text = resident.get(url).content.decode()
        assert appeal.tracking_code in text
        assert "Due soon" not in text and "limit ends" not in text


def test_the_first_contact_reminder_and_escalation_show_on_the_appeal_page(world):
    from suqiu.timelimits.duties import escalate_first_contact, remind_first_contact

    now = timezone.now()
    # Emergencies: first contact within 2 h of acceptance, reminded when 24 min remain.
    with clock.at(now - timedelta(hours=1, minutes=50)):
        soon = bring_to(world, "in_progress", urgency="emergency", title="燃气味")
    with clock.at(now - timedelta(hours=3)):
        late = bring_to(world, "in_progress", urgency="emergency", title="电梯困人")
    # Both reminder times have come; the late one's due time too, so it gets the escalation only.
    assert remind_first_contact(now=now) == 2
    assert escalate_first_contact(now=now) == 1
    client = client_for(world.dispatcher)
    text = client.get(reverse("workbench:appeal", args=[soon.pk])).content.decode()
    assert 'data-first-contact-level="soon"' in text
    assert "Due soon: reminded" in text and "first contact limit ends" in text
    text = client.get(reverse("workbench:appeal", args=[late.pk])).content.decode()
    assert 'data-first-contact-level="late"' in text and "overdue by 1 h" in text
    assert "Overdue: escalated" in text and "first contact limit ended" in text
    assert "Due soon: reminded" not in text
    assert re.search(
        r'data-first-contact-level="late">[^<]*</span> <span class="badge late">Escalated<', text
    )
    zh = Client()  # the default language
    assert zh.login(username=world.dispatcher.username, password=PASSWORD)
    text = zh.get(reverse("workbench:appeal", args=[late.pk])).content.decode()
    assert "超期督办" in text and "首次联系时限已于" in text
    text = zh.get(reverse("workbench:appeal", args=[soon.pk])).content.decode()
    assert "临期提醒" in text and "首次联系时限将于" in text
