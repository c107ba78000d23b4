"""How urgent does an appeal read? A hand-written lexicon plus what history teaches.

Two parts:

1. ``LEXICON``: terms (Chinese and English) that mean danger to life or property now
   (``emergency``: gas smell, exposed live wires, someone trapped, flooding or water coming into a
   home, fire, a fall from height or a missing manhole cover, someone fallen who cannot get up, a
   lone elderly person who cannot be reached) or harm that should not wait for the normal queue
   (``urgent``: no water or power, a burst pipe, a broken lift, sewage overflowing, a stated risk
   of falling or people already falling...). A term preceded in the same clause by a negation
   ("没有燃气味", "不是漏电", "no smell of gas") or by a hypothetical ("一旦发生火灾", "万一起火",
   "防止漏电", "in case of fire", "to prevent flooding") does not count. A person living alone (or
   old, at their own door) named close to a sign that nobody has heard from them ("独居老人三天没
   开门，电话也不接") is an emergency as a pair, however it is worded; so is a fall next to
   "cannot get up", and a broken or missing handrail or slippery steps named next to old people or
   children is urgent (``_PAIRS``).
2. ``learn(history)``: terms over-represented in past appeals that ended up urgent or emergency
   (the urgency after staff assessment). ``suqiu triage train`` stores them with the routing model;
   a learnt term counts like a lexicon term when it is precise enough on its own
   (``LEARNT_ALONE``) or when two learnt terms appear together. Learnt terms never suggest more
   than ``urgent`` unless their history was mostly emergencies.

``detect(text, learnt)`` answers with the level and the terms that matched; intake raises an
appeal's urgency when the detected level is higher than the reporter's (see ``services``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from suqiu.core.text import key_terms, normalise

NORMAL, URGENT, EMERGENCY = "normal", "urgent", "emergency"
RANK = {EMERGENCY: 0, URGENT: 1, NORMAL: 2}

# --- The lexicon ---------------------------------------------------------------------------------

_EMERGENCY_ZH = """
燃气泄漏 燃气泄露 煤气泄漏 煤气泄露 天然气泄漏 天然气泄露 液化气泄漏 燃气漏气 煤气漏气 漏气
燃气味 煤气味 天然气味 液化气味 闻到燃气 闻到煤气 闻到天然气 燃气爆炸 煤气罐爆炸 发生爆炸
电线裸露 裸露电线 电线外露 漏电 触电 电线掉落 电线垂落 电线断落 高压线断 电箱冒火 电线起火 冒火花
被困 困在电梯 困在里面 关在电梯 电梯困人 被埋
水浸 内涝 水淹 淹水 被淹 倒灌 山洪 决堤 溃坝 淹到 都淹了 全淹了 车淹了 车子淹了 被水淹了
家里进水 家中进水 屋里进水 屋内进水 房间进水 室内进水 房屋进水 房子进水 地下室进水 车库进水
起火 着火 失火 发生火灾 烧起来 明火
坠落 高空坠物 坠楼 井盖缺失 井盖丢失 井盖丢了 井盖不见了 井盖被偷 没有井盖 井盖被盗 井盖破损
窨井盖缺失 井盖没了
山体滑坡 楼房倾斜 已经倒塌 突然倒塌
独居老人联系不上 老人联系不上 独居老人失联 老人失联 敲门无人应 敲门没人应 晕倒 不省人事 倒地不起
轻生 自杀 有人落水 溺水 持刀
"""
_URGENT_ZH = """
停水 断水 停电 断电 水管爆裂 爆管 水管破裂 自来水外溢
电梯故障 电梯坏了 电梯停运 电梯事故 电梯急停
污水外溢 化粪池满溢 粪水外溢 下水道堵塞
严重积水 积水严重 严重漏水 漏水严重 楼顶漏水 屋顶漏水
树木倒伏 大树倒 树倒了 树枝断裂 断枝 广告牌松动 招牌松动 摇摇欲坠 高空抛物
路面塌陷 地面塌陷 路面下沉 护栏倒 围墙开裂 墙体开裂 倒塌 坍塌 塌方 滑坡
无人照料 无人照顾 走失 打架斗殴 昏迷 危及生命 生命危险
冒烟 浓烟 爆炸 洪水 疑似中毒 食物中毒 咬伤
"""
_EMERGENCY_EN = """
gas leak|gas leaking|smell of gas|smells of gas|smell gas|gas smell|leaking gas|explosion
exposed wire|exposed wires|exposed wiring|live wire|live wires|bare wire|bare wires|downed power line|power line down|sparking|electric shock|electrocuted
trapped|stuck in the lift|stuck in the elevator|stuck in a lift|stuck in an elevator
flooding|flooded|water rising|water coming into|water is coming into
basement is under water|basement is underwater|cellar is under water|cellar is underwater|street is under water|street is underwater|road is under water|road is underwater|kitchen is under water|kitchen is underwater|house is under water|house is underwater|home is under water|home is underwater|flat is under water|flat is underwater|apartment is under water|apartment is underwater|garage is under water|garage is underwater|car is under water|car is underwater|ground floor is under water|ground floor is underwater|yard is under water|yard is underwater
water pouring into|water getting into|water came into|water coming in the house
on fire|fire broke out|house fire|building fire|thick smoke|smoke pouring|smoke coming|flames
fell from|falling debris|falling objects|fall from height|missing manhole|open manhole|manhole cover missing|manhole cover is missing|manhole cover gone|manhole cover stolen|collapsed|landslide
not answering the door|cannot be reached|can't be reached|not been seen for days|unconscious|fainted|not breathing
drowning|suicide|danger to life|life-threatening
"""
_URGENT_EN = """
no water|water cut|water outage|no power|power outage|power cut|blackout|burst pipe|pipe burst|burst main
lift broken|elevator broken|lift out of order|elevator out of order|lift stopped|elevator stopped
sewage overflow|sewage overflowing|overflowing sewage|blocked drain|drain blocked
leaking roof|roof leak|serious leak|fallen tree|tree fell|tree down|loose sign
sinkhole|subsidence|road collapse|injured|injury|fell down|missing person|dog bite|poisoning
fall risk|risk of falling|risk of a fall|risk of falls|trip hazard|tripping hazard|slip hazard
slipping hazard|could fall|might fall|could slip|could trip|people keep falling
people keep slipping|people keep tripping|people often fall|people often slip|residents keep falling
"""


def _zh(block: str) -> list[str]:
    return [t for t in block.split() if t]


def _en(block: str) -> list[str]:
    return [t.strip() for line in block.strip().splitlines() for t in line.split("|") if t.strip()]


# A fall is urgent when it is a risk stated as such ("容易摔倒", "有摔倒的危险", "差点滑倒") or
# when it happens to others where the reporter lives ("已经有人滑倒", "老人摔倒"): a hazard that
# hurts people should not wait for the normal queue. A fall word on its own is no sign: in
# residents' messages it mostly tells of a past injury (a work-injury claim, a medical dispute:
# "上班途中摔伤算不算工伤"). Someone fallen who cannot get up is an emergency (``_FALLEN_ZH``).
# The injury words (摔伤, 跌伤) and a person's fall on its own ("孩子摔倒的视频", "老人跌倒后的医疗
# 费用能否报销") tell of what happened once; falls that keep happening to people where the reporter
# lives are the hazard ("经常有人滑倒", "老人经常摔跤", "多次有人绊倒").
_FALLS_ZH = ("摔倒", "跌倒", "滑倒", "绊倒", "摔跤")
_FALL_RISK_ZH = [
    form.format(fall)
    for fall in _FALLS_ZH
    for form in (
        "容易{}",
        "{}的危险",
        "{}危险",
        "{}的隐患",
        "{}隐患",
        "差点{}",
        "险些{}",
        "有人{}",
        "经常{}",
        "常常{}",
        "时常{}",
        "多次{}",
        "多人{}",
    )
]

LEXICON: dict[str, list[str]] = {
    EMERGENCY: _zh(_EMERGENCY_ZH) + _en(_EMERGENCY_EN),
    URGENT: _zh(_URGENT_ZH) + _FALL_RISK_ZH + _en(_URGENT_EN),
}
# The fall risks' own negation: only one that bears on the fall itself ("不容易摔倒", "没有摔倒的
# 危险", "不会有人滑倒", "不要让孩子跌倒"), with nothing but modal words between; "没有扶手容易
# 摔倒" names the cause of the risk, so the usual "没有 within six characters" would cancel the
# very risk it explains. A hypothetical still cancels ("建议加装扶手，防止老人摔倒", "一旦摔倒"):
# a risk that is only conditional goes to the normal queue, as "一旦发生火灾" does.
_RISK_TERMS = frozenset(_FALL_RISK_ZH)
_NEG_RISK_ZH = re.compile(
    r"(不|没|无|未|非|别|排除)(会|太|大|再|很|那么|容易|易|有|存在|可能|至于|曾|要|让|能)*$"
)

# A vulnerable person and a sign that nobody has heard from them, in one sentence and close
# together ("隔壁独居老人三天没开门，电话也不接", "haven't seen the old lady next door for days"):
# an emergency however the reporter words it, so the pair counts where no single phrase of the
# lexicon would. Someone said to live alone pairs with any sign; an old or disabled person in
# general only with a sign at their own door ("没开门", "几天没见", not "电话没人接": "老人想联系
# 物业联系不上" is about the office). The signs are themselves negative ("没开门"), so the
# negation rule does not apply to them; a hypothetical before the person ("如果老人联系不上")
# still cancels, and so do the places and the benefits named after old people ("老人活动中心没
# 开门", "独居老人补贴申请了半年没动静": "独居" does not match before "老人补贴" either).
_ALONE_ZH = """
独居老人 独居的老人 空巢老人 孤寡老人 独居长者 孤老 独居 一个人住 独自居住 独自生活
"""
_PERSON_ZH = """
老人 老人家 长者 老伯 阿婆 老奶奶 老爷爷 老太太 老大爷 奶奶 爷爷 残疾人
"""
_AT_DOOR_ZH = """
没开门 没有开门 没人开门 敲门没 敲门无 敲门不应 敲门也没 无人应门 没人应门 没出门 没有出门 没露面
几天没见 多天没见 多日没见 好久没见 没见到人 没看到人 没见着人 没见他 没见她 信箱塞满 报纸堆积
不见人影 天没动静 天没有动静 天都没动静 天都没有动静 天也没动静 天也没有动静
"""
_BY_PHONE_ZH = """
不接电话 电话不接 电话也不接 电话没人接 电话无人接 联系不上 联系不到 失联
"""
# No sign of life, said of someone living alone ("隔壁独居老人一直没有动静"); of an old person in
# general only as days without one ("隔壁老人三天没动静", in ``_AT_DOOR_ZH``). Not when an
# application, a complaint, a benefit or an office comes in the clause that ends in the sign
# (``_OFFICE_MATTER``): "独居老人的高龄补贴一直没动静", "我是独居老人，申请的低保三个月没动静",
# "找物业一直没动静" are about an office; "独居老人张大爷，邻居反映他家一直没有动静" is not.
_QUIET_ZH = """
没动静 没有动静 毫无动静 没什么动静 没有任何动静
"""
_OFFICE_MATTER = re.compile(
    r"申请|申领|投诉|举报|办理|报修|补贴|补助|低保|养老金|手续|审批|材料|答复|回复|问题|事情|"
    r"报名|退款|工资|物业|部门|政府|单位|街道办|居委会"
)
_ALONE_EN = """
lives alone|living alone|lives on her own|lives on his own
"""
_PERSON_EN = """
elderly|old man|old woman|old lady|old gentleman|pensioner|senior|disabled
"""
_AT_DOOR_EN = """
not answered the door|not answering the door|no answer at the door|not been seen|hasn't been seen
has not been seen|haven't seen|have not seen|mail piling up|hasn't opened her door
hasn't opened his door|hasn't opened the door|not opened her door|not opened his door
not opened the door
"""
_BY_PHONE_EN = """
not answering|no answer|no response|not responding|not picking up|doesn't pick up
does not pick up|cannot reach|can't reach|unreachable
"""
# Someone fallen, and that they cannot get up: an emergency together (``_Pair``).
_FALLEN_ZH = """
摔倒 跌倒 滑倒 绊倒 摔了一跤 摔了一下 摔在地上 跌在地上 倒在地上 倒地 躺在地上 摔下
"""
_CANNOT_RISE_ZH = """
起不来 爬不起来 站不起来 起不了身
"""
_FALLEN_EN = """
fell|fallen|slipped|tripped|lying on the floor|lying on the ground
"""
_CANNOT_RISE_EN = """
can't get up|cannot get up|can not get up|unable to get up|couldn't get up|could not get up
can't stand up|cannot stand up
"""
# What makes a fall likely, and who is likely to fall: urgent together (``_Pair``).
_HAZARD_ZH = """
没有扶手 没扶手 无扶手 缺少扶手 扶手缺失 扶手坏 扶手断 扶手松动 扶手松了 扶手脱落 扶手损坏 扶手掉了
台阶破损 台阶损坏 台阶松动 台阶断裂 台阶坏 台阶塌 楼梯破损 楼梯损坏 楼梯坏 楼梯断裂
楼梯湿滑 楼梯很滑 楼梯太滑 台阶湿滑 台阶很滑 台阶太滑 地面湿滑 地面很滑 地板很滑
防滑条脱落 防滑条损坏 防滑条坏 防滑垫坏 没有防滑 无防滑 缺少防滑
"""
_HAZARD_EN = """
no handrail|no handrails|no hand rail|missing handrail|broken handrail|handrail is broken
handrail is loose|loose handrail|handrail missing|slippery stairs|slippery steps|icy steps
icy stairs|broken step|broken steps|broken stairs|loose step|loose steps|uneven steps
"""
_AT_RISK_ZH = """
老年人 小孩 孩子 儿童 孕妇
"""
_AT_RISK_EN = """
old people|children|kids|pregnant
"""
_PLACES_ZH = (
    "活动|中心|院|大学|食堂|协会|卡|公寓|证|服务|会|手机|年|补贴|津贴|补助|政策|待遇|福利|养老金"
)
_PLACES_EN = "centre|center|centres|centers|home|homes|housing|club|services|care"
PAIR_WINDOW = 30  # characters between the two signs of a pair
_SENTENCE = re.compile(r"[。.!！?？;；\n]")

# Negations that cancel a term when they come before it in the same clause.
# Longer negations count within NEG_WINDOW_ZH characters before the term; the one-character ones
# (没, 无, 未) only right before it ("没闻到煤气味"), since "无法" or "没法" elsewhere in the clause
# says nothing about the term ("电梯无法运行有人被困" is an emergency).
_NEG_ZH = ("没有", "不是", "并非", "并没", "不再", "不存在", "排除", "已无", "已经没", "未曾")
_NEG_ZH_SHORT = ("没", "无", "未")
# What might happen is not happening: "一旦发生火灾后果不堪设想", "万一起火", "防止漏电" (a risk to
# assess in the normal queue, not an emergency) count like negations.
_HYPOTHETICAL_ZH = (
    "一旦",
    "万一",
    "如果",
    "假如",
    "倘若",
    "要是",
    "防止",
    "预防",
    "以防",
    "避免",
    "以免",
    "防范",
)
# Phrases that contain a term but mean something else.
_IDIOMS = (
    "慢性自杀",
    "明火执仗",
    "有人摔倒不敢扶",
    "老人摔倒不敢扶",
    "老人摔倒扶不扶",
    "老人跌倒不敢扶",
)
_NEG_EN = re.compile(
    r"\b(no|not|never|without|isn't|aren't|wasn't|don't|doesn't|didn't|nor)\b|n't\b"
)
_CLAUSE = re.compile(r"[，,。.!！?？;；:：\n]")
NEG_WINDOW_ZH = 6  # characters before the term
NEG_WINDOW_ZH_SHORT = 3
NEG_WINDOW_EN = 4  # words before the term


def _is_cjk(term: str) -> bool:
    return bool(term) and "\u3400" <= term[0] <= "\u9fff"


def _compile(term: str) -> re.Pattern:
    if _is_cjk(term):
        return re.compile(re.escape(term))
    return re.compile(r"(?<![a-z0-9])" + re.escape(term) + r"(?![a-z0-9])")


# (term, its normalised text, its pattern) per level: the plain substring test ``flat in text``
# rules a term out before any pattern runs (most texts contain none of the lexicon).
# What a term is not when these follow it: the inlet pipe, valve, opening, meter or tap
# ("家里进水管老化漏水", "屋里进水总阀在哪里").
_NOT_FOLLOWED_BY = {"进水": "管|阀|总阀|口|表|龙头|开关"}


def _pair_pattern(term: str, place_guard: bool = False) -> tuple[str, str, re.Pattern]:
    """(term, its normalised text, its pattern); with ``place_guard`` a Chinese person term does
    not match as the start of a place or a benefit ("老人活动中心", "独居老人补贴"), nor an English
    one as the start of a place ("senior centre")."""
    plain = normalise(term)
    if place_guard and _is_cjk(term):
        guard = f"(?!(?:老人|长者|老年人)?(?:{_PLACES_ZH}))"
        return term, plain, re.compile(re.escape(plain) + guard)
    if place_guard:
        return term, plain, re.compile(_compile(plain).pattern + f"(?!\\s+(?:{_PLACES_EN}))")
    for ending, after in _NOT_FOLLOWED_BY.items():
        if plain.endswith(ending):
            return term, plain, re.compile(re.escape(plain) + f"(?!{after})")
    return term, plain, _compile(plain)


_PATTERNS: dict[str, list[tuple[str, str, re.Pattern]]] = {
    level: [_pair_pattern(t) for t in terms] for level, terms in LEXICON.items()
}
_AT_DOOR = [_pair_pattern(t) for t in _zh(_AT_DOOR_ZH) + _en(_AT_DOOR_EN)]
_BY_PHONE = [_pair_pattern(t) for t in _zh(_BY_PHONE_ZH) + _en(_BY_PHONE_EN)]
_ALONE = [_pair_pattern(t, True) for t in _zh(_ALONE_ZH) + _en(_ALONE_EN)]
_PERSON = [_pair_pattern(t, True) for t in _zh(_PERSON_ZH) + _en(_PERSON_EN)]
_AT_RISK = _ALONE + _PERSON + [_pair_pattern(t, True) for t in _zh(_AT_RISK_ZH) + _en(_AT_RISK_EN)]


@dataclass(frozen=True)
class _Pair:
    """Two signs that say together what neither says alone: ``first`` and one of ``second``
    within ``window`` characters in one sentence, in either order, make ``level``. Only ``first``
    is read for what cancels it (``cancelled(sentence, start, term)``): the ``second`` signs are
    themselves negative ("没开门", "起不来", "没有扶手")."""

    level: str
    first: list[tuple[str, str, re.Pattern]]
    second: list[tuple[str, str, re.Pattern]]
    window: int
    cancelled: Callable[[str, int, str], bool]
    # Words that, between the two signs (in the second's clause when it comes after the first),
    # make them about something else ("独居老人的高龄补贴一直没动静": the benefit has not moved).
    not_between: re.Pattern | None = None


def _clause_before(text: str, start: int) -> str:
    """The text of ``start``'s clause before it."""
    clause_start = 0
    for m in _CLAUSE.finditer(text, 0, start):
        clause_start = m.end()
    return text[clause_start:start]


