"""Labeling project routes: a thin translation of `stores.labeling.LabelingService`.

Labeling functions are user code: the service runs them in a child process with a
timeout, never in this (the API) process. The enrichment bundle carries that code, so
it is served only on an internal route to worker processes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Response

from engine.server.context import ServerContext, get_context
from engine.server.errors import ApiError
from engine.server.routes.internal import require_internal

router = APIRouter(prefix="/api/labeling", tags=["labeling"])
internal = APIRouter(prefix="/api/internal/labeling", tags=["internal"], include_in_schema=False)


def labeling_of(ctx: ServerContext = Depends(get_context)):
    if ctx.labeling is None:
        raise ApiError(503, "unavailable", "labeling projects are not available in this server")
    return ctx.labeling


def _str(body: dict, key: str, required: bool = True) -> Any:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ApiError(422, "invalid_request", f"`{key}` must be a non-empty string")
    return value


def _str_list(body: dict, key: str) -> list[str]:
    value = body.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(422, "invalid_request", f"`{key}` must be a list of strings")
    return value


# -- projects -------------------------------------------------------------------------
@router.get("/projects")
def list_projects(svc=Depends(labeling_of)) -> list[dict]:
    return svc.list_projects()


@router.post("/projects", status_code=201)
def create_project(body: dict = Body(...), svc=Depends(labeling_of)) -> dict:
    kwargs = {"embedding_model": body["embedding_model"]} if isinstance(body.get("embedding_model"), str) else {}
    return svc.create_project(_str(body, "name"), _str(body, "store"), **kwargs)


@router.get("/projects/{project}")
def get_project(project: str, svc=Depends(labeling_of)) -> dict:
    return svc.get_project(project)


@router.delete("/projects/{project}", status_code=204)
def delete_project(project: str, svc=Depends(labeling_of)) -> Response:
    svc.delete_project(project)
    return Response(status_code=204)


@router.put("/projects/{project}/weak-supervision")
def set_weak_supervision(project: str, body: dict = Body(...), svc=Depends(labeling_of)) -> dict:
    allowed = {k: body[k] for k in ("c", "k", "default_precision") if k in body}
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in allowed.values()):
        raise ApiError(422, "invalid_request", "c, k and default_precision must be numbers")
    return svc.set_weak_supervision(project, **allowed)


@router.post("/projects/{project}/sync")
def sync_project(project: str, svc=Depends(labeling_of)) -> dict:
    return svc.sync(project)


@router.get("/projects/{project}/records")
def list_records(project: str, limit: int = Query(50, ge=1, le=1000), offset: int = Query(0, ge=0),
                 svc=Depends(labeling_of)) -> list[dict]:
    return svc.list_records(project, limit=limit, offset=offset)


# -- tasks and manual labels ------------------------------------------------------------
@router.get("/projects/{project}/tasks")
def list_tasks(project: str, svc=Depends(labeling_of)) -> list[dict]:
    return svc.list_tasks(project)


@router.post("/projects/{project}/tasks", status_code=201)
def create_task(project: str, body: dict = Body(...), svc=Depends(labeling_of)) -> dict:
    return svc.create_task(project, _str(body, "name"), _str_list(body, "labels"), _str_list(body, "text_fields"))


@router.delete("/projects/{project}/tasks/{task}", status_code=204)
def delete_task(project: str, task: str, svc=Depends(labeling_of)) -> Response:
    svc.delete_task(project, task)
    return Response(status_code=204)


@router.get("/projects/{project}/tasks/{task}/labels")
def manual_labels(project: str, task: str, svc=Depends(labeling_of)) -> list[dict]:
    return svc.manual_labels(project, task)


@router.put("/projects/{project}/tasks/{task}/labels/{record_id}")
def set_label(project: str, task: str, record_id: str, body: dict = Body(...), svc=Depends(labeling_of)) -> dict:
    user = body.get("user") if isinstance(body.get("user"), str) else "editor"
    return svc.set_label(project, task, record_id, _str(body, "label"), user)


@router.delete("/projects/{project}/tasks/{task}/labels/{record_id}", status_code=204)
def clear_label(project: str, task: str, record_id: str, svc=Depends(labeling_of)) -> Response:
    if not svc.clear_label(project, task, record_id):
        raise ApiError(404, "not_found", f'record "{record_id}" has no manual label in task "{task}"')
    return Response(status_code=204)


# -- lookup lists and heuristics ----------------------------------------------------------
@router.get("/projects/{project}/lookup-lists")
def list_lookup_lists(project: str, svc=Depends(labeling_of)) -> list[dict]:
    return svc.list_lookup_lists(project)


@router.get("/projects/{project}/lookup-lists/{name}")
def get_lookup_list(project: str, name: str, svc=Depends(labeling_of)) -> dict:
    return svc.get_lookup_list(project, name)


@router.put("/projects/{project}/lookup-lists/{name}")
def set_lookup_list(project: str, name: str, body: dict = Body(...), svc=Depends(labeling_of)) -> dict:
    return svc.set_lookup_list(project, name, _str_list(body, "terms"))


@router.delete("/projects/{project}/lookup-lists/{name}", status_code=204)
def delete_lookup_list(project: str, name: str, svc=Depends(labeling_of)) -> Response:
    if not svc.delete_lookup_list(project, name):
        raise ApiError(404, "not_found", f'no lookup list "{name}" in project "{project}"')
    return Response(status_code=204)


@router.get("/projects/{project}/tasks/{task}/heuristics")
def list_heuristics(project: str, task: str, svc=Depends(labeling_of)) -> list[dict]:
    return svc.list_heuristics(project, task)


@router.put("/projects/{project}/tasks/{task}/heuristics/{name}")
def save_heuristic(project: str, task: str, name: str, body: dict = Body(...), svc=Depends(labeling_of)) -> dict:
    config = body.get("config")
    if not isinstance(config, dict):
        raise ApiError(422, "invalid_request", "`config` must be an object")
    return svc.save_heuristic(project, task, name, _str(body, "kind"), config, replace=True)


@router.delete("/projects/{project}/tasks/{task}/heuristics/{name}", status_code=204)
def delete_heuristic(project: str, task: str, name: str, svc=Depends(labeling_of)) -> Response:
    if not svc.delete_heuristic(project, task, name):
        raise ApiError(404, "not_found", f'no heuristic "{name}" in task "{task}"')
    return Response(status_code=204)


# -- embeddings, statistics, weak supervision -----------------------------------------------
@router.post("/projects/{project}/embeddings")
def compute_embeddings(project: str, body: dict | None = Body(None), svc=Depends(labeling_of)) -> dict:
    task = _str(body or {}, "task", required=False)
    return svc.compute_embeddings(project, task)


@router.get("/projects/{project}/tasks/{task}/statistics")
def heuristic_statistics(project: str, task: str, svc=Depends(labeling_of)) -> dict:
    return svc.heuristic_statistics(project, task)


@router.get("/projects/{project}/tasks/{task}/weak-supervision")
def weak_supervision(project: str, task: str, method: str = Query("refinery", pattern="^(refinery|majority)$"),
                     svc=Depends(labeling_of)) -> dict:
    return svc.weak_supervision(project, task, method)


# -- labeling view: status, what to label next, previews and training jobs ----------------
@router.get("/projects/{project}/status")
def project_status(project: str, svc=Depends(labeling_of)) -> dict:
    return svc.status(project)


@router.get("/projects/{project}/tasks/{task}/suggestions")
def suggestions(project: str, task: str, filter: str = Query("suggested"), limit: int = Query(50, ge=1, le=1000),
                max_confidence: float = Query(0.8, ge=0.0, le=1.0), exclude: list[str] = Query(default=[]),
                svc=Depends(labeling_of)) -> dict:
    return svc.suggestions(project, task, filter, limit, max_confidence, exclude)


@router.post("/projects/{project}/tasks/{task}/preview")
def preview_labeling_function(project: str, task: str, body: dict = Body(...), svc=Depends(labeling_of)) -> dict:
    size = body.get("sample_size", 20)
    if not isinstance(size, int) or isinstance(size, bool):
        raise ApiError(422, "invalid_request", "`sample_size` must be an integer")
    name = _str(body, "name", required=False) or "preview"
    return svc.preview_labeling_function(project, task, _str(body, "code"), size, name)


@router.post("/projects/{project}/tasks/{task}/training", status_code=202)
def start_training(project: str, task: str, body: dict = Body(...), svc=Depends(labeling_of)) -> dict:
    return svc.start_training(project, task, _str(body, "heuristic"))


@router.get("/projects/{project}/training/{job_id}")
def training_job(project: str, job_id: str, svc=Depends(labeling_of)) -> dict:
    return svc.training_job(project, job_id)


# -- for worker processes ---------------------------------------------------------------------
@internal.post("/projects/{project}/bundle")
def enrichment_bundle(project: str, body: dict | None = Body(None), ctx: ServerContext = Depends(require_internal)) -> dict:
    tasks = (body or {}).get("tasks")
    if tasks is not None and (not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks)):
        raise ApiError(422, "invalid_request", "`tasks` must be a list of task names or null")
    return labeling_of(ctx).enrichment_bundle(project, tasks)
