"""`labeling.enrich`: label records with a labeling project's heuristics.

The node fetches the project's enrichment bundle (heuristics, lookup terms, trained
active-learner weights, precisions, weak-supervision constants) through
`ctx.store_client.labeling_bundle`, then labels its records here, in the flow-run
process, in batches: embeddings are computed on the fly (by the server's embedding
service when the run has one — run workers never load the model — else by the model
loaded once in this process, only if an active learner is trained), the next chunk's
vectors while this chunk is labelled, so records that never reached the project are
enriched too. The first chunk is small (records and characters of text), so a warm run's
first records come out at once; after it, vectors are asked for in big chunks, which the
service sorts by length over the whole chunk (little padding). Records whose text fields
are missing or empty are counted in a warning and flagged `"no_text": true`. Each record gets
`record["prediction"]["results"][task] = {"prediction", "confidence", "votes"}`, the
shape Kern AI's workflow code reads.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from uuid import uuid4

from pydantic import Field

from stores import NAME_PATTERN
from stores.labeling import HeuristicError, LabelingError, ProjectEnricher
from stores.labeling.embedding_client import SOCKET_ENV as EMBEDDING_SOCKET_ENV, embeddings_for_this_process

from .base import NodeConfig, NodeContext, NodeError, NodeReferences, NodeType, Record


# The first batch is small, so a warm run's first enriched records come out fast: at most
# this many records, and at most FIRST_BATCH_CHARS characters of text to embed (long
# reviews cost ~10x a short one: 16 records of up to 256 tokens took ~1 s on CPU).
FIRST_BATCH = 16
FIRST_BATCH_CHARS = 2000
# After the first batch, vectors are asked for in requests of up to this many records:
# the service sorts a request's texts by length before batching, so one big request
# wastes far less compute on padding than many small ones (labelling itself is ~5 µs a
# record, so nothing is lost by labelling a chunk only once its vectors are all back).
EMBED_CHUNK = 8192


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
        chunks = _chunks(records, enricher, self.config.batch_size)
        try:
            self._enrich_batches(ctx, enricher, records, chunks, started)
        except HeuristicError as exc:
            raise self._error(exc) from exc
        return records

    def _enrich_batches(self, ctx: NodeContext, enricher: ProjectEnricher, records: list[Record],
                        chunks: list[tuple[int, int]], started: float) -> None:
        """Label chunk after chunk (in `batch_size` batches) while the next chunk's vectors
        are computed (the embedding service works in another process, so waiting on it
        does not hold this one)."""
        total, size = len(records), self.config.batch_size
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="enrich-prefetch") as prefetch:
            upcoming = prefetch.submit(enricher.embeddings_for, records[slice(*chunks[0])]) \
                if enricher.needs_embeddings else None
            for number, (start, end) in enumerate(chunks):
                ctx.check_cancelled()
                vectors = _wait(ctx, upcoming) if upcoming is not None else None
                if enricher.needs_embeddings and number + 1 < len(chunks):
                    upcoming = prefetch.submit(enricher.embeddings_for, records[slice(*chunks[number + 1])])
                for batch in range(start, end, size):
                    ctx.check_cancelled()
                    stop = min(batch + size, end)
                    part = None if vectors is None else {k: v[batch - start:stop - start] for k, v in vectors.items()}
                    enricher.enrich(records[batch:stop], embeddings=part)
                if number == 0:
                    ctx.logger.info("first %d records enriched %.3f s after the node started", end - start,
                                    time.monotonic() - started)
                elif total > size:
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


def _wait(ctx: NodeContext, future: Future) -> dict:
    """The future's result, checking for a cancelled run meanwhile (a big chunk takes a while)."""
    while not future.done():
        ctx.check_cancelled()
        wait([future], timeout=0.25)
    return future.result()


def _chunks(records: list[Record], enricher: ProjectEnricher, size: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk whose vectors are asked for at once: a small first one
    (at most `FIRST_BATCH` records, `size`, and `FIRST_BATCH_CHARS` characters of text,
    never empty), then the rest in equal chunks of at most `EMBED_CHUNK` records."""
    total = len(records)
    first, chars = 0, 0
    while first < min(FIRST_BATCH, size, total):
        chars += enricher.embedded_chars(records[first])
        if first and chars > FIRST_BATCH_CHARS:
            break
        first += 1
    bounds = [(0, first)]
    rest = total - first
    if rest:
        count = -(-rest // EMBED_CHUNK)
        step = -(-rest // count)
        bounds += [(start, min(start + step, total)) for start in range(first, total, step)]
    return bounds
