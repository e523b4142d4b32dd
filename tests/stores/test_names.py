"""One name rule for stores, secrets, workflows and labeling names (stores/names.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stores import NameInvalid, check_name
from stores.labeling.errors import InvalidName
from stores.labeling.errors import check_name as check_labeling_name


@pytest.mark.parametrize("name", ["abc\n", "Abc", "1abc", "", "a" * 64, "a b", "a/b", None, 5])
def test_every_check_refuses_the_same_names(name):
    from engine.model.workflow import Workflow

    with pytest.raises(NameInvalid):
        check_name(name)
    with pytest.raises(InvalidName):
        check_labeling_name("project", name)
    with pytest.raises(ValidationError):
        Workflow.model_validate({"id": name, "nodes": []})


@pytest.mark.parametrize("name", ["a", "news", "stock-news_2", "a" * 63])
def test_every_check_accepts_the_same_names(name):
    assert check_name(name) == name == check_labeling_name("task", name)
