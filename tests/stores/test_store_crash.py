"""A process killed with SIGKILL in the middle of large upserts: the store holds all of
each batch or none of it, and the file reopens cleanly (real subprocesses, real files)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

from stores import LocalStoreClient

EXISTING, NEW = 50_000, 20_000
# Writes batch after batch until killed: batch k sets v=k on every existing record and
# adds NEW records "n{k}-…"; it prints after each commit.
WRITER = textwrap.dedent(f"""
    import sys
    from stores import LocalStoreClient

    body = "lorem ipsum " * 25
    client = LocalStoreClient(sys.argv[1])
    k = 0
    while True:
        k += 1
        batch = [{{"id": f"r{{i}}", "v": k, "body": body}} for i in range({EXISTING})]
        batch += [{{"id": f"n{{k}}-{{j}}", "v": k}} for j in range({NEW})]
        client.upsert("s", batch, create=True)
        print("committed", k, flush=True)
""")


@pytest.mark.parametrize("delay_s", [0.3, 0.45, 0.65])
def test_a_killed_upsert_is_all_or_nothing(tmp_path, delay_s):
    data_dir = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().split() == ["committed", "1"]
        time.sleep(delay_s)  # now inside batch 2 or later: encoding, writing or committing
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL  # it never stops by itself
    with LocalStoreClient(data_dir) as client:  # reopens cleanly: the WAL replays or is discarded
        with client._connection() as con:
            versions = con.execute(
                """SELECT DISTINCT data->>'$.v' FROM "store_s" WHERE id LIKE 'r%'""").fetchall()
            added = dict(con.execute(
                """SELECT split_part(id, '-', 1), count(*) FROM "store_s" WHERE id LIKE 'n%' GROUP BY 1""").fetchall())
            max_seq = con.execute('SELECT max(seq) FROM "store_s"').fetchall()[0][0]
        assert len(versions) == 1, f"existing records from different batches: {versions}"
        last = int(versions[0][0])
        assert added == {f"n{k}": NEW for k in range(1, last + 1)}  # every committed batch whole, no partial one
        info = client.describe_store("s")
        assert info["count"] == EXISTING + NEW * last and info["last_seq"] == max_seq
        assert client.upsert("s", [{"id": "after-crash"}])["inserted"] == 1  # and it takes writes again
