"""First-start demo setup, so `flows/stock_news_sentiment.json` runs right after `make run`.

Creates, once (a marker file in the data folder remembers; each step is also skipped if
its object already exists, so a half-finished first start completes on the next one):

- the shared store `sentiment-examples` with the labelling demo's generated headlines
  (`stores/labeling/demo/`: synthetic, not real news);
- the labeling project `stock-sentiment` bound to it: task `sentiment` (labels
  `rather positive` / `neutral` / `rather negative`, text field `headline`), a manual
  label for every example (the generator's label, by user `demo-generator`), one lookup
  list and lookup heuristic per label, and an active learner. Embeddings are *not*
  computed here (loading the model takes ~10 s): the first enrichment computes and
  caches them;
- the secret `slack-webhook` = `http://127.0.0.1:<port>/demo/slack/news`, the local
  demo inbox; replace it with a real Slack incoming-webhook URL to post to Slack. While
  it still points at a local inbox, later starts on another port move it along.
"""

from __future__ import annotations

import logging
import re
import time

from stores.labeling.demo import LABELS, headlines, lookup_lists

log = logging.getLogger("wirework.demo")
MARKER = "demo-created"
EXAMPLES_STORE = "sentiment-examples"
PROJECT = "stock-sentiment"
TASK = "sentiment"
SLACK_SECRET = "slack-webhook"
INBOX_CHANNEL = "news"
LABELED_BY = "demo-generator"
LOOKUP_LABELS = {"positive-terms": "rather positive", "neutral-terms": "neutral", "negative-terms": "rather negative"}
LEARNER = "embedding-learner"


def inbox_url(api_url: str, channel: str = INBOX_CHANNEL) -> str:
    return f"{api_url}/demo/slack/{channel}"


def bootstrap_demo(ctx) -> bool:
    """Create the demo objects on the first start; True when it did something."""
    marker = ctx.settings.data_home / MARKER
    if ctx.stores is None or ctx.labeling is None:
        return False
    if marker.exists():
        _follow_port(ctx)
        return False
    started = time.perf_counter()
    try:
        _examples_store(ctx.stores)
        _project(ctx.labeling)
        try:
            ctx.stores.get_secret(SLACK_SECRET)
        except LookupError:
            ctx.stores.set_secret(SLACK_SECRET, inbox_url(ctx.settings.api_url))
    except Exception:
        # The server is still useful without the demo; no marker, so the next start retries.
        log.exception("setting up the demo project failed; the stock-news sample flow will not run")
        return False
    marker.write_text("demo labeling project, example store and slack-webhook secret created\n")
    log.info("demo set up in %.2f s: project %s, store %s, secret %s", time.perf_counter() - started, PROJECT,
             EXAMPLES_STORE, SLACK_SECRET)
    return True


def _follow_port(ctx) -> None:
    """Still the preset local inbox, but the server moved (`--port`): point it at this server.
    A real Slack URL (anything else) is left alone."""
    try:
        current = ctx.stores.get_secret(SLACK_SECRET)
    except LookupError:
        return
    wanted = inbox_url(ctx.settings.api_url)
    if current != wanted and re.fullmatch(r"http://(127\.0\.0\.1|localhost):\d+/demo/slack/" + INBOX_CHANNEL, current):
        ctx.stores.set_secret(SLACK_SECRET, wanted)
        log.info('secret "%s" follows the server to %s', SLACK_SECRET, ctx.settings.api_url)


def _examples_store(stores) -> None:
    records = [{"id": h["id"], "headline": h["headline"], "label": h["label"]} for h in headlines()]
    stores.upsert(EXAMPLES_STORE, records, create=True)  # unchanged rows stay as they are on a re-run


def _project(labeling) -> None:
    from stores.labeling import AlreadyExists

    try:
        labeling.create_project(PROJECT, EXAMPLES_STORE)
    except AlreadyExists:
        pass
    if not any(t["name"] == TASK for t in labeling.list_tasks(PROJECT)):
        labeling.create_task(PROJECT, TASK, LABELS, ["headline"])
    labeling.sync(PROJECT)
    labelled = {row["record_id"] for row in labeling.manual_labels(PROJECT, TASK)}
    # One bulk write straight to the repository: the service's set_label re-syncs the
    # store on every call, and these labels are known-good (the generator's own).
    missing = {e["id"]: e["label"] for e in headlines() if e["id"] not in labelled}
    labeling.repo.set_labels(PROJECT, TASK, missing, LABELED_BY)
    existing = {h["name"] for h in labeling.list_heuristics(PROJECT, TASK)}
    for list_name, terms in lookup_lists().items():
        labeling.set_lookup_list(PROJECT, list_name, terms)
        if list_name not in existing:
            labeling.add_lookup_heuristic(PROJECT, TASK, list_name, list_name, LOOKUP_LABELS[list_name])
    if LEARNER not in existing:
        labeling.add_active_learner(PROJECT, TASK, LEARNER)
