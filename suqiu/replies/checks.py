"""Reply checks: does a resolve's public reply address the appeal, say what was done and when,
come on time and say enough? Pure functions (no ORM), calibrated on real replies (see
``bench/reply_calibration.py`` and ARCHITECTURE.md, "Reply quality").

Each criterion gives a score from 0 to 1 and, below its threshold, a warning; the overall score
is their weighted mean (a criterion that does not apply, such as timeliness without a due time,
is left out of the mean).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from suqiu.core.places import extract_all
from suqiu.core.text import key_terms, normalise, words
from suqiu.replies.conf import DEFAULTS


def config() -> dict:
    """``settings.SUQIU_REPLIES`` (from the environment variable of that name) over the
    defaults (``conf.DEFAULTS``)."""
    return {**DEFAULTS, **getattr(settings, "SUQIU_REPLIES", {})}


# What was done or will be done: completion and action words (Chinese, then English). Not
# what a non-answer says too: 已转 / 已获悉 / 已阅 (forwarded, received, read), 联系 and 告知
# bare (联系方式, "contact details"; only 联系了 / 告知了 are deeds). A word right after a
# negation (无法核实) says the opposite: ``acts`` skips it.
ACTION = re.compile(
    r"已经|已[^经知悉收转获阅]|完成|办结|修复|修好|维修|抢修|更换|清理|清运|清除|拆除|整改|处理完毕|"
    r"安排|落实|疏通|铺设|补种|恢复|解决|协调|督促|责成|约谈|查处|处罚|立案|核实|调查|回访|"
    r"将于|将会|将在|将对|将进一步|将继续|计划|拟|正在|着手|启动|部署|开展|实施|加强|制定|纳入|进行了|作出|做出|"
    r"走访|上门|现场|检查|巡查|执法|处置|关停|取缔|整治|谈话|训诫|"
    # (nouns in policy text as often as deeds: only with 了, or as a promise, or as enforcement)
    r"(?:采纳|新增|增设|增加|加装|安装|添置|配备|补装|改造|投放|设置|联系|告知)了|将[^，。]{0,4}(?:采纳|予以)|"
    r"处以|加大[^，。]{0,12}力度|抄牌|拖移|"
    r"\b(?:fixed|repaired|replaced|cleaned|cleared|removed|completed|done|resolved|restored|"
    r"scheduled|arranged|installed|inspected|will|plan(?:ned)?|has been|have been)\b",
    re.IGNORECASE,
)

# When: dates, times, deadlines and periods. A number with 号 alone is a house or building number
# far more often than a day ("幸福路88号3号楼"): it counts as a day only as a deadline ("20号前",
# not "88号后面") or after 于 / 在 / 预计 ... ("将于20号完成", not "在3号楼").
_CN_NUM = r"[0-9０-９一二三四五六七八九十两百]+"
TIME = re.compile(
    rf"{_CN_NUM}\s*年|{_CN_NUM}\s*月(?:{_CN_NUM}\s*[日号])?|{_CN_NUM}\s*日(?!常)|"
    rf"{_CN_NUM}\s*号(?=(?:前|之前|以前|后|之后|起|左右|当天|上午|中午|下午|晚上)(?![面门]))|"
    rf"(?:(?<=[于在至])|(?<=预计)|(?<=截止))\s*{_CN_NUM}\s*号(?![楼栋院门室线])|"
    rf"{_CN_NUM}\s*(?:个)?(?:工作日|天|日|周|星期|小时|个月)(?:内|之内|以内|后|前)|"
    r"\d{1,2}\s*[:：]\s*\d{2}|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|"
    r"今天|今日|明天|明日|后天|昨天|昨日|本周|下周|本月|下月|月底|月初|月中|年底|年内|年初|"
    r"近日|近期|当天|当日|上午|下午|晚上|即日|随后|日内|工作日|春节前|节前|汛期前|"
    r"\b(?:today|tomorrow|yesterday|tonight|this (?:week|month|year)|next (?:week|month)|"
    r"within \d+ (?:hours?|days?|weeks?)|by (?:monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|the end of)|on (?:monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday)|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}|"
    r"\d{1,2}(?:am|pm)|\d+ (?:hours?|days?) (?:ago|later))\b",
    re.IGNORECASE,
)

# A negation right before an action word: "无法核实", "未处理", "不予立案".
_NEGATED = re.compile(r"(?:未|无法|不|不予|没|没有|未能|不能|难以)$")

# The date a letter is signed with, at its very end ("…感谢您的支持！2019年3月1日"): when the
# reply was written, not when anything was or will be done. Taken off before looking for a
# time, when it follows the end of a sentence, a line break, or the signing office's name
# (blanks between them allowed). A date that a sentence leads to stays: "完工时间为2019年3月1日。",
# "将于 2019年3月5日", "will be repaired on 2019-03-05." (in all 2,816 calibration replies the
# signature date follows 。！ or an office's name, never a comma or a word).
_CN_DIGIT = r"[0-9０-９〇○零一二三四五六七八九十]"
_DATE_AT_END = (
    rf"\s*(?:{_CN_DIGIT}{{4}}\s*年\s*{_CN_DIGIT}{{1,2}}\s*月\s*{_CN_DIGIT}{{1,3}}\s*[日号]?"
    r"|\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2})\s*[。.]?\s*$"
)
SIGNATURE_DATE = re.compile(
    r"(?:(?<=[\n。．.！!？?；;）)」”\"…])|(?<=[局办室府委会院所队处心司部站组厅馆科])|^)"
    + _DATE_AT_END
)
# After a comma or a blank only when the words right before it close the letter ("感谢您的支持
# 与监督，2026年3月5日。", "此复 2019年3月1日"): "施工队将进场维修，2019年3月5日", "将于 2019年3月5日"
# and "感谢您的来信，维修工作已安排在 2026年3月5日" give the work's date.
_DATE_AFTER_COMMA = re.compile(r"(?<=[，,\s])" + _DATE_AT_END)
_CLOSING = re.compile(
    r"(?:感谢|谢谢|致谢|此复|特此答复|特此回复|特此函复|敬礼|thanks?(?: you)?)"
    r"[^，,。.;；:：]{0,15}[，,\s]*$",
    re.IGNORECASE,
)


def without_signature_date(text: str) -> str:
    """``text`` without the date it is signed with at its end, if any."""
    stripped = SIGNATURE_DATE.sub("", text)
    if stripped != text:
        return stripped
    m = _DATE_AFTER_COMMA.search(text)
    if m and _CLOSING.search(re.split(r"[。！!？?；;\n]", text[: m.start()])[-1]):
        return text[: m.start()]
    return text


def acts(text: str) -> bool:
    """Whether ``text`` says something was or will be done: an action word not negated."""
    return any(
        not _NEGATED.search(text[max(0, m.start() - 2) : m.start()]) for m in ACTION.finditer(text)
    )


def gives_time(text: str) -> bool:
    """Whether ``text`` says when: a date, time or period other than the letter's own date."""
    return bool(TIME.search(without_signature_date(text)))