def _hypothetical_zh(before: str) -> bool:
    return any(cue in before[-NEG_WINDOW_ZH - 4 :] for cue in _HYPOTHETICAL_ZH)


def _negated(text: str, start: int, cjk: bool, risk: bool = False) -> bool:
    """Whether a negation comes before position ``start`` within its clause; for a fall risk
    (``risk``) in Chinese, only one bearing on the fall itself (``_NEG_RISK_ZH``)."""
    before = _clause_before(text, start)
    if cjk and risk:
        return bool(_NEG_RISK_ZH.search(before)) or _hypothetical_zh(before)
    if cjk:
        window = before[-NEG_WINDOW_ZH:]
        if any(neg in window for neg in _NEG_ZH):
            return True
        if _hypothetical_zh(before):
            return True
        return any(neg in before[-NEG_WINDOW_ZH_SHORT:] for neg in _NEG_ZH_SHORT)
    words = before.split()
    if _NEG_EN.search(" ".join(words[-NEG_WINDOW_EN:])):
        return True
    return bool(_HYPOTHETICAL_EN_TERM.search(" ".join(words[-HYPOTHETICAL_WINDOW_EN:])))


def _find(text: str, term: str, pattern: re.Pattern, clauses: str | None = None) -> bool:
    """Whether ``term`` occurs in ``text`` at least once without a negation before it in its
    clause; the clauses are read in ``clauses`` (``text`` with its line breaks, the same length)
    when given."""
    cjk = _is_cjk(term)
    risk = term in _RISK_TERMS
    clauses = text if clauses is None else clauses
    return any(
        not _negated(clauses, m.start(), cjk, risk) and not _in_idiom(text, m.start(), m.end())
        for m in pattern.finditer(text)
    )


