"""Staff alerts at intake (suqiu/notify/alerts.py): an emergency or urgent appeal tells the
dispatchers covering its area, and the handling organisation when triage dispatched it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from suqiu.appeals.tests.chain import new_appeal
from suqiu.core import clock
from suqiu.notify.alerts import KIND_URGENT_INTAKE
from suqiu.notify.models import InboxItem, OutboxMessage
from suqiu.triage import loader
from suqiu.triage.models import KeywordRule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rules_left_in_memory():
    """The triage loader is process-wide: no rule read here outlives the test's database."""
    loader.reset()
    yield
    loader.reset()


def alerts(appeal):
    return list(OutboxMessage.objects.filter(appeal=appeal, kind=KIND_URGENT_INTAKE).order_by("id"))


def test_an_emergency_raised_by_triage_alerts_the_areas_dispatchers(world):
    appeal = new_appeal(world, title="楼道有燃气味", description="3栋2单元楼道里很浓的燃气味")
    appeal.refresh_from_db()
    assert appeal.urgency == "emergency"  # raised at intake: the reporter said nothing
    messages = alerts(appeal)
    assert {(m.recipient_id, m.channel) for m in messages} == {
        (world.dispatcher.pk, "inapp"),
        (world.dispatcher2.pk, "inapp"),
    }
    m = messages[0]
    assert m.subject == f"特急诉求 {appeal.tracking_code}：楼道有燃气味"
    due = timezone.localtime(appeal.created_at + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    assert "派单时限至 " + due in m.body and "一社区" in m.body
    assert m.data["urgency"] == "emergency" and m.data["appeal_id"] == appeal.pk
    # In the dispatchers' inboxes; not the reporter's (who hears about their own appeal only),
    # not the grid worker's.
    assert InboxItem.objects.filter(user=world.dispatcher, kind=KIND_URGENT_INTAKE).count() == 1
    assert not InboxItem.objects.filter(
        user__in=[world.resident, world.grid_worker], kind=KIND_URGENT_INTAKE
    ).exists()


def test_an_urgent_appeal_set_by_its_reporter_alerts_too_and_a_normal_one_does_not(world):
    urgent = new_appeal(world, title="停水", description="小区整栋楼停水", urgency="urgent")
    normal = new_appeal(world, title="楼道灯坏了")
    [first, *_rest] = alerts(urgent)
    assert first.subject.startswith(f"紧急诉求 {urgent.tracking_code}")
    assert alerts(normal) == []


def test_history_replayed_through_intake_does_not_alert(world):
    # The demo (and any replay with clock.at) writes past appeals through the live intake: an
    # emergency of two days ago is history, one of an hour ago still needs someone now.
    with clock.at(timezone.now() - timedelta(days=2)):
        old = new_appeal(world, title="楼道有燃气味", description="3栋楼道里很浓的燃气味")
    with clock.at(timezone.now() - timedelta(hours=1)):
        recent = new_appeal(world, title="楼道有燃气味", description="7栋楼道里很浓的燃气味")
    old.refresh_from_db()
    assert old.urgency == "emergency" and alerts(old) == []
    assert len(alerts(recent)) == 2


def test_an_exact_repeat_merged_at_intake_does_not_alert_again(world):
    text = {"title": "楼道有燃气味", "description": "5栋楼道里很浓的燃气味，请马上来"}
    first = new_appeal(world, **text)
    again = new_appeal(world, **text)
    again.refresh_from_db()
    assert again.status == "merged" and again.merged_into_id == first.pk
    assert len(alerts(first)) == 2 and alerts(again) == []


def test_an_emergency_dispatched_by_triage_also_alerts_the_handling_organisation(world):
    KeywordRule.objects.create(
        category=world.cat_road, keywords="塌陷", auto=True, urgency="emergency"
    )
    loader.reset()  # read the rule now, not at the loader's next check
    appeal = new_appeal(world, title="路面塌陷", description="门口马路突然塌陷了一个大洞")
    appeal.refresh_from_db()
    assert (appeal.status, appeal.urgency) == ("dispatched", "emergency")
    recipients = {m.recipient_id for m in alerts(appeal)}
    assert recipients == {world.dispatcher.pk, world.dispatcher2.pk, world.roads_handler.pk}
    assert "接单时限至" in alerts(appeal)[0].body


def test_an_emergency_also_texts_the_dispatchers_phones_while_sms_is_on(world, settings):
    world.dispatcher.phone = "13600000009"
    world.dispatcher.save(update_fields=["phone"])  # dispatcher2 has no phone: in-app only
    settings.SUQIU_NOTIFY = {"SMS_URL": "http://127.0.0.1:9/sms"}
    emergency = new_appeal(world, title="楼道有燃气味", description="3栋2单元楼道里很浓的燃气味")
    urgent = new_appeal(world, title="停水", description="小区整栋楼停水", urgency="urgent")
    sms = [m for m in alerts(emergency) if m.channel == "sms"]
    assert [(m.address, m.recipient_id) for m in sms] == [("13600000009", None)]
    # One self-contained text: what, which appeal, where and by when.
    assert sms[0].body.startswith(f"特急诉求 {emergency.tracking_code}：楼道有燃气味。")
    assert "派单时限至" in sms[0].body
    assert {m.channel for m in alerts(urgent)} == {"inapp"}  # urgent: no text message


def test_the_alert_goes_to_no_webhook(world, settings):
    settings.SUQIU_NOTIFY = {
        "WEBHOOKS": [{"url": "http://127.0.0.1:9/hook", "kinds": ["*"], "secret": "s"}]
    }
    appeal = new_appeal(world, title="楼道有燃气味", description="3栋2单元楼道里很浓的燃气味")
    assert {m.channel for m in alerts(appeal)} == {"inapp"}
    # Integrations still hear of the appeal itself, without the resident's words.
    assert OutboxMessage.objects.filter(appeal=appeal, kind="appeal.created").exists()
