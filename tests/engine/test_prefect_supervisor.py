"""The Prefect supervisor's first start when another process took the chosen port."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx

from engine.cli.ports import free_port
from engine.cli.prefect_supervisor import PrefectSupervisor

# A stand-in for `prefect server start` with the same failure mode: it binds its port or
# exits non-zero, and answers /api/health once it listens.
_HEALTH_SERVER = """
import http.server, sys
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/api/health" else 404); self.end_headers()
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
"""


def _spawn(port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _HEALTH_SERVER, str(port)], start_new_session=True,
                            stderr=subprocess.DEVNULL)


def test_a_first_start_moves_to_a_fresh_port_when_the_chosen_one_was_taken():
    with socket.socket() as squatter:  # binds the port after it was found free, before the server
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        supervisor = PrefectSupervisor(_spawn, taken, start_timeout_s=30, fresh_port=free_port)
        supervisor.start()
        try:
            assert supervisor.wait_started() is None
            assert supervisor.port != taken
            assert httpx.get(f"{supervisor.api_url}/health").status_code == 200
        finally:
            supervisor.stop()


def test_a_port_the_user_named_is_not_swapped():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        supervisor = PrefectSupervisor(_spawn, taken, start_timeout_s=30, fresh_port=None)
        supervisor.start()
        try:
            error = supervisor.wait_started()
            assert error is not None and "exited with code 1 while starting" in error
        finally:
            supervisor.stop()