def _paired(text: str, pair: _Pair) -> str:
    """``"first … second"`` when ``pair``'s two signs share a sentence of ``text``, else ""."""
    start = 0
    for end in [m.start() for m in _SENTENCE.finditer(text)] + [len(text)]:
        sentence = text[start:end]
        start = end + 1
        at_first = [
            (m.start(), m.end(), term)
            for term, plain, pattern in pair.first
            if plain in sentence
            for m in pattern.finditer(sentence)
            if not pair.cancelled(sentence, m.start(), term)
        ]
        if not at_first:
            continue
        for term, plain, pattern in pair.second:
            if plain not in sentence:
                continue
            for m in pattern.finditer(sentence):
                for f_start, f_end, first in at_first:
                    gap = m.start() - f_end if m.start() >= f_end else f_start - m.end()
                    if not 0 <= gap <= pair.window:
                        continue
                    between = sentence[min(f_end, m.end()) : max(f_start, m.start())]
                    if m.start() >= f_end:  # the sign after the person: its own clause
                        between = _CLAUSE.split(between)[-1]
                    if pair.not_between is not None and pair.not_between.search(between):
                        continue
                    return f"{first} … {term}"
    return ""


# What might happen, in English: "in case of a gas leak", "what happens if there is flooding",
# "a barrier to prevent flooding", "grab bars to reduce the risk of falling", within
# HYPOTHETICAL_WINDOW_EN words before a term. A cue after the term says nothing about it ("There is
# a gas leak, in case you need the address").
_HYPOTHETICAL_EN_TERM = re.compile(
    r"\b(if|in case|in the event|whether|prevent|prevents|preventing|avoid|avoids|avoiding"
    r"|reduce|reduces|reducing|minimise|minimize|minimising|minimizing)\b"
)
HYPOTHETICAL_WINDOW_EN = 6
# Before a lone person, "should" too ("should the old man not answer ..."); not before a term,
# where it is mostly a demand ("someone should fix the exposed wires").
_HYPOTHETICAL_EN = re.compile(_HYPOTHETICAL_EN_TERM.pattern + r"|\bshould\b")


