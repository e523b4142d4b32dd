"""The schema of the app database (`app.duckdb`): every table, in one place.

`APP_SCHEMA` (run history and saved workflows) is created whenever an `AppDatabase`
opens the file; the demo's tables only when the demo is on (`DEMO_NEWS`, `DEMO_INBOX`,
created by their owners in demo_tables.py). Every statement is idempotent (`IF NOT
EXISTS`), so opening an existing file changes nothing.
"""

from __future__ import annotations

RUN_HISTORY = """
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY,
    workflow_id VARCHAR NOT NULL,
    workflow_version INTEGER NOT NULL,
    trigger JSON,
    status VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    error VARCHAR,
    prefect_flow_run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS node_runs (
    run_id VARCHAR NOT NULL,
    node_id VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    records_in BIGINT NOT NULL DEFAULT 0,
    records_out BIGINT NOT NULL DEFAULT 0,
    sample JSON,
    logs VARCHAR,
    error JSON,
    PRIMARY KEY (run_id, node_id)
);
"""

WORKFLOWS = """
CREATE TABLE IF NOT EXISTS workflows (
    id VARCHAR PRIMARY KEY,
    version INTEGER NOT NULL,
    doc JSON NOT NULL,
    webhook_token VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS workflow_versions (
    workflow_id VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    doc JSON NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workflow_id, version)
);
"""

# Added by issue 17 part 11 (a crashed run started again): which run a retry retries and
# its attempt (1: not a retry). Columns added to a file made before them, hence ALTER.
RUN_RETRIES = """
ALTER TABLE runs ADD COLUMN IF NOT EXISTS retry_of VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS attempt INTEGER DEFAULT 1;
"""

# Added by issue 20 (remote workers): the `wirework worker` that ran a run, {name, host,
# pid} as JSON; null for a run the server ran itself.
RUN_WORKERS = """
ALTER TABLE runs ADD COLUMN IF NOT EXISTS worker JSON;
"""

# Added by issue 16 (run data, partial runs): per node, the upstream nodes whose outputs it
# receives (how its input is read back from the run's data), and for a partial run the run
# it reuses and the node it starts at or runs alone.
RUN_DATA = """
ALTER TABLE runs ADD COLUMN IF NOT EXISTS inputs JSON;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS reuse_from VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS start_at VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS only_node VARCHAR;
"""

APP_SCHEMA = RUN_HISTORY + RUN_RETRIES + RUN_WORKERS + RUN_DATA + WORKFLOWS

# The demo news site's published articles (engine/server/demo/newsroom.py).
DEMO_NEWS = """
CREATE TABLE IF NOT EXISTS demo_news (
    number INTEGER PRIMARY KEY,
    published_at TIMESTAMPTZ NOT NULL
);
"""

# Messages posted to the demo Slack inbox (engine/server/demo/inbox.py).
DEMO_INBOX = """
CREATE SEQUENCE IF NOT EXISTS demo_inbox_ids;
CREATE TABLE IF NOT EXISTS demo_inbox (
    id BIGINT PRIMARY KEY DEFAULT nextval('demo_inbox_ids'),
    channel VARCHAR NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    text VARCHAR,
    blocks JSON
);
"""
