"""Training an active learner: logistic regression with its C chosen by cross-validation
and its probabilities calibrated on out-of-fold scores.

Owns the one place scikit-learn fits a learner (`fit_logistic_regression`, which counts
its calls so a test or a benchmark can see that serving a model never trains one),
choosing the inverse regularisation C from a small grid by stratified k-fold
cross-validation (out-of-fold accuracy, ties broken by calibrated log loss), and
temperature scaling fitted on the chosen C's out-of-fold scores (Platt scaling without a
bias term, so the calibration never changes which label wins). The temperature is
folded into the exported weights (coef / T, intercept / T): `heuristics.predict_proba`
on the exported weights gives the calibrated probability, so a flow-run process needs
neither scikit-learn nor a separate calibration step, and the bundle's weight format is
unchanged. Each labelled record also keeps its out-of-fold prediction, so a learner is
graded (precision, statistics) by models that did not see the record.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any, Sequence

import numpy as np

C_GRID = (0.25, 1.0, 4.0, 16.0, 64.0)
FALLBACK_C = 4.0  # when there are too few labels to cross-validate (the grid's best on demo and review data)
MAX_FOLDS = 5
MAX_ITER = 2000
_MISSING_LOGIT = -30.0  # a class a fold's model never saw: probability ~0, not an error

_fits = 0
_fits_lock = threading.Lock()


def fit_count() -> int:
    """How many logistic regressions this process has fitted (every fold and every C counts)."""
    return _fits


def fit_logistic_regression(x: np.ndarray, y: Sequence[str] | np.ndarray, c: float):
    """Fit scikit-learn's LogisticRegression (the only place a learner is fitted)."""
    global _fits
    from sklearn.linear_model import LogisticRegression

    with _fits_lock:
        _fits += 1
    model = LogisticRegression(C=c, max_iter=MAX_ITER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on tiny label sets
        model.fit(x, list(y))
    return model


def export_weights(model) -> dict[str, Any]:
    return {"classes": [str(k) for k in model.classes_], "coef": model.coef_.tolist(),
            "intercept": model.intercept_.tolist()}


def logits(weights: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Scores whose softmax is `heuristics.predict_proba` (binary: [0, s])."""
    coef = np.asarray(weights["coef"], dtype=np.float64)
    intercept = np.asarray(weights["intercept"], dtype=np.float64)
    scores = x.astype(np.float64) @ coef.T + intercept
    if coef.shape[0] == 1:
        return np.column_stack([np.zeros(len(scores)), scores[:, 0]])
    return scores


def softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def fold_temperature(weights: dict[str, Any], temperature: float) -> dict[str, Any]:
    """The same model with its scores divided by `temperature` (exact for both shapes)."""
    t = float(temperature)
    return {"classes": list(weights["classes"]),
            "coef": (np.asarray(weights["coef"], dtype=np.float64) / t).tolist(),
            "intercept": (np.asarray(weights["intercept"], dtype=np.float64) / t).tolist()}


def _log_loss(proba: np.ndarray, truth: np.ndarray) -> float:
    picked = proba[np.arange(len(truth)), truth]
    return float(-np.log(np.clip(picked, 1e-12, 1.0)).mean())


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The T > 0 minimising the log loss of softmax(scores / T), with Platt's smoothed
    targets (so a perfectly separated small sample does not push T to zero and the
    probabilities to 0/1). Golden-section search over log T in [log 0.02, log 50]: the loss
    is smooth and unimodal in log T for these targets."""
    n, k = scores.shape
    eps = 1.0 / (n + 2)
    targets = np.full((n, k), eps / max(k - 1, 1))
    targets[np.arange(n), truth] = 1.0 - eps

    def loss(log_t: float) -> float:
        proba = softmax(scores / np.exp(log_t))
        return float(-(targets * np.log(np.clip(proba, 1e-12, 1.0))).sum(axis=1).mean())

    lo, hi = float(np.log(0.02)), float(np.log(50.0))
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = loss(a), loss(b)
    for _ in range(60):  # the bracket shrinks by 0.618 per step: far below 1e-6 at the end
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = loss(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = loss(b)
    return float(np.exp((lo + hi) / 2.0))


def _folds(y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Stratified folds (k ≤ 5, by the second most common label's count), or None when
    fewer than two labels have two examples each. Seeded: the same labels give the same folds."""
    from sklearn.model_selection import StratifiedKFold

    _, counts = np.unique(y, return_counts=True)
    enough = np.sort(counts[counts >= 2])[::-1]
    if len(enough) < 2:
        return None
    k = int(min(MAX_FOLDS, enough[1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the least populated class has only 1 member"
        return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=0).split(np.zeros(len(y)), y))


def _out_of_fold_scores(x: np.ndarray, y: np.ndarray, classes: list[str], c: float,
                        folds: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Scores (n × classes) of each example by the model of the fold that left it out."""
    out = np.full((len(y), len(classes)), _MISSING_LOGIT)
    column = {label: i for i, label in enumerate(classes)}
    for train, test in folds:
        if len(set(y[train])) < 2:
            out[test] = 0.0  # this fold's training part has one label: no opinion
            continue
        weights = export_weights(fit_logistic_regression(x[train], y[train], c))
        scores = logits(weights, x[test])
        for j, label in enumerate(weights["classes"]):
            out[test, column[label]] = scores[:, j]
    return out


def train_learner(x: np.ndarray, y: Sequence[str], ids: Sequence[str], c: float | None = None,
                  grid: Sequence[float] = C_GRID) -> dict[str, Any] | None:
    """Train one learner on labelled vectors; None with fewer than two distinct labels.

    `c`: a fixed inverse regularisation (the heuristic's config), else chosen from `grid`
    by cross-validation. Returns the JSON-able model: calibrated `weights`, `c` and where
    it came from, the cross-validation scores, the calibration, and `oof`
    ({record id: [label, probability]}) for the labelled records.
    """
    y_arr = np.asarray([str(v) for v in y])
    classes = sorted(set(y_arr.tolist()))
    if len(classes) < 2:
        return None
    x = np.asarray(x, dtype=np.float64)
    truth = np.asarray([classes.index(v) for v in y_arr])
    folds = _folds(y_arr)
    candidates = [float(c)] if c is not None else [float(v) for v in grid]
    cv: dict[str, dict[str, float]] = {}
    best: tuple[float, float, float, np.ndarray, float] | None = None  # (acc, -loss, C, scores, T)
    if folds is not None:
        for candidate in candidates:
            fold_scores = _out_of_fold_scores(x, y_arr, classes, candidate, folds)
            fold_t = fit_temperature(fold_scores, truth)
            accuracy = float((fold_scores.argmax(axis=1) == truth).mean())
            loss = _log_loss(softmax(fold_scores / fold_t), truth)
            cv[f"{candidate:g}"] = {"accuracy": round(accuracy, 4), "log_loss": round(loss, 4)}
            key = (accuracy, -loss)
            if best is None or key > (best[0], best[1]):
                best = (accuracy, -loss, candidate, fold_scores, fold_t)
    scores: np.ndarray | None = None
    if best is not None:
        chosen, scores, temperature = best[2], best[3], best[4]
        source = "config" if c is not None else "cross-validation"
    else:
        chosen, scores, temperature = (float(c) if c is not None else FALLBACK_C), None, 1.0
        source = "config" if c is not None else "default (too few labels to cross-validate)"
    raw = export_weights(fit_logistic_regression(x, y_arr, chosen))
    oof: dict[str, list] = {}
    if scores is not None:
        proba = softmax(scores / temperature)
        best_col = proba.argmax(axis=1)
        oof = {str(rid): [classes[best_col[i]], float(proba[i, best_col[i]])] for i, rid in enumerate(ids)}
    return {
        "weights": fold_temperature(raw, temperature),
        "c": chosen, "c_source": source,
        "cv": {"folds": len(folds) if folds else 0, "scores": cv},
        "calibration": ({"method": "temperature", "temperature": temperature, "fitted_on": "out-of-fold scores",
                         "folded_into_weights": True} if scores is not None else {"method": "none"}),
        "trained_on": len(y_arr), "classes": classes, "oof": oof,
    }
