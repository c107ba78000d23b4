"""Hotspot clustering: appeals about the same problem at the same place. Pure: no database.

1. **Terms.** ``terms_of(title, description, place)``: jieba words (``suqiu.core.text``) of the
   title (twice: titles say what the problem is) and the first part of the description, without
   stop words, one-character words, bare codes ("a5") and the words of the place itself (the place
   is the block; inside a block its name says nothing about the problem).
2. **Blocks.** Appeals are compared only with appeals of the same place (``Doc.block``: the grid,
   else the place named in the text, else a cell of about 500 m around the point, else the
   area). This is what makes 1.5 M appeals tractable: the work is the sum of the blocks'
   squares, not the square of the whole.
3. **Vectors.** TF-IDF (scikit-learn) over the terms of every appeal of the window, sublinear tf,
   L2-normalised, so a dot product is the cosine similarity.
4. **Clusters without k.** In each block, the pairs with cosine ≥ ``threshold`` are the edges of
   a graph whose connected components are candidate clusters (scipy's ``connected_components``).
   Single linkage can chain unrelated appeals through intermediate ones, so a component whose
   members are on average less similar to its centroid than ``cohesion`` is split again at a
   higher threshold (+0.1, up to 0.9). Components of at least ``min_size`` appeals are hotspots;
   the rest is noise.
5. **Heat** (``heat_of``): see its docstring.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from suqiu.core import text

DESCRIPTION_CHARS = 300  # enough to say what; the rest of a long description is the story
_CODE = re.compile(r"^[a-z]?\d+[a-z]?$|^[a-z]$")
# Words of the way appeals are written rather than of their problem (on top of text.STOPWORDS).
GENERIC = frozenset(
    """
    加快 力度 具体 行动 何时 能否 何时能 什么时候 到底 为何 为啥 怎样 怎么办 规定 政策 工作 落实
    请求 建议 呼吁 恳请 强烈 再次 多次 一直 长期 已经 至今 仍然 还是 依然 没有 不能 不会 可能 应该
    需要 必须 合理 合法 违规 违法 是否 有无 进展 回复 答复 市长 书记 领导 政府 部门 单位 有关 相关
    公司 单位 百姓 老百姓 市民 居民 业主 群众 我们 他们 你们 本人 大家 事情 事宜 一事 此事 这事
    交叉口 路口 门口 附近 旁边 对面 周边 一带 小区 社区 街道 片区 区域 位置 地方 这边 那边
    """.split()
)


def terms_of(title: str, description: str, place_label: str = "") -> list[str]:
    """The words a hotspot is recognised by (see the module docstring)."""
    out = []
    for source in (title, title, (description or "")[:DESCRIPTION_CHARS]):
        for w in text.words(source):
            if len(w) < 2 or _CODE.match(w) or w in GENERIC:
                continue
            if place_label and w in place_label:
                continue
            out.append(w)
    return out


@dataclass(slots=True)
class Doc:
    """One appeal as the clustering sees it (slots: a 30-day window of a megacity is 1.5 M of
    these). ``terms`` is the space-separated string ``terms_of`` gives, as stored; the title is
    filled in only for the hotspots' representatives."""

    id: int
    block: str
    terms: str
    created_at: datetime
    title: str = ""
    place_label: str = ""
    reporter: str = ""  # whoever reported it ("" unknown: counts as a distinct reporter)
    support_votes: int = 0
    oppose_votes: int = 0


@dataclass
class Cluster:
    members: list[Doc]
    representative: Doc
    place_label: str
    top_terms: list[str]
    cohesion: float
    heat: float = 0.0
    parts: dict = field(default_factory=dict)
    similarity: dict[int, float] = field(default_factory=dict)  # member id → cosine to centroid

    @property
    def first_seen(self) -> datetime:
        return min(d.created_at for d in self.members)

    @property
    def last_seen(self) -> datetime:
        return max(d.created_at for d in self.members)


