"""Hotspot clustering: appeals about the same problem at the same place. Pure: no database.

1. **Terms.** ``terms_of(title, description, place)``: jieba words (``suqiu.core.text``) of the
   title (twice: titles say what the problem is) and the first part of the description, without
   stop words, one-character words, bare codes ("a5"), words of how appeals are written or taken
   in ("来电", "巡查") and the words of the place itself (the place is the block; inside a block
   its name says nothing about the problem).
2. **Blocks.** Appeals are compared only with appeals of the same place (``Doc.block``: the grid,
   else the place named in the text, else a cell of about 500 m around the point, else the
   area). This is what makes 1.5 M appeals tractable: the work is the sum of the blocks'
   squares, not the square of the whole.
3. **Vectors.** TF-IDF (scikit-learn) over the terms of every appeal of the window, sublinear tf,
   L2-normalised, so a dot product is the cosine similarity.
4. **Clusters without k.** In each block, the pairs with cosine ≥ ``threshold`` are the edges of
   a graph whose connected components are candidate clusters (scipy's ``connected_components``).
   A pair is an edge only when the two also share at least ``MIN_SHARED`` words (or every word
   of the one with fewer): one word in common ("漏水" of a hydrant and of a roof tank, "满溢"
   of a bin and of a septic tank) does not make one problem. Categories play no part: tried
   (2026-12-06) as "appeals of two categories must be 0.1 or 0.2 more alike", it split the
   real top hotspots of ``messages_with_votes.csv`` once the router had categorised them
   (丽发新城's 搅拌站 is 城乡建设 in one message and 环境保护 in the next; 伊景园滨河苑's car
   parks 城乡建设 or 商贸旅游): 74 hotspots became 67 and the two largest (46 and 42 appeals)
   no longer came out whole.
   Single linkage can chain unrelated appeals through intermediate ones, so a component whose
   members are on average less similar to its centroid than ``cohesion`` is split again at a
   higher threshold (+0.1, up to 0.9). Components of at least ``min_size`` appeals are hotspots;
   the rest is noise.
5. **Across blocks, by the place named.** A report made on the spot is blocked by its grid, a
   phone call without a point by the place it names: one problem at "丽发新城" told both ways
   would be two hotspots, each weaker than the whole. So a cluster compared by place (``p:``)
   joins the grid cluster most alike to it, at ``merge``, whose members mostly name the same
   estate, community or village (``Doc.place_key``; a ~500 m cell's appeals name no such place,
   else they would be in its block); and appeals left out
   in their own block join a cluster of the other kind that their place is the majority of,
   when they are at least ``max(threshold, cohesion)`` alike to its centroid. Two grids' clusters
   are never joined to each other (a grid is where a report was made; estates of one name in
   two districts are two places), and a place's cluster joins one grid's at most, or takes in
   the left-out reports of one grid (the one most of them come from). Such a hotspot is placed by
   its grid and that place, however its members spell it ("丽景花园", "丽景花园小区").
6. **Heat** (``heat_of``): see its docstring.
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
GENERIC = (
    frozenset(
        """
    加快 力度 具体 行动 何时 能否 何时能 什么时候 到底 为何 为啥 怎样 怎么办 规定 政策 工作 落实
    请求 建议 呼吁 恳请 强烈 再次 多次 一直 长期 已经 至今 仍然 还是 依然 没有 不能 不会 可能 应该
    需要 必须 合理 合法 违规 违法 是否 有无 进展 回复 答复 市长 书记 领导 政府 部门 单位 有关 相关
    公司 单位 百姓 老百姓 市民 居民 业主 群众 我们 他们 你们 本人 大家 事情 事宜 一事 此事 这事
    交叉口 路口 门口 附近 旁边 对面 周边 一带 小区 社区 街道 片区 区域 位置 地方 这边 那边
    沿线 沿街 沿途 两侧 一侧 两旁 周围 路段 一楼 二楼 很多 很大 特别 十分 意见
    """.split()
    )
    | text.INTAKE_WORDS
)
DEFAULT_THRESHOLD = 0.3  # cosine similarity that links two appeals
MIN_SHARED = 2  # words two appeals must share to be linked


def terms_of(title: str, description: str, place_label: str = "") -> list[str]:
    """The words a hotspot is recognised by (see the module docstring)."""
    out = []
    title_words = _joined(text.words(title))
    for words in (title_words, title_words, text.words((description or "")[:DESCRIPTION_CHARS])):
        for w in words:
            if len(w) < 2 or _CODE.match(w) or w in GENERIC:
                continue
            if place_label and w in place_label:
                continue
            out.append(w)
    return out


_ADMIN_CHARS = frozenset("省市区县")


def _joined(words: list[str]) -> list[str]:
    """The words with each pair of single Chinese characters between words joined into one: the
    segmenter cuts a word it does not know into characters ("58车贷" → 58 / 车 / 贷), which
    would otherwise be dropped as one-character words. Longer runs are mostly not one word
    ("距 / 渝 / 长 / 厦"). Used on titles, which are short and say what the problem is."""
    out: list[str] = []
    run: list[str] = []
    for w in [*words, ""]:
        if len(w) == 1 and "\u3400" <= w <= "\u9fff" and w not in _ADMIN_CHARS:
            run.append(w)
            continue
        if len(run) == 2:
            out.append("".join(run))
        run = []
        if w:
            out.append(w)
    return out


# Parts of speech (jieba's tags) that say nothing of a problem on their own: locatives (之间,
# 里面), numerals and measures (十点, 左右), adverbs (特别), pronouns, conjunctions,
# prepositions, particles, interjections.
_NOT_WHAT = frozenset("f m q d r c p u e y o".split())


def _says_what(word: str) -> bool:
    """Whether a hotspot's keyword says something of what the problem is: any of its pieces is
    not of a part of speech in ``_NOT_WHAT`` ("58车贷" is: 车贷 is a noun; "太多" is not)."""
    from jieba import posseg

    text.segmenter()  # jieba loaded the one way (its start-up chatter silenced), posseg shares it
    return any(p.flag[:1] not in _NOT_WHAT for p in posseg.lcut(word))


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
    # The estate, community or village the appeal names, canonical over the window ("" none):
    # what joins a grid's reports to the phone reports naming the same place (``_join_places``).
    place_key: str = ""
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
    places: list[str] = field(default_factory=list)  # the places members name, commonest first
    # Those that follow the title when no place speaks for most members (``other_places``).
    other_places: list[str] = field(default_factory=list)
    block: str = ""  # the block it was found in: a grid's when a grid's reports are among them

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
    try:
        matrix = vectoriser.fit_transform([d.terms for d in docs])
    except ValueError:  # no word in two appeals (a few appeals, each of its own): no hotspot
        from scipy.sparse import csr_matrix

        return csr_matrix((len(docs), 0), dtype=np.float32), np.array([], dtype=object)
    return matrix.tocsr(), vectoriser.get_feature_names_out()


def _shared_words(rows_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """How many words each pair (rows[k], cols[k]) of the TF-IDF rows shares (the weights are
    positive: their elementwise product is nonzero exactly on the shared words)."""
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    return rows_matrix[rows].multiply(rows_matrix[cols]).tocsr().getnnz(axis=1)


def _components(sub, terms: np.ndarray, heaviest: np.ndarray, threshold: float):
    """Connected components of the block's graph: pairs alike at ``threshold`` that share
    enough words (``terms``: each row's stored terms; ``heaviest``: its largest weight)."""
    from scipy.sparse import vstack
    from scipy.sparse.csgraph import connected_components

    n = sub.shape[0]
    subt = sub.T.tocsc()
    chunk = 2000  # rows of the similarity matrix at a time: memory stays bounded in big blocks
    pieces = []
    for start in range(0, n, chunk):
        sims = (sub[start : start + chunk] @ subt).tocsr()
        sims.data[sims.data < threshold] = 0
        sims.eliminate_zeros()
        # A pair must share MIN_SHARED words, or all the words of the one with fewer ("路灯坏了"
        # five times over is one problem). Two rows sharing k words are at most k times the
        # product of their largest weights alike: only pairs that could be as alike as
        # ``threshold`` with fewer words than they must share need a count.
        r = np.repeat(np.arange(start, start + sims.shape[0]), np.diff(sims.indptr))
        c = sims.indices
        doubt = np.flatnonzero(
            ((MIN_SHARED - 1) * heaviest[r] * heaviest[c] >= threshold) & (r != c)
        )
        if len(doubt):
            rr, cc = r[doubt], c[doubt]
            # Counted on the text, not the vectors: a word nobody else used is still a word.
            n_words = {i: len(set(terms[i].split())) for i in np.unique(np.r_[rr, cc])}
            need = np.minimum(
                MIN_SHARED, [min(n_words[a], n_words[b]) for a, b in zip(rr, cc, strict=True)]
            )
            sims.data[doubt[_shared_words(sub, rr, cc) < need]] = 0
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


def _split(sub, terms, heaviest, idx, threshold: float, cohesion: float, min_size: int):
    """Yield (indices, cohesion, centroid) of coherent components of ``idx`` (block-local)."""
    if len(idx) == sub.shape[0]:
        n_comp, labels = _components(sub, terms, heaviest, threshold)
    else:
        n_comp, labels = _components(sub[idx], terms[idx], heaviest[idx], threshold)
    for label in range(n_comp):
        part = idx[labels == label]
        if len(part) < min_size:
            continue
        sims, centroid = _centroid_sims(sub, part)
        mean = float(sims.mean())
        if mean < cohesion and threshold < 0.85:
            yield from _split(sub, terms, heaviest, part, threshold + 0.1, cohesion, min_size)
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


def _place_of(docs: Sequence[Doc], part: np.ndarray) -> str:
    """The place key more than half of the part's appeals name ("" none)."""
    keys = Counter(docs[i].place_key for i in part if docs[i].place_key)
    if not keys:
        return ""
    key, n = keys.most_common(1)[0]
    return key if n * 2 > len(part) else ""


def _by_point(block: str) -> bool:
    """Whether a block is of reports with a point (a grid or a cell), not of a place named."""
    return block.startswith(("g:", "c:"))


def _centroids(matrix, parts: list[np.ndarray]):
    """The unit centroids of several parts' rows, one sparse row each, in one sparse product (a
    window's thousands of clusters would otherwise each make a vocabulary-wide dense vector)."""
    from scipy.sparse import csr_matrix
    from sklearn.preprocessing import normalize

    sizes = np.array([len(p) for p in parts])
    indicator = csr_matrix(
        (
            np.repeat(1.0 / sizes, sizes).astype(np.float32),
            np.concatenate(parts),
            np.r_[0, np.cumsum(sizes)],
        ),
        shape=(len(parts), matrix.shape[0]),
    )
    return normalize(indicator @ matrix)


def _by_place(block: str) -> bool:
    """Whether a block is of appeals placed by the place their text names (no point)."""
    return block.startswith("p:")


def _join_places(matrix, docs: Sequence[Doc], parts: list, *, merge: float, floor: float) -> list:
    """Join each place's clusters (``p:`` blocks) with the grid cluster most alike to it whose
    appeals mostly name the same place, and let the appeals each block left out join a cluster
    of the other kind at their place (see the module docstring, step 5). ``parts`` and the
    result: (doc indices, cohesion) per cluster."""

    keyed: dict[str, list[int]] = {}
    for n, (part, _mean) in enumerate(parts):
        key = _place_of(docs, part)
        if key:
            keyed.setdefault(key, []).append(n)
    if not keyed:
        return parts
    joined_to = list(range(len(parts)))  # each part's grid part when it joins one, else itself
    for ns in keyed.values():
        spots = [n for n in ns if _by_point(docs[parts[n][0][0]].block)]
        named = [n for n in ns if _by_place(docs[parts[n][0][0]].block)]
        if not spots or not named:
            continue
        sims = (
            _centroids(matrix, [parts[n][0] for n in named])
            @ _centroids(matrix, [parts[n][0] for n in spots]).T
        ).toarray()
        for row, n in enumerate(named):
            best = int(np.argmax(sims[row]))
            if sims[row, best] >= merge:
                joined_to[n] = spots[best]
    groups: dict[int, list[int]] = {}
    for n, target in enumerate(joined_to):
        groups.setdefault(target, []).append(n)
    out = []
    for ns in groups.values():
        if len(ns) == 1:
            out.append(parts[ns[0]])
            continue
        group = np.concatenate([parts[n][0] for n in ns])
        out.append((group, float(_centroid_sims(matrix, group)[0].mean())))
    # Appeals left out in their block join a cluster of the other kind at their place: a part
    # with reports made on the spot takes in the phone reports naming its place, a place's part
    # the reports made on the spot that name it (never one grid's reports into another grid's
    # cluster). (place, by point) → the parts that take such appeals in.
    targets: dict[tuple[str, bool], list[int]] = {}
    for n, (part, _mean) in enumerate(out):
        key = _place_of(docs, part)
        if key:
            has_point = any(_by_point(docs[i].block) for i in part)
            targets.setdefault((key, not has_point), []).append(n)
    if not targets:
        return out
    taken = np.zeros(len(docs), dtype=bool)
    for part, _mean in out:
        taken[part] = True
    free: dict[tuple[str, bool], list[int]] = {}
    for i, d in enumerate(docs):
        if d.place_key and not taken[i] and (_by_point(d.block) or _by_place(d.block)):
            k = (d.place_key, _by_point(d.block))
            if k in targets:
                free.setdefault(k, []).append(i)
    extra: dict[int, list[int]] = {}
    for k, rows in free.items():
        ns = targets[k]
        sims = (matrix[rows] @ _centroids(matrix, [out[n][0] for n in ns]).T).toarray()
        best = sims.argmax(axis=1)
        for row, b, s in zip(rows, best, sims[np.arange(len(rows)), best], strict=True):
            if s >= floor:
                extra.setdefault(ns[b], []).append(row)
    for n, rows in extra.items():
        if _by_point(docs[rows[0]].block):
            # Reports made on the spot that a place's cluster takes in: of one grid (or cell),
            # the one most of them come from, as a place's cluster joins one grid's at most.
            blocks = Counter(docs[i].block for i in rows)
            spot = max(blocks, key=lambda b: (blocks[b], b))
            rows = [i for i in rows if docs[i].block == spot]
        group = np.concatenate([out[n][0], rows])
        out[n] = (group, float(_centroid_sims(matrix, group)[0].mean()))
    return out


def other_places(title: str, own: str, places: Sequence[str]) -> list[str]:
    """The places a hotspot's members name besides the title's own (``own``) and those its
    title names already, commonest first (``places`` is in that order)."""
    return [p for p in dict.fromkeys(places) if p and p != own and p not in title]


def title_with_places(
    title: str, own: str, places: Sequence[str], most: int = 3, *, chinese: bool | None = None
) -> str:
    """The title of a hotspot whose members name several places and none for most of them (a
    grid's "垃圾桶满溢" at three estates): the representative's title and, after it, the other
    places the members name, commonest first ("龙田新村垃圾桶满溢（还有龙田花园、龙兴大厦）").
    ``own`` is the place the title itself names. ``chinese``: the reader's language (None: the
    title's script decides)."""
    others = other_places(title, own, places)
    if not others:
        return title
    shown, more = others[:most], len(others) - most
    if chinese is None:
        chinese = any("\u3400" <= ch <= "\u9fff" for ch in title)
    if chinese:
        return f"{title}（还有{'、'.join(shown)}{f'等{len(others)}处' if more > 0 else ''}）"
    return f"{title} (also {', '.join(shown)}{f' and {more} more' if more > 0 else ''})"


def cluster(
    docs: Sequence[Doc],
    *,
    window_start: datetime,
    window_end: datetime,
    threshold: float = DEFAULT_THRESHOLD,
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
    if not matrix.shape[1]:
        return []
    heaviest = matrix.max(axis=1).toarray().ravel()  # each row's largest weight
    parts: list[tuple[np.ndarray, float]] = []  # (doc indices, cohesion) of each cluster found
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
        terms = np.array([docs[i].terms for i in idx], dtype=object)
        found = list(
            _split(
                sub, terms, heaviest[first:end], np.arange(len(idx)), threshold, cohesion, min_size
            )
        )
        parts.extend((idx[part], mean) for part, mean, _centroid in _merge(sub, found, merge))
    parts = _join_places(matrix, docs, parts, merge=merge, floor=max(threshold, cohesion))
    out: list[Cluster] = []
    for part, mean in parts:
        chosen = [docs[i] for i in part]
        sims, centroid = _centroid_sims(matrix, part)
        sims = np.asarray(sims).ravel()
        nonzero = np.flatnonzero(centroid)
        ranked = (vocabulary[j] for j in nonzero[np.argsort(-centroid[nonzero])[:20]])
        top = [w for w in ranked if _says_what(w)][:5]
        # The place most members name, when more than half of them name it (a grid's
        # "物业乱收停车费" at three estates is the grid's, not one estate's); the
        # representative is then a member that names it, so title and place agree.
        labels = Counter(d.place_label for d in chosen if d.place_label)
        place, named = labels.most_common(1)[0] if labels else ("", 0)
        place = place if named * 2 > len(chosen) else ""
        key = _place_of(docs, part)
        if key and any(_by_point(d.block) for d in chosen):
            # A grid's hotspot whose members mostly name one place, however they spell it
            # ("丽景花园", "A4区丽景花园小区": grid reports and phone reports joined): that place,
            # in the spelling most of them use, else by its key.
            spelled = Counter(d.place_label for d in chosen if d.place_key == key)
            label, n = spelled.most_common(1)[0]
            place = label if label and n * 2 > spelled.total() else key
            eligible = [
                sim if d.place_key == key else -2.0 for d, sim in zip(chosen, sims, strict=True)
            ]
        else:
            eligible = [
                sim if not place or d.place_label == place else -2.0
                for d, sim in zip(chosen, sims, strict=True)
            ]
        representative = chosen[int(np.argmax(eligible))]
        heat = heat_of(chosen, window_start=window_start, window_end=window_end)
        if heat["reporters"] < min_reporters:
            continue  # one person writing again and again is a case, not a hotspot
        blocks = Counter(d.block for d in chosen)
        out.append(
            Cluster(
                members=sorted(chosen, key=lambda d: (d.created_at, d.id)),
                representative=representative,
                place_label=place,
                top_terms=top,
                cohesion=round(mean, 3),
                heat=heat["heat"],
                parts=heat,
                similarity={d.id: round(float(s), 4) for d, s in zip(chosen, sims, strict=True)},
                places=[p for p, _n in labels.most_common()],
                # A grid's (or cell's) when one is among them: the spot is where it is.
                block=max(blocks, key=lambda b: (not b.startswith("p:"), blocks[b], b)),
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
