"""The schedule loop through a Prefect outage (issue 17): one console line when Prefect
stops answering and one when it answers again — not a traceback every 2 s — and the
schedules work again afterwards. A real `wirework up` reaches the session's real Prefect
server through a TCP proxy the test cuts for a while."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.server_harness import ServerProcess, wait_until
from tests.tcp_proxy import TcpProxy


def _schedule_lines(server: ServerProcess, log_from: int) -> list[str]:
    return [line for line in server.log()[log_from:].splitlines() if line.startswith("schedules ")]


def test_the_schedule_loop_reports_a_prefect_outage_once_each_way(prefect_api_url, tmp_path):
    target = httpx.URL(prefect_api_url)
    proxy = TcpProxy(target.host, target.port).start()
    # One retry inside Prefect's client instead of five (2 + 4 + … + 32 s of backoff), so a
    # 10 s outage is seen by the loop rather than ridden out inside one request.
    server = ServerProcess(tmp_path / "home", str(target.copy_with(port=proxy.port)), flows=None,
                           extra_env={"PREFECT_CLIENT_MAX_RETRIES": "1"}).start()
    try:
        with server.client() as api:
            wf_id = f"outage-{uuid.uuid4().hex[:8]}"
            doc = {"id": wf_id, "schedule": {"cron": "0 0 1 1 *", "enabled": True}, "nodes": [
                {"id": "a", "type": "python.map", "config": {"code": "def node(record):\n    return record\n"}}]}
            assert api.post("/api/workflows", json=doc).status_code == 201
            schedule = lambda: api.get(f"/api/workflows/{wf_id}/schedule").json()  # noqa: E731
            wait_until(lambda: schedule()["deployment_id"], 30, "the deployment")  # the loop asks Prefect each second
            log_from = len(server.log())
            proxy.cut()
            wait_until(lambda: _schedule_lines(server, log_from), 30, "the loop to notice the outage")
            time.sleep(10)  # five retries of the loop while Prefect stays away
            assert len(_schedule_lines(server, log_from)) == 1, _schedule_lines(server, log_from)
            proxy.start()
            wait_until(lambda: len(_schedule_lines(server, log_from)) == 2, 30, "the loop to resume")
            paused, resumed = _schedule_lines(server, log_from)
            assert paused.startswith("schedules paused: Prefect does not answer (") and "retrying every 2 s" in paused
            assert resumed.startswith("schedules resumed: Prefect answers again after ")
            assert "Traceback" not in server.log()[log_from:], server.log()[log_from:]
            # And schedules sync again: disabling this one replaces its deployment in Prefect.
            before = schedule()["deployment_id"]
            doc["schedule"]["enabled"] = False
            assert api.put(f"/api/workflows/{wf_id}", json={**doc, "version": 1}).status_code == 200
            wait_until(lambda: schedule()["deployment_id"] not in (None, before), 30, "the schedule to sync again")
    finally:
        server.stop()
        proxy.cut()
