"""The urgency lexicon (Chinese and English, with negation) and what history teaches."""

import pytest

from suqiu.triage import urgency
from suqiu.triage.urgency import EMERGENCY, NORMAL, URGENT, detect, learn


@pytest.mark.parametrize(
    ("text", "level", "term"),
    [
        ("3栋楼道里有很浓的燃气味，担心爆炸", EMERGENCY, "燃气味"),
        ("小区配电箱旁电线裸露，小孩经常经过", EMERGENCY, "电线裸露"),
        ("电梯无法运行有人被困", EMERGENCY, "被困"),
        ("暴雨后地下车库水浸，车辆被淹", EMERGENCY, "水浸"),
        ("楼下垃圾堆起火冒烟", EMERGENCY, "起火"),
        ("人行道井盖缺失，晚上看不清", EMERGENCY, "井盖缺失"),
        ("学校门口的井盖丢了", EMERGENCY, "井盖丢了"),
        ("楼上独居老人联系不上，敲门无人应", EMERGENCY, "独居老人联系不上"),
        ("小区停水两天了", URGENT, "停水"),
        ("There is a strong smell of gas in the stairwell", EMERGENCY, "smell of gas"),
        ("Exposed wires hanging next to the playground", EMERGENCY, "exposed wires"),
        ("An old man is trapped in the lift", EMERGENCY, "trapped"),
        ("Burst pipe on Main Street, water everywhere", URGENT, "burst pipe"),
    ],
)
def test_the_lexicon_finds_danger_in_chinese_and_english(text, level, term):
    found = detect(text)
    assert found.level == level
    assert term in [t["term"] for t in found.terms]


@pytest.mark.parametrize(
    "text",
    [
        "楼道里没有燃气味了，只是想问问维修进度",
        "我确认不是漏电，是灯泡坏了",
        "没闻到煤气味",
        "There is no smell of gas any more, thanks",
        "The wires are not exposed, only the cover is loose",
        "路灯不亮，晚上走路不方便",
        "Streetlight out on Elm Street",
        # What might happen is a risk for the normal queue, not an emergency.
        "楼道堆满杂物，一旦发生火灾后果不堪设想",
        "万一晚上高层起火，后果严重",
        "If there is a fire we cannot get out",
        # Idioms that contain a term.
        "工厂排污，这是在慢性自杀",
    ],
)
def test_negated_or_harmless_text_stays_normal(text):
    found = detect(text)
    assert found.level == NORMAL, found.terms


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("隔壁独居老人三天没开门，电话也不接", "独居老人 … 没开门"),
        ("楼上老人一个人住，两天打电话都不接电话", "一个人住 … 不接电话"),
        ("对门的阿婆好几天没见到人了，敲门也没人应", "阿婆 … 敲门也没"),
        ("The elderly man next door has not been seen for a week", "elderly … not been seen"),
        (
            "The old lady who lives alone is not picking up her phone",
            "lives alone … not picking up",
        ),
    ],
)
def test_a_lone_person_not_answering_is_an_emergency_however_worded(text, term):
    found = detect(text)
    assert found.level == EMERGENCY
    assert [t["term"] for t in found.terms] == [term]


@pytest.mark.parametrize(
    "text",
    [
        # An old person who cannot reach an office, or a place named after old people.
        "老人想联系物业联系不上",
        "老人活动中心电话没人接",
        "老人活动中心一直没开门",
        # Too far apart, in different sentences, or only what might happen.
        "独居老人的补贴一直没发。物业说会尽快处理，但至今敲门没人理睬",
        "如果独居老人联系不上，社区应该怎么办？",
        "The senior centre's phone line is not answering",
    ],
)
def test_a_person_and_a_silence_that_are_not_a_lone_person_missing(text):
    assert detect(text).level == NORMAL, detect(text).terms


@pytest.mark.parametrize(
    "text",
    [
        "Please check the detector in case of a gas leak",
        "What happens if there is flooding",
        "Install a barrier to prevent flooding",
        "How do we avoid a gas leak when the boiler is serviced?",
        "In the event of a house fire, where do we go?",
    ],
)
def test_english_hypotheticals_are_not_emergencies(text):
    found = detect(text)
    assert found.level == NORMAL, found.terms


