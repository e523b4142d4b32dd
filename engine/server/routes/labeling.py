"""Labeling project routes: a thin translation of `stores.labeling.LabelingService`.

Labeling functions are user code: the service runs them in a child process with a
timeout, never in this (the API) process. The enrichment bundle carries that code, so
it is served only on an internal route to worker processes.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Body, Depends, Query, Response

from engine.server.context import ServerContext, get_context
from engine.server.errors import ApiError
from engine.server.routes.internal import require_internal
from engine.server.schemas.common import MAX_COUNT
from engine.server.schemas.errors import COMMON_ERRORS, error_responses
from engine.server.schemas.labeling import (
    BundleRequest, EmbeddingCountsResponse, EmbeddingsCompute, EnrichmentBundleResponse, HeuristicResponse,
    HeuristicSave, LabelItem, LabelSet, LabelsAppliedResponse, LookupListResponse, LookupListSet, ManualLabelResponse, PreviewRequest, PreviewResponse,
    ProjectCreate, ProjectDetailResponse, ProjectRecordResponse, ProjectResponse, ProjectStatusResponse,
    StatisticsResponse, SuggestionPageResponse, SyncResponse, TaskCreate, TaskResponse, TrainingJobResponse,
    TrainingStart, WeakSupervisionResponse, WeakSupervisionSettingsResponse, WeakSupervisionUpdate,
)

LABELING_ERRORS = {**COMMON_ERRORS, **error_responses(400, 404, 409, 503)}
router = APIRouter(prefix="/api/labeling", tags=["labeling"], responses=LABELING_ERRORS)
internal = APIRouter(prefix="/api/internal/labeling", tags=["internal"], include_in_schema=False,
                     responses=LABELING_ERRORS)


def labeling_of(ctx: ServerContext = Depends(get_context)):
    if ctx.labeling is None:
        raise ApiError(503, "unavailable", "labeling projects are not available in this server")
    return ctx.labeling


# -- projects -------------------------------------------------------------------------
@router.get("/projects")
def list_projects(svc=Depends(labeling_of)) -> list[ProjectResponse]:
    return svc.list_projects()


@router.post("/projects", status_code=201)
def create_project(body: ProjectCreate, svc=Depends(labeling_of)) -> ProjectDetailResponse:
    kwargs = {"embedding_model": body.embedding_model} if body.embedding_model is not None else {}
    return svc.create_project(body.name, body.store, **kwargs)


@router.get("/projects/{project}")
def get_project(project: str, svc=Depends(labeling_of)) -> ProjectDetailResponse:
    return svc.get_project(project)


@router.delete("/projects/{project}", status_code=204)
def delete_project(project: str, svc=Depends(labeling_of)) -> Response:
    svc.delete_project(project)
    return Response(status_code=204)


@router.put("/projects/{project}/weak-supervision")
def set_weak_supervision(project: str, body: WeakSupervisionUpdate,
                         svc=Depends(labeling_of)) -> WeakSupervisionSettingsResponse:
    return svc.set_weak_supervision(project, **body.model_dump(exclude_none=True))


@router.post("/projects/{project}/sync")
def sync_project(project: str, svc=Depends(labeling_of)) -> SyncResponse:
    return {**svc.sync(project), "warnings": svc.field_warnings(project)}


@router.get("/projects/{project}/records")
def list_records(project: str, limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_COUNT),
                 svc=Depends(labeling_of)) -> list[ProjectRecordResponse]:
    return svc.list_records(project, limit=limit, offset=offset)


# -- tasks and manual labels ------------------------------------------------------------
@router.get("/projects/{project}/tasks")
def list_tasks(project: str, svc=Depends(labeling_of)) -> list[TaskResponse]:
    return svc.list_tasks(project)


@router.post("/projects/{project}/tasks", status_code=201)
def create_task(project: str, body: TaskCreate, svc=Depends(labeling_of)) -> TaskResponse:
    return svc.create_task(project, body.name, body.labels, body.text_fields, body.min_confidence,
                           body.retrain_after)


@router.delete("/projects/{project}/tasks/{task}", status_code=204)
def delete_task(project: str, task: str, svc=Depends(labeling_of)) -> Response:
    svc.delete_task(project, task)
    return Response(status_code=204)


@router.get("/projects/{project}/tasks/{task}/labels")
def manual_labels(project: str, task: str, svc=Depends(labeling_of)) -> list[ManualLabelResponse]:
    return svc.manual_labels(project, task)


@router.post("/projects/{project}/tasks/{task}/labels")
def apply_labels(project: str, task: str, body: list[LabelItem] = Body(..., max_length=100_000),
                 user: str = Query("editor", min_length=1, max_length=200, description="who labelled them"),
                 svc=Depends(labeling_of)) -> LabelsAppliedResponse:
    """Set or remove (label null) many records' manual labels in one transaction; an unknown
    label or record refuses the whole batch with a 400 naming the record."""
    return svc.apply_labels(project, task, [item.model_dump() for item in body], user)


# `:path`: record ids are any string, and an id with "/" (the demo's article paths; %2F
# arrives decoded) must still reach these routes rather than answer 405.
@router.put("/projects/{project}/tasks/{task}/labels/{record_id:path}")
def set_label(project: str, task: str, record_id: str, body: LabelSet, svc=Depends(labeling_of)) -> ManualLabelResponse:
    return svc.set_label(project, task, record_id, body.label, body.user)


@router.delete("/projects/{project}/tasks/{task}/labels/{record_id:path}", status_code=204)
def clear_label(project: str, task: str, record_id: str, svc=Depends(labeling_of)) -> Response:
    if not svc.clear_label(project, task, record_id):
        raise ApiError(404, "not_found", f'record "{record_id}" has no manual label in task "{task}"')
    return Response(status_code=204)


# -- lookup lists and heuristics ----------------------------------------------------------
@router.get("/projects/{project}/lookup-lists")
def list_lookup_lists(project: str, svc=Depends(labeling_of)) -> list[LookupListResponse]:
    return svc.list_lookup_lists(project)


@router.get("/projects/{project}/lookup-lists/{name}")
def get_lookup_list(project: str, name: str, svc=Depends(labeling_of)) -> LookupListResponse:
    return svc.get_lookup_list(project, name)


@router.put("/projects/{project}/lookup-lists/{name}")
def set_lookup_list(project: str, name: str, body: LookupListSet, svc=Depends(labeling_of)) -> LookupListResponse:
    return svc.set_lookup_list(project, name, body.terms)


@router.delete("/projects/{project}/lookup-lists/{name}", status_code=204)
def delete_lookup_list(project: str, name: str, svc=Depends(labeling_of)) -> Response:
    if not svc.delete_lookup_list(project, name):
        raise ApiError(404, "not_found", f'no lookup list "{name}" in project "{project}"')
    return Response(status_code=204)


@router.get("/projects/{project}/tasks/{task}/heuristics")
def list_heuristics(project: str, task: str, svc=Depends(labeling_of)) -> list[HeuristicResponse]:
    return svc.list_heuristics(project, task)


@router.put("/projects/{project}/tasks/{task}/heuristics/{name}")
def save_heuristic(project: str, task: str, name: str, body: HeuristicSave, svc=Depends(labeling_of)
                   ) -> HeuristicResponse:
    return svc.save_heuristic(project, task, name, body.kind, body.config, replace=True)


@router.delete("/projects/{project}/tasks/{task}/heuristics/{name}", status_code=204)
def delete_heuristic(project: str, task: str, name: str, svc=Depends(labeling_of)) -> Response:
    if not svc.delete_heuristic(project, task, name):
        raise ApiError(404, "not_found", f'no heuristic "{name}" in task "{task}"')
    return Response(status_code=204)


# -- embeddings, statistics, weak supervision -----------------------------------------------
@router.post("/projects/{project}/embeddings")
def compute_embeddings(project: str, body: EmbeddingsCompute | None = Body(None),
                       svc=Depends(labeling_of)) -> EmbeddingCountsResponse:
    return svc.compute_embeddings(project, body.task if body is not None else None)


@router.get("/projects/{project}/tasks/{task}/statistics")
def heuristic_statistics(project: str, task: str, svc=Depends(labeling_of)) -> StatisticsResponse:
    return svc.heuristic_statistics(project, task)


@router.get("/projects/{project}/tasks/{task}/weak-supervision")
def weak_supervision(project: str, task: str, method: Literal["refinery", "majority"] = Query("refinery"),
                     svc=Depends(labeling_of)) -> WeakSupervisionResponse:
    return svc.weak_supervision(project, task, method)


# -- labeling view: status, what to label next, previews and training jobs ----------------
@router.get("/projects/{project}/status")
def project_status(project: str, svc=Depends(labeling_of)) -> ProjectStatusResponse:
    return svc.status(project)


@router.get("/projects/{project}/tasks/{task}/suggestions")
def suggestions(project: str, task: str,
                filter: str = Query("suggested", description="suggested, unlabeled, low_confidence, disagreement "
                                                             "or all (another value: 400)"),
                limit: int = Query(50, ge=1, le=1000), max_confidence: float = Query(0.8, ge=0.0, le=1.0),
                exclude: list[str] = Query(default=[], description="ids the client already holds"),
                strategy: str = Query("active", description="label-next order: active (active learning: a "
                                                            "spread cold start, then the model's least sure "
                                                            "records), heuristics or random (another value: 400)"),
                svc=Depends(labeling_of)) -> SuggestionPageResponse:
    return svc.suggestions(project, task, filter, limit, max_confidence, exclude, strategy)


@router.post("/projects/{project}/tasks/{task}/preview")
def preview_labeling_function(project: str, task: str, body: PreviewRequest, svc=Depends(labeling_of)
                              ) -> PreviewResponse:
    return svc.preview_labeling_function(project, task, body.code, body.sample_size, body.name or "preview")


@router.post("/projects/{project}/tasks/{task}/training", status_code=202)
def start_training(project: str, task: str, body: TrainingStart, svc=Depends(labeling_of)) -> TrainingJobResponse:
    return svc.start_training(project, task, body.heuristic)


@router.get("/projects/{project}/training/{job_id}")
def training_job(project: str, job_id: str, svc=Depends(labeling_of)) -> TrainingJobResponse:
    return svc.training_job(project, job_id)


# -- for worker processes ---------------------------------------------------------------------
@internal.post("/projects/{project}/bundle")
def enrichment_bundle(project: str, body: BundleRequest | None = Body(None),
                      ctx: ServerContext = Depends(require_internal)) -> EnrichmentBundleResponse:
    return labeling_of(ctx).enrichment_bundle(project, body.tasks if body is not None else None)
