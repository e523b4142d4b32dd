"""`python -m engine.embedding --socket PATH --cache PATH [--preload MODEL]`: the embedding
service process (see service.py). Stops cleanly on SIGTERM/SIGINT, and when its parent
(the API process) dies."""

from __future__ import annotations

import argparse
import ctypes
import logging
import signal
import sys
import threading

from engine.embedding.service import serve

_PR_SET_PDEATHSIG = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine.embedding")
    parser.add_argument("--socket", required=True, help="Unix socket path to listen on")
    parser.add_argument("--cache", required=True, help="DuckDB file of the vector cache")
    parser.add_argument("--preload", default=None, help="model to load at once")
    args = parser.parse_args(argv)
    try:  # the service must not outlive the server that started it
        ctypes.CDLL("libc.so.6").prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    serve(args.socket, args.cache, args.preload, ready=lambda: print("ready", flush=True), stop=stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
