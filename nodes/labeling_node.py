"""`labeling.enrich`: label records with a labeling project's heuristics.

The node fetches the project's enrichment bundle (heuristics, lookup terms, trained
active-learner weights, precisions, weak-supervision constants) through
`ctx.store_client.labeling_bundle`, then labels its records here, in the flow-run
process, in batches: embeddings are computed on the fly (model loaded once per process,
only if an active learner is trained), so records that never reached the project are
enriched too. Each record gets
`record["prediction"]["results"][task] = {"prediction", "confidence", "votes"}`, the
shape Kern AI's workflow code reads.
"""

from __future__ import annotations

from uuid import uuid4

from pydantic import Field

from stores import NAME_PATTERN
from stores.labeling import HeuristicError, LabelingError, ProjectEnricher

from .base import NodeConfig, NodeContext, NodeError, NodeReferences, NodeType, Record


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
        enricher = ProjectEnricher(self._bundle(ctx))
        if enricher.needs_embeddings:
            ctx.logger.info("active learners need embeddings: %s (loaded once per process)",
                            enricher.bundle["embedding_model"])
        for record in records:
            if not isinstance(record.get("id"), str):
                record["id"] = str(record["id"]) if record.get("id") is not None else str(uuid4())
        size, total = self.config.batch_size, len(records)
        try:
            for start in range(0, total, size):
                ctx.check_cancelled()
                enricher.enrich(records[start:start + size])
                if total > size:
                    ctx.logger.info("enriched %d/%d records", min(start + size, total), total)
        except HeuristicError as exc:
            raise self._error(exc) from exc
        return records
