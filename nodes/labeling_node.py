"""`labeling.enrich`: label records with a labeling project's heuristics.

The node fetches the project's enrichment bundle (heuristics, lookup terms, trained
active-learner weights, precisions, weak-supervision constants) through
`ctx.store_client.labeling_bundle`, then labels its records here, in the flow-run
process, in batches: embeddings are computed on the fly (by the server's embedding
service when the run has one — run workers never load the model — else by the model
loaded once in this process, only if an active learner is trained), the next batch's
vectors while this batch is labelled, so records that never reached the project are
enriched too. Records whose text fields are missing or empty are counted in a warning
and flagged `"no_text": true`. Each record gets
`record["prediction"]["results"][task] = {"prediction", "confidence", "votes"}`, the
shape Kern AI's workflow code reads.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from uuid import uuid4

from pydantic import Field

from stores import NAME_PATTERN
from stores.labeling import HeuristicError, LabelingError, ProjectEnricher
from stores.labeling.embedding_client import SOCKET_ENV as EMBEDDING_SOCKET_ENV, embeddings_for_this_process

from .base import NodeConfig, NodeContext, NodeError, NodeReferences, NodeType, Record


# Records in the first batch: small, so a warm run's first enriched record comes out fast.
FIRST_BATCH = 16


class EnrichConfig(NodeConfig):
    # The formats are editor hints: the form shows pickers of existing projects and their tasks.
    project: str = Field(..., pattern=NAME_PATTERN, json_schema_extra={"format": "labeling-project"},
                         description="The labeling project whose heuristics label the records.")
    tasks: list[str] = Field(default_factory=list, json_schema_extra={"format": "labeling-tasks"},
                             description="Labeling tasks to predict; empty means every task of the project.")
    batch_size: int = Field(default=256, ge=1, le=100_000,
                            description="Records labelled (and embedded) per batch.")


class LabelingEnrich(NodeType):
    type = "labeling.enrich"
    category = "transform"
    title = "Labeling enrichment"
    description = ('Adds record["prediction"]["results"][task] = {prediction, confidence, votes} from a '
                   "labeling project's heuristics and weak supervision.")
    Config = EnrichConfig
    config: EnrichConfig

    def references(self) -> NodeReferences:
        # The bundle is read through the project (its bound store is the project's business).
        return NodeReferences.of(projects=[self.config.project])

    def _bundle(self, ctx: NodeContext) -> dict:
        """The project's enrichment bundle through the store client (see stores/labeling/access.py)."""
        client = ctx.require_store_client()
        try:
            return client.labeling_bundle(self.config.project, self.config.tasks or None)
        except HeuristicError as exc:
            raise self._error(exc) from exc
        except LabelingError as exc:
            raise NodeError(str(exc), node_id=self.node_id, exception_type=type(exc).__name__) from exc

    def _error(self, exc: HeuristicError) -> NodeError:
        detail = f'project "{exc.project}", task "{exc.task}", heuristic "{exc.heuristic}": {exc.message}'
        return NodeError(detail, node_id=self.node_id, record_id=exc.record_id, user_line=exc.line,
                         source_line=exc.source_line, exception_type=exc.exception_type)

    def run(self, ctx: NodeContext, records: list[Record]) -> list[Record]:
        if not records:
            return []
        started = time.monotonic()
        embed = embeddings_for_this_process()
        enricher = ProjectEnricher(self._bundle(ctx), embed=embed)
        if enricher.needs_embeddings:
            where = ("the embedding service" if os.environ.get(EMBEDDING_SOCKET_ENV) else
                     "the model loaded in this process (no embedding service)")
            ctx.logger.info("active learners need embeddings of %s: from %s", enricher.bundle["embedding_model"],
                            where)
        for record in records:
            if not isinstance(record.get("id"), str):
                record["id"] = str(record["id"]) if record.get("id") is not None else str(uuid4())
        self._warn_missing_text(ctx, enricher, records)
        batches = _batches(len(records), self.config.batch_size)
        try:
            self._enrich_batches(ctx, enricher, records, batches, started)
        except HeuristicError as exc:
            raise self._error(exc) from exc
        return records

    def _enrich_batches(self, ctx: NodeContext, enricher: ProjectEnricher, records: list[Record],
                        batches: list[tuple[int, int]], started: float) -> None:
        """Label batch after batch while the next batch's vectors are computed (the embedding
        service works in another process, so waiting on it does not hold this one)."""
        total = len(records)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="enrich-prefetch") as prefetch:
            upcoming = prefetch.submit(enricher.embeddings_for, records[slice(*batches[0])]) \
                if enricher.needs_embeddings else None
            for number, (start, end) in enumerate(batches):
                ctx.check_cancelled()
                vectors = upcoming.result() if upcoming is not None else None
                if enricher.needs_embeddings and number + 1 < len(batches):
                    upcoming = prefetch.submit(enricher.embeddings_for, records[slice(*batches[number + 1])])
                enricher.enrich(records[start:end], embeddings=vectors)
                if number == 0:
                    ctx.logger.info("first %d records enriched %.3f s after the node started", end - start,
                                    time.monotonic() - started)
                elif total > self.config.batch_size:
                    ctx.logger.info("enriched %d/%d records", end, total)

    def _warn_missing_text(self, ctx: NodeContext, enricher: ProjectEnricher, records: list[Record]) -> None:
        """Say, per task and field, how many records lack the text the task reads: they get no
        active-learner vote and `"no_text": true` on their result."""
        for task, coverage in enricher.text_coverage(records).items():
            if not coverage["no_text"]:
                continue
            fields = ", ".join(f'"{name}" missing on {c["missing"]}, empty on {c["empty"]}'
                               for name, c in coverage["fields"].items() if c["missing"] or c["empty"])
            ctx.logger.warning('task "%s": %d of %d records have no text (%s); they get no active-learner vote '
                               'and "no_text": true', task, coverage["no_text"], len(records), fields)


def _batches(total: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of each batch: a small first batch so the first records come out at once
    (a few hundred ms on CPU), then `size` each."""
    first = min(FIRST_BATCH, size, total)
    bounds = [(0, first)]
    for start in range(first, total, size):
        bounds.append((start, min(start + size, total)))
    return bounds
