"""Place names from the text of an appeal (小区, 社区, 村, 路, 街, 学校, 医院 ...).

Appeals without coordinates (phone calls, imported messages) often name their place only in the
text: "A市A5区魅力之城小区临街门面油烟扰民", "西地省A市A7县春华镇金鼎村水泥路到户". Hotspots
need that place to tell "noise at 魅力之城小区" from "noise at 丽发新城小区", and the duplicate
check to tell a repeat from the same words about another estate.

How: the text is cut into runs at punctuation, at administrative units ("A市", "A5区", "A7县",
"西地省": kept as the place's district, not as the place) and at words that cannot be part of a
name (verbs such as 反映, 投诉; function words such as 的, 在, 和; pointers such as 该, 本, 我们).
In each run, a name is two or more characters followed by a place suffix (小区, 村, 路, 学院 ...);
suffixes may follow each other ("魅力之城小区", "黄兴路步行街"), and names that touch are one
place ("伊景园滨河苑", "春华镇金鼎村"). Generic words that end like a place (马路, 水泥路, 小学生)
are not places. Of the places found, the most specific kind wins (a 小区 or school over a road,
a road over a town), the first mentioned among equals (titles come first).

``extract(text)`` returns a ``Place`` (``key`` to compare, ``label`` to show) or None;
``same_place`` compares two keys. Pure Python, no database; about 0.1 ms for a title plus a
paragraph.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Place suffixes, longest first within a kind, with how specific the kind is (higher = finer).
# A suffix of one kind followed by more suffixes takes the rank of the last one.
_SUFFIX_RANK: dict[str, int] = {}
for rank, group in (
    (
        5,
        "小区 花园 公寓 家园 新村 山庄 新城 华庭 名苑 雅苑 雅居 苑 府 公馆 大厦 大楼 广场 市场 商场 "
        "学院 大学 中学 小学 学校 幼儿园 医院 卫生院 诊所 车站 高铁站 地铁站 汽车站 火车站 公园 "
        "南站 北站 东站 西站 "
        "工业园 工业区 产业园 科技园 园区 楼盘 酒店 宾馆 菜市场 批发市场 景区 码头 机场 城 湾 苑区 "
        "半岛 中心 巷",
    ),
    (4, "社区 村 世居 居委会 村委会"),
    (3, "路 街 大道 大街 步行街 街道 桥 隧道 立交 高速 国道 省道 线"),
    (2, "镇 乡 管委会 开发区 新区 片区"),
):
    for suffix in group.split():
        _SUFFIX_RANK.setdefault(suffix, rank)

# Suffixes that need a longer name in front (one-character suffixes are ambiguous).
_ONE_CHAR = {s for s in _SUFFIX_RANK if len(s) == 1}

_SUFFIX_RE = "|".join(sorted(map(re.escape, _SUFFIX_RANK), key=len, reverse=True))
# A name: 2-10 name characters (Chinese, Latin letters, digits), then one or more suffixes.
_PLACE = re.compile(rf"([\u4e00-\u9fffA-Za-z0-9]{{2,10}}?)((?:{_SUFFIX_RE})+)")

# Administrative units: masked ones of the data ("A市", "A5区", "A7县", "B市") and real ones.
_ADMIN = re.compile(
    r"(?:[\u4e00-\u9fff]{2,3}省)|(?:[A-Z]\d{0,2}(?:市|区|县))|"
    r"(?:(?:深圳|广州|北京|上海|长沙)市)|(?:(?:福田|罗湖|南山|宝安|龙岗|龙华|坪山|光明|盐田|大鹏)区)"
)

# Words that end a name on their left or start one on their right: the name lies between.
_BREAK_WORDS = sorted(
    """
    反映 反应 投诉 举报 咨询 请问 关于 建议 希望 要求 请求 强烈 呼吁 恳请 求助 申请 办理 能否 何时
    什么 为什么 怎么 如何 是否 可否 还是 以及 或者 并且 而且 但是 因为 所以 如果 虽然 已经 一直 长期
    多次 严重 存在 出现 导致 造成 影响 问题 情况 事情 位于 地处 坐落在 座落在 坐落于 座落于 靠近 临近 紧邻 家住 住在
    居住在 住户 业主 居民 村民 市民 学生 家长 老师 员工 工人 司机 商户 群众 网友 本人 我们 我家 你们
    他们 这个 那个 这些 那些 这里 那里 这边 那边 所在 所属 该 我 你 他 她 其 在 对 从 到 被 与 及 或 的 了 是 为 为何 之前 之后 以前 以后 目前 现在 今天 昨天 每天 晚上 早上 附近 周边 周围
    旁边 对面 门口 一带 内部 里面 外面 楼下 楼上 路口 路段 路灯 路边 路面 路旁 街边 沿线 区域 地段 位置
    某 某某 整个 一些
    一个 有关 相关 部门 政府 领导 单位 公司 物业 开发商 市委 市政府
    """.split(),
    key=len,
    reverse=True,
)
_BREAK = re.compile("|".join(map(re.escape, _BREAK_WORDS)))
_PUNCT = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")

# Words that end like places but are not one (problems, objects, people).
_NOT_PLACES = frozenset(
    """
    马路 道路 公路 铁路 水泥路 沥青路 出路 网路 线路 电路 水路 思路 套路 门路 小路 大路 山路
    土路 泥巴路 断头路 人行道 过街 大街小巷 上街 沿街 临街 街道办 街坊 新城区 老城 老城区 县城
    主城 城区 全城 进城 市区 城市 城乡 城管 长城 小学生 中学生 大学生 学生 小学生 研究生
    医院里 公园里 小区里 村里 社区里 院里 家里 这里 那里 哪里 心里 夜里 城里 天线 路线 专线 热线
    一线 二线 沿线 线下 线上 在线 底线 红线 电线 网线 光纤线 管线 防线 界线 公交线 总线 地下
    期间 学期 工期 延期 到期 逾期 过期 长期 短期 定期 分期 工期 二期 一期 三期 四期 五期 期房
    首府 政府 市政府 区政府 县政府 镇政府 乡政府 官府 开发商 开发区 高新区 经开区
    村民 村委 村干部 村组 社区居委会 社区医院 小区业主 小区物业 学校领导 医院领导 湾区
    收费站 加油站 基站 公交站 变电站 中转站 垃圾站 网站 车站 站 城管局 广场舞 市场监管
    公馆 大厦 大楼 商场 市场 学院 大学 中学 小学 学校 幼儿园 医院 卫生院 诊所 公园 酒店 宾馆
    """.split()
)

# A one-character suffix that is the first character of a common word is not a suffix there:
# "加强城市规划" names no place ending in 城, "大湾区" none ending in 湾.
_SUFFIX_STARTS_WORD = frozenset("城市 城管 城乡 城区 城镇 城建 城投 城际 湾区".split())

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Place:
    """A place named in a text: ``key`` compares places (the finest name, e.g. "魅力之城小区"),
    ``label`` shows it with its district when one was named ("A5区魅力之城小区"), ``rank`` is
    how specific the kind of place is (5 estate/school/hospital ... 2 town)."""

    key: str
    label: str
    rank: int


def _rank_of(suffixes: str) -> int:
    """The rank of the last suffix of a run of suffixes ("城小区" → 小区)."""
    for n in (3, 2, 1):
        tail = suffixes[-n:]
        if len(suffixes) >= n and tail in _SUFFIX_RANK:
            return _SUFFIX_RANK[tail]
    return 0


def _candidates(run: str):
    """(start, end, name, rank) of the places in one run of name characters."""
    for m in _PLACE.finditer(run):
        name, suffixes = m.group(1), m.group(2)
        end = m.end()
        if len(suffixes) > 1 and suffixes[-1] == suffixes[-2]:
            suffixes, end = suffixes[:-1], end - 1  # "龙田路路边": the second 路 is the 路边's
        elif len(suffixes) > 2 and suffixes.endswith("广场") and run[end : end + 1] == "舞":
            suffixes, end = suffixes[:-2], end - 2  # "福龙苑广场舞": the square dance's
        if run[end - 1 : end + 1] in _SUFFIX_STARTS_WORD:
            continue
        word = name + suffixes
        if word in _NOT_PLACES or suffixes in _NOT_PLACES and len(name) < 2:
            continue
        if len(suffixes) == 1 and suffixes in _ONE_CHAR and len(name) < 2:
            continue
        if name.isdigit() or (name.isascii() and len(name) < 3):
            continue  # "2栋", "5号楼", "A区": parts of an address, not a place on their own
        yield m.start(), end, word, _rank_of(suffixes)


@lru_cache(maxsize=65536)
def _runs(text: str) -> tuple[tuple[str, str], ...]:
    """(district, run) pairs: runs of name characters and the last administrative unit before."""
    flat = unicodedata.normalize("NFKC", text or "")
    flat = _SPACE.sub("", flat)
    out: list[tuple[str, str]] = []
    district = ""
    for chunk in _PUNCT.split(flat):
        if not chunk:
            continue
        pos = 0
        for m in _ADMIN.finditer(chunk):
            if m.start() > pos:
                out.extend((district, r) for r in _BREAK.split(chunk[pos : m.start()]) if r)
            unit = m.group(0)
            # A county or district is the useful context; a province or city alone is not.
            if unit[-1] in "区县":
                district = unit
            pos = m.end()
        if pos < len(chunk):
            out.extend((district, r) for r in _BREAK.split(chunk[pos:]) if r)
    return tuple(out)


def extract_all(text: str) -> list[Place]:
    """Every place named in ``text``, in order (touching names joined into one place)."""
    places: list[Place] = []
    for district, run in _runs(text):
        prev_end = -1
        for start, end, word, rank in _candidates(run):
            if places and start == prev_end and places[-1].key:
                # "伊景园" + "滨河苑", "春华镇" + "金鼎村": one place; the finer part is its key.
                last = places[-1]
                joined = last.label.removeprefix(district) + word
                key = word if rank >= last.rank else last.key
                places[-1] = Place(key=key, label=district + joined, rank=max(rank, last.rank))
            else:
                places.append(Place(key=word, label=district + word, rank=rank))
            prev_end = end
    return places


_DISTRICT = re.compile(r"[A-Z]\d{1,2}[区县]|[A-Z]市")


def district_of(text: str) -> Place | None:
    """The first county or district named ("A4区"), else the first city ("A市"): the place of an
    appeal that names nothing finer (rank 1 and 0)."""
    flat = unicodedata.normalize("NFKC", text or "")
    found = _DISTRICT.findall(flat)
    for unit in found:
        if unit[-1] in "区县":
            return Place(key=unit, label=unit, rank=1)
    return Place(key=found[0], label=found[0], rank=0) if found else None


def extract(text: str) -> Place | None:
    """The most specific place named in ``text`` (the first among equals), or None."""
    best: Place | None = None
    for place in extract_all(text):
        if best is None or place.rank > best.rank:
            best = place
    return best


def extract_for(title: str, description: str = "") -> Place | None:
    """The place of an appeal: the title's when it names a road or finer (titles are written to
    say where and what), else the most specific one of title and description together."""
    in_title = extract(title)
    if in_title is not None and in_title.rank >= 3:
        return in_title
    both = extract(f"{title}。{description[:400]}")
    if both is not None and (in_title is None or both.rank > in_title.rank):
        return both
    return in_title or district_of(f"{title}。{description[:400]}")


_ESTATE_TAIL = re.compile(r"(?:小区|社区|片区|[一二三四五六七八九十\d]+期)+$")


def base_key(key: str) -> str:
    """The key without a trailing 小区/社区/N期, so "丽发新城小区", "丽发新城社区" and "丽发新城"
    compare equal (when enough of a name is left)."""
    stripped = _ESTATE_TAIL.sub("", key)
    return stripped if len(stripped) >= 3 else key


def canonical_keys(counts: dict[str, int], *, min_count: int = 2) -> dict[str, str]:
    """Map each place key of a batch to a canonical one: ``base_key`` first, then a longer name
    that ends with another name seen at least ``min_count`` times in the batch maps to the
    longest such ("商品房伊景园滨河苑" → "伊景园滨河苑", "万科魅力之城" → "魅力之城")."""
    bases: dict[str, int] = {}
    for key, n in counts.items():
        b = base_key(key)
        bases[b] = bases.get(b, 0) + n
    known = {b for b, n in bases.items() if n >= min_count and len(b) >= 4}
    out: dict[str, str] = {}
    for key in counts:
        b = base_key(key)
        target = b
        for i in range(1, len(b) - 3):
            tail = b[i:]
            if tail in known:
                target = tail
                break
        out[key] = target
    return out


def same_place(x: str, y: str) -> bool:
    """Whether two place keys name one place: one ending with the other ("伊景园滨河苑",
    "滨河苑"), or the same name with a typo (at least 70 % of their characters shared: "邦华小区"
    and "华邦小区", "文登爱加培训学校" and "文朩爱加培训学校"; "龙田一街" and "龙田二街" share
    60 %, and are two streets)."""
    if x.endswith(y) or y.endswith(x):
        return True
    cx, cy = set(x), set(y)
    return len(cx & cy) >= 0.7 * len(cx | cy)


_NAME_TAIL = re.compile(r"(?:小区|社区|楼盘|项目|[一二三四五六七八九十\d]+期)+$")


class Gazetteer:
    """The estate names a batch of appeals spells with a suffix, to find where a text names one
    bare: "万润滨江天著楼盘" twice in a window teaches "万润滨江天著", which then places "万润滨江
    天著的全装修核价什么时候出来" (no suffix, so ``extract`` finds only the city).

    ``keys`` counts the place keys of the batch; a name is learnt from the keys of estates and
    communities (rank 4 and 5) that end with 小区/社区/楼盘/项目/N期, the tail cut off, when at
    least four characters are left and the batch spells it so at least ``min_count`` times (one
    "经济适用房小区" or "农业银行小区" teaches nothing). Schools, hospitals, stations and squares
    are not learnt: their names are generic ("实验中学", "人民医院", "汽车南站"), and a text
    names them with their suffix anyway. ``find`` returns the name found and its most common key
    in the batch."""

    def __init__(self, keys: dict[str, int], ranks: dict[str, int], *, min_count: int = 2):
        seen: dict[str, dict[str, int]] = {}
        for key, n in keys.items():
            if ranks.get(key, 0) < 4:
                continue
            name = _NAME_TAIL.sub("", key)
            if len(name) >= 4 and name != key:
                spellings = seen.setdefault(name, {})
                spellings[key] = spellings.get(key, 0) + n
        self.keys = {
            name: max(spellings, key=lambda k: (spellings[k], k))
            for name, spellings in seen.items()
            if sum(spellings.values()) >= min_count
        }
        # The names by their first two characters, longest first: a scan of the text looks up
        # each position once.
        self._by_head: dict[str, list[str]] = {}
        for name in sorted(self.keys, key=len, reverse=True):
            self._by_head.setdefault(name[:2], []).append(name)

    def __len__(self) -> int:
        return len(self.keys)

    def find(self, text: str) -> tuple[str, str] | None:
        """(name, key) of the first learnt name in ``text`` (the longest one starting there)."""
        if not self._by_head or not text:
            return None
        flat = _SPACE.sub("", unicodedata.normalize("NFKC", text))
        for i in range(len(flat) - 3):
            for name in self._by_head.get(flat[i : i + 2], ()):
                if flat.startswith(name, i):
                    return name, self.keys[name]
        return None
