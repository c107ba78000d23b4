"""The demo's clocks: the past settled as the worker would have left it, and appeals due within
minutes whose reminders and escalations reach the demo people's inboxes."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from suqiu.appeals.models import Appeal, AppealEvent
from suqiu.demo import generate as demo_generate
from suqiu.demo.clock import SOON
from suqiu.notify.models import InboxItem
from suqiu.timelimits.duties import escalate_overdue, remind_due, return_unaccepted


@pytest.fixture
def demo_with_soon(db, monkeypatch):
    monkeypatch.setattr(demo_generate, "SOON_FROM", 1)
    out = StringIO()
    before = timezone.now()
    call_command("demo", appeals=40, days=20, seed=3, stdout=out, stderr=out)
    return before, out.getvalue()


def test_the_past_is_settled_and_a_few_appeals_are_due_within_minutes(demo_with_soon):
    before, out = demo_with_soon
    assert "Time limits:" in out and "due within minutes" in out
    assert Appeal.objects.count() == 40
    now = timezone.now()
    # Nothing of the past is left for the worker but the new set: no old reminder or escalation.
    soon_titles = {s.title for s in SOON}
    old = Appeal.objects.exclude(title__in=soon_titles)
    assert not old.filter(remind_at__lt=before - timedelta(minutes=1)).exists()
    assert not old.filter(escalate_at__lt=before - timedelta(minutes=1)).exists()
    assert not old.filter(first_contact_remind_at__lt=before - timedelta(minutes=1)).exists()
    assert not old.filter(first_contact_escalate_at__lt=before - timedelta(minutes=1)).exists()
    assert not old.filter(status="dispatched", due_at__lt=before - timedelta(minutes=1)).exists()
    soon = {a.title: a for a in Appeal.objects.filter(title__in=soon_titles)}
    assert set(soon) == soon_titles
    gas = soon["小区门口燃气味很重"]
    assert gas.due_stage == "dispatch"
    assert now < gas.due_at < now + timedelta(minutes=10)
    assert soon["消防通道被占"].due_at < now  # already overdue
    assert soon["楼顶水箱漏水"].status == "dispatched"
    septic = soon["化粪池满溢"]
    assert septic.status == "in_progress"
    # Its handler called the reporter after accepting: only the resolve limit is running out,
    # no stale first-contact clock for the worker to escalate the moment it starts.
    assert septic.first_contact_due_at is None and septic.first_contact_escalate_at is None
    assert AppealEvent.objects.filter(appeal=septic, kind="note").exists()
    # Urgent appeals of the past days alerted nobody; today's did (the new gas smell among them).
    alerted = Appeal.objects.filter(
        pk__in=InboxItem.objects.filter(kind="urgent_intake").values("appeal")
    )
    assert "小区门口燃气味很重" in {a.title for a in alerted}
    assert all(a.created_at > before - timedelta(hours=24) for a in alerted)
    assert Appeal.objects.filter(
        urgency__in=["urgent", "emergency"], created_at__lt=before - timedelta(hours=24)
    ).exists()  # there were some to alert about


def test_the_worker_then_fills_the_inboxes(demo_with_soon):
    now = timezone.now()
    assert remind_due(now=now) >= 5
    assert escalate_overdue(now=now) >= 1
    assert return_unaccepted(now=now) >= 1  # the one dispatched 150 min ago
    inbox = InboxItem.objects.filter(user__username="dispatcher")
    assert inbox.filter(kind="due_soon").exists()
    assert inbox.filter(kind="escalated").exists()
    assert InboxItem.objects.filter(user__username="leader", kind="escalated").exists()
    assert InboxItem.objects.filter(user__username="handler", kind="due_soon").exists()
    later = now + timedelta(minutes=11)
    escalate_overdue(now=later)
    return_unaccepted(now=later)
    soon_titles = {s.title for s in SOON}
    escalated = set(
        AppealEvent.objects.filter(kind="escalate", appeal__title__in=soon_titles).values_list(
            "appeal__title", flat=True
        )
    )
    assert {"小区门口燃气味很重", "电梯困人", "路面塌陷", "消防通道被占", "化粪池满溢"} <= escalated
    assert Appeal.objects.get(title="楼顶水箱漏水").status == "queued"