def _hypothetical(text: str, start: int) -> bool:
    before = _clause_before(text, start)
    return _hypothetical_zh(before) or bool(_HYPOTHETICAL_EN.search(before))


def _hypothetical_at(text: str, start: int, term: str) -> bool:
    return _hypothetical(text, start)


def _fall_cancelled(text: str, start: int, term: str) -> bool:
    return _negated(text, start, _is_cjk(term), risk=True)


_PAIRS = (
    # A person living alone and any sign that nobody has heard from them; an old or disabled
    # person only with a sign at their own door.
    _Pair(EMERGENCY, _ALONE, _AT_DOOR + _BY_PHONE, PAIR_WINDOW, _hypothetical_at),
    _Pair(
        EMERGENCY,
        _ALONE,
        [_pair_pattern(t) for t in _zh(_QUIET_ZH)],
        PAIR_WINDOW,
        _hypothetical_at,
        _OFFICE_MATTER,
    ),
    _Pair(EMERGENCY, _PERSON, _AT_DOOR, PAIR_WINDOW, _hypothetical_at),
    # Someone fallen who cannot get up ("老人摔倒在地起不来", "fell and can't get up").
    _Pair(
        EMERGENCY,
        [_pair_pattern(t) for t in _zh(_FALLEN_ZH) + _en(_FALLEN_EN)],
        [_pair_pattern(t) for t in _zh(_CANNOT_RISE_ZH) + _en(_CANNOT_RISE_EN)],
        PAIR_WINDOW,
        _fall_cancelled,
    ),
    # A broken or missing handrail, broken or slippery steps where old people, disabled people or
    # children walk: a fall waiting to happen ("楼梯没有扶手，老人上下楼很不方便"). A hypothetical
    # before the hazard cancels ("如果扶手坏了"); one before the person does not ("扶手断了，请尽快
    # 修，防止老人摔倒"). A request for a handrail where nothing is broken ("建议加装扶手防止老人
    # 摔倒") names no hazard: the normal queue.
    _Pair(
        URGENT,
        [_pair_pattern(t) for t in _zh(_HAZARD_ZH) + _en(_HAZARD_EN)],
        _AT_RISK,
        PAIR_WINDOW,
        _hypothetical_at,
    ),
)


