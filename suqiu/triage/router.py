"""The routing model: learns an appeal's category (一级标签) from labelled appeal history.

Pure Python + scikit-learn; no Django in here (``suqiu triage train`` / ``evaluate`` wrap it).

Text → features
    ``clean`` normalises a text (NFKC: full-width → half-width, every run of whitespace → one
    space, spaces next to non-ASCII characters dropped so that ``original`` and
    ``whitespace_stripped`` copies of one message read the same, digit runs → ``0``, lower case).
    Two TF-IDF views (sublinear tf) are taken of the cleaned text: character 1–3-grams (works for
    Chinese and, on ASCII, as sub-word features for English) and jieba words (jieba cuts Chinese
    into words and keeps ASCII words whole, so English is tokenised too).

Model
    Chosen by 5-fold cross-validation on the labelled dev set (``bench/triage_cv.py`` has the
    experiments and their figures): one-vs-rest linear SVMs (``LinearSVC``, C=0.5) on both
    views, each label's SVM on the features scaled by their naive-Bayes log-count ratio for that
    label (NB-SVM, Wang & Manning 2012; the scaling folds into the weights), and a plain
    one-vs-rest ``LinearSVC`` (C=1) on the same features. Each is calibrated by Platt scaling
    per label on its out-of-fold scores (fitted on internal CV folds so that the probabilities
    reflect unseen text), normalised to sum to one, and the two distributions are averaged (the
    average ranks confidence better for coverage: agreement of the two raises it). The top
    averaged probability is the confidence; per-label thresholds
    (``Router.thresholds``) are the lowest confidences at which the cross-validated precision of
    that label's predictions still reaches ``target_precision``. The trained model is kept as
    plain arrays (both models' SVM weights side by side, Platt parameters): a prediction is one
    sparse product.

jieba loads its dictionary (~1 s) once per process, lazily, on the first text tokenised.
"""

from __future__ import annotations

import json
import pickle
import platform
import re
import struct
import time
import unicodedata
from collections import Counter

import numpy as np
import scipy
import sklearn
from scipy import sparse
from scipy.special import expit
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from suqiu.core.text import segmenter

ALGORITHM = "tfidf-char13+jieba-words/nb-svm+linear-svc+platt-mean"
FORMAT = 1
MAGIC = b"SUQIU-ROUTER\n"
PRECISIONS = (0.95, 0.98, 0.99)
NEVER = 1.01  # threshold of a label whose predictions never reach the target precision

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


def words(cleaned: str) -> str:
    """jieba words of a cleaned text, joined by single spaces (punctuation and spaces dropped)."""
    return " ".join(w for w in segmenter().lcut(cleaned) if w.strip() and not _is_punct(w))


def _is_punct(token: str) -> bool:
    return len(token) == 1 and unicodedata.category(token).startswith("P")


def _views(texts: list[str]) -> tuple[list[str], list[str]]:
    cleaned = [clean(t) for t in texts]
    return cleaned, [words(c) for c in cleaned]


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------

DEFAULT_PARAMS = {
    "char_ngram_range": (1, 3),
    "char_min_df": 2,
    "word_min_df": 1,
    "svm_C": 0.5,
    "nb_scaling": True,
    "nb_alpha": 0.5,
    "plain_svm_C": 1.0,
    "calibration": "platt-per-label-on-oof-svm-scores",
    "calibration_C": 1e4,
    "calibration_folds": 5,
}


