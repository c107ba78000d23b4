"""The routing model: learns an appeal's category (一级标签) from labelled appeal history.

Pure Python + scikit-learn; no Django in here (``suqiu triage train`` / ``evaluate`` wrap it).

Text → features
    ``clean`` normalises a text (NFKC: full-width → half-width, every run of whitespace → one
    space, spaces next to non-ASCII characters dropped so that ``original`` and
    ``whitespace_stripped`` copies of one message read the same, digit runs → ``0``, lower case).
    Four TF-IDF blocks (sublinear tf) are taken of the cleaned text: character 1–3-grams (works
    for Chinese and, on ASCII, as sub-word features for English), jieba words (jieba cuts Chinese
    into words and keeps ASCII words whole, so English is tokenised too; ``SEGMENTER``: jieba's
    dictionary and algorithm as compiled by ``rjieba``), character 1–3-grams of
    the head (first 80 characters) and of the lead (the text up to its first 。, i.e. the title
    when there is one, at most 60 characters).

Model
    Chosen by 5-fold cross-validation on the labelled dev set (``bench/triage_cv.py`` has the
    experiments and their figures): a stack of eight linear base models (``DEFAULT_PARAMS
    ["members"]``): NB-SVMs (one-vs-rest ``LinearSVC``, C=0.5, each label's SVM on the features
    scaled by their naive-Bayes log-count ratio for that label; Wang & Manning 2012; the scaling
    folds into the weights) on char+words, on chars, on words, on the head and on the lead; a
    plain one-vs-rest ``LinearSVC`` (C=1) and a modified-Huber ``SGDClassifier`` on char+words;
    multinomial naive Bayes on char+words (its log-probabilities). A multinomial logistic
    regression (C=0.03) on their standardised out-of-fold scores (internal CV folds, so that it
    learns how reliable unseen scores are) gives the label probabilities. The confidence (the
    top probability) is the geometric mean of the stack's probability of its top label and the
    probability of that label from the two char+words SVMs (NB-SVM and plain), each calibrated by
    Platt scaling per label on its out-of-fold scores, normalised and averaged (their agreement
    ranks confidence better for coverage); the rest of the probability is shared by the other
    labels in proportion to the stack's. Per-label thresholds (``Router.thresholds``) are the
    lowest confidences at which the cross-validated precision of that label's predictions still
    reaches ``target_precision``; the cross-validation is the fit's own internal folds (see
    ``_Model._out_of_fold_proba``), so one training is one fit. With many labels the feature
    blocks are cut to their most frequent terms to keep the weights within ``max_weights``.
    The stack is linear in the members' scores, so the trained
    model is kept as plain arrays (one weight matrix: the folded stack, the naive-Bayes block for
    its log-normalisation and the two confidence SVMs side by side; Platt parameters): a
    prediction is one sparse product.

Words come from rjieba (jieba-rs, the same dictionary and algorithm as jieba, compiled): it cuts
a text about 17 times faster than the pure-Python jieba, which took half of a prediction's time
(2.5 ms of a 400-character message on a slow core) and 17 s of a training on 6,000 texts. It
cuts the dev set's texts as jieba does but for 2 words in 1,000 (digit runs joined by "-", a few
unknown words). A model remembers the segmenter it was trained with (``_Model.segmenter``):
models saved before it existed keep reading with jieba.
"""

from __future__ import annotations

import itertools
import json
import os
import pickle
import platform
import re
import struct
import threading
import time
import unicodedata
import warnings
from collections import Counter

import numpy as np
import rjieba
import scipy
import sklearn
from joblib import Parallel, delayed
from scipy import sparse
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from suqiu.core import text as core_text

SEGMENTER = "rjieba"  # what new models cut words with; see the module docstring

ALGORITHM = "tfidf-char13+jieba-words+head+lead/8-members+stacked-lr+platt-agreement"
FORMAT = 2
MAGIC = b"SUQIU-ROUTER\n"
PRECISIONS = (0.95, 0.98, 0.99)
NEVER = 1.01  # threshold of a label whose predictions never reach the target precision
# No threshold below this: the model acts alone only on what it holds more likely right than
# wrong. Cross-validation can put a category's threshold far lower when all of its few dozen
# predictions were right however unsure (texts written from templates: the demo's property
# complaints reached 0.21), and a new kind of text then goes wherever a 0.3 guess points.
MIN_AUTO_CONFIDENCE = 0.5
_ABSENT = -(1 << 40)  # the column of a term not in the vocabulary (negative after any offset)

# ---------------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")
_SPACE_BY_NON_ASCII = re.compile(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])")
_DIGITS = re.compile(r"\d+")


def clean(text: str) -> str:
    """Normalise one text for the features (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _WS.sub(" ", text).strip()
    text = _SPACE_BY_NON_ASCII.sub("", text)
    text = _DIGITS.sub("0", text)
    return text.lower()


def text_of(title: str, description: str) -> str:
    """How an appeal's title and description are combined into the text the model reads."""
    title = (title or "").strip()
    description = (description or "").strip()
    if title and description:
        return f"{title}。{description}"
    return title or description


