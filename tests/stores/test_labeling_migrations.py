"""Data migrations of labeling.duckdb on real DuckDB files: an active learner stored with
the pre-issue-14 defaults (min_confidence 0.9, c 100) moves to today's (0, C by
cross-validation) once; configs a user chose stay as they are."""

from __future__ import annotations

from stores.labeling.repository import LabelingRepository


def learner_configs(repo: LabelingRepository) -> dict[str, dict]:
    return {row["name"]: row["config"] for row in repo.heuristics("p", "t")}


def test_old_default_learners_move_to_the_new_defaults_once(tmp_path):
    path = tmp_path / "labeling.duckdb"
    repo = LabelingRepository(path)
    # as a database written before issue 14 holds them
    repo.save_heuristic("p", "t", "old-default", "active_learner", {"min_confidence": 0.9, "c": 100.0})
    repo.save_heuristic("p", "t", "chosen-confidence", "active_learner", {"min_confidence": 0.9, "c": 4.0})
    repo.save_heuristic("p", "t", "chosen-c", "active_learner", {"min_confidence": 0.5, "c": 100.0})
    repo.save_heuristic("p", "t", "rule", "lookup_list", {"min_confidence": 0.9, "c": 100.0})
    repo._con.execute("DELETE FROM schema_migrations")  # the database predates the migration
    repo.close()

    repo = LabelingRepository(path)
    configs = learner_configs(repo)
    assert configs["old-default"] == {"min_confidence": 0.0}  # votes everywhere, C by cross-validation
    assert configs["chosen-confidence"] == {"min_confidence": 0.9, "c": 4.0}
    assert configs["chosen-c"] == {"min_confidence": 0.5, "c": 100.0}
    assert configs["rule"] == {"min_confidence": 0.9, "c": 100.0}  # not a learner
    # once: a user who now sets the old pair on purpose keeps it across restarts
    repo.save_heuristic("p", "t", "old-default", "active_learner", {"min_confidence": 0.9, "c": 100.0})
    repo.close()
    repo = LabelingRepository(path)
    assert learner_configs(repo)["old-default"] == {"min_confidence": 0.9, "c": 100.0}
    repo.close()
