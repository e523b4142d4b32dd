"""Wire shapes of the routes remote workers call (engine/server/routes/workers.py) and of
the worker a run names in its JSON (`RunWorkerResponse`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from engine.server.schemas.common import RequestModel, ResponseModel

_Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class WorkerIdentity(RequestModel):
    name: _Name = Field(description="the worker's --name (default: its host name)")
    host: _Name
    pid: int = Field(ge=0, le=2**31, description="the worker process's pid on its host")


class RunWorkerResponse(ResponseModel):
    """The `wirework worker` that ran a run (null: the server ran it itself)."""

    name: str
    host: str
    pid: int


class ClaimRequest(RequestModel):
    flow_run_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    worker: WorkerIdentity


class ClaimResponse(ResponseModel):
    job: dict[str, Any] = Field(description="the run's job line, with its run-scoped token")


class HeartbeatRequest(RequestModel):
    worker: WorkerIdentity
    runs: list[Annotated[str, StringConstraints(max_length=64)]] = Field(default_factory=list, max_length=10_000)


class HeartbeatResponse(ResponseModel):
    cancel: list[str] = Field(description="runs to cancel (SIGTERM, then a kill after the grace)")
    kill: list[str] = Field(description="runs to kill at once")


class RunExitRequest(RequestModel):
    worker: WorkerIdentity
    returncode: int
    memory_limit_mb: int | None = Field(None, description="set when the worker's watchdog killed the run at its limit")
