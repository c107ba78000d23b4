"""The clustering on hand-written appeals of one grid (no database): what links two appeals."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from suqiu.hotspots import clustering

START = timezone.make_aware(datetime(2026, 3, 1))
END = START + timedelta(days=30)

HYDRANT = [
    ("龙田花园消防栓漏水", "网格员日常巡查上报：消防栓一直漏水，浪费自来水"),
    ("龙田世居消防栓漏水", "来电人称消防栓漏水好几天了，水流到路上"),
    ("龙田新村消防栓漏水", "消防栓漏水，很浪费，请尽快维修"),
]
# The same grid: a roof tank that shares one word with the hydrants ("漏水"), and another problem.
ROOF_TANK = ("楼顶水箱漏水", "楼顶水箱持续漏水，顶楼住户天花板渗水")
SEPTIC = ("化粪池满溢", "化粪池满溢，污水流到路面")


def docs_of(texts):
    return [
        clustering.Doc(
            id=i,
            block="g:1",
            terms=" ".join(clustering.terms_of(title, description)),
            created_at=START + timedelta(days=i + 1),
            reporter=f"u{i}",
        )
        for i, (title, description) in enumerate(texts)
    ]


def clusters_of(texts):
    found = clustering.cluster(docs_of(texts), window_start=START, window_end=END)
    return [sorted(d.id for d in c.members) for c in found]


def test_one_word_in_common_does_not_make_one_problem(monkeypatch):
    texts = [*HYDRANT, ROOF_TANK, SEPTIC]
    assert clusters_of(texts) == [[0, 1, 2]]
    # What the rule keeps out: linked on their one shared word, the roof tank joins.
    monkeypatch.setattr(clustering, "MIN_SHARED", 1)
    assert clusters_of(texts) == [[0, 1, 2, 3]]


def test_one_word_is_enough_when_an_appeal_has_no_other():
    # Three people wrote only "路灯坏了" (one word once the stop words are gone).
    texts = [("路灯坏了", ""), ("路灯坏了", "路灯坏了"), ("路灯坏了！", ""), ROOF_TANK]
    assert clusters_of(texts) == [[0, 1, 2]]


def test_a_window_without_a_word_in_common_has_no_hotspot():
    # A new deployment's first appeals: no word is in two of them, so no vocabulary at all.
    assert clusters_of([ROOF_TANK, SEPTIC, ("路灯坏了", "")]) == []


# Three problems of one road, each told with the road and "沿线" and a "很多"/"很大".
ALONG_THE_ROAD = [
    ("坪山大道沿线垃圾没人清运", "坪山大道沿线9栋旁边的垃圾桶3天没人清运，苍蝇很多。"),
    (
        "坪山大道沿线住户因病致困求助",
        "我住在坪山大道沿线，老人住院花了很多钱，医保报销后还差不少。",
    ),
    ("坪山大道沿线出租屋水电费过高", "坪山大道沿线C座的房东收费远高于标准，很多租户意见很大。"),
]


def test_words_of_where_and_how_much_do_not_make_one_problem(monkeypatch):
    def along_the_road():
        docs = docs_of(ALONG_THE_ROAD)
        for d, (title, description) in zip(docs, ALONG_THE_ROAD, strict=True):
            d.terms = " ".join(clustering.terms_of(title, description, "坪山大道"))
        found = clustering.cluster(docs, window_start=START, window_end=END)
        return [sorted(d.id for d in c.members) for c in found]

    assert along_the_road() == []
    # What the word list keeps out: with "沿线", "很多" and "很大" as terms, one "hotspot".
    monkeypatch.setattr(
        clustering, "GENERIC", clustering.GENERIC - {"沿线", "很多", "很大", "意见"}
    )
    assert along_the_road() == [[0, 1, 2]]


@pytest.mark.parametrize(
    ("title", "present", "absent"),
    [
        # The segmenter cuts "车贷" (an unknown word) into characters: joined again.
        ("严惩A市58车贷特大集资诈骗案保护伞", {"车贷", "集资"}, {"车", "贷"}),
        # Longer runs of single characters are not one word.
        ("A4区绿地海外滩小区距渝长厦高铁太近了", {"高铁"}, {"距渝长厦", "渝长"}),
        # How appeals are taken in says nothing about the problem.
        ("来电人称网格巡查上报积水", {"积水"}, {"来电", "巡查", "上报", "网格"}),
        # Where in a building is not what ("一楼" joined shops trading outside to people living
        # in shops, at one estate of the demo).
        ("一楼几家商铺出店经营", {"商铺", "出店"}, {"一楼"}),
    ],
)
def test_terms_of_titles(title, present, absent):
    terms = set(clustering.terms_of(title, ""))
    assert present <= terms
    assert not absent & terms


def test_a_channels_preamble_does_not_join_its_reports():
    """The enterprise desk writes "企业服务专窗收到企业反映：" before every report: three about a
    building site's dust and two about social insurance share it, and stay two problems."""
    desk = "企业服务专窗收到企业反映："
    texts = [
        ("龙田新村旁工地扬尘严重", desk + "龙田新村旁边的工地没有覆盖裸土，也不洒水，尘土飞扬"),
        ("龙田花园旁工地扬尘严重", desk + "龙田花园旁边的工地没有覆盖裸土，一刮风尘土飞扬"),
        ("龙兴大厦旁工地扬尘严重", "龙兴大厦旁边的工地不洒水，一刮风尘土飞扬，阳台上全是灰"),
        ("公司未给员工缴纳社保", desk + "我在龙田新村的公司上班一年多，公司一直没有给我交社保"),
        ("社保转移接续咨询", desk + "我从外地来坪山工作，想把老家的养老保险转过来"),
    ]
    from suqiu.hotspots.services import features_of

    docs = []
    for i, (title, description) in enumerate(texts):
        block, label, _rank, terms, _key = features_of(
            title=title, description=description, grid_id=1, lat=None, lon=None, area_id=1
        )
        docs.append(
            clustering.Doc(
                id=i,
                block=block,
                terms=terms,
                created_at=START + timedelta(days=i + 1),
                place_label=label,
                reporter=f"u{i}",
            )
        )
    found = clustering.cluster(docs, window_start=START, window_end=END)
    assert [sorted(d.id for d in c.members) for c in found] == [[0, 1, 2]]
    assert "企业" not in found[0].top_terms[:2]


