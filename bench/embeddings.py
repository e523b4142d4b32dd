"""Benchmark of the labeling project (not part of the tests; prints JSON).

1. Embedding throughput: our path (`stores.labeling.embeddings.Embedder`: AutoModel,
   token-length-sorted batches, dynamic padding, inference_mode) against plain
   sentence-transformers `encode` on the same texts, same model, same device, in the
   same run (best of `--rounds`, after a warm-up).
2. Weak-supervision accuracy on the demo headlines (generated data, see
   stores/labeling/demo): a share of records gets manual labels, the rest is held out;
   refinery's rule vs a majority vote over the same heuristics (three lookup lists and
   an active learner), scored on the held-out records only, over several random splits.

    .venv/bin/python bench/embeddings.py [--texts 2000] [--rounds 2] [--splits 3] [--learner-c 100]
                                         [--only embeddings|weak_supervision]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stores.labeling import LabelingService, get_embedder, pick_device  # noqa: E402
from stores.labeling.demo import LABELS, headlines, lookup_lists  # noqa: E402
from stores.labeling.embeddings import resolve_model_path  # noqa: E402
from stores.labeling.heuristics import DEFAULT_LEARNER_C  # noqa: E402
from stores.local_client import LocalStoreClient  # noqa: E402


def bench_texts(n: int) -> list[str]:
    """Demo headlines, some followed by a second and third sentence, so lengths vary
    like a mix of headlines and short article leads."""
    rng = random.Random(1)
    base = [r["headline"] for r in headlines()]
    texts = []
    for i in range(n):
        parts = [base[i % len(base)]] + rng.sample(base, rng.choice([0, 0, 1, 3]))
        texts.append(". ".join(parts))
    return texts


def best_rates(encoders: dict, texts: list[str], rounds: int) -> dict[str, float]:
    """Sentences/s of each encoder, best of `rounds`; rounds alternate between encoders
    so a busy machine (2 shared cores) slows both alike rather than whichever ran last."""
    for encode in encoders.values():
        encode(texts[:64])  # warm-up: first-call allocations and thread pools
    best = {name: float("inf") for name in encoders}
    for _ in range(rounds):
        for name, encode in encoders.items():
            started = time.perf_counter()
            encode(texts)
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: len(texts) / seconds for name, seconds in best.items()}


def embedding_throughput(n: int, rounds: int, batch_size: int) -> dict:
    from sentence_transformers import SentenceTransformer

    texts = bench_texts(n)
    device = pick_device()
    ours = get_embedder().ensure_loaded()
    ours.batch_size = batch_size
    reference = SentenceTransformer(str(resolve_model_path("all-MiniLM-L6-v2")), device=device)
    rates = best_rates({"ours": ours.encode,
                        "sentence_transformers": lambda t: reference.encode(t, batch_size=batch_size)}, texts, rounds)
    ours_rate, st_rate = rates["ours"], rates["sentence_transformers"]
    return {"texts": n, "device": device, "batch_size": batch_size, "rounds": rounds,
            "ours_sentences_per_s": round(ours_rate, 1),
            "sentence_transformers_sentences_per_s": round(st_rate, 1),
            "ratio_ours_over_sentence_transformers": round(ours_rate / st_rate, 3)}


def weak_supervision_accuracy(splits: int, labelled_share: float, learner_c: float) -> dict:
    demo = headlines()
    gold = {r["id"]: r["label"] for r in demo}
    scores: dict[str, list[dict]] = {"refinery": [], "majority": []}
    with tempfile.TemporaryDirectory() as tmp:
        stores = LocalStoreClient(Path(tmp) / "stores")
        service = LabelingService(Path(tmp) / "labeling.duckdb", stores)
        stores.create_store("news")
        stores.upsert("news", [{"id": r["id"], "headline": r["headline"]} for r in demo])
        service.create_project("bench", "news")
        for name, terms in lookup_lists().items():
            service.set_lookup_list("bench", name, terms)
        for split in range(splits):
            task = f"split-{split}"
            service.create_task("bench", task, LABELS, ["headline"])
            for name, label in zip(("positive-terms", "neutral-terms", "negative-terms"), LABELS):
                service.add_lookup_heuristic("bench", task, name, name, label)
            service.add_active_learner("bench", task, "learner", c=learner_c)
            ids = sorted(gold)
            random.Random(split).shuffle(ids)
            labelled = set(ids[:int(len(ids) * labelled_share)])
            for record_id in labelled:
                service.set_label("bench", task, record_id, gold[record_id], user="bench")
            held_out = [i for i in ids if i not in labelled]
            if split == 0:
                stats = service.heuristic_statistics("bench", task)["heuristics"]
                coverage = {h["name"]: round(h["coverage_share"], 4) for h in stats}
            for method in scores:
                results = service.weak_supervision("bench", task, method=method)["results"]
                predicted = [i for i in held_out if results[i]["prediction"] is not None]
                correct = sum(results[i]["prediction"] == gold[i] for i in predicted)
                scores[method].append({"coverage": len(predicted) / len(held_out),
                                       "accuracy_on_labelled": correct / len(predicted) if predicted else 0.0,
                                       "accuracy_overall": correct / len(held_out)})
        service.close()
        stores.close()

    def mean(method: str, key: str) -> float:
        return round(sum(s[key] for s in scores[method]) / len(scores[method]), 4)

    return {"data": "generated demo headlines (stores/labeling/demo), 3 labels",
            "records": len(demo), "manual_label_share": labelled_share, "splits": splits,
            "heuristics": ["positive-terms", "neutral-terms", "negative-terms",
                           f"learner (min_confidence 0.9, C={learner_c:g})"],
            "heuristic_coverage_split_0": coverage,
            **{method: {key: mean(method, key) for key in ("coverage", "accuracy_on_labelled", "accuracy_overall")}
               for method in scores}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--splits", type=int, default=3)
    parser.add_argument("--labelled-share", type=float, default=0.3)
    parser.add_argument("--learner-c", type=float, default=DEFAULT_LEARNER_C,
                        help="inverse regularisation of the learner (the product default unless given)")
    parser.add_argument("--only", choices=["embeddings", "weak_supervision"])
    args = parser.parse_args()
    result = {}
    if args.only in (None, "embeddings"):
        result["embeddings"] = embedding_throughput(args.texts, args.rounds, args.batch_size)
    if args.only in (None, "weak_supervision"):
        result["weak_supervision"] = weak_supervision_accuracy(args.splits, args.labelled_share, args.learner_c)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