def words(cleaned: str, cut_with: str = SEGMENTER) -> str:
    """jieba words of a cleaned text, joined by single spaces (punctuation and spaces dropped).
    ``cut_with``: "rjieba" (new models) or "jieba" (models saved before rjieba was used)."""
    if cut_with == "rjieba":
        tokens = rjieba.cut(cleaned)
    elif cut_with == "jieba":
        tokens = core_text.segmenter().lcut(cleaned)
    else:
        raise ValueError(f"Unknown segmenter {cut_with!r}.")
    return " ".join(w for w in tokens if w.strip() and (len(w) > 1 or not _is_punct(w)))


def _is_punct(token: str) -> bool:
    return len(token) == 1 and unicodedata.category(token).startswith("P")


HEAD_CHARS = 80  # the "head" view: the first characters of the text
LEAD_CHARS = 60  # the "lead" view: the text up to its first 。 (the title, when there is one)


def _views(
    texts: list[str], cut_with: str = SEGMENTER
) -> tuple[list[str], list[str], list[str], list[str]]:
    """The four texts the features are taken of: cleaned text, its jieba words, its head and its
    lead (see ``DEFAULT_PARAMS``)."""
    cleaned = [clean(t) for t in texts]
    return (
        cleaned,
        [words(c, cut_with) for c in cleaned],
        [c[:HEAD_CHARS] for c in cleaned],
        [c.split("。", 1)[0][:LEAD_CHARS] for c in cleaned],
    )


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------


