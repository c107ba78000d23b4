"""Federation against Suqiu's own Open311 server, over real HTTP on loopback (``live_server``).

The same server plays both sides: HOUSING appeals (category A) are configured to go "upstream"
to ``live_server``'s /open311/v2/ as ROAD.POTHOLE (category B), with an API key issued there
to "Neighbour city". Everything runs through the real services, the real duties and httpx.
"""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import httpx
import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from suqiu.appeals.models import Appeal, AppealEvent, Channel
from suqiu.appeals.tests.chain import act, bring_to
from suqiu.core import clock
from suqiu.core.worker import Worker
from suqiu.open311 import client as o311_client
from suqiu.open311 import federation
from suqiu.open311.models import (
    ApiClient,
    FederatedRequest,
    SubmittedRequest,
    UpstreamEndpoint,
)

pytestmark = pytest.mark.django_db(transaction=True)

UPSTREAM_CODE = "ROAD.POTHOLE"


@pytest.fixture
def upstream_key(world):
    _client, raw = ApiClient.issue(name="Neighbour city", rate_limit_per_minute=1000)
    return raw


@pytest.fixture
def endpoint(world, live_server, upstream_key):
    return UpstreamEndpoint.objects.create(
        category=world.cat_housing,
        name="Roads office",
        base_url=live_server.url + "/open311/v2/",
        jurisdiction_id="suqiu.local",
        api_key=upstream_key,
        service_code=UPSTREAM_CODE,
        format="json",
        poll_interval_seconds=60,
    )


def upstream_appeals():
    return Appeal.objects.filter(category__code=UPSTREAM_CODE)


def open311_notes(appeal, event: str) -> list[AppealEvent]:
    return [
        e
        for e in AppealEvent.objects.filter(appeal=appeal, kind="note").order_by("id")
        if e.data.get("source") == "open311" and e.data.get("event") == event
    ]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def later(minutes: float):
    return clock.at(clock.now() + timedelta(minutes=minutes))


# --- Outbox ---------------------------------------------------------------------------------------


def test_dispatch_writes_the_outbox_row_in_its_transaction(world, endpoint):
    appeal = bring_to(world, "dispatched")
    row = FederatedRequest.objects.get(appeal=appeal)
    assert row.state == "pending" and row.endpoint == endpoint and row.attempts == 0
    assert row.next_attempt_at <= clock.now()
    assert not upstream_appeals().exists()  # nothing is sent inside the dispatch


def test_no_outbox_row_when_the_dispatch_rolls_back(world, endpoint):
    appeal = bring_to(world, "assessed")
    with pytest.raises(RuntimeError), transaction.atomic():
        act(world.dispatcher, appeal, "dispatch")
        assert FederatedRequest.objects.filter(appeal=appeal).exists()
        raise RuntimeError("crash before commit")
    assert not FederatedRequest.objects.exists()
    assert Appeal.objects.get(pk=appeal.pk).status == "assessed"
    assert federation.push_due() == 0


def test_no_outbox_row_without_an_active_endpoint(world, endpoint):
    other = bring_to(world, "assessed")
    act(world.dispatcher, other, "assess", category="ELDERLY")
    act(world.dispatcher, other, "dispatch", lead_organisation=world.housing.pk)
    endpoint.is_active = False
    endpoint.save()
    inactive = bring_to(world, "dispatched")
    assert not FederatedRequest.objects.exists()
    assert Appeal.objects.get(pk=inactive.pk).status == "dispatched"