def test_the_place_label_needs_a_majority_and_the_title_names_it():
    """A grid's hotspot names an estate only when most members do, and its title is then a
    member that names that estate, not the member nearest the centroid from another one."""
    fee = "物业乱收停车费"

    def docs(places):
        out = []
        extra = ["", "保安态度恶劣", "道闸经常损坏", "拒绝开具收据"]
        for i, place in enumerate(places):
            # Member 0 carries only the shared words: nearest to the centroid of all of them.
            description = "物业乱收停车费，" + extra[i]
            out.append(
                clustering.Doc(
                    id=i,
                    block="g:1",
                    terms=" ".join(clustering.terms_of(place + fee, description, place)),
                    created_at=START + timedelta(days=i + 1),
                    title=place + fee,
                    place_label=place,
                    reporter=f"u{i}",
                )
            )
        return out

    def only(found):
        (c,) = found
        return c

    # Three of four name 龙兴大厦; the nearest member (0) names 龙田新村.
    plain = only(
        clustering.cluster(
            docs(["龙田新村", "龙兴大厦", "龙兴大厦", "龙兴大厦"]),
            window_start=START,
            window_end=END,
        )
    )
    assert plain.place_label == "龙兴大厦"
    assert plain.representative.place_label == "龙兴大厦"
    assert plain.similarity[0] >= max(plain.similarity.values())  # it was the nearest
    # Two and two: no estate speaks for the grid's hotspot.
    tie = only(
        clustering.cluster(
            docs(["龙田新村", "龙兴大厦", "龙田新村", "龙兴大厦"]),
            window_start=START,
            window_end=END,
        )
    )
    assert tie.place_label == "" and tie.representative.id == 0


@pytest.mark.parametrize(
    ("title", "own", "places", "expected"),
    [
        # A grid's problem at three estates: the others follow the title, commonest first.
        ("龙田新村垃圾桶满溢", "龙田新村", ["龙田花园", "龙田新村", "龙兴大厦"],
         "龙田新村垃圾桶满溢（还有龙田花园、龙兴大厦）"),
        # A title that names no place lists them all; past three, how many.
        ("电梯困人", "", ["甲苑", "乙苑", "丙苑", "丁苑"], "电梯困人（还有甲苑、乙苑、丙苑等4处）"),
        # Nothing to add: one place, or only the title's own.
        ("龙田花园电梯困人", "龙田花园", ["龙田花园"], "龙田花园电梯困人"),
        ("电梯困人", "", [], "电梯困人"),
        # A place the title already names (as a road, not its own label) is not repeated.
        ("龙兴北路与龙田一街交叉口井盖松动", "", ["龙田一街", "龙田世居"],
         "龙兴北路与龙田一街交叉口井盖松动（还有龙田世居）"),
        ("Pothole", "", ["Main St", "Oak Ave"], "Pothole (also Main St, Oak Ave)"),
    ],
)  # fmt: skip
def test_a_title_spanning_places_names_them(title, own, places, expected):
    assert clustering.title_with_places(title, own, places) == expected


@pytest.mark.parametrize(
    ("word", "kept"),
    [
        ("搅拌站", True),
        ("58车贷", True),  # a number and a noun: the noun says what
        ("夜间", True),
        ("之间", False),
        ("里面", False),
        ("十点", False),
        ("左右", False),
        ("特别", False),
    ],
)
def test_keywords_that_say_nothing_of_the_problem_are_left_out(word, kept):
    assert clustering._says_what(word) is kept


def test_a_hotspots_keywords_are_words_of_its_problem():
    texts = [
        ("电梯困人", "3号楼电梯停在两层之间，里面有老人，十点左右"),
        ("电梯困人了", "5号楼电梯停在两层之间，里面有小孩，十点左右"),
        ("又有电梯困人", "电梯停在两层之间，里面的人出不来，十点左右"),
    ]
    (found,) = clustering.cluster(docs_of(texts), window_start=START, window_end=END)
    assert "电梯" in found.top_terms
    assert not {"之间", "里面", "十点", "左右"} & set(found.top_terms)