class _Model:
    """Vectorisers + calibrated classifier; ``proba(views)`` gives class probabilities."""

    def __init__(self, params: dict, seed: int):
        self.params = params
        self.seed = seed

    def _vectorisers(self, n: int):
        p = self.params
        char_min_df = p["char_min_df"] if n >= 50 else 1
        return (
            TfidfVectorizer(
                analyzer="char",
                ngram_range=tuple(p["char_ngram_range"]),
                min_df=char_min_df,
                sublinear_tf=True,
                lowercase=False,
                dtype=np.float32,
            ),
            TfidfVectorizer(
                analyzer="word",
                token_pattern=r"\S+",
                min_df=p["word_min_df"],
                sublinear_tf=True,
                lowercase=False,
                dtype=np.float32,
            ),
        )

    def fit(self, views: tuple[list[str], list[str]], labels: np.ndarray) -> _Model:
        chars, words_ = views
        self.char_vec, self.word_vec = self._vectorisers(len(chars))
        x = sparse.hstack(
            [self.char_vec.fit_transform(chars), self.word_vec.fit_transform(words_)]
        ).tocsr()
        for vec in (self.char_vec, self.word_vec):
            vec.stop_words_ = None  # the terms cut by min_df: large, only for introspection
        y = np.asarray(labels, dtype=object)
        self.classes_ = np.unique(y)
        counts = Counter(y.tolist())
        folds = min(self.params["calibration_folds"], min(counts.values()))
        if folds >= 2:
            # Out-of-fold SVM scores: the calibration learns how reliable unseen scores are.
            cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.seed)
            scores_ = np.zeros((len(y), len(self.classes_) * len(self._members())))
            for tr, te in cv.split(np.zeros(len(y)), y):
                w, b = self._fit_members(x[tr], y[tr])
                scores_[te] = x[te] @ w + b
        else:  # a label with a single example: no folds; in-sample scores (over-confident)
            scores_ = None
        # The linear models as plain arrays: one sparse product at prediction time.
        w, b = self._fit_members(x, y)
        self.weights = np.ascontiguousarray(w, dtype=np.float32)
        self.bias = np.asarray(b, dtype=np.float64)
        if scores_ is None:
            scores_ = np.asarray(x @ self.weights, dtype=np.float64) + self.bias
        self._fit_calibration(scores_, y)
        return self

    def _members(self) -> list[tuple[bool, float]]:
        """The linear models whose calibrated probabilities are averaged: (NB scaling, C)."""
        p = self.params
        members = [(bool(p.get("nb_scaling")), p["svm_C"])]
        if p.get("plain_svm_C"):
            members.append((False, p["plain_svm_C"]))
        return members

    def _fit_members(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        fitted = [self._fit_linear(x, y, nb, c) for nb, c in self._members()]
        return np.hstack([w for w, _ in fitted]), np.concatenate([b for _, b in fitted])

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
        svm = LinearSVC(C=c, random_state=self.seed)
        if not nb_scaling:
            svm.fit(x, y)
            cols = [list(self.classes_).index(c) for c in svm.classes_]
            w = np.zeros((x.shape[1], len(self.classes_)))
            b = np.full(len(self.classes_), -1e3)
            w[:, cols], b[cols] = _coef(svm).T, _intercept(svm)
            return w, b
        alpha = p["nb_alpha"]
        binary = x.copy()
        binary.data[:] = 1.0
        totals = np.asarray(binary.sum(axis=0)).ravel()
        w = np.zeros((x.shape[1], len(self.classes_)))
        b = np.full(len(self.classes_), -1e3)
        for k, label in enumerate(self.classes_):
            target = y == label
            if not target.any() or target.all():
                continue
            pos = np.asarray(binary[target].sum(axis=0)).ravel() + alpha
            neg = totals - pos + 2 * alpha
            r = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
            fitted = clone(svm).fit(x @ sparse.diags(r), target.astype(int))
            w[:, k] = fitted.coef_.ravel() * r
            b[k] = float(fitted.intercept_[0])
        return w, b

    def _fit_calibration(self, scores_: np.ndarray, y: np.ndarray) -> None:
        """Platt scaling per label: P(label | its SVM score) = sigmoid(a·score + b), fitted on the
        out-of-fold scores; the labels' probabilities are then normalised to sum to one (as
        scikit-learn's ``CalibratedClassifierCV(method="sigmoid")`` does, without its overhead).
        """
        a = np.ones(scores_.shape[1])
        b = np.zeros(scores_.shape[1])
        for k in range(scores_.shape[1]):  # member m's label j is column m * n_labels + j
            target = (y == self.classes_[k % len(self.classes_)]).astype(int)
            if 0 < target.sum() < len(target):
                lr = LogisticRegression(C=self.params["calibration_C"], max_iter=1000)
                lr.fit(scores_[:, [k]], target)
                a[k], b[k] = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        self.cal_a, self.cal_b = a, b

    def features(self, views: tuple[list[str], list[str]]) -> sparse.csr_matrix:
        """The TF-IDF rows of texts, as the fitted vectorisers would make them.

        Computed here from the vectorisers' analyzers, vocabularies and idf (sublinear tf,
        l2 norm): the same numbers as ``TfidfVectorizer.transform`` (a test checks it) without
        its per-call validation overhead, which dominated one-text predictions.
        """
        analyzers = self.__dict__.get("_analyzers")
        if analyzers is None:
            analyzers = self._analyzers = [
                (v.build_analyzer(), v.vocabulary_, v.idf_.astype(np.float64))
                for v in (self.char_vec, self.word_vec)
            ]
        n_char = len(self.char_vec.vocabulary_)
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for docs in zip(*views, strict=True):
            offset = 0
            for (analyze, vocab, idf), doc in zip(analyzers, docs, strict=True):
                counts = Counter(analyze(doc))
                idx = [vocab[t] for t in counts if t in vocab]
                if idx:
                    tf = np.fromiter((counts[t] for t in counts if t in vocab), dtype=np.float64)
                    values = (1.0 + np.log(tf)) * idf[idx]
                    values /= np.sqrt(values @ values)
                    indices.extend(i + offset for i in idx)
                    data.extend(values.tolist())
                offset = n_char
            indptr.append(len(indices))
        return sparse.csr_matrix(
            (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int64), indptr),
            shape=(len(indptr) - 1, n_char + len(self.word_vec.vocabulary_)),
        )

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_analyzers", None)  # rebuilt on first use
        return state

    def scores(self, views: tuple[list[str], list[str]]) -> np.ndarray:
        return np.asarray(self.features(views) @ self.weights, dtype=np.float64) + self.bias

    def proba(self, views: tuple[list[str], list[str]]) -> np.ndarray:
        p = expit(self.scores(views) * self.cal_a + self.cal_b)
        n_labels = len(self.classes_)
        p = p.reshape(len(p), -1, n_labels)  # texts × members × labels
        total = p.sum(axis=2, keepdims=True)
        uniform = total[..., 0] <= 0
        p[uniform] = 1.0
        total[uniform] = n_labels
        return (p / total).mean(axis=1)  # the members' normalised probabilities, averaged


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
        return self._model.proba(_views(list(texts)))

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


