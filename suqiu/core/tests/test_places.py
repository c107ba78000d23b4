"""The place extractor on hand-written sentences (no database)."""

from __future__ import annotations

import pytest

from suqiu.core.places import (
    Gazetteer,
    base_key,
    canonical_keys,
    extract,
    extract_all,
    extract_for,
)


@pytest.mark.parametrize(
    ("text", "key", "label"),
    [
        ("A市A5区魅力之城小区临街门面油烟扰民", "魅力之城小区", "A5区魅力之城小区"),
        ("投诉A2区丽发新城小区附近搅拌站噪音", "丽发新城小区", "A2区丽发新城小区"),
        ("西地省A市A7县春华镇金鼎村水泥路到户的问题", "金鼎村", "A7县春华镇金鼎村"),
        ("A市经济学院强制学生外出实习", "经济学院", "经济学院"),
        ("反映伊景园滨河苑捆绑销售车位", "伊景园滨河苑", "伊景园滨河苑"),
        ("福田区梅林街道梅丰社区楼下垃圾没人清理", "梅丰社区", "福田区梅林街道梅丰社区"),
        ("请问A3区郝家坪小学什么时候能改扩建", "郝家坪小学", "A3区郝家坪小学"),
        ("A市第一人民医院门口乱停车", "第一人民医院", "第一人民医院"),
        ("A1区黄兴路步行街大古道巷住户粪便外排", "大古道巷", "A1区黄兴路步行街大古道巷"),
        # Shenzhen's kinds of place: industrial zones, old walled villages.
        ("沙湖工业区门口车辆乱停", "沙湖工业区", "沙湖工业区"),
        ("龙田世居出口被车辆长期占用", "龙田世居", "龙田世居"),
        # A word after the place that begins with its suffix's character is not part of it.
        ("龙田路路边垃圾堆积", "龙田路", "龙田路"),
        # ... nor one that begins with another suffix's character ("大道" + "路边").
        ("坪山大道路边垃圾堆积", "坪山大道", "坪山大道"),
        ("深汕路路面塌陷", "深汕路", "深汕路"),
        ("A4区青竹湖镇广胜村村委成员贪腐", "广胜村", "A4区青竹湖镇广胜村"),
        ("龙兴北路行道树遮挡路灯", "龙兴北路", "龙兴北路"),
        ("福龙苑广场舞音响太大", "福龙苑", "福龙苑"),
        ("L3县龙舟广场舞的音乐声音太大了", "龙舟广场", "L3县龙舟广场"),  # a square's dance
        # 为 ("for") before a place is not part of its name.
        ("为福龙苑高龄老人申请助餐", "福龙苑", "福龙苑"),
        ("请有关部门为新民路居民增加公交线路", "新民路", "新民路"),
    ],
)
def test_the_most_specific_place_is_found(text, key, label):
    place = extract(text)
    assert place is not None, text
    assert (place.key, place.label) == (key, label)


@pytest.mark.parametrize(
    "text",
    [
        "马路上的水泥路坏了，请尽快修",  # generic words that end like a place
        "小学生放学没人接",
        "我们小区的电梯坏了",  # "our estate": no name
        "社保卡制卡进度未知",
        # A one-character suffix that starts a word (a real message: "…加强城" was a place).
        "在此，诚恳地呼请进一步加强城市规划建设，特别是在道路基础设施建设",
        "支持粤港澳大湾区建设",
        "",
    ],
)
def test_no_place_in_texts_that_name_none(text):
    assert extract(text) is None


def test_a_road_loses_to_the_estate_on_it_and_the_title_wins_over_the_description():
    assert extract("深南大道旁的华强花园停车难").key == "华强花园"
    place = extract_for("A3区枫林路占道经营", "旁边的阳光小区居民也深受其害")
    assert place.key == "枫林路"  # a road in the title is enough; the description is context
    assert extract_for("占道经营严重", "就在阳光小区门口").key == "阳光小区"


def test_without_a_place_the_district_or_city_is_the_fallback():
    place = extract_for("A4区立案半年毫无进展", "我们受害人要一个公道")
    assert (place.key, place.rank) == ("A4区", 1)
    place = extract_for("反映A市人才购房补贴问题", "")
    assert (place.key, place.rank) == ("A市", 0)
    assert extract_for("咨询社保缴费", "") is None


def test_several_places_in_order():
    keys = [p.key for p in extract_all("从阳光小区到幸福花园的公交车太少")]
    assert keys == ["阳光小区", "幸福花园"]


def test_canonical_keys_join_spellings_of_one_estate():
    assert base_key("丽发新城小区") == "丽发新城"
    assert base_key("丽发新城社区") == "丽发新城"
    assert base_key("金鼎村") == "金鼎村"
    mapping = canonical_keys(
        {
            "丽发新城小区": 5,
            "丽发新城社区": 2,
            "丽发新城": 3,
            "伊景园滨河苑": 6,
            "商品房伊景园滨河苑": 1,
        }
    )
    assert mapping["丽发新城小区"] == mapping["丽发新城社区"] == mapping["丽发新城"] == "丽发新城"
    assert mapping["商品房伊景园滨河苑"] == "伊景园滨河苑"


def test_the_gazetteer_learns_estates_spelled_with_a_suffix_and_finds_them_bare():
    keys = {
        "万润滨江天著楼盘": 2,
        "江山帝景小区": 3,
        "江山帝景社区": 1,
        "经济适用房小区": 1,  # spelled once: not learnt
        "实验中学": 5,  # a school: a generic name, not learnt
        "龙田路": 4,  # a road (rank 3): not learnt
        "天著小区": 2,  # fewer than four characters once cut: not learnt
    }
    ranks = {k: extract(k).rank for k in keys}
    gazetteer = Gazetteer(keys, ranks)
    assert set(gazetteer.keys) == {"万润滨江天著", "江山帝景"}
    assert gazetteer.find("请问A市万润滨江天著的全装修核价什么时候出来") == (
        "万润滨江天著",
        "万润滨江天著楼盘",
    )
    # The most common spelling is the key; the first name in the text wins.
    assert gazetteer.find("江山帝景和万润滨江天著之间的路") == ("江山帝景", "江山帝景小区")
    assert gazetteer.find("A市 江山 帝景 新房有安全隐患") == ("江山帝景", "江山帝景小区")
    assert gazetteer.find("A市经济适用房分配不公") is None
    assert gazetteer.find("") is None
    assert Gazetteer({}, {}).find("江山帝景") is None
