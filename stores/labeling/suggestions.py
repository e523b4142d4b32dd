"""Which record to label next: the label-next orders and the labeling view's filters.

Owns the pure rankings over one task's records. A filter chooses the candidates
(unlabelled, weakly labelled below a confidence, heuristics disagreeing, all); a
strategy orders them:

- "active" (the default) is active learning over the records' embeddings. Before the
  task's active learner has a trained model, a cold-start batch of representative records:
  k-means over the records (as many clusters as records already picked — labelled or held
  by the client — plus the batch), and from each cluster that holds none of those, largest
  cluster first, the record nearest its centre; should clusters run out, k-means++ seeding
  (probability ∝ squared cosine distance to everything picked) fills the batch. Never a
  near-duplicate (cosine similarity above `NEAR_DUPLICATE`) of a picked record. Once a
  model is trained, the records it is least sure of (margin between its two most probable
  labels, calibrated probabilities) weighted by how typical a record is (density: mean
  cosine similarity to its nearest records, to the power `DENSITY_WEIGHT`), kept diverse
  inside each batch: a candidate too similar to one already picked (or held by the client)
  is passed over. The model is re-read on every call, so the order follows every training.
  A task without an active learner has no model to ask: it gets the "heuristics" order.

  Why these two: on the rotten-tomatoes bench (bench/labeling_quality.py) plain
  least-margin picks and k-means++ cold starts chased outliers and did worse than random
  picks at 70 labels; centroid cold starts and density weighting removed that deficit.
- "heuristics": unlabelled records where heuristics disagree first, then those weak
  supervision is least sure about (no weak label counts as least sure), each group in
  record order.
- "random": a seeded shuffle, stable between calls (so paging with `exclude` works).

Every order is deterministic for the same labels, so the UI's queue, which pages through
suggestions by excluding the ids it holds, sees one consistent order.
"""

from __future__ import annotations

import hashlib
from typing import Any, Sequence

import numpy as np

FILTERS = ("suggested", "unlabeled", "low_confidence", "disagreement", "all")
STRATEGIES = ("active", "heuristics", "random")
DEFAULT_STRATEGY = "active"
DEFAULT_MAX_CONFIDENCE = 0.8
NEAR_DUPLICATE = 0.9  # cosine similarity above which two records count as near-duplicates
# Uncertainty × density ** DENSITY_WEIGHT: 0.5 measured best of 0.25 / 0.5 / 1 on the bench
# (1 over-weights dense clusters of easy records once a few hundred labels exist).
DENSITY_WEIGHT = 0.5
DENSITY_NEIGHBOURS = 20  # a record's density: mean similarity to this many nearest records
# Density is computed for the least sure candidates only (weighting cannot lift a surer one
# past this many) against at most this many reference records (seeded sample): bounded cost
# on large projects, exact on the bench's 3,500.
DENSITY_CANDIDATES = 2000
DENSITY_REFERENCES = 20000
KMEANS_FIT_SAMPLE = 10000  # k-means for a cold start fits on a seeded sample of this many records


def disagrees(votes: dict[str, dict[str, Any]]) -> bool:
    """True when the heuristics that voted on a record did not all vote the same label."""
    return len({vote["label"] for vote in votes.values()}) > 1


def matches_filter(item: dict[str, Any], name: str, max_confidence: float = DEFAULT_MAX_CONFIDENCE) -> bool:
    """Whether a record (as `record_item` shapes it) belongs in the named filter.

    suggested / unlabeled: no manual label yet; low_confidence: unlabelled, weakly
    labelled, weak confidence below `max_confidence`; disagreement: unlabelled and its
    heuristics disagree; all: every record."""
    if name == "all":
        return True
    if item["label"] is not None:
        return False
    if name in ("suggested", "unlabeled"):
        return True
    if name == "low_confidence":
        weak = item["weak"]
        return weak["prediction"] is not None and (weak["confidence"] or 0.0) < max_confidence
    if name == "disagreement":
        return disagrees(item["votes"])
    raise ValueError(f"unknown filter {name!r} (use one of {', '.join(FILTERS)})")


def priority(item: dict[str, Any]) -> tuple[int, int, float]:
    """Sort key, smallest first: unlabelled before labelled, disagreement first, then lowest weak confidence."""
    weak = item["weak"]
    confidence = weak["confidence"] if weak["prediction"] is not None else 0.0
    return (0 if item["label"] is None else 1, 0 if disagrees(item["votes"]) else 1, confidence or 0.0)


def reason(item: dict[str, Any]) -> str:
    """Why a record is suggested, in words the labeling view shows."""
    if disagrees(item["votes"]):
        return "heuristics disagree"
    weak = item["weak"]
    if weak["prediction"] is None:
        return "no heuristic labels it" if not item["votes"] else "weak supervision has no clear winner"
    return f"weak label {weak['prediction']!r} at {weak['confidence']:.2f} confidence"