def _in_idiom(text: str, start: int, end: int) -> bool:
    for idiom in _IDIOMS:
        at = text.find(idiom, max(0, start - len(idiom)), end + len(idiom))
        if at != -1 and at <= start and end <= at + len(idiom):
            return True
    return False


# --- What history teaches ------------------------------------------------------------------------

# A learnt term raises urgency on its own when even the pessimistic estimate of its precision
# (the lower end of the 95 % Wilson interval: 9 urgent appeals out of 9 give 0.70, 5 of 5 only
# 0.57) reaches this; weaker terms count only in pairs.
LEARNT_ALONE = 0.7
MIN_DOCS = 5  # a term must occur in this many history appeals to be learnt
MIN_PRECISION = 0.5  # ... and that share of them must have been urgent or emergency
MIN_LIFT = 3.0  # ... at least this many times the base rate
MAX_TERMS = 200


def learn(history: Iterable[tuple[str, str]], *, min_docs: int = MIN_DOCS) -> list[dict]:
    """Terms over-represented in urgent/emergency history. ``history``: (text, final urgency).

    A term is kept when it occurs in at least ``min_docs`` appeals, at least ``MIN_PRECISION`` of
    them urgent or emergency, and that share is ``MIN_LIFT`` times the overall share. Each term
    comes with its level (emergency when most of its urgent appeals were emergencies) and its
    counts, best (most precise, then most frequent) first."""
    docs = Counter()
    hot = Counter()
    emergencies = Counter()
    total = hot_total = 0
    for text, level in history:
        terms = key_terms(text)
        total += 1
        is_hot = level in (URGENT, EMERGENCY)
        hot_total += is_hot
        for t in terms:
            docs[t] += 1
            if is_hot:
                hot[t] += 1
                if level == EMERGENCY:
                    emergencies[t] += 1
    if not total or not hot_total:
        return []
    base = hot_total / total
    out = []
    for term, n in docs.items():
        u = hot[term]
        if n < min_docs or u == 0:
            continue
        precision = u / n
        if precision < MIN_PRECISION or precision < MIN_LIFT * base:
            continue
        level = EMERGENCY if emergencies[term] * 2 > u else URGENT
        out.append(
            {
                "term": term,
                "level": level,
                "n": n,
                "urgent": u,
                "precision": round(precision, 3),
                "lower": round(wilson_lower(u, n), 3),
            }
        )
    out.sort(key=lambda t: (-t["lower"], -t["n"], t["term"]))
    return out[:MAX_TERMS]


