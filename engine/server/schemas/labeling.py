"""Wire shapes of the labeling project routes (`stores.labeling.LabelingService`).

A project's records are user data (`Record`); a heuristic's `config` depends on its
kind (labeling_function {code}; lookup_list {list, label}; active_learner
{min_confidence, c}) and is checked by the service, so it stays an object here.
Names and labels the service checks itself (with errors naming project, task and
record) are plain strings, so those messages stay what they were.
"""

from __future__ import annotations

import builtins
from typing import Annotated, Any, Literal

from pydantic import Field, Strict

from engine.server.schemas.common import IsoTime, Record, RequestModel, ResponseModel, omitted_when_none

HeuristicKind = Literal["labeling_function", "lookup_list", "active_learner"]
SuggestionFilter = Literal["suggested", "unlabeled", "low_confidence", "disagreement", "all"]
SuggestionStrategy = Literal["active", "heuristics", "random"]
NonEmpty = Annotated[str, Field(min_length=1)]
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]


# -- what a client writes ------------------------------------------------------------
class ProjectCreate(RequestModel):
    name: NonEmpty
    store: NonEmpty = Field(description="the shared store the project labels (it may not exist yet)")
    embedding_model: str | None = Field(None, description="sentence-transformers model; the default when left out")


class WeakSupervisionUpdate(RequestModel):
    """The settings to change (those left out keep their value). Bounded so that the
    sigmoid 1/(1 + e^(-c·margin + k)) stays a number (1e308 made every suggestion fail)."""

    c: Annotated[Number, Field(ge=0, le=100)] | None = Field(None, description="steepness, 0 to 100 (refinery: 7)")
    k: Annotated[Number, Field(ge=-100, le=100)] | None = Field(None, description="offset, -100 to 100 (refinery: 3)")
    default_precision: Annotated[Number, Field(ge=0, le=1)] | None = Field(
        None, description="the prior precision of a heuristic, 0 to 1")


class TaskCreate(RequestModel):
    name: NonEmpty
    labels: list[str] = Field(description="at least two distinct labels")
    text_fields: list[str] = Field(description="record fields (dotted for nested ones) whose text is labelled")
    min_confidence: float = Field(0.0, ge=0.0, le=1.0,
                                  description="weak supervision gives no label below this confidence (0: always)")
    retrain_after: int = Field(10, ge=0, le=1_000_000,
                               description="retrain the task's model after this many new labels (0: only on demand)")


class LabelSet(RequestModel):
    label: NonEmpty
    user: str = Field("editor", description="who labelled it")


class LabelItem(RequestModel):
    record_id: NonEmpty = Field(description='any record id ("/" and unicode included)')
    label: str | None = Field(description="a label of the task, or null to remove the record's manual label")


class LookupListSet(RequestModel):
    terms: list[str]


class HeuristicSave(RequestModel):
    kind: HeuristicKind
    config: dict[str, Any] = Field(description="labeling_function: {code}; lookup_list: {list, label}; "
                                               "active_learner: {min_confidence, c}")


class EmbeddingsCompute(RequestModel):
    task: NonEmpty | None = Field(None, description="only this task's text (default: every task's)")


class PreviewRequest(RequestModel):
    code: NonEmpty = Field(description="a labeling function: `def lf(record)` returning a label or None")
    sample_size: Annotated[int, Strict()] = Field(20, description="records to try it on, 1 to 500")
    name: NonEmpty | None = Field(None, description="the name errors show (default: preview)")


class TrainingStart(RequestModel):
    heuristic: NonEmpty = Field(description="an active learner of the task")


class BundleRequest(RequestModel):
    tasks: list[str] | None = Field(None, description="the tasks to bundle (default: all)")


# -- projects and tasks --------------------------------------------------------------
class WeakSupervisionSettingsResponse(ResponseModel):
    c: float
    k: float
    default_precision: float
    prior_strength: float | None = omitted_when_none()


class ProjectResponse(ResponseModel):
    name: str
    store: str
    embedding_model: str
    synced_seq: int = Field(description="the store's seq the project has synced up to")
    weak_supervision: WeakSupervisionSettingsResponse
    created_at: IsoTime


class FieldWarning(ResponseModel):
    kind: Literal["field_never_occurs", "field_always_empty"]
    task: str
    field: str = Field(description="the text field the task reads")
    records: int = Field(description="the project's records it was counted on")
    message: str


class TaskResponse(ResponseModel):
    name: str
    labels: list[str]
    text_fields: list[str]
    min_confidence: float = 0.0
    retrain_after: int | None = omitted_when_none()
    created_at: IsoTime | None = omitted_when_none()
    warnings: list[FieldWarning] = Field(default_factory=list,
                                         description="text fields that occur on none of the project's synced records")


class ProjectDetailResponse(ProjectResponse):
    tasks: list[TaskResponse]
    records: int
    lookup_lists: list[str]


class SyncResponse(ResponseModel):
    added: int
    updated: int
    synced_seq: int
    warnings: list[FieldWarning] = Field(default_factory=list,
                                         description="tasks' text fields that occur on none of the project's records")


class RecordLabel(ResponseModel):
    label: str
    labeled_by: str
    labeled_at: IsoTime


class ProjectRecordResponse(ResponseModel):
    id: str
    data: Record
    labels: dict[str, RecordLabel] = Field(description="task → its manual label")


class ManualLabelResponse(ResponseModel):
    task: str
    record_id: str
    label: str
    labeled_by: str
    labeled_at: IsoTime