def heat_of(members: Sequence[Doc], *, window_start: datetime, window_end: datetime) -> dict:
    """The heat score of a cluster and its parts, for a window of time.

    ``heat = 10·log2(1 + reporters) + 4·log2(1 + repeats) + 5·log2(1 + votes)
    + 8·clamp(log2((recent + 1) / (earlier + 1)), −1, 2) + 2·log2(1 + span days)``

    - reporters: distinct people who reported it (an unknown reporter counts as one each);
      repeats: the other appeals (the same people again) count, but less;
    - votes: support plus oppose votes of the members, where the channel has them (both mean
      that people care);
    - growth: appeals in the recent half of the window against the earlier half, so a problem
      that is getting worse ranks above one that is fading;
    - span: days from the first to the last appeal; a problem that persists is a hotspot
      even when it is not growing.
    """
    reporters = set()
    anonymous = 0
    for d in members:
        if d.reporter:
            reporters.add(d.reporter)
        else:
            anonymous += 1
    n_reporters = len(reporters) + anonymous
    repeats = len(members) - n_reporters
    votes = sum(d.support_votes + d.oppose_votes for d in members)
    middle = window_start + (window_end - window_start) / 2
    recent = sum(1 for d in members if d.created_at >= middle)
    earlier = len(members) - recent
    growth = math.log2((recent + 1) / (earlier + 1))
    first = min(d.created_at for d in members)
    last = max(d.created_at for d in members)
    span_days = (last - first).total_seconds() / 86400
    heat = (
        10 * math.log2(1 + n_reporters)
        + 4 * math.log2(1 + repeats)
        + 5 * math.log2(1 + votes)
        + 8 * max(-1.0, min(2.0, growth))
        + 2 * math.log2(1 + span_days)
    )
    return {
        "heat": round(heat, 2),
        "appeals": len(members),
        "reporters": n_reporters,
        "votes": votes,
        "recent": recent,
        "earlier": earlier,
        "growth": round(growth, 3),
        "span_days": round(span_days, 2),
    }


def vectorise(docs: Sequence[Doc]):
    """TF-IDF rows (CSR, L2-normalised) of the docs' terms, and the vocabulary (index → term)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Words in more than a fifth of a large window say nothing about one problem; a small
    # window (a street's week) is too small to tell.
    vectoriser = TfidfVectorizer(
        analyzer=str.split,
        sublinear_tf=True,
        min_df=2,
        max_df=0.2 if len(docs) >= 1000 else 1.0,
        dtype=np.float32,
    )
    matrix = vectoriser.fit_transform([d.terms for d in docs])
    return matrix.tocsr(), vectoriser.get_feature_names_out()


def _components(sub, threshold: float):
    """Connected components of the block's similarity graph at ``threshold``."""
    from scipy.sparse import vstack
    from scipy.sparse.csgraph import connected_components

    n = sub.shape[0]
    subt = sub.T.tocsc()
    chunk = 2000  # rows of the similarity matrix at a time: memory stays bounded in big blocks
    pieces = []
    for start in range(0, n, chunk):
        sims = (sub[start : start + chunk] @ subt).tocsr()
        sims.data = (sims.data >= threshold).astype(np.int8)
        sims.eliminate_zeros()
        pieces.append(sims)
    graph = pieces[0] if len(pieces) == 1 else vstack(pieces, format="csr")
    return connected_components(graph, directed=False)