def _fit(views, y: np.ndarray, params: dict, seed: int) -> _Model:
    return _Model(params, seed).fit(views, y)


def train(
    texts: list[str],
    labels: list[str],
    *,
    target_precision: float = 0.98,
    calibrate_thresholds: bool = True,
    seed: int = 0,
) -> Router:
    """Train a router on texts (see ``text_of``) and their labels.

    With ``calibrate_thresholds`` the training set is also cross-validated (5 folds, or fewer for
    rare labels): ``metrics`` holds the cross-validated figures and ``thresholds`` the per-label
    confidence reaching ``target_precision`` (``NEVER`` = 1.01 where it is not reached). Without
    it, ``metrics`` is empty and every threshold is ``NEVER``.
    """
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
    views = _views(texts)
    model = _fit(views, y, params, seed)
    seconds = time.perf_counter() - started

    thresholds = {label: NEVER for label in model.classes_}
    metrics: dict = {}
    if calibrate_thresholds:
        folds = min(5, min(counts.values()))
        if folds >= 2:
            proba = np.zeros((len(y), len(model.classes_)))
            skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
            for tr, te in skf.split(np.zeros(len(y)), y):
                m = _fit(
                    ([views[0][i] for i in tr], [views[1][i] for i in tr]), y[tr], params, seed
                )
                p = m.proba(([views[0][i] for i in te], [views[1][i] for i in te]))
                cols = [list(model.classes_).index(c) for c in m.classes_]
                proba[np.ix_(te, cols)] = p
            pred = model.classes_[proba.argmax(axis=1)]
            conf = proba.max(axis=1)
            metrics = scores(y, pred, conf)
            metrics["folds"] = folds
            metrics["target_precision"] = target_precision
            for label in model.classes_:
                mask = pred == label
                thresholds[label] = _threshold_at_precision(
                    conf[mask], y[mask] == label, target_precision
                )
    version_info = {
        "algorithm": ALGORITHM,
        "format": FORMAT,
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
        "seed": seed,
        "target_precision": target_precision,
        "n_train": len(texts),
        "label_counts": dict(sorted(counts.items())),
        "train_seconds": round(seconds, 3),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "jieba": _jieba_version(),
        "python": platform.python_version(),
    }
    return Router(
        model,
        thresholds={str(k): float(v) for k, v in thresholds.items()},
        metrics=metrics,
        version_info=version_info,
    )


def _jieba_version() -> str:
    from importlib.metadata import version

    return version("jieba")
