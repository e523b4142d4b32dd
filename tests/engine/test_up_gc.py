"""`wirework up`'s server leaves what the app's start loaded out of the garbage collector's
sight (gc.freeze, engine/cli/up.py): a full collection then walks only what requests create."""

from __future__ import annotations

import asyncio
import gc

import uvicorn

from engine.cli.up import _quiet_exit_server

made_at_start: list = []


async def app(scope, receive, send):
    """An ASGI app whose start makes a long-lived object, as the real app's services do."""
    assert scope["type"] == "lifespan"
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            made_at_start.append({"service": "started"})
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def test_what_the_start_made_is_frozen_out_of_collections():
    gc.unfreeze()
    server = _quiet_exit_server()(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning"))

    async def start_and_stop() -> tuple[int, bool]:
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:  # the app's start has run and the socket listens
                assert not serving.done(), "the server stopped while starting"
                await asyncio.sleep(0.01)
            started = made_at_start[-1]
            return gc.get_freeze_count(), any(o is started for o in gc.get_objects())
        finally:
            server.should_exit = True
            await serving

    try:
        frozen, still_collected = asyncio.run(start_and_stop())
    finally:
        gc.unfreeze()  # the rest of the test process collects as usual
    assert frozen > 0
    assert not still_collected, "an object the app made at start is still in the collector's generations"