# --- Round trip ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_round_trip_dispatch_push_upstream_change_poll(world, endpoint, fmt):
    endpoint.format = fmt
    endpoint.save()
    appeal = bring_to(world, "dispatched", title="Sinkhole by the school gate")

    # The worker loop runs the registered duty: one POST upstream.
    assert Worker(only={"open311.push"}).run_once() == {"open311.push": 1}
    row = FederatedRequest.objects.get(appeal=appeal)
    assert row.state == "sent" and row.attempts == 1 and row.last_error == ""
    (upstream,) = upstream_appeals()
    assert row.upstream_id == upstream.tracking_code
    assert upstream.channel == Channel.OPEN311 and upstream.client_name == "Neighbour city"
    assert upstream.status == "received"
    assert "Sinkhole by the school gate" in upstream.description
    assert (upstream.lat, upstream.lon) == (appeal.lat, appeal.lon)
    # No personal data went upstream: the resident's name and phone stay with us.
    assert upstream.reporter_name == "" and upstream.reporter_phone == ""
    submission = SubmittedRequest.objects.get(appeal=upstream)
    assert (submission.first_name, submission.last_name, submission.phone, submission.email) == (
        "",
        "",
        "",
        "",
    )
    (sent,) = open311_notes(appeal, "upstream_sent")
    assert sent.data["upstream_id"] == upstream.tracking_code and sent.actor_label == "system"
    assert federation.push_due() == 0  # sent once

    # First poll: upstream says "open".
    assert federation.poll_due() == 1
    row.refresh_from_db()
    assert row.upstream_status == "open" and row.last_polled_at is not None
    assert federation.poll_due() == 0  # not due again before the endpoint's interval

    # Upstream handles it (through its services) and closes it with a public reason.
    act(world.dispatcher, upstream, "reject", reason="Repaired together with the road works.")
    with later(2):
        assert federation.poll_due() == 1
    row.refresh_from_db()
    assert row.upstream_status == "closed"
    assert row.upstream_status_notes == "Repaired together with the road works."
    updates = open311_notes(appeal, "upstream_update")
    assert [u.data["status"] for u in updates] == ["open", "closed"]
    closing = updates[-1]
    assert closing.is_public and closing.public_text == "Repaired together with the road works."
    assert closing.data["upstream_id"] == upstream.tracking_code
    # Our appeal is not forced through the work chain: the dispatcher resolves it.
    ours = Appeal.objects.get(pk=appeal.pk)
    assert ours.status == "dispatched"
    # The reporter sees the upstream's notes on the public tracking page.
    page = Client().get(reverse("resident:track_detail", args=[ours.tracking_code]))
    assert page.status_code == 200
    assert "Repaired together with the road works." in page.content.decode()

    # Nothing new upstream: polling again records nothing.
    with later(4):
        assert federation.poll_due() == 1
    assert len(open311_notes(appeal, "upstream_update")) == 2


def test_the_federation_notes_read_in_the_readers_language(world, endpoint):
    appeal = bring_to(world, "dispatched")
    with translation.override("zh-hans"):  # the worker's language
        assert federation.push_due() == 1
    (sent,) = open311_notes(appeal, "upstream_sent")
    assert "已通过 Open311 转给 Roads office" in sent.reason
    upstream = upstream_appeals().get()
    act(world.dispatcher, upstream, "reject", reason="Repaired together with the road works.")
    with translation.override("zh-hans"):
        assert federation.poll_due() == 1
    browser = Client()
    browser.force_login(world.dispatcher)
    url = reverse("workbench:appeal", args=[appeal.pk])
    with translation.override("en"):
        english = browser.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Sent to Roads office over Open311 as {upstream.tracking_code}." in english
    assert f"Roads office closed the request {upstream.tracking_code}." in english
    assert "已通过" not in english and "已关闭请求" not in english
    chinese = browser.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"已通过 Open311 转给 Roads office，编号 {upstream.tracking_code}。" in chinese


def test_a_failed_poll_is_shown_as_such_and_cleared_by_the_next(world, endpoint, live_server):
    appeal = bring_to(world, "dispatched")
    assert federation.push_due() == 1
    endpoint.base_url = f"http://127.0.0.1:{closed_port()}/open311/v2/"
    endpoint.save()
    assert federation.poll_due() == 1
    row = FederatedRequest.objects.get(appeal=appeal)
    assert row.state == "sent" and "Connect" in row.last_error and row.upstream_status == ""
    browser = Client()
    browser.force_login(world.dispatcher)
    url = reverse("workbench:appeal", args=[appeal.pk])
    with translation.override("en"):
        page = browser.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Last poll failed: " in page and "ConnectError" in page
    endpoint.base_url = live_server.url + "/open311/v2/"
    endpoint.save()
    with later(2):
        assert federation.poll_due() == 1
    row.refresh_from_db()
    assert row.last_error == "" and row.upstream_status == "open"


def test_redispatch_after_a_return_files_nothing_twice(world, endpoint):
    appeal = bring_to(world, "dispatched")
    assert federation.push_due() == 1
    act(world.handler, appeal, "return", reason="Not ours")
    act(world.dispatcher, appeal, "dispatch")
    assert FederatedRequest.objects.get(appeal=appeal).state == "sent"
    assert federation.push_due() == 0
    assert upstream_appeals().count() == 1


# --- Outage and refusals --------------------------------------------------------------------------