@pytest.mark.parametrize(
    ("text", "term"),
    [
        # A cue after the term, or in another clause, says nothing about it.
        ("There is a gas leak, in case you need the address: 5 Elm St", "gas leak"),
        ("Gas leak in the kitchen in case you wonder why I call", "gas leak"),
        ("If you can, please hurry: there is flooding in the basement", "flooding"),
        ("Not sure if anyone reported it but the basement is flooded", "flooded"),
        # A demand is no hypothetical.
        ("The landlord should fix the exposed wires now", "exposed wires"),
    ],
)
def test_real_english_emergencies_near_a_hypothetical_word_still_count(text, term):
    found = detect(text)
    assert found.level == EMERGENCY, found.terms
    assert term in [t["term"] for t in found.terms]


def test_a_negation_in_another_clause_does_not_cancel():
    # "没有人管" is its own clause: the gas leak after the comma still counts.
    assert detect("反映多次没有人管，燃气泄漏很严重").level == EMERGENCY
    # A negation after the term says nothing about it.
    assert detect("燃气泄漏了没有人来").level == EMERGENCY


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("还没有解决\n燃气泄漏", "燃气泄漏"),
        ("没有人管\n燃气味很重", "燃气味"),
        ("No hot water\nGas leak in the kitchen", "gas leak"),
        ("反映多次还没有解决\r\n  燃气泄漏，楼道里味道很大", "燃气泄漏"),
    ],
)
def test_a_line_break_ends_the_clause_of_a_negation(text, term):
    # Title and description are joined by a line break: a title ending in a negation says
    # nothing about the danger its description opens with.
    found = detect(text)
    assert found.level == EMERGENCY, found.terms
    assert term in [t["term"] for t in found.terms]


@pytest.mark.parametrize(
    "text",
    [
        # No sign of the person: an office word elsewhere in the sentence does not cancel it.
        "独居老人张大爷，邻居反映他家一直没有动静",
        "隔壁独居老人身体一直有问题，这两天一直没动静",
        "独居老人，送餐服务的志愿者说一直没动静",
        "Our basement is under water",
        "The road is underwater near the school",
    ],
)
def test_a_lone_person_not_heard_from_and_a_place_under_water_are_emergencies(text):
    assert detect(text).level == EMERGENCY, detect(text).terms


@pytest.mark.parametrize(
    "text",
    [
        "楼上独居老人\n已经三天没开门了，电话也不接，邻居很担心",  # the person in the title
        "gas\nleak in the kitchen",  # a phrase wrapped by a hard line break
    ],
)
def test_a_line_break_ends_only_the_negations_clause(text):
    # Terms and the person-and-silence pair are still found across a line break.
    assert detect(text).level == EMERGENCY, detect(text).terms


def test_a_negation_on_the_same_line_still_cancels():
    assert detect("咨询\n楼道里已经没有燃气味了").level == NORMAL
    assert detect("Question\nThere is no smell of gas any more").level == NORMAL


def _history():
    hot = [("地下室返潮渗水严重，墙角渗水", URGENT)] * 6
    cold = [("楼道灯坏了", NORMAL)] * 20 + [("噪音扰民", NORMAL)] * 20
    mixed = [("墙角有点渗水", NORMAL)]  # one normal appeal with the same term
    return hot + cold + mixed


def test_history_teaches_over_represented_terms():
    learnt = learn(_history(), min_docs=5)
    terms = {t["term"]: t for t in learnt}
    assert "渗水" in terms
    assert terms["渗水"]["level"] == URGENT
    assert terms["渗水"]["n"] == 7 and terms["渗水"]["urgent"] == 6
    assert "楼道" not in terms and "噪音" not in terms
    # The lexicon alone does not know 渗水; with what history teaches, it is urgent.
    text = "车库渗水，墙角渗水越来越多"
    assert detect(text).level == NORMAL
    found = detect(text, learnt)
    assert found.level == URGENT
    assert {"term": "渗水", "kind": "learnt", "level": URGENT} in found.terms


def test_a_learnt_term_is_negated_like_the_lexicon():
    learnt = learn(_history(), min_docs=5)
    assert detect("已经没有渗水了", learnt).level == NORMAL


def test_history_without_urgent_appeals_teaches_nothing():
    assert learn([("楼道灯坏了", NORMAL)] * 10) == []
    assert urgency.RANK[EMERGENCY] < urgency.RANK[URGENT] < urgency.RANK[NORMAL]