class LabelsAppliedResponse(ResponseModel):
    task: str
    set: int = Field(description="records given a label")
    removed: int = Field(description="manual labels removed (a null label on a record without one removes none)")
    labeled_by: str
    labeled_at: IsoTime


class LookupListResponse(ResponseModel):
    name: str
    terms: list[str]


class HeuristicResponse(ResponseModel):
    task: str
    name: str
    kind: HeuristicKind
    config: dict[str, Any]
    updated_at: IsoTime | None = omitted_when_none()


class EmbeddingCountsResponse(ResponseModel):
    total: int
    cached: int
    computed: int


# -- statistics and weak supervision -------------------------------------------------
class LabelStatistics(ResponseModel):
    coverage: int
    true_positives: int
    false_positives: int
    precision: float | None


class HeuristicStatistics(ResponseModel):
    name: str
    kind: HeuristicKind
    coverage: int = Field(description="records it labels")
    coverage_share: float
    overlaps: int = Field(description="of those, records another heuristic labels too")
    conflicts: int = Field(description="records another heuristic labels differently")
    true_positives: int
    false_positives: int
    precision: float | None = Field(description="against manual labels (null: none graded)")
    per_label: dict[str, LabelStatistics]


class StatisticsResponse(ResponseModel):
    project: str
    task: str
    records: int
    manual_labels: int
    heuristics: list[HeuristicStatistics]


class Agreement(ResponseModel):
    manual_labels: int
    compared: int
    agreed: int
    rate: float | None


class WeakLabel(ResponseModel):
    prediction: str | None
    confidence: float | None


class WeakResult(WeakLabel):
    votes: dict[str, str] = Field(description="heuristic → the label it voted")


class WeakSupervisionResponse(ResponseModel):
    project: str
    task: str
    method: Literal["refinery", "majority"]
    distribution: dict[str, int] = Field(description="label → records weakly labelled with it")
    settings: WeakSupervisionSettingsResponse
    agreement: Agreement
    results: dict[str, WeakResult] = Field(description="record id → its weak label")


# -- the labeling view ------------------------------------------------------------------
class TextFieldCounts(ResponseModel):
    field: str
    missing: int = Field(description="records without the field (absent or null)")
    empty: int = Field(description="records where it is blank text")


class TaskStatus(ResponseModel):
    task: str
    labeled: int
    unlabeled: int
    embedded: int
    text_fields: list[TextFieldCounts]
    warnings: list[FieldWarning]


class ProjectStatusResponse(ResponseModel):
    project: str
    store: str
    synced_seq: int
    records: int
    tasks: list[TaskStatus]
    warnings: list[FieldWarning] = Field(description="every task's warnings")


class Vote(ResponseModel):
    label: str
    confidence: float


class SuggestedRecord(ResponseModel):
    id: str
    data: Record
    label: str | None
    labeled_by: str | None
    votes: dict[str, Vote] = Field(description="heuristic → its vote")
    weak: WeakLabel
    reason: str = Field(description="why it is suggested, in words")


class SuggestionPageResponse(ResponseModel):
    project: str
    task: str
    filter: SuggestionFilter
    strategy: SuggestionStrategy
    total: int
    records: list[SuggestedRecord]


class PreviewRow(ResponseModel):
    id: str
    text: str
    vote: str | None
    manual: str | None
    correct: bool | None


class PreviewResponse(ResponseModel):
    project: str
    task: str
    sample_size: int
    hits: int
    graded: int
    correct: int
    records: list[PreviewRow]


class TrainingResult(ResponseModel):
    embeddings: EmbeddingCountsResponse
    manual_labels: int
    statistics: HeuristicStatistics


class TrainingJobResponse(ResponseModel):
    id: str
    project: str
    task: str
    heuristic: str
    state: Literal["running", "completed", "failed"]
    phase: str = Field(description="starting, embedding, training, done")
    done: int
    total: int
    result: TrainingResult | None
    error: str | None
    started_at: IsoTime
    finished_at: IsoTime | None


# -- the enrichment bundle (for worker processes) -------------------------------------------
class LabelingFunctionItem(ResponseModel):
    name: str
    kind: Literal["labeling_function"]
    code: str


class LookupListItem(ResponseModel):
    name: str
    kind: Literal["lookup_list"]
    list: str
    label: str
    terms: builtins.list[str]  # `list` is also a field of this model


class LearnerWeights(ResponseModel):
    classes: list[str]
    coef: list[list[float]]
    intercept: list[float]


class ActiveLearnerItem(ResponseModel):
    name: str
    kind: Literal["active_learner"]
    min_confidence: float
    weights: LearnerWeights | None = Field(description="null until two labels have manual examples")
    model_version: int | None = Field(None, description="the trained model version these weights come from")


class BundleTask(ResponseModel):
    name: str
    labels: list[str]
    text_fields: list[str]
    heuristics: list[Annotated[LabelingFunctionItem | LookupListItem | ActiveLearnerItem, Field(discriminator="kind")]]
    precision: dict[str, dict[str, float | None]] = Field(description="heuristic → label → precision")
    min_confidence: float = Field(0.0, description="no label below this confidence")
    model_version: int | None = Field(None, description="the task's latest trained model version")
    model_trained_at: IsoTime | None = None


class EnrichmentBundleResponse(ResponseModel):
    project: str
    embedding_model: str
    weak_supervision: WeakSupervisionSettingsResponse
    tasks: list[BundleTask]