def wilson_lower(successes: int, n: int, z: float = 1.96) -> float:
    """The lower end of the Wilson score interval of a proportion."""
    if n == 0:
        return 0.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


# --- Detection -----------------------------------------------------------------------------------


@dataclass
class Detection:
    level: str = NORMAL
    terms: list[dict] = field(default_factory=list)  # {"term", "kind", "level"}

    def higher_than(self, urgency: str) -> bool:
        return RANK[self.level] < RANK.get(urgency, RANK[NORMAL])

    def add(self, terms: list[dict]) -> None:
        """More matched terms (keyword rules with an urgency); the level follows the highest."""
        known = {t["term"] for t in self.terms}
        for t in terms:
            if t["term"] not in known:
                self.terms.append(t)
                known.add(t["term"])
                if RANK[t["level"]] < RANK[self.level]:
                    self.level = t["level"]


def _outermost(items: list[dict], terms: list[str]) -> list[dict]:
    """The items whose term lies inside none of the other ``terms``."""
    return [i for i in items if not any(i["term"] != t and i["term"] in t for t in terms)]


def flatten(text: str) -> str:
    """``text`` normalised line by line: ``normalise`` folds a line break into a space, which
    would join a title ending in a negation ("还没有解决") to the danger its description opens
    with ("燃气泄漏") as one clause; here each line stays a sentence of its own."""
    lines = (normalise(line) for line in (text or "").splitlines())
    return "\n".join(line for line in lines if line)