def test_a_learnt_term_alone_must_be_well_supported():
    cold = [("楼道灯坏了", NORMAL)] * 40
    weak = learn([("返潮发霉", URGENT)] * 5 + cold)  # 5 of 5: could be chance
    strong = learn([("返潮发霉", URGENT)] * 12 + cold)  # 12 of 12
    assert {t["term"] for t in weak} == {"返潮", "发霉"}
    assert detect("墙面返潮", weak).level == NORMAL  # one weak term: not enough
    assert detect("墙面返潮还发霉", weak).level == URGENT  # two agree
    assert detect("墙面返潮", strong).level == URGENT
    assert urgency.wilson_lower(5, 5) < urgency.LEARNT_ALONE <= urgency.wilson_lower(12, 12)


def test_terms_inside_each_other_are_one_piece_of_evidence():
    weak = [
        {"term": "燃气", "level": URGENT, "lower": 0.3},
        {"term": "燃气管", "level": URGENT, "lower": 0.3},
        {"term": "异响", "level": URGENT, "lower": 0.3},
    ]
    # "燃气管" holds "燃气": one phrase, not a pair.
    assert detect("楼下燃气管道在改造", weak).level == NORMAL
    # Two separate signs still agree.
    found = detect("燃气管道有异响", weak)
    assert found.level == URGENT
    assert {t["term"] for t in found.terms} == {"燃气管", "异响"}


# --- Water coming in, falls, a lone person not heard from ----------------------------------------


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("暴雨后小区地势低，车都淹了", "都淹了"),
        ("下大雨家里进水了，水越来越深", "家里进水"),
        ("屋里进水，水快淹到膝盖了", "屋里进水"),
        ("屋里进水，水快淹到膝盖了", "淹到"),
        ("地下室进水，电闸在下面", "地下室进水"),
        ("Water is coming into the house from the street", "water is coming into"),
        ("Our basement flooded overnight", "flooded"),
        ("My car is flooded in the underground car park", "flooded"),
    ],
)
def test_water_coming_into_a_home_or_a_car_is_flooding(text, term):
    found = detect(text)
    assert found.level == EMERGENCY, found.terms
    assert term in [t["term"] for t in found.terms]


@pytest.mark.parametrize(
    "text",
    [
        "下了一夜雨，家里没有进水",
        "车没被淹，停在高处",
        "建议加高门槛，防止家里进水",
        "手机进水了，售后不给保修",
        "出这种政策的人是脑子进水了吧",
        # The inlet pipe, valve, opening: plumbing, not water coming in.
        "家里进水管老化漏水",
        "家中进水阀门坏了",
        "屋里进水总阀在哪里",
        "房屋进水口被堵",
        "My house value is underwater",
        "In autumn the leaves often fall into the drain",
        "Prices often fall in winter",
        "Install a barrier to prevent water coming into the house",
        "The house did not flood this time",
    ],
)
def test_water_that_did_not_come_in_or_another_kind_stays_normal(text):
    found = detect(text)
    assert found.level == NORMAL, found.terms


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("独居老人三天没动静", "独居老人 … 天没动静"),
        ("隔壁独居老人一直没有动静，灯也没开", "独居老人 … 没有动静"),
        ("隔壁老人三天没动静了", "老人 … 天没动静"),
        ("对门老人不见人影好几天了", "老人 … 不见人影"),
        ("好几天没见隔壁独居的老人了", "独居的老人 … 几天没见"),
        (
            "The old lady who lives alone hasn't opened her door since Monday",
            "lives alone … hasn't opened her door",
        ),
        (
            "The elderly man upstairs has not opened the door for two days",
            "elderly … not opened the door",
        ),
    ],
)
def test_no_sign_of_life_from_a_lone_person_is_an_emergency(text, term):
    found = detect(text)
    assert found.level == EMERGENCY, found.terms
    assert [t["term"] for t in found.terms] == [term]


