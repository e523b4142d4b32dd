"""`python -m engine.cli.prefect_server ARGS`: `prefect server start ARGS`, with write
transactions on its SQLite database begun IMMEDIATE.

Why: Prefect's server opens its write transactions DEFERRED (`BEGIN DEFERRED`, then reads,
then writes). On SQLite, a deferred transaction that must upgrade to a write lock while
another connection writes fails at once with SQLITE_BUSY — the busy timeout does not
apply, since waiting could deadlock — and Prefect answers 503, after which its client
backs off 2, 4, 8… seconds. With a few runs at once that is the common case: 31 of 32
flow-run creations from 16 concurrent flows got a 503 here, and a burst of 100 webhooks
settled at ~1 run/s with runs waiting up to two minutes. `BEGIN IMMEDIATE` takes the
write lock up front and waits for it with the busy timeout, so writers queue instead of
failing (SQLite's own advice for write transactions; Prefect does the same for its
migrations). Reads are untouched: they run outside explicit transactions.

Nothing changes on PostgreSQL (`PREFECT_API_DATABASE_CONNECTION_URL`), where the patched
class is not used; if a Prefect release moves what is patched, the server starts as
plain `prefect server start` and says so once.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any, AsyncGenerator


def _immediate_write_transactions() -> bool:
    try:
        from prefect.server.database import configurations
    except ImportError:
        return False
    config = getattr(configurations, "AioSqliteConfiguration", None)
    begin_mode = getattr(configurations, "SQLITE_BEGIN_MODE", None)
    if config is None or begin_mode is None or not hasattr(config, "begin_transaction"):
        return False

    @contextlib.asynccontextmanager
    async def begin_transaction(self: Any, session: Any, with_for_update: bool = False
                                ) -> AsyncGenerator[Any, None]:
        token = begin_mode.set("IMMEDIATE")
        try:
            async with session.begin() as transaction:
                yield transaction
        finally:
            begin_mode.reset(token)

    config.begin_transaction = begin_transaction
    return True


def main(argv: list[str]) -> int:
    if not _immediate_write_transactions():
        print("wirework: this Prefect version's SQLite configuration is not the one expected; "
              "running its server unchanged (concurrent runs may see 503 answers)", file=sys.stderr, flush=True)
    from prefect.cli import app

    sys.argv = ["prefect", "server", "start", *argv]  # the CLI reads its arguments from there
    app()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