def jobs() -> int:
    """Threads a training uses: ``SUQIU_TRIAGE_JOBS``, else the CPUs this process may run on."""
    configured = os.environ.get("SUQIU_TRIAGE_JOBS", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(
                f"SUQIU_TRIAGE_JOBS must be a whole number of threads, not {configured!r}."
            ) from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# Feature blocks, in column order: char n-grams of the text, its jieba words, char n-grams of its
# head, char n-grams of its lead.
BLOCKS = ("char", "word", "head", "lead")

DEFAULT_PARAMS = {
    "char_ngram_range": (1, 3),
    "char_min_df": 2,
    "word_min_df": 1,
    "nb_alpha": 0.5,
    # The base models: (name, kind, feature blocks, C / alpha). "nbsvm" = NB-SVM (one-vs-rest
    # LinearSVC on NB-scaled features), "svm" = plain one-vs-rest LinearSVC, "mnb" = multinomial
    # naive Bayes (its log-probabilities), "huber" = SGDClassifier(loss="modified_huber").
    "members": (
        ("nbsvm", "nbsvm", ("char", "word"), 0.5),
        ("svm", "svm", ("char", "word"), 1.0),
        ("nbsvm-char", "nbsvm", ("char",), 0.5),
        ("nbsvm-word", "nbsvm", ("word",), 0.5),
        ("huber", "huber", ("char", "word"), 2e-5),
        ("nbsvm-head", "nbsvm", ("head",), 0.5),
        ("mnb", "mnb", ("char", "word"), 0.05),
        ("nbsvm-lead", "nbsvm", ("lead",), 0.5),
    ),
    "stack": "multinomial-logistic-regression-on-standardised-oof-member-scores",
    "stack_C": 0.03,
    # The confidence members: Platt per label on their OOF scores, probabilities averaged.
    "confidence_members": ("nbsvm", "svm"),
    "calibration_C": 1e4,
    "calibration_folds": 5,
    # At most this many weights in the saved model (float32: 4 bytes each; 128 MB); see
    # ``_Model._within_budget``. 7 categories of 6,187 dev texts need about 17 million.
    "max_weights": 32_000_000,
}


class _Model:
    """Vectorisers + stacked classifier; ``proba(views)`` gives class probabilities."""

    # The words of the texts were cut with this (``words``). A class attribute for the models
    # pickled before it was recorded: they were trained on jieba's words.
    segmenter = "jieba"

    def __init__(self, params: dict, seed: int):
        self.params = params
        self.seed = seed
        self.segmenter = SEGMENTER

    def _vectorisers(self, n: int):
        p = self.params
        char_min_df = p["char_min_df"] if n >= 50 else 1

        def chars():
            return TfidfVectorizer(
                analyzer="char",
                ngram_range=tuple(p["char_ngram_range"]),
                min_df=char_min_df,
                sublinear_tf=True,
                lowercase=False,
                dtype=np.float32,
            )

        word = TfidfVectorizer(
            analyzer="word",
            token_pattern=r"\S+",
            min_df=p["word_min_df"],
            sublinear_tf=True,
            lowercase=False,
            dtype=np.float32,
        )
        return [chars(), word, chars(), chars()]

    def fit(self, views, labels: np.ndarray, progress=None, out_of_fold=True) -> _Model:
        """Fit on texts' views and labels. With ``out_of_fold``, ``oof_proba_`` holds the
        training rows' cross-validated probabilities (None without internal folds).
        ``progress(done, total)`` is called, from the fitting threads, as each fit ends."""
        self.vecs = self._vectorisers(len(views[0]))
        blocks = []
        for vec, texts in zip(self.vecs, views, strict=True):
            try:
                blocks.append(vec.fit_transform(texts))
            except ValueError:  # empty vocabulary (e.g. texts of punctuation only): no columns
                vec.vocabulary_, vec.idf_ = {}, np.zeros(0)
                blocks.append(sparse.csr_matrix((len(texts), 0), dtype=np.float32))
            vec.stop_words_ = None  # the terms cut by min_df: large, only for introspection
        y = np.asarray(labels, dtype=object)
        self.classes_ = np.unique(y)
        blocks = self._within_budget(blocks, views)
        sizes = [b.shape[1] for b in blocks]
        edges = np.concatenate([[0], np.cumsum(sizes)])
        self.block_cols = {
            name: (int(edges[i]), int(edges[i + 1])) for i, name in enumerate(BLOCKS)
        }
        x = sparse.hstack(blocks).tocsr()
        counts = Counter(y.tolist())
        folds = min(self.params["calibration_folds"], min(counts.values()))
        members = self.params["members"]
        n_labels = len(self.classes_)
        # The members fitted on all rows and, for the out-of-fold member scores (from which the
        # stack and the calibration learn how reliable unseen scores are), on each internal
        # fold: independent fits, run side by side on the machine's cores (liblinear and numpy
        # release the GIL, so threads suffice). Each fit is seeded, but liblinear's random
        # number generator is one per process: with several threads the weights may differ
        # in their last digits (about 1e-7) from one training to the next; SUQIU_TRIAGE_JOBS=1
        # makes trainings identical bit for bit.
        everything = np.arange(len(y))
        splits = [(everything, None)]
        if folds >= 2:
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.seed)
            splits += list(cv.split(np.zeros(len(y)), y))

        finished = itertools.count(1)
        lock = threading.Lock()

        def fit_on(tr, te):
            fitted = [self._fit_member(m, x[tr], y[tr]) for m in members]
            if progress is not None:
                with lock:
                    progress(next(finished), len(splits))
            # A fold's members are needed only for the scores of its held-out rows: dropping
            # them at once keeps one set of weights per thread in memory, not one per fold.
            return fitted if te is None else self._member_scores(fitted, x[te])

        results = Parallel(n_jobs=min(jobs(), len(splits)), prefer="threads")(
            delayed(fit_on)(tr, te) for tr, te in splits
        )
        fitted = results[0]
        if folds >= 2:
            scores_ = np.zeros((len(y), n_labels * len(members)))
            for (_tr, te), fold_scores in zip(splits[1:], results[1:], strict=True):
                scores_[te] = fold_scores
        else:  # a label with a single example: no folds; in-sample scores (over-confident)
            scores_ = self._member_scores(fitted, x)
        self._fit_stack(scores_, y)
        self._fit_calibration(scores_, y)
        self._fold(fitted, x.shape[1])
        self.oof_proba_ = None
        if out_of_fold and folds >= 2:
            self.oof_proba_ = self._out_of_fold_proba(scores_, y, splits[1:])
        return self

    def _out_of_fold_proba(self, scores_: np.ndarray, y: np.ndarray, splits) -> np.ndarray:
        """Cross-validated probabilities of the training rows, for the auto-dispatch
        thresholds and the model's figures, at the cost of a few small fits: each internal
        fold's rows are scored by members trained without them (``scores_``), through a stack
        and a calibration fitted on the other folds' out-of-fold scores only. The vocabulary
        and idf are the whole training set's (as they are for the stack's own training).
        Refitting the whole model in an outer cross-validation costs five more trainings and
        gave thresholds no more right on unseen messages (``bench/triage_thresholds.py``)."""
        out = np.zeros((len(y), len(self.classes_)))
        part = _Model(self.params, self.seed)
        part.classes_ = self.classes_
        for tr, te in splits:
            part._fit_stack(scores_[tr], y[tr])
            part._fit_calibration(scores_[tr], y[tr])
            out[te] = part._proba_of_member_scores(scores_[te])
        return out

    def _proba_of_member_scores(self, member_scores: np.ndarray) -> np.ndarray:
        """``proba`` from the members' scores side by side (``_member_scores``) rather than
        from the folded weights: the same numbers (a test checks it)."""
        logits = member_scores @ self.stack_a + self.stack_c
        confidence = member_scores[:, self._confidence_columns()]
        return _combine(logits, confidence, self.cal_a, self.cal_b)

    def _within_budget(self, blocks: list, views) -> list:
        """The feature blocks, cut to the most frequent terms of each when the saved model's
        weight matrix (features × (2 + confidence members) · labels, float32) would otherwise
        pass ``max_weights``: it is what every web and worker process holds, and it grows with
        the categories. Each block keeps the same share of its terms (those in most texts): its
        vectoriser is fitted again with them as its vocabulary (the same idf, each row
        normalised over the terms kept)."""
        columns = (2 + len(self.params["confidence_members"])) * len(self.classes_)
        total = sum(b.shape[1] for b in blocks)
        cap = int(self.params["max_weights"] // columns)
        if total <= cap:
            return blocks
        share = cap / total
        out = []
        for i, (block, texts) in enumerate(zip(blocks, views, strict=True)):
            if block.shape[1] == 0:  # an empty vocabulary stays empty
                out.append(block)
                continue
            vec = self.vecs[i]
            n = max(1, int(block.shape[1] * share))
            df = np.asarray((block > 0).sum(axis=0)).ravel()
            terms = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
            kept = [terms[j] for j in np.sort(np.argsort(-df, kind="stable")[:n])]
            self.vecs[i] = clone(vec).set_params(vocabulary=kept)
            out.append(self.vecs[i].fit_transform(texts))
        return out

    def _fold(self, fitted: list[dict], n_features: int) -> None:
        """Keep the trained model as one weight matrix, so that a prediction is one sparse
        product. The stack is linear in the members' scores, so its logits fold into one weight
        matrix (features × labels) — except for naive Bayes' log-normalisation, a per-text
        ``logsumexp`` of its joint log-likelihood, whose weights are kept in a second block
        with the vector it is multiplied by. The confidence members' weights are the last
        blocks: ``weights`` = [stack | naive Bayes | confidence members...]."""
        k = len(self.classes_)
        names = [m[0] for m in self.params["members"]]
        stack_w = np.zeros((n_features, k))
        stack_b = np.array(self.stack_c, dtype=np.float64)
        nb_w = np.zeros((n_features, k))
        nb_b = np.zeros(k)
        self.lse_coef = np.zeros(k)
        for i, m in enumerate(fitted):
            a = self.stack_a[i * k : (i + 1) * k]  # this member's rows of the stack
            lo, hi = m["cols"]
            stack_w[lo:hi] += m["w"].astype(np.float64) @ a
            stack_b += m["b"] @ a
            if m["log_normalise"]:
                nb_w[lo:hi], nb_b = m["w"], m["b"]
                self.lse_coef -= a.sum(axis=0)
        blocks_w, blocks_b = [stack_w, nb_w], [stack_b, nb_b]
        for name in self.params["confidence_members"]:
            m = fitted[names.index(name)]
            w = np.zeros((n_features, k))
            lo, hi = m["cols"]
            w[lo:hi] = m["w"]
            blocks_w.append(w)
            blocks_b.append(m["b"])
        self.weights = np.ascontiguousarray(np.hstack(blocks_w), dtype=np.float32)
        self.bias = np.concatenate(blocks_b)

    def _cols(self, blocks) -> tuple[int, int]:
        """The column range of consecutive feature blocks."""
        return self.block_cols[blocks[0]][0], self.block_cols[blocks[-1]][1]

    def _fit_member(self, member, x, y) -> dict:
        """One base model, fitted: ``{"cols", "w" (features × labels), "b", "log_normalise"}``."""
        _name, kind, blocks, c = member
        lo, hi = self._cols(blocks)
        xs = x[:, lo:hi]
        k = len(self.classes_)
        w = np.zeros((hi - lo, k))
        b = np.full(k, -1e3)
        present = [i for i, label in enumerate(self.classes_) if (y == label).any()]
        if kind in ("nbsvm", "svm"):
            w, b = self._fit_linear(xs, y, kind == "nbsvm", c)
        elif len(present) < 2:
            b[present] = 0.0  # one label only: it always wins
        elif kind == "mnb":
            nb = MultinomialNB(alpha=c).fit(xs, y)
            cols = [list(self.classes_).index(label) for label in nb.classes_]
            w[:, cols], b[cols] = nb.feature_log_prob_.T, nb.class_log_prior_
        elif kind == "huber":
            sgd = SGDClassifier(
                loss="modified_huber", alpha=c, max_iter=30, tol=None, random_state=self.seed
            ).fit(xs, y)
            cols = [list(self.classes_).index(label) for label in sgd.classes_]
            w[:, cols], b[cols] = _coef(sgd).T, _intercept(sgd)
        else:
            raise ValueError(f"Unknown member kind {kind!r}.")
        return {
            "cols": (lo, hi),
            "w": np.ascontiguousarray(w, dtype=np.float32),
            "b": np.asarray(b, dtype=np.float64),
            "log_normalise": kind == "mnb",
        }

    @staticmethod
    def _member_scores(members: list[dict], x) -> np.ndarray:
        """The members' scores side by side (texts × members·labels)."""
        out = []
        for m in members:
            lo, hi = m["cols"]
            s = np.asarray(x[:, lo:hi] @ m["w"], dtype=np.float64) + m["b"]
            if m["log_normalise"]:  # naive Bayes: joint log-likelihood → log-probability
                s = s - _logsumexp(s)
            out.append(s)
        return np.hstack(out)

    def _fit_linear(
        self, x: sparse.csr_matrix, y: np.ndarray, nb_scaling: bool, c: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """One-vs-rest linear SVMs: (weights of shape features × classes, biases).

        With ``nb_scaling`` (NB-SVM, Wang & Manning 2012) each label's SVM sees the features
        multiplied by their naive-Bayes log-count ratio for that label, ``r = log((p/|p|₁) /
        (q/|q|₁))`` where p (q) sums the binarised features of the label's (the other labels')
        texts plus ``nb_alpha``; as the scaling is linear it folds into the weights (``w·r``),
        so prediction stays one sparse product. Labels absent from ``y`` get zero weights and a
        very low bias.
        """
        p = self.params
        w = np.zeros((x.shape[1], len(self.classes_)))
        b = np.full(len(self.classes_), -1e3)
        if x.shape[1] == 0:
            return w, b
        svm = LinearSVC(C=c, random_state=self.seed)
        if not nb_scaling:
            if len(np.unique(y)) < 2:
                b[list(self.classes_).index(y[0])] = 0.0
                return w, b
            svm.fit(x, y)
            cols = [list(self.classes_).index(c) for c in svm.classes_]
            w[:, cols], b[cols] = _coef(svm).T, _intercept(svm)
            return w, b
        alpha = p["nb_alpha"]
        binary = x.copy()
        binary.data[:] = 1.0
        totals = np.asarray(binary.sum(axis=0)).ravel()
        # liblinear takes float64 with sorted indices: converted once here rather than by
        # scikit-learn for every label's scaled copy (which also sorted each product again).
        x64 = sparse.csr_matrix(x, dtype=np.float64, copy=True)
        x64.sort_indices()
        for k, label in enumerate(self.classes_):
            target = y == label
            if not target.any() or target.all():
                continue
            pos = np.asarray(binary[target].sum(axis=0)).ravel() + alpha
            neg = totals - pos + 2 * alpha
            r = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
            scaled = x64.copy()  # x · diag(r), column j scaled by r[j]
            scaled.data *= r[scaled.indices]
            fitted = clone(svm).fit(scaled, target.astype(int))
            w[:, k] = fitted.coef_.ravel() * r
            b[k] = float(fitted.intercept_[0])
        return w, b

    def _fit_stack(self, scores_: np.ndarray, y: np.ndarray) -> None:
        """The stack: a multinomial logistic regression (C = ``stack_C``, strongly regularised)
        on the standardised out-of-fold scores of all members."""
        mu = scores_.mean(axis=0)
        sd = scores_.std(axis=0)
        sd[sd < 1e-9] = 1.0
        lr = LogisticRegression(C=self.params["stack_C"], max_iter=3000)
        lr.fit((scores_ - mu) / sd, y)
        coef = np.zeros((scores_.shape[1], len(self.classes_)))
        bias = np.full(len(self.classes_), -1e3)
        cols = [list(self.classes_).index(label) for label in lr.classes_]
        if len(lr.classes_) == 2:  # one logit z: softmax of (-z/2, z/2) is sigmoid(z)
            coef[:, cols], bias[cols] = _coef(lr).T / 2, _intercept(lr) / 2
        else:
            coef[:, cols], bias[cols] = _coef(lr).T, _intercept(lr)
        # Fold the standardisation into the coefficients: logits = scores @ a + c.
        self.stack_a = coef / sd[:, None]
        self.stack_c = bias - (mu / sd) @ coef

    def _confidence_columns(self) -> list[int]:
        names = [m[0] for m in self.params["members"]]
        k = len(self.classes_)
        return [
            names.index(name) * k + j
            for name in self.params["confidence_members"]
            for j in range(k)
        ]

    def _fit_calibration(self, scores_: np.ndarray, y: np.ndarray) -> None:
        """Platt scaling per label of the confidence members: P(label | its score) =
        sigmoid(a·score + b), fitted on the out-of-fold scores; the labels' probabilities are
        then normalised to sum to one (as scikit-learn's
        ``CalibratedClassifierCV(method="sigmoid")`` does, without its overhead).
        """
        cols = self._confidence_columns()
        a = np.ones(len(cols))
        b = np.zeros(len(cols))
        for i, col in enumerate(cols):  # member m's label j is column m * n_labels + j
            target = (y == self.classes_[col % len(self.classes_)]).astype(int)
            if 0 < target.sum() < len(target):
                lr = LogisticRegression(C=self.params["calibration_C"], max_iter=1000)
                lr.fit(scores_[:, [col]], target)
                a[i], b[i] = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        self.cal_a, self.cal_b = a, b

    def features(self, views) -> sparse.csr_matrix:
        """The TF-IDF rows of texts, as the fitted vectorisers would make them.

        Computed here from the vectorisers' analyzers, vocabularies and idf (sublinear tf,
        l2 norm): the same numbers as ``TfidfVectorizer.transform`` (a test checks it) without
        its per-call validation overhead, which dominated one-text predictions.
        """
        cached = self.__dict__.get("_analyzers")
        if cached is None:
            cached = self._analyzers = (
                [(v.build_analyzer(), v.vocabulary_.get) for v in self.vecs],
                np.concatenate([np.asarray(v.idf_, dtype=np.float64) for v in self.vecs]),
                np.array([self.block_cols[name][0] for name in BLOCKS], dtype=np.int64),
            )
        analyzers, idf, offsets = cached
        absent = itertools.repeat(_ABSENT)
        indptr = [0]
        indices: list[np.ndarray] = []
        data: list[np.ndarray] = []
        nnz = 0
        for docs in zip(*views, strict=True):
            # Each term's column in the whole matrix (its block's offset added; negative: not in
            # the vocabulary), then the columns and their counts: C loops (map, numpy) rather
            # than Python ones, and one pass over all blocks, as this runs on every intake.
            parts = []
            for (analyze, get), doc, off in zip(analyzers, docs, offsets, strict=True):
                terms = analyze(doc)
                parts.append(np.fromiter(map(get, terms, absent), np.int64, len(terms)) + off)
            ids = np.concatenate(parts)
            idx, tf = np.unique(ids[ids >= 0], return_counts=True)
            if len(idx):
                values = (1.0 + np.log(tf)) * idf[idx]
                block = np.searchsorted(offsets, idx, side="right") - 1
                norms = np.sqrt(np.bincount(block, weights=values * values, minlength=len(BLOCKS)))
                values /= norms[block]
                indices.append(idx)
                data.append(values)
                nnz += len(idx)
            indptr.append(nnz)
        return sparse.csr_matrix(
            (
                np.concatenate(data, dtype=np.float32) if data else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                indptr,
            ),
            shape=(len(indptr) - 1, self.block_cols[BLOCKS[-1]][1]),
        )

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_analyzers", None)  # rebuilt on first use
        return state

    def scores(self, views) -> np.ndarray:
        """Texts × (stack logits | naive-Bayes joint log-likelihood | confidence members)."""
        return np.asarray(self.features(views) @ self.weights, dtype=np.float64) + self.bias

    def proba(self, views) -> np.ndarray:
        """Class probabilities: the stack's, with the top label's probability replaced by the
        geometric mean of it and the confidence members' calibrated probability of that label
        (their agreement ranks confidence better), the rest shared by the other labels in
        proportion to the stack's probabilities. Where that would make another label the top
        one, the stack's probabilities are kept as they are."""
        n_labels = len(self.classes_)
        s = self.scores(views)
        nb = s[:, n_labels : 2 * n_labels]
        logits = s[:, :n_labels] + _logsumexp(nb) * self.lse_coef
        return _combine(logits, s[:, 2 * n_labels :], self.cal_a, self.cal_b)


def _combine(logits, confidence_scores, cal_a, cal_b) -> np.ndarray:
    """Class probabilities from the stack's logits (texts × labels) and the confidence members'
    scores (texts × members·labels) with their Platt parameters: see ``_Model.proba``."""
    n_labels = logits.shape[1]
    stack = softmax(logits, axis=1)
    p = expit(confidence_scores * cal_a + cal_b)
    p = p.reshape(len(p), -1, n_labels)  # texts × confidence members × labels
    total = p.sum(axis=2, keepdims=True)
    uniform = total[..., 0] <= 0
    p[uniform] = 1.0
    total[uniform] = n_labels
    calibrated = (p / total).mean(axis=1)
    rows = np.arange(len(stack))
    top = stack.argmax(axis=1)
    conf = np.sqrt(stack[rows, top] * calibrated[rows, top])
    rest = (1.0 - conf) / np.clip(1.0 - stack[rows, top], 1e-12, None)
    out = stack * rest[:, None]
    out[rows, top] = conf
    flipped = out.max(axis=1) > conf
    out[flipped] = stack[flipped]
    return out


def _logsumexp(s: np.ndarray) -> np.ndarray:
    """log(sum(exp(s))) of each row (finite scores), as a column: scipy's ``logsumexp`` takes
    about 150 µs a call, most of a one-text prediction's arithmetic; this takes 6."""
    top = s.max(axis=1, keepdims=True)
    return top + np.log(np.exp(s - top).sum(axis=1, keepdims=True))


def _coef(svm) -> np.ndarray:
    coef = np.asarray(svm.coef_)
    return np.vstack([-coef, coef]) if coef.shape[0] == 1 else coef


def _intercept(svm) -> np.ndarray:
    b = np.atleast_1d(np.asarray(svm.intercept_, dtype=np.float64))
    return np.array([-b[0], b[0]]) if b.shape[0] == 1 else b


def _decision(svm, x) -> np.ndarray:
    d = svm.decision_function(x)
    return np.column_stack([-d, d]) if d.ndim == 1 else d


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


def coverage_at_precision(confidences, correct, p: float) -> float:
    """Largest share of the items, taken by decreasing confidence, whose accuracy is still ≥ p.

    Items of equal confidence are taken together (a threshold cannot split a tie). 0.0 for no
    items.
    """
    conf = np.asarray(confidences, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    n = len(conf)
    if n == 0:
        return 0.0
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    hits = np.cumsum(ok)
    taken = np.arange(1, n + 1)
    # Only cut where the next item has a lower confidence (ends of tie groups).
    ends = np.nonzero(np.append(conf[1:] < conf[:-1], True))[0]
    good = ends[hits[ends] >= p * taken[ends] - 1e-12]
    return float(taken[good[-1]] / n) if len(good) else 0.0


def _threshold_at_precision(confidences, correct, p: float) -> float:
    """Lowest confidence t such that the predictions with confidence ≥ t have precision ≥ p,
    counting one pseudo-error: ``hits / (taken + 1) ≥ p``. The pseudo-error asks for evidence in
    proportion to the target (at p = 0.98, at least 49 predictions), so that a label seen a few
    times cannot reach auto-dispatch on the luck of a handful of right answers. ``NEVER`` when no
    threshold qualifies."""
    conf = np.asarray(confidences, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    if len(conf) == 0:
        return NEVER
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    hits = np.cumsum(ok)
    taken = np.arange(1, len(conf) + 1)
    ends = np.nonzero(np.append(conf[1:] < conf[:-1], True))[0]
    good = ends[hits[ends] >= p * (taken[ends] + 1) - 1e-12]
    if not len(good):
        return NEVER
    return float(conf[good[-1]])


def label_thresholds(classes, pred, conf, y, target: float) -> dict:
    """Per label, the confidence from which its cross-validated predictions (``pred`` with
    ``conf``, against the truth ``y``) reach ``target`` precision, never below
    ``MIN_AUTO_CONFIDENCE``; ``NEVER`` for a label that does not reach it."""
    return {
        label: max(
            _threshold_at_precision(conf[pred == label], y[pred == label] == label, target),
            MIN_AUTO_CONFIDENCE,
        )
        for label in classes
    }


def scores(labels_true, labels_pred, confidences) -> dict:
    """macro-F1, accuracy and coverage at the standard precisions of a set of predictions."""
    y = np.asarray(labels_true, dtype=object)
    pred = np.asarray(labels_pred, dtype=object)
    correct = y == pred
    return {
        "macro_f1": float(f1_score(y, pred, average="macro")) if len(y) else 0.0,
        "accuracy": float(accuracy_score(y, pred)) if len(y) else 0.0,
        "coverage_at_precision": {
            str(p): coverage_at_precision(confidences, correct, p) for p in PRECISIONS
        },
    }


# ---------------------------------------------------------------------------------------------
# Router
# ---------------------------------------------------------------------------------------------


class ModelVersionError(ValueError):
    """A saved router was made with another scikit-learn (major.minor) or format."""


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


class Router:
    """A trained router. Build with ``train``; save with ``to_bytes``/``from_bytes``."""

    def __init__(self, model: _Model, *, thresholds: dict, metrics: dict, version_info: dict):
        self._model = model
        self.labels = [str(c) for c in model.classes_]
        self.thresholds = thresholds
        self.metrics = metrics
        self.version_info = version_info

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Class probabilities (columns in ``self.labels`` order), one row per text."""
        if not texts:
            return np.zeros((0, len(self.labels)))
        return self._model.proba(_views(list(texts), self._model.segmenter))

    def predict(self, texts: list[str], top: int = 3) -> list[list[tuple[str, float]]]:
        """Per text, the ``top`` labels with their calibrated probability, best first."""
        probs = self.predict_proba(texts)
        top = max(1, min(top, len(self.labels)))
        out = []
        for row in probs:
            best = np.argsort(-row, kind="stable")[:top]
            out.append([(self.labels[i], float(row[i])) for i in best])
        return out

    def to_bytes(self) -> bytes:
        """``MAGIC``, a JSON header (format, library versions) and the pickled model."""
        header = json.dumps(
            {"format": FORMAT, "sklearn": sklearn.__version__, "version_info": self.version_info},
            ensure_ascii=False,
            default=str,
        ).encode()
        body = pickle.dumps(
            {
                "model": self._model,
                "thresholds": self.thresholds,
                "metrics": self.metrics,
                "version_info": self.version_info,
            },
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        return MAGIC + struct.pack(">I", len(header)) + header + body

    @classmethod
    def from_bytes(cls, data: bytes) -> Router:
        """Load a saved router; ``ModelVersionError`` if it is not one or was made by another
        scikit-learn major.minor (its pickled objects would not be trustworthy)."""
        data = bytes(data)
        if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
            raise ModelVersionError("Not a saved Suqiu router (bad magic bytes).")
        (n,) = struct.unpack(">I", data[len(MAGIC) : len(MAGIC) + 4])
        start = len(MAGIC) + 4
        try:
            header = json.loads(data[start : start + n])
        except ValueError as exc:
            raise ModelVersionError(f"Not a saved Suqiu router (bad header: {exc}).") from exc
        if header.get("format") != FORMAT:
            raise ModelVersionError(
                f"Saved router has format {header.get('format')!r}; this code reads format "
                f"{FORMAT}. Retrain it with `suqiu triage train`."
            )
        saved = str(header.get("sklearn", "?"))
        if _major_minor(saved) != _major_minor(sklearn.__version__):
            raise ModelVersionError(
                f"Saved router was trained with scikit-learn {saved}; this process has "
                f"scikit-learn {sklearn.__version__} (major.minor must match). Retrain it with "
                "`suqiu triage train`."
            )
        payload = pickle.loads(data[start + n :])  # our own model files, version-checked above
        return cls(
            payload["model"],
            thresholds=payload["thresholds"],
            metrics=payload["metrics"],
            version_info=payload["version_info"],
        )


def _fit(views, y: np.ndarray, params: dict, seed: int, progress=None, out_of_fold=True) -> _Model:
    return _Model(params, seed).fit(views, y, progress, out_of_fold)


def gettext_noop(text: str) -> str:
    """Marks a text for the translation catalogue (``makemessages`` extracts the name) without
    importing Django, which this module does not need."""
    return text


# What ``train`` tells ``progress``, %-formatted; ``train(progress_texts=...)`` replaces them
# (``triage.services`` passes them translated into the command's language).
PROGRESS_TEXTS = {
    "start": gettext_noop(
        "fitting the model on all %(rows)d rows and on each of %(folds)d folds (cross-validation)"
    ),
    "start_single": gettext_noop(
        "fitting the model on all %(rows)d rows (a label with a single example: no "
        "cross-validation, so no figures and no automatic dispatch)"
    ),
    "fits": gettext_noop("%(done)d of %(total)d fits done (%(seconds).0f s so far)"),
}


def train(
    texts: list[str],
    labels: list[str],
    *,
    target_precision: float = 0.98,
    calibrate_thresholds: bool = True,
    seed: int = 0,
    progress=None,
    progress_texts: dict[str, str] | None = None,
) -> Router:
    """Train a router on texts (see ``text_of``) and their labels.

    With ``calibrate_thresholds``, ``metrics`` holds the figures cross-validated within the fit
    (5 folds, or fewer for rare labels; see ``_Model._out_of_fold_proba``) and ``thresholds`` the
    per-label confidence reaching ``target_precision`` (``NEVER`` = 1.01 where it is not
    reached). Without it, ``metrics`` is empty and every threshold is ``NEVER``.
    ``progress(message)`` is told when the training starts and as each of its fits ends.
    ``version_info["train_seconds"]`` is the fit; ``"total_seconds"`` includes the figures and
    thresholds.

    liblinear's ConvergenceWarning is silenced: the iteration limits were chosen by measurement
    (``bench/triage_cv.py``), and a warning per label and fit buried the command's output.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _train(
            texts,
            labels,
            target_precision=target_precision,
            calibrate_thresholds=calibrate_thresholds,
            seed=seed,
            progress=progress or (lambda _msg: None),
            texts_of_progress={**PROGRESS_TEXTS, **(progress_texts or {})},
        )


def _train(
    texts, labels, *, target_precision, calibrate_thresholds, seed, progress, texts_of_progress
) -> Router:
    texts = [str(t or "") for t in texts]
    labels = [str(lab) for lab in labels]
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels.")
    counts = Counter(labels)
    if len(counts) < 2:
        raise ValueError("Training needs at least two different labels.")
    params = dict(DEFAULT_PARAMS)
    y = np.asarray(labels, dtype=object)
    started = time.perf_counter()
    folds = min(params["calibration_folds"], min(counts.values()))
    if folds >= 2:
        progress(texts_of_progress["start"] % {"rows": len(texts), "folds": folds})
    else:
        progress(texts_of_progress["start_single"] % {"rows": len(texts)})
    views = _views(texts)

    def fits_done(done: int, total: int) -> None:
        seconds = time.perf_counter() - started
        progress(texts_of_progress["fits"] % {"done": done, "total": total, "seconds": seconds})

    model = _fit(views, y, params, seed, fits_done, out_of_fold=calibrate_thresholds)
    seconds = time.perf_counter() - started

    thresholds = {label: NEVER for label in model.classes_}
    metrics: dict = {}
    proba = model.__dict__.pop("oof_proba_", None)
    if calibrate_thresholds and proba is not None:
        # Cross-validated within the fit (see _Model._out_of_fold_proba).
        pred = model.classes_[proba.argmax(axis=1)]
        conf = proba.max(axis=1)
        metrics = scores(y, pred, conf)
        metrics["folds"] = folds
        metrics["target_precision"] = target_precision
        thresholds = label_thresholds(model.classes_, pred, conf, y, target_precision)
    version_info = {
        "algorithm": ALGORITHM,
        "format": FORMAT,
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
        "seed": seed,
        "target_precision": target_precision,
        "n_train": len(texts),
        "label_counts": dict(sorted(counts.items())),
        "train_seconds": round(seconds, 3),
        "total_seconds": round(time.perf_counter() - started, 3),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "segmenter": f"{SEGMENTER} {_version(SEGMENTER)}",
        "python": platform.python_version(),
    }
    return Router(
        model,
        thresholds={str(k): float(v) for k, v in thresholds.items()},
        metrics=metrics,
        version_info=version_info,
    )


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)