def test_outage_delays_but_loses_nothing(world, endpoint, live_server):
    endpoint.base_url = f"http://127.0.0.1:{closed_port()}/open311/v2/"
    endpoint.save()
    appeal = bring_to(world, "dispatched")
    before = clock.now()
    assert federation.push_due() == 1
    row = FederatedRequest.objects.get(appeal=appeal)
    assert row.state == "pending" and row.attempts == 1
    assert row.next_attempt_at > before + timedelta(seconds=20)
    assert "Connect" in row.last_error
    assert federation.push_due() == 0  # backing off
    with later(2):
        assert federation.push_due() == 1  # still down: the second attempt waits longer
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at > clock.now() + timedelta(seconds=45)
    assert not upstream_appeals().exists()

    # The dispatcher sees it on the appeal page.
    browser = Client()
    browser.force_login(world.dispatcher)
    page = browser.get(reverse("workbench:appeal", args=[appeal.pk])).content.decode()
    assert 'data-federation="pending"' in page and "ConnectError" in page

    # Upstream is back: the retry sends exactly once.
    endpoint.base_url = live_server.url + "/open311/v2/"
    endpoint.save()
    with later(120):
        assert federation.push_due() == 1
        assert federation.push_due() == 0
    row.refresh_from_db()
    assert row.state == "sent" and row.attempts == 3 and row.last_error == ""
    assert upstream_appeals().count() == 1
    assert row.upstream_id == upstream_appeals().get().tracking_code


@pytest.mark.parametrize(
    ("change", "status"),
    [({"service_code": "NO.SUCH"}, 404), ({"api_key": "o311_wrong"}, 403)],
)
def test_a_refusal_fails_for_good_and_is_visible(world, endpoint, client, change, status):
    for name, value in change.items():
        setattr(endpoint, name, value)
    endpoint.save()
    appeal = bring_to(world, "dispatched")
    assert federation.push_due() == 1
    row = FederatedRequest.objects.get(appeal=appeal)
    assert row.state == "failed" and row.attempts == 1
    assert row.last_error.startswith(f"HTTP {status}")
    with later(600):
        assert federation.push_due() == 0  # never retried by itself
    (failed,) = open311_notes(appeal, "upstream_failed")
    assert failed.data["status"] == status and not failed.is_public
    assert not upstream_appeals().exists()
    client.force_login(world.dispatcher)
    page = client.get(reverse("workbench:appeal", args=[appeal.pk])).content.decode()
    assert 'data-federation="failed"' in page and f"HTTP {status}" in page

    # Fixed and dispatched again (after a return): sent.
    UpstreamEndpoint.objects.filter(pk=endpoint.pk).update(
        service_code=UPSTREAM_CODE, api_key=ApiClient.issue(name="Neighbour city 2")[1]
    )
    act(world.handler, appeal, "return", reason="Try again")
    act(world.dispatcher, appeal, "dispatch")
    assert federation.push_due() == 1
    assert FederatedRequest.objects.get(appeal=appeal).state == "sent"
    assert upstream_appeals().count() == 1


@pytest.mark.postgres
def test_two_workers_pushing_at_once_send_once(world, endpoint):
    appeals = [bring_to(world, "dispatched") for _ in range(3)]
    barrier = threading.Barrier(2)
    handled: list[int] = []

    def worker():
        try:
            barrier.wait()
            handled.append(federation.push_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(handled) == 3
    assert upstream_appeals().count() == 3
    rows = FederatedRequest.objects.filter(appeal__in=appeals)
    assert {r.state for r in rows} == {"sent"} and {r.attempts for r in rows} == {1}
    assert len({r.upstream_id for r in rows}) == 3


@pytest.mark.postgres
def test_two_workers_polling_at_once_record_once(world, endpoint):
    appeal = bring_to(world, "dispatched")
    assert federation.push_due() == 1
    barrier = threading.Barrier(2)
    handled: list[int] = []

    def worker():
        try:
            barrier.wait()
            handled.append(federation.poll_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(handled) == [0, 1]
    assert len(open311_notes(appeal, "upstream_update")) == 1


# --- The client's reading of answers (no network) -------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry"), [(500, True), (503, True), (429, True), (403, False), (400, False)]
)
def test_which_answers_are_retried(status, retry):
    response = httpx.Response(
        status,
        content=b'[{"code":%d,"description":"nope"}]' % status,
        headers={"Retry-After": "90"},
    )
    with pytest.raises(o311_client.UpstreamError) as caught:
        o311_client._check("json", response)
    assert caught.value.retry is retry
    assert f"HTTP {status}" in str(caught.value) and "nope" in str(caught.value)
    if status == 429:
        assert caught.value.retry_after == 90


def test_backoff_grows_and_is_capped():
    assert 24 <= federation.backoff(1).total_seconds() <= 36
    assert 48 <= federation.backoff(2).total_seconds() <= 72
    assert federation.backoff(30).total_seconds() <= 3600 * 1.2