def _centroid_sims(sub, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    part = sub[idx]
    centroid = np.asarray(part.mean(axis=0)).ravel()
    norm = np.linalg.norm(centroid)
    if norm:
        centroid = centroid / norm
    return part @ centroid, centroid


def _split(sub, idx: np.ndarray, threshold: float, cohesion: float, min_size: int):
    """Yield (indices, cohesion, centroid) of coherent components of ``idx`` (block-local)."""
    n_comp, labels = _components(sub if len(idx) == sub.shape[0] else sub[idx], threshold)
    for label in range(n_comp):
        part = idx[labels == label]
        if len(part) < min_size:
            continue
        sims, centroid = _centroid_sims(sub, part)
        mean = float(sims.mean())
        if mean < cohesion and threshold < 0.85:
            yield from _split(sub, part, threshold + 0.1, cohesion, min_size)
        else:
            yield part, mean, centroid


def _merge(sub, parts: list, merge: float):
    """Join the block's clusters whose centroids are at least ``merge`` alike (one problem
    told in two vocabularies: "油烟扰民" and "噪音扰民" of the same shops)."""
    if len(parts) < 2 or merge >= 1:
        return parts
    from scipy.sparse.csgraph import connected_components

    centroids = np.vstack([c for _p, _m, c in parts])
    n_comp, labels = connected_components(centroids @ centroids.T >= merge, directed=False)
    if n_comp == len(parts):
        return parts
    out = []
    for label in range(n_comp):
        group = np.concatenate(
            [p for (p, _m, _c), lab in zip(parts, labels, strict=True) if lab == label]
        )
        sims, centroid = _centroid_sims(sub, group)
        out.append((group, float(sims.mean()), centroid))
    return out


def cluster(
    docs: Sequence[Doc],
    *,
    window_start: datetime,
    window_end: datetime,
    threshold: float = 0.3,
    cohesion: float = 0.4,
    min_size: int = 3,
    min_reporters: int = 2,
    merge: float = 0.5,
) -> list[Cluster]:
    """The hotspots among ``docs``, hottest first (see the module docstring)."""
    if len(docs) < min_size:
        return []
    # In block order, so that each block is a slice of rows of one matrix.
    docs = sorted(docs, key=lambda d: d.block)
    matrix, vocabulary = vectorise(docs)
    out: list[Cluster] = []
    start = 0
    while start < len(docs):
        end = start + 1
        block = docs[start].block
        while end < len(docs) and docs[end].block == block:
            end += 1
        first, start = start, end
        if end - first < min_size:
            continue
        idx = np.arange(first, end)
        sub = matrix[first:end]
        found = list(_split(sub, np.arange(len(idx)), threshold, cohesion, min_size))
        for part, mean, centroid in _merge(sub, found, merge):
            chosen = [docs[i] for i in idx[part]]
            sims = np.asarray(sub[part] @ centroid).ravel()
            representative = chosen[int(np.argmax(sims))]
            nonzero = np.flatnonzero(centroid)
            top = [vocabulary[j] for j in nonzero[np.argsort(-centroid[nonzero])[:5]]]
            # The place most members name, when at least half of them name it.
            labels = Counter(d.place_label for d in chosen if d.place_label)
            place, named = labels.most_common(1)[0] if labels else ("", 0)
            place = place if named * 2 >= len(chosen) else ""
            heat = heat_of(chosen, window_start=window_start, window_end=window_end)
            if heat["reporters"] < min_reporters:
                continue  # one person writing again and again is a case, not a hotspot
            out.append(
                Cluster(
                    members=sorted(chosen, key=lambda d: (d.created_at, d.id)),
                    representative=representative,
                    place_label=place,
                    top_terms=top,
                    cohesion=round(mean, 3),
                    heat=heat["heat"],
                    parts=heat,
                    similarity={
                        d.id: round(float(s), 4) for d, s in zip(chosen, sims, strict=True)
                    },
                )
            )
    out.sort(key=lambda c: (-c.heat, -len(c.members), c.members[0].id))
    return out


def blocks_summary(docs: Iterable[Doc]) -> dict:
    """Sizes of the blocks (for benchmarks and logs)."""
    sizes = Counter(d.block for d in docs)
    values = sorted(sizes.values())
    return {
        "blocks": len(values),
        "largest": values[-1] if values else 0,
        "median": values[len(values) // 2] if values else 0,
    }