def record_item(record: dict[str, Any], manual: dict[str, Any] | None, votes: dict[str, tuple[str, float]],
                weak: dict[str, Any]) -> dict[str, Any]:
    """One record as the labeling view shows it: data, manual label, votes, weak result."""
    return {
        "id": record["id"], "data": record,
        "label": manual["label"] if manual else None,
        "labeled_by": manual["labeled_by"] if manual else None,
        "votes": {h: {"label": v[0], "confidence": v[1]} for h, v in sorted(votes.items())},
        "weak": {"prediction": weak.get("prediction"), "confidence": weak.get("confidence")},
    }


def select(items: list[dict[str, Any]], name: str, limit: int, max_confidence: float = DEFAULT_MAX_CONFIDENCE,
           exclude: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The records of a filter in label-next order (a stable sort keeps record order within ties)."""
    chosen = [item for item in items if item["id"] not in exclude and matches_filter(item, name, max_confidence)]
    chosen.sort(key=priority)
    return [{**item, "reason": reason(item)} for item in chosen[:limit]]


# -- active learning and random orders (pure functions over vectors) ----------------------
def stable_seed(*parts: Any) -> int:
    """A seed from names and counts, the same in every process (unlike `hash`)."""
    digest = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def random_order(ids: Sequence[str], seed: int) -> list[int]:
    """Indices of `ids` in a shuffled order that depends only on each id and the seed, so
    leaving some ids out (paging) does not reshuffle the rest."""
    keys = [stable_seed(seed, record_id) for record_id in ids]
    return sorted(range(len(ids)), key=keys.__getitem__)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.size == 0:
        return vectors.reshape(len(vectors), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _max_similarity(vectors: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    if len(anchors) == 0:
        return np.full(len(vectors), -1.0)
    return (vectors @ anchors.T).max(axis=1)


def _centroid_picks(x: np.ndarray, limit: int, anchor_x: np.ndarray, seed: int, near_duplicate: float) -> list[int]:
    """Representative records: k-means with (anchors + limit) clusters; from each cluster
    that holds no anchor, largest first, the member nearest the centre that is not a
    near-duplicate of a record already picked or an anchor."""
    from sklearn.cluster import KMeans

    n = len(x)
    clusters = min(n, limit + len(anchor_x))
    if clusters < 1:
        return []
    rng = np.random.default_rng(seed % (2 ** 32))
    fit_on = x if n <= KMEANS_FIT_SAMPLE else x[rng.choice(n, KMEANS_FIT_SAMPLE, replace=False)]
    kmeans = KMeans(n_clusters=clusters, n_init=3, max_iter=100, random_state=int(seed % (2 ** 31)))
    kmeans.fit(fit_on)
    member_of = kmeans.predict(x)
    covered = set(kmeans.predict(anchor_x).tolist()) if len(anchor_x) else set()
    centres = _normalised(kmeans.cluster_centers_)
    sizes = np.bincount(member_of, minlength=clusters)
    chosen = anchor_x
    picked: list[int] = []
    for cluster in sorted(range(clusters), key=lambda c: (-sizes[c], c)):
        if len(picked) >= limit:
            break
        if cluster in covered or sizes[cluster] == 0:
            continue
        members = np.flatnonzero(member_of == cluster)
        for i in members[np.argsort(-(x[members] @ centres[cluster]), kind="stable")]:
            if not len(chosen) or float(np.max(chosen @ x[i])) <= near_duplicate:
                picked.append(int(i))
                chosen = np.vstack([chosen, x[i][None, :]])
                break
    return picked


def cold_start_order(vectors: np.ndarray, limit: int, anchors: np.ndarray | None = None, seed: int = 0,
                     near_duplicate: float = NEAR_DUPLICATE) -> list[int]:
    """Up to `limit` candidate indices: the records nearest the centres of k-means clusters
    no anchor covers (see `_centroid_picks`), then, if those run out, k-means++ seeding over
    cosine distance.

    `anchors`: vectors already picked (labelled records, ids the client holds); the batch
    spreads away from them too. A candidate within `near_duplicate` similarity of a picked
    record or an anchor is never drawn while others remain; only when every candidate left
    is one do the rest follow in a seeded order. Deterministic for the same inputs and seed."""
    x = _normalised(vectors)
    n = len(x)
    if n == 0 or limit <= 0:
        return []
    rng = np.random.default_rng(seed % (2 ** 32))
    anchor_x = _normalised(anchors) if anchors is not None and len(anchors) else np.zeros((0, x.shape[1]))
    picked = _centroid_picks(x, min(limit, n), anchor_x, seed, near_duplicate)
    taken = np.zeros(n, dtype=bool)
    taken[picked] = True
    similarity = _max_similarity(x, np.vstack([anchor_x, x[picked]]) if picked else anchor_x)
    while len(picked) < min(limit, n):
        distance = np.where(taken | (similarity > near_duplicate), 0.0, np.clip(1.0 - similarity, 0.0, 2.0))
        weights = distance ** 2
        if weights.sum() <= 0:
            free = np.flatnonzero(~taken & (similarity <= near_duplicate))
            if len(free) == 0:  # only near-duplicates (or nothing) left: fill in a seeded order
                rest = [int(i) for i in rng.permutation(np.flatnonzero(~taken))]
                picked.extend(rest[:min(limit, n) - len(picked)])
                break
            choice = int(rng.choice(free))
        else:
            choice = int(rng.choice(n, p=weights / weights.sum()))
        picked.append(choice)
        taken[choice] = True
        similarity = np.maximum(similarity, x @ x[choice])
    return picked


def margins(proba: np.ndarray) -> np.ndarray:
    """Most probable minus second most probable class, per row (0: a coin toss, 1: sure)."""
    if proba.shape[1] < 2:
        return np.ones(len(proba))
    top2 = np.sort(proba, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


def uncertainty_order(margin: np.ndarray, vectors: np.ndarray, limit: int, anchors: np.ndarray | None = None,
                      near_duplicate: float = NEAR_DUPLICATE) -> list[int]:
    """Up to `limit` candidate indices, smallest margin first (ties in candidate order),
    skipping a candidate more similar than `near_duplicate` to one already picked or to an
    anchor (ids the client holds). When too few diverse ones exist, the skipped ones follow
    in margin order."""
    x = _normalised(vectors)
    order = np.argsort(np.asarray(margin, dtype=np.float64), kind="stable")
    anchor_x = _normalised(anchors) if anchors is not None and len(anchors) else np.zeros((0, x.shape[1]))
    picked: list[int] = []
    skipped: list[int] = []
    chosen = anchor_x
    for i in order:
        if len(picked) >= limit:
            break
        if len(chosen) and float(np.max(chosen @ x[i])) > near_duplicate:
            skipped.append(int(i))
            continue
        picked.append(int(i))
        chosen = np.vstack([chosen, x[i][None, :]])
    return picked + skipped[:max(0, limit - len(picked))]


def density(vectors: np.ndarray, references: np.ndarray, neighbours: int = DENSITY_NEIGHBOURS,
            chunk: int = 1024) -> np.ndarray:
    """How typical each vector is among `references` (which may contain it): the mean cosine
    similarity to its `neighbours` most similar references, leaving out the most similar
    one (the vector itself when it is a reference). Chunked, so memory stays small."""
    x, refs = _normalised(vectors), _normalised(references)
    if len(x) == 0 or len(refs) < 2:
        return np.ones(len(x))
    k = min(neighbours + 1, len(refs))
    out = np.empty(len(x))
    for start in range(0, len(x), chunk):
        sims = x[start:start + chunk] @ refs.T
        top = np.sort(np.partition(sims, len(refs) - k, axis=1)[:, -k:], axis=1)
        out[start:start + chunk] = top[:, :-1].mean(axis=1)
    return np.clip(out, 0.0, 1.0)


def informativeness(margin: np.ndarray, typical: np.ndarray | None,
                    weight: float = DENSITY_WEIGHT) -> np.ndarray:
    """How much labelling a record should teach the model, larger first: uncertainty (1 −
    margin) times density ** weight, so an unsure but typical record beats an unsure outlier."""
    uncertainty = 1.0 - np.asarray(margin, dtype=np.float64)
    return uncertainty if typical is None else uncertainty * np.asarray(typical, dtype=np.float64) ** weight


def active_order(margin: np.ndarray, vectors: np.ndarray, references: np.ndarray, limit: int,
                 anchors: np.ndarray | None = None, seed: int = 0) -> tuple[list[int], np.ndarray]:
    """Up to `limit` candidate indices by density-weighted uncertainty, diverse within the
    batch (`uncertainty_order` on −informativeness). Density is computed for the
    `DENSITY_CANDIDATES` least sure candidates against at most `DENSITY_REFERENCES`
    references (a seeded sample); the others keep density 0 and so follow them. Returns
    the order and each candidate's informativeness."""
    margin = np.asarray(margin, dtype=np.float64)
    refs = np.asarray(references)
    if len(refs) > DENSITY_REFERENCES:
        rng = np.random.default_rng(seed % (2 ** 32))
        refs = refs[np.sort(rng.choice(len(refs), DENSITY_REFERENCES, replace=False))]
    typical = np.zeros(len(margin))
    shortlist = np.argsort(margin, kind="stable")[:max(DENSITY_CANDIDATES, limit)]
    typical[shortlist] = density(np.asarray(vectors)[shortlist], refs)
    score = informativeness(margin, typical)
    return uncertainty_order(-score, vectors, limit, anchors), score
