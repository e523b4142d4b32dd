"""Every node's input and output of every run, as the API serves them (issue 16 part 1).

The files are `run-data/<run id>/<node id>/output.<part>.arrow` in the data folder
(format: engine/model/run_data_files.py). Run processes upload them part by part, with
their run token, to an internal route (this service writes them: a run's sandbox does not
mount the data folder); `wirework run` without a server writes them itself. The app
database keeps only the metadata: counts, times, statuses, and per run the fan-in of each
node (`runs.inputs`), from which a node's *input* is read: the outputs of its upstream
nodes in edge order, or the run's trigger record for a first node. So the input costs no
second copy and is exactly what the node received.

A partial run's reused outputs are hard links of the files of the run it reuses (a copy
where links are impossible), so the new run's data stands on its own when the old run is
pruned; `size` counts each file once.

Retention: the history pruner (services/history_pruner.py) deletes a run's folder with
its rows; nothing here deletes.
"""

from __future__ import annotations

import csv

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import orjson

from stores import Invalid

from engine.config.paths import RUN_DATA_DIR, run_data_dir
from engine.model.run_data_files import RecordFiles, check_part, output_parts, write_part
from engine.model.statuses import NodeStatus
from engine.server.services.history_pruner import run_data_bytes

SIDES = ("input", "output")
FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
# A node in one of these never received its input (it did not run).
_NO_INPUT = frozenset({NodeStatus.PENDING, NodeStatus.NOT_RUN})


class RunDataService:
    def __init__(self, home: Path):
        self.home = Path(home)

    def folder(self, run_id: str) -> Path:
        return run_data_dir(self.home, run_id)

    # -- writing (uploads of run processes; links of partial runs) ---------------------------
    def store_part(self, run_id: str, node_id: str, part: int, data: bytes) -> int:
        """Keep one uploaded part of a node's output; the number of records in it."""
        rows = check_part(data)
        write_part(self.folder(run_id), node_id, part, data)
        return rows

    def has_output(self, run_id: str, node_id: str) -> bool:
        return bool(output_parts(self.folder(run_id), node_id))

    def link_outputs(self, source_run: str, target_run: str, node_ids: list[str]) -> None:
        for node_id in node_ids:
            for path in output_parts(self.folder(source_run), node_id):
                target = self.folder(target_run) / node_id / path.name
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                try:
                    os.link(path, target)
                except FileExistsError:
                    continue
                except OSError:  # a file system without hard links
                    shutil.copyfile(path, target)

    # -- reading ------------------------------------------------------------------------------
    def records(self, run: dict[str, Any], node: dict[str, Any], side: str) -> RecordFiles | None:
        """The node's input or output in this run; None when the run kept none of it (the node
        did not run, the data was pruned, or the run is older than run data)."""
        folder = self.folder(run["id"])
        node_id = node["node_id"]
        if side == "output":
            parts = output_parts(folder, node_id)
            return RecordFiles(parts) if parts else None
        if node["status"] in _NO_INPUT or run.get("inputs") is None:
            return None
        upstream = run["inputs"].get(node_id) or []
        if not upstream:  # a first node: it received the trigger record
            return RecordFiles([], leading=[orjson.dumps(run["trigger"])]) if isinstance(run["trigger"], dict) else None
        parts = [path for source in upstream for path in output_parts(folder, source)]
        if not parts:
            return None
        return RecordFiles(parts)

    def page(self, run: dict[str, Any], node: dict[str, Any], side: str, offset: int, limit: int) -> dict[str, Any]:
        files = self.records(run, node, side)
        if files is None:
            return {"total": 0, "offset": offset, "records": []}
        return {"total": files.total(), "offset": offset,
                "records": [_parse(line, node["node_id"]) for line in files.lines(offset, limit)]}

    def jsonl(self, files: RecordFiles) -> Iterator[bytes]:
        for line in files.lines():
            yield line + b"\n"

    def export(self, files: RecordFiles, format: str) -> Path:
        """A temporary file of every record as CSV or Parquet (the caller deletes it)."""
        handle, name = tempfile.mkstemp(prefix=".download-", suffix=f".{format}", dir=self.home)
        os.close(handle)
        path = Path(name)
        try:
            if format == "csv":
                _write_csv(files, path)
            else:
                _write_parquet(files, path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    # -- size -----------------------------------------------------------------------------------
    def size(self) -> dict[str, int]:
        """Bytes of every run's data (a hard-linked file once) and how many runs have data."""
        root = self.home / RUN_DATA_DIR
        try:
            runs = sum(1 for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False))
        except FileNotFoundError:
            return {"total_bytes": 0, "runs": 0}
        return {"total_bytes": run_data_bytes(self.home), "runs": runs}


def _parse(line: bytes, node_id: str) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        raise Invalid(f'the run data of node "{node_id}" is damaged (a record is not JSON)') from None


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return orjson.dumps(value).decode()  # nested values as JSON text


def _write_csv(files: RecordFiles, path: Path) -> None:
    columns: dict[str, None] = {}
    for line in files.lines():  # first pass: every field, in the order first seen
        record = orjson.loads(line)
        if isinstance(record, dict):
            columns.update(dict.fromkeys(record))
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for line in files.lines():
            record = orjson.loads(line)
            if not isinstance(record, dict):
                record = {"value": record}
            writer.writerow([_cell(record.get(column)) for column in columns])


def _write_parquet(files: RecordFiles, path: Path) -> None:
    """Typed columns, inferred over every record by DuckDB's JSON reader (a field whose type
    varies becomes JSON text)."""
    import duckdb

    jsonl = path.with_suffix(".jsonl")
    try:
        count = 0
        with open(jsonl, "wb") as out:
            for line in files.lines():
                out.write(line + b"\n")
                count += 1
        con = duckdb.connect()
        try:
            if count == 0:
                con.execute(f"COPY (SELECT NULL::VARCHAR AS id LIMIT 0) TO '{_sql_path(path)}' (FORMAT parquet)")
            else:
                con.execute(f"COPY (SELECT * FROM read_json('{_sql_path(jsonl)}', format = 'newline_delimited', "
                            f"sample_size = -1, union_by_name = true)) TO '{_sql_path(path)}' (FORMAT parquet)")
        finally:
            con.close()
    finally:
        jsonl.unlink(missing_ok=True)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")