@pytest.mark.parametrize(
    "text",
    [
        # "没动静" of an office, of a benefit, or of an old person without days: no silence.
        "老人补贴的事一直没动静",
        "独居老人补贴申请了半年没动静",
        "老人活动中心的改造一直没有动静",
        "反映了三个月还是没动静",
        # Someone living alone, and an application or a complaint that has not moved.
        "独居老人的高龄补贴一直没动静",
        "我是独居老人，申请的低保三个月没动静",
        "我一个人住在老小区，反映噪音问题一直没有动静",
        "独居，投诉了物业三次都没动静",
        "我母亲独自居住，申请的居家养老服务一直没动静",
        "我是独居老人，报修了一个月一直没动静",
        "独居老人申领的养老金一直没动静",
        "我独居，找物业一直没动静",
        "The senior centre has not opened the door to visitors yet",
    ],
)
def test_no_news_from_an_office_is_no_silence_of_a_person(text):
    assert detect(text).level == NORMAL, detect(text).terms


@pytest.mark.parametrize(
    ("text", "level", "term"),
    [
        # A stated risk is the risk itself, not a hypothetical.
        ("楼道灯坏了，老人容易摔倒", URGENT, "容易摔倒"),
        ("楼梯没有扶手，老人上下楼有摔倒的危险", URGENT, "摔倒的危险"),
        ("台阶结冰，存在滑倒隐患", URGENT, "滑倒隐患"),
        # A negation that names the cause does not cancel the risk it explains.
        ("没扶手容易摔倒", URGENT, "容易摔倒"),
        ("路面湿滑，已经有人滑倒", URGENT, "有人滑倒"),
        ("An old man could fall on these stairs", URGENT, "could fall"),
        ("Risk of falling at the entrance", URGENT, "risk of falling"),
        ("People keep slipping on the wet stairs", URGENT, "people keep slipping"),
        ("路面结冰，老人经常摔跤", URGENT, "经常摔跤"),
        # A broken or missing handrail, broken steps, where old people or children walk.
        ("楼梯扶手断了，请尽快维修，防止老人摔倒", URGENT, "扶手断 … 老人"),
        ("小区楼梯没有扶手，建议加装，老人上下很吃力", URGENT, "没有扶手 … 老人"),
        ("台阶破损，小孩经常在这里玩", URGENT, "台阶破损 … 小孩"),
        (
            "Old people use these stairs and the handrail is broken",
            URGENT,
            "handrail is broken … old people",
        ),
        # Fallen and cannot get up.
        ("楼下有位老人摔倒在地起不来", EMERGENCY, "摔倒 … 起不来"),
        ("楼下老奶奶倒地不起", EMERGENCY, "倒地不起"),
        ("My neighbour has fallen and can't get up", EMERGENCY, "fallen … can't get up"),
        (
            "Elderly resident fell in the stairwell and cannot get up",
            EMERGENCY,
            "fell … cannot get up",
        ),
    ],
)
def test_a_fall_risk_is_urgent_and_someone_fallen_who_cannot_get_up_an_emergency(text, level, term):
    found = detect(text)
    assert found.level == level, found.terms
    assert term in [t["term"] for t in found.terms]


@pytest.mark.parametrize(
    "text",
    [
        "老人没有摔倒，只是受了惊吓",
        "铺了防滑垫以后不容易摔倒了",
        "现在没有摔倒的危险了",
        "装了扶手，不会有人滑倒了",
        # A request to prevent a fall where nothing is broken: the normal queue.
        "建议在楼梯加装扶手，防止老人摔倒",
        "Install grab bars to reduce the risk of falling",
        "There is no risk of falling now",
        # Only what might happen.
        "如果老人摔倒起不来怎么办",
        "如果扶手坏了老人怎么办",
        # A fall word alone is mostly a past injury: a work-injury claim, a medical dispute.
        "上班途中摔伤算不算工伤？",
        "2010年我平地滑倒摔伤，入住医院后被误诊",
        # One person's fall, told after the fact: a claim, not a hazard to rush to.
        "我家孩子摔伤了，学校不肯出医药费",
        "老人跌倒后的医疗费用能否报销？",
        "孩子摔倒的视频在网上流传",
        "I slipped on the ice last winter and want compensation",
        "My son tripped on the kerb last month",
        "He has fallen behind on his rent",
        # Idioms and other senses.
        "现在遇到有人摔倒不敢扶",
        "不要让孩子跌倒在起跑线上",
        "The circuit breaker tripped again",
        "My complaint fell on deaf ears",
    ],
)
def test_a_fall_denied_only_possible_or_long_past_stays_normal(text):
    found = detect(text)
    assert found.level == NORMAL, found.terms