@dataclass
class Result:
    """Scores per criterion (0..1; None when it does not apply), overall score, warnings."""

    addresses: float
    action: float
    time: float
    on_time: float | None
    length: float
    overall: float
    missing_terms: list[str] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    chars: int = 0


def main_terms(title: str, description: str, n: int) -> list[str]:
    """The appeal's main terms: title words first, then the description's longest words. A word
    that is part of a place the appeal names stands for the whole place ("聚龙" and "花园" of
    聚龙花园 are the one term 聚龙花园): the verifier reads "does not mention 聚龙花园", not
    fragments of it."""
    return list(_main_terms(title, description, n))


def _main_terms(title: str, description: str, n: int) -> dict[str, set[str]]:
    """The main terms, each with the words it stands for (a place: the words of it found)."""
    # Longest first, ties by name: a set's order changes with the process (hash seed), and
    # so would the term a word stands for.
    places = sorted(
        {p.key for p in extract_all(f"{title}。{description}") if p.key},
        key=lambda key: (-len(key), key),
    )
    out: dict[str, set[str]] = {}

    def add(word: str) -> None:
        term = next((p for p in places if word in p and word != p), word)
        out.setdefault(term, {term}).add(word)

    for w in words(title):
        if w in key_terms(w):
            add(w)
    body = [w for w in words(description) if w in key_terms(w)]
    first: dict[str, int] = {}
    for i, w in enumerate(body):
        first.setdefault(w, i)
    for w in sorted(first, key=lambda w: (-len(w), first[w])):
        add(w)
    return dict(list(out.items())[:n])


def check(
    *,
    title: str,
    description: str,
    reply: str,
    resolved_at: datetime | None = None,
    due_at: datetime | None = None,
    cfg: dict | None = None,
) -> Result:
    cfg = cfg or config()
    text = normalise(reply)
    chars = len(re.sub(r"\s+", "", reply or ""))
    terms = _main_terms(title, description, cfg["main_terms"])
    reply_terms = key_terms(reply)
    flat = re.sub(r"\s+", "", text)
    # A place counts as mentioned by its name or by a word of it ("花园" for 聚龙花园): replies
    # often name the place their own way.
    shared = [t for t, said in terms.items() if any(w in reply_terms or w in flat for w in said)]
    addresses = len(shared) / len(terms) if terms else 1.0
    missing = [t for t in terms if t not in shared]
    action = 1.0 if acts(text) else 0.0
    when = 1.0 if gives_time(text) else 0.0
    on_time = None
    if due_at is not None and resolved_at is not None:
        on_time = 1.0 if resolved_at <= due_at else 0.0
    length = min(1.0, chars / cfg["min_chars"]) if cfg["min_chars"] else 1.0

    warnings: list[dict] = []
    if terms and (not shared or addresses < cfg["min_addressed"]):
        warnings.append({"code": "off_topic", "terms": missing[:3]})
    if not action:
        warnings.append({"code": "no_action"})
    if not when:
        warnings.append({"code": "no_time"})
    if chars < cfg["min_chars"]:
        warnings.append({"code": "too_short", "min_chars": cfg["min_chars"], "chars": chars})
    if on_time == 0.0:
        warnings.append({"code": "late"})

    weights = cfg["weights"]
    parts = {
        "addresses": min(1.0, addresses / max(cfg["min_addressed"] * 2, 1e-9)),
        "action": action,
        "time": when,
        "on_time": on_time,
        "length": length,
    }
    total = sum(weights[k] for k, v in parts.items() if v is not None)
    # Weights that give nothing to the parts measured here (only on_time weighs, and there is no
    # due time): the plain mean of the parts.
    measured = [(weights[k] if total else 1.0, v) for k, v in parts.items() if v is not None]
    overall = sum(w * v for w, v in measured) / sum(w for w, _v in measured)
    return Result(
        addresses=round(addresses, 3),
        action=action,
        time=when,
        on_time=on_time,
        length=round(length, 3),
        overall=round(overall, 3),
        missing_terms=missing,
        warnings=warnings,
        chars=chars,
    )