def detect(text: str, learnt: list[dict] | None = None) -> Detection:
    """The urgency ``text`` reads as and the terms that say so. A line break ends a clause for
    the negations (a title ending in "还没有解决" does not cancel the "燃气泄漏" its description
    opens with), and nothing more: terms and the person-and-silence pair are found across it
    (a title naming "独居老人" and a description saying "电话也不接"; "gas" wrapped before
    "leak")."""
    clauses = flatten(text)
    flat = clauses.replace("\n", " ")  # the same positions, one line
    found: list[dict] = []
    for level in (EMERGENCY, URGENT):
        for term, plain, pattern in _PATTERNS[level]:
            if plain in flat and _find(flat, term, pattern, clauses):
                found.append({"term": term, "kind": "lexicon", "level": level})
    for pair in _PAIRS:
        # A pair is looked for only when it would raise the level found so far.
        if all(RANK[pair.level] < RANK[f["level"]] for f in found):
            paired = _paired(flat, pair)
            if paired:
                found.append({"term": paired, "kind": "lexicon", "level": pair.level})
    # Shorter terms inside a longer match ("漏气" in "燃气漏气") are noise in the list.
    found = _outermost(found, [f["term"] for f in found])
    learnt_hits = []
    known = {f["term"] for f in found}
    for item in learnt or ():
        term = item.get("term", "")
        if not term or term in known or term not in flat:
            continue
        if _find(flat, term, _compile(term), clauses):
            learnt_hits.append(item)
    # One phrase is one piece of evidence: a learnt term inside another matched term ("燃气" in
    # "燃气管", or in the lexicon's "燃气泄漏") does not make a pair with it.
    learnt_hits = _outermost(learnt_hits, [h["term"] for h in learnt_hits] + list(known))
    if learnt_hits and (
        len(learnt_hits) >= 2 or any(h.get("lower", 0) >= LEARNT_ALONE for h in learnt_hits)
    ):
        for h in learnt_hits:
            found.append({"term": h["term"], "kind": "learnt", "level": h.get("level", URGENT)})
    level = NORMAL
    for f in found:
        if RANK[f["level"]] < RANK[level]:
            level = f["level"]
    return Detection(level=level, terms=found)


def explain(item: dict) -> str:
    """A short text for a learnt term: how often history had it urgent."""
    return f"{item['term']} ({item.get('urgent', 0)}/{item.get('n', 0)})"
