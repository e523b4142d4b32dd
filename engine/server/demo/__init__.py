"""Demo mode served by wirework itself, so the stock-news story runs with no internet.

- `news_site`: a generated stock-news site (list pages, article pages) whose articles
  are made from templates by a fixed rule per article number: synthetic, not real news.
- `newsroom`: which articles are published and when (new ones appear over time or on
  `POST /demo/news/publish`), plus a fault switch for failure drills.
- `inbox`: a Slack-compatible incoming-webhook receiver whose messages are kept in the
  app database.
- `routes`: the HTTP side of all three (`/demo/...` pages, `/api/demo/...` JSON).
- `bootstrap`: the first-start demo labeling project, its example store and the
  `slack-webhook` secret pointing at the local inbox.
"""

from engine.server.demo.bootstrap import bootstrap_demo
from engine.server.demo.routes import api_router, site_router

__all__ = ["api_router", "bootstrap_demo", "site_router"]
