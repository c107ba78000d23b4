"""Text helpers shared by triage, duplicate detection, hotspots and reply checks.

Chinese is segmented with jieba's dictionary and algorithm as ``rjieba`` compiles them (jieba-rs):
the same words as jieba's ``lcut(run, HMM=False)`` (identical on all 592,022 Chinese runs of the
shared data's titles, messages and replies) about nine times faster, which is most of what the
duplicate check and the hotspot terms spend per appeal. jieba itself (its dictionary loads once
per process, lazily, ~1 s) remains for its part-of-speech tags (hotspot keywords) and for routing
models made before rjieba. Latin text is split on letters and digits. Everything is
NFKC-normalised (full-width letters and digits become ASCII) and lower-cased first.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata

import rjieba

_CJK_OR_WORD = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+(?:['’][a-z]+)?")
_SPACE = re.compile(r"\s+")
_NOT_TEXT = re.compile(r"[^\u3400-\u9fffa-z0-9]+")

# Words that say nothing about the problem or the place: function words, politeness, the words
# every appeal uses. Written for this project; short on purpose (the models weigh the rest).
STOPWORDS = frozenset(
    """
    的 了 和 是 在 有 我 我们 你 你们 他 她 它 他们 这 那 这个 那个 这里 那里 就 也 都 还 又 与 及
    或 等 把 被 让 给 对 向 从 到 为 为了 因为 所以 但是 但 而且 并且 如果 虽然 可以 能 能否 是否
    没有 不 没 很 非常 一直 已经 现在 目前 今天 昨天 一个 一些 什么 怎么 如何 为什么 多少 哪里
    请 请问 希望 尽快 麻烦 谢谢 感谢 您好 你好 领导 相关 部门 有关 问题 情况 反映 反应 关于 咨询
    投诉 要求 解决 处理 市民 居民 群众 本人 自己 大家 进行 存在 出现 造成 导致 影响 严重 一下
    the a an and or of to in on at for is are was were be been it this that with as by from
    please there their they we our you your i my me has have had not no but so do does
    """.split()
)

# Words of how an appeal was taken in, not of its problem: the prefixes of a channel's reports
# ("网格员日常巡查上报：", "流动党群服务站现场收集：", "来电人称…经核实", "企业服务专窗收到企业
# 反映：") make every report of the channel look alike. Hotspot terms and duplicate-index terms leave them out.
INTAKE_WORDS = frozenset(
    "来电 人称 核实 网格 巡查 上报 现场 收集 导入 监测 告警 流动 党群 服务站 服务中心 "
    "服务 专窗 收到".split()
)

_jieba = None
_jieba_lock = threading.Lock()


def segmenter():
    """The process's jieba tokenizer (jieba's default one), its dictionary loaded on first use,
    once per process (thread-safe). Whatever still uses jieba uses this one (part-of-speech tags,
    routing models made before rjieba): each tokenizer would otherwise hold its own copy of the
    dictionary."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba.dt
    return _jieba


def normalise(text: str) -> str:
    """NFKC, lower case, whitespace collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "").lower()).strip()


def words(text: str, *, stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """The words of a text in order: jieba's (rjieba, no HMM) for Chinese runs, letters/digits
    for the rest."""
    out: list[str] = []
    for run in _CJK_OR_WORD.findall(normalise(text)):
        if "\u3400" <= run[0] <= "\u9fff":
            out.extend(w for w in rjieba.cut(run, hmm=False) if w not in stopwords)
        elif run not in stopwords:
            out.append(run)
    return out


def key_terms(text: str) -> set[str]:
    """Content words worth matching on: two characters or more (Chinese), three letters or more."""
    return {w for w in words(text) if len(w) >= (2 if "\u3400" <= w[0] <= "\u9fff" else 3)}


def shingles(text: str, n: int = 2) -> set[str]:
    """Character n-grams of the text's letters, digits and Chinese characters (punctuation and
    spaces dropped): robust to segmentation and word order, the usual basis of near-duplicate
    detection."""
    flat = _NOT_TEXT.sub("", normalise(text))
    if len(flat) <= n:
        return {flat} if flat else set()
    return {flat[i : i + n] for i in range(len(flat) - n + 1)}


def enumeration(items, language: str | None = None) -> str:
    """Names listed in a sentence of ``language`` (default: the active one): "甲、乙、丙" in
    Chinese, "A, B, C" otherwise."""
    from django.utils.translation import get_language

    language = language or get_language() or "zh-hans"
    return ("、" if language.startswith("zh") else ", ").join(str(i) for i in items)
