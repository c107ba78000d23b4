"""Reply checks: written in the resolve's transaction, warnings in plain words for the verifier."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from suqiu.appeals import services as appeal_services
from suqiu.appeals.models import Appeal
from suqiu.appeals.tests.chain import act, bring_to
from suqiu.core import clock
from suqiu.core.errors import ValidationFailed
from suqiu.core.testing import PASSWORD
from suqiu.replies import checks
from suqiu.replies.models import ReplyCheck
from suqiu.replies.services import warning_text

pytestmark = pytest.mark.django_db

GOOD = "已于3月5日更换3栋2单元楼道灯泡并检修线路，楼道照明已恢复正常，感谢您的反映。"


def resolve(world, reply, **create):
    appeal = bring_to(world, "in_progress", **create)
    act(world.handler, appeal, "resolve", public_reply=reply)
    return appeal, ReplyCheck.objects.get(appeal=appeal)


def codes(check):
    return [w["code"] for w in check.warnings]


def test_a_good_reply_passes(world):
    appeal, check = resolve(world, GOOD)
    assert codes(check) == []
    # Resolved well within the resolve limit the time-limits clock gave it.
    assert check.overall == 1.0 and check.on_time == 1.0
    assert check.event.kind == "resolve" and check.event.appeal_id == appeal.pk


def test_an_off_topic_reply_warns_with_the_missing_terms(world):
    _appeal, check = resolve(world, "已于今天修剪了公园绿化带的树木，并清理了落叶，现已全部完成。")
    assert codes(check) == ["off_topic"]
    assert "楼道" in check.warnings[0]["terms"]
    with translation.override("en"):
        assert warning_text(check.warnings[0]).startswith("The reply does not mention 楼道")
    assert check.overall < 1.0


def test_a_too_short_reply_warns(world):
    _appeal, check = resolve(world, "楼道灯已修好。")
    assert "too_short" in codes(check)
    with translation.override("en"):
        texts = [warning_text(w) for w in check.warnings]
    assert "Reply is shorter than 30 characters." in texts


def test_a_reply_without_a_time_warns(world):
    _appeal, check = resolve(
        world, "已更换3栋2单元楼道的灯泡并检修线路，楼道照明恢复正常，请您放心。"
    )
    assert codes(check) == ["no_time"]
    with translation.override("en"):
        assert warning_text(check.warnings[0]) == "No time given for the work."


def test_a_reply_that_says_nothing_was_done_warns(world):
    _appeal, check = resolve(
        world, "关于3栋2单元楼道灯的问题，感谢您对我们工作的支持与监督，2026年3月5日。"
    )
    # The date the letter is signed with is no time of any work either.
    assert codes(check) == ["no_action", "no_time"]


NON_ANSWERS = [
    # forwarded, with the letter's date at its end
    "您反映的幸福小区路灯问题已转有关部门答复反馈，谢谢！2019年3月1日",
    # received and read
    "网友您好！关于幸福小区路灯的问题，您的留言已获悉，感谢您对我们工作的支持！2019年3月1日",
    # "contact details", "cannot verify", "at present"
    "因您未留下联系方式，目前无法核实幸福小区路灯的具体位置，请直接拨打热线反映。",
]


@pytest.mark.parametrize("reply", NON_ANSWERS)
def test_a_non_answer_says_neither_what_was_done_nor_when(reply):
    result = checks.check(title="幸福小区路灯坏了", description="", reply=reply)
    assert {w["code"] for w in result.warnings} >= {"no_action", "no_time"}
    assert result.action == 0.0 and result.time == 0.0 and result.overall < 0.6


GENUINE = [
    # done, when, and signed with a date
    "经核实，幸福小区路灯因线路老化损坏，我局已于3月2日安排人员更换灯具，现已恢复照明。"
    "感谢您的监督！2019年3月5日",
    # a promise with its deadline as a date ending a sentence
    "您好，幸福小区路灯问题我办已联系供电公司，线路检修的完成时间为2019年3月10日。",
    # a period, and a deed after a forwarding
    "您反映的幸福小区路灯问题已转交街道，街道工作人员现场查看后将在三个工作日内更换路灯。",
    # contacted (a deed with 了), verified (not negated), a day
    "接到幸福小区路灯坏了的反映后，我们联系了物业公司，经核实为灯泡损坏，已于5日更换。",
]


@pytest.mark.parametrize("reply", GENUINE)
def test_a_genuine_answer_still_passes_with_full_score(reply):
    result = checks.check(title="幸福小区路灯坏了", description="", reply=reply)
    assert result.warnings == [] and result.overall == 1.0


@pytest.mark.parametrize(
    "reply, dated",
    [
        ("感谢您的支持！2019年3月1日", False),
        ("感谢您的支持。 a7县网络宣传管理办公室2011年12月9日", False),
        ("特此答复！2018-07-20", False),
        ("j11市卫生局二〇一三年四月二日", False),
        ("工程将于2019年3月1日", True),  # the end of a sentence cut short: a time still
        ("完工时间为2019年3月1日。", True),
        ("已于2019年2月1日修复。2019年3月1日", True),  # the work's date stays
        ("感谢您的关注。\n\n    2019年3月1日", False),
        ("施工队将于 2019年3月5日", True),  # a blank before the date is not a signature
        ("经核实，施工队将进场维修，2019年3月5日", True),
        ("The pothole will be repaired on 2019-03-05.", True),
        ("Repairs are scheduled for 2019/03/05.", True),
        ("Thank you for your report.\n2019-03-01", False),
        ("此复 2019年3月1日", False),
        ("特此答复 2019-03-01", False),
        ("感谢您对我们工作的支持 2019年3月1日", False),
        ("感谢您的来信，维修工作已安排在 2026年3月5日。", True),
        ("现答复如下：该路段路灯已安排维修，预计完工 2019年3月5日", True),
        ("Thank you for your patience, the repair is scheduled for 2019-03-05", True),
    ],
)
def test_only_the_letter_s_own_date_at_its_end_is_no_time(reply, dated):
    assert checks.gives_time(reply) is dated


@pytest.mark.parametrize(
    "reply, acts",
    [
        ("目前无法核实具体位置", False),
        ("问题尚未解决", False),
        ("因您未留下联系方式", False),
        ("不予立案", False),
        ("经核实，该处路灯已修复", True),
        ("已与您电话联系了解情况", True),
        ("我们不断加强巡查", True),
    ],
)
def test_an_action_word_after_a_negation_is_no_deed(reply, acts):
    assert checks.acts(reply) is acts


@pytest.mark.parametrize(
    "reply, acts",
    [
        # deeds with 了, a promise, an enforcement (from the demo and from real replies)
        ("社区采纳了建议，新增了座椅4张和遮阳棚2处", True),
        ("我们将虚心采纳您的建议", True),
        ("两台挂车因违反禁令被处以100元罚款", True),
        ("我们会加大该路段的巡逻管控力度", True),
        # the same words as nouns in an explanation of policy: nothing done
        ("隔音屏的安装是针对环线范围内的桥梁而言的", False),
        ("您咨询的危房改造补助由当地政府规划办负责审核", False),
        ("如加装中心护栏，路口调头车辆势必大幅增加", False),
    ],
)
def test_action_words_count_as_deeds_only_in_context(reply, acts):
    assert bool(checks.ACTION.search(reply)) is acts


@pytest.mark.parametrize(
    "reply, gives_a_time",
    [
        # house and building numbers are places, not days
        ("您反映的幸福路88号3号楼路灯问题，我们已收到并安排维修。", False),
        ("3号楼的路灯已修复。", False),
        ("88号后面的路灯已修复", False),
        ("3号前门的垃圾已清理", False),
        ("已在3号楼张贴通知", False),
        # a day with 号 as a deadline or after a month, a day with 日, a period
        ("将于20号前完成维修", True),
        ("将于20号完成维修", True),
        ("预计25号完成", True),
        ("于5号处理完毕", True),
        ("3月5号已修复", True),
        ("已于5日完成清理", True),
        ("3个工作日内完成", True),
    ],
)
def test_a_number_with_hao_is_a_time_only_as_a_day(reply, gives_a_time):
    assert bool(checks.TIME.search(reply)) is gives_a_time


def test_a_late_resolve_warns(world):
    appeal = bring_to(world, "in_progress")
    due = clock.now() + timedelta(days=1)
    Appeal.objects.filter(pk=appeal.pk).update(due_at=due)  # the time-limits app sets it
    with clock.at(due + timedelta(hours=2)):
        act(world.handler, appeal, "resolve", public_reply=GOOD)
    check = ReplyCheck.objects.get(appeal=appeal)
    assert codes(check) == ["late"] and check.on_time == 0.0
    on_time = bring_to(world, "in_progress")
    Appeal.objects.filter(pk=on_time.pk).update(due_at=due)
    act(world.handler, on_time, "resolve", public_reply=GOOD)
    assert ReplyCheck.objects.get(appeal=on_time).on_time == 1.0


def test_a_refused_resolve_writes_no_check(world):
    appeal = bring_to(world, "in_progress")
    with pytest.raises(ValidationFailed):
        act(world.handler, appeal, "resolve", public_reply="")
    assert not ReplyCheck.objects.filter(appeal=appeal).exists()


def test_a_resolve_rolled_back_by_a_later_hook_writes_no_check(world, monkeypatch):
    appeal = bring_to(world, "in_progress")

    def broken(**kw):
        assert ReplyCheck.objects.filter(appeal=kw["appeal"]).exists()  # written in the transaction
        raise RuntimeError("outbox unavailable")

    hooks = appeal_services._AFTER_ACTION
    monkeypatch.setitem(hooks, "resolve", [*hooks.get("resolve", []), broken])
    with pytest.raises(RuntimeError):
        act(world.handler, appeal, "resolve", public_reply=GOOD)
    assert not ReplyCheck.objects.filter(appeal=appeal).exists()
    assert Appeal.objects.get(pk=appeal.pk).status == "in_progress"


def test_rework_keeps_each_resolve_s_check(world):
    appeal, first = resolve(world, "楼道灯已修好。")
    act(world.dispatcher, appeal, "send_back", reason="灯还是不亮")
    act(world.handler, appeal, "resolve", public_reply=GOOD)
    rows = list(ReplyCheck.objects.filter(appeal=appeal).order_by("created_at", "id"))
    assert [r.pk for r in rows][0] == first.pk and len(rows) == 2
    assert codes(rows[1]) == []


def test_the_verifier_sees_the_warnings_on_the_appeal_page(world, client):
    appeal, _check = resolve(world, "楼道灯已修好。")
    assert client.login(username=world.dispatcher.username, password=PASSWORD)
    page = client.get(
        reverse("workbench:appeal", args=[appeal.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'id="reply-checks"' in page
    assert 'data-warnings="2"' in page  # too short, no time


def test_the_check_is_pure_and_configurable():
    result = checks.check(
        title="电梯坏了",
        description="5栋电梯停运三天",
        reply="已安排维保公司于明天上午维修5栋电梯。",
        cfg={**checks.config(), "min_chars": 10},
    )
    assert result.warnings == []
    short = checks.check(
        title="电梯坏了",
        description="5栋电梯停运三天",
        reply="已安排维保公司于明天上午维修5栋电梯。",
    )
    assert [w["code"] for w in short.warnings] == ["too_short"]


def test_weights_on_the_due_time_only_and_no_due_time_still_score():
    """A deployment weighing only on_time, and an appeal without a due time: the plain mean."""
    weights = {"addresses": 0, "action": 0, "time": 0, "on_time": 1.0, "length": 0}
    result = checks.check(
        title="电梯坏了",
        description="5栋电梯停运三天",
        reply="已安排维保公司于明天上午维修5栋电梯。",
        cfg={**checks.config(), "weights": weights},
        due_at=None,
    )
    assert result.on_time is None and 0 < result.overall <= 1


def test_a_place_is_one_term_not_its_fragments():
    """jieba cuts 聚龙花园 into 聚龙 / 花园: the verifier is told the place, whole."""
    title, description = "聚龙花园旁工地夜间施工", "聚龙花园旁边的工地每天晚上施工到凌晨，噪音扰民"
    terms = checks.main_terms(title, description, 8)
    assert terms[0] == "聚龙花园" and "聚龙" not in terms and "花园" not in terms
    off = checks.check(
        title=title,
        description=description,
        reply="已于今天修剪了公园绿化带的树木，并清理了落叶，现已全部完成。",
        cfg={**checks.config(), "min_addressed": 0.5},
    )
    assert off.warnings[0]["code"] == "off_topic" and off.warnings[0]["terms"][0] == "聚龙花园"
    # A reply that names the place its own way ("该花园") still mentions it.
    said = checks.check(title=title, description=description, reply="已于今天约谈该花园旁工地。")
    assert "聚龙花园" not in said.missing_terms


def test_the_handler_sees_the_warnings_while_writing_the_reply(world, client):
    """The resolve form checks the reply as it is typed (htmx), the same check the verifier
    will see, and stores nothing: the check that counts is the resolve's."""
    appeal = bring_to(world, "in_progress")
    client.login(username=world.handler.username, password=PASSWORD)
    url = reverse("replies:precheck", args=[appeal.pk])
    page = client.get(reverse("workbench:appeal", args=[appeal.pk])).content.decode()
    assert f'hx-post="{url}"' in page and 'class="precheck"' in page
    with translation.override("en"):
        short = client.post(url, {"public_reply": "已处理"}, HTTP_ACCEPT_LANGUAGE="en")
    assert short.status_code == 200
    html = short.content.decode()
    assert "Before you send: score" in html and "No time given for the work." in html
    assert "Reply is shorter than 30 characters." in html
    good = client.post(url, {"public_reply": GOOD}).content.decode()
    assert 'data-precheck-warnings="0"' in good
    assert client.post(url, {"public_reply": "   "}).content == b""
    assert not ReplyCheck.objects.exists()
    # Only for whoever may resolve it: a resident sees no workbench, another community's
    # worker does not see the appeal, the dispatcher does not resolve.
    client.logout()
    client.login(username=world.community_worker_c3.username, password=PASSWORD)
    assert client.post(url, {"public_reply": GOOD}).status_code == 404
    client.logout()
    client.login(username=world.dispatcher.username, password=PASSWORD)
    assert client.post(url, {"public_reply": GOOD}).status_code == 403


def test_a_word_of_two_places_of_one_length_stands_for_the_same_one_in_every_process(
    monkeypatch,
):
    """Two estates of one length both hold the word 花园: the word stands for the first by name,
    not for whichever a set (ordered by the process's hash seed) gives first."""
    from suqiu.core.places import Place

    found = [Place("阳光花园", "阳光花园", 5), Place("幸福花园", "幸福花园", 5)]
    for order in (found, found[::-1]):
        monkeypatch.setattr(checks, "extract_all", lambda _text, order=order: order)
        terms = checks._main_terms("花园路灯坏了", "花园里的路灯坏了", 8)
        assert "幸福花园" in terms and "花园" in terms["幸福花园"]
        assert "阳光花园" not in terms
