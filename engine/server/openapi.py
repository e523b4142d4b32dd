"""The API's OpenAPI document, written without starting a server: the source of the
editor's generated TypeScript types (`npm run gen:api` in editor_ui/).

    python -m engine.server.openapi [OUT.json]     # default: stdout
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any


def openapi_document() -> dict[str, Any]:
    """The schema `GET /openapi.json` answers; the app is built but never started, so no
    data folder is opened (a throwaway one only holds the token the app insists on)."""
    from engine.server.app import create_app
    from engine.server.context import ServerSettings

    with tempfile.TemporaryDirectory(prefix="wirework-openapi-") as home:
        app = create_app(ServerSettings(data_home=Path(home), api_token="openapi", run_workers=False,
                                         embedding_service=False))
        return app.openapi()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
