"""stores.user_code.find_problem: what it finds in user code, and that the same code is
parsed once however often it is checked (each validation checks every Python node)."""

from __future__ import annotations

import ast

import pytest

from stores import user_code
from stores.user_code import find_problem


@pytest.fixture(autouse=True)
def fresh_cache():
    find_problem.cache_clear()
    yield
    find_problem.cache_clear()


def test_finds_syntax_errors_and_a_missing_entry():
    assert find_problem("def node(record):\n    return record\n", "<node a>", "node", "node(...)") is None
    broken = find_problem("def node(record:\n", "<node a>", "node", "node(...)")
    assert broken is not None and broken.message.startswith("SyntaxError") and broken.line == 1
    missing = find_problem("def other(record):\n    return record\n", "<node a>", "node", "node(...)")
    assert missing is not None and missing.message == "the code must define a function `def node(...)`"


def test_the_same_code_is_parsed_once(monkeypatch):
    parsed: list[str] = []
    real_parse = ast.parse

    def counting_parse(source, *args, **kwargs):
        parsed.append(source)
        return real_parse(source, *args, **kwargs)

    monkeypatch.setattr(user_code.ast, "parse", counting_parse)
    code = "def node(record):\n    return record\n"
    for _ in range(3):
        assert find_problem(code, "<node a>", "node", "node(...)") is None
        assert find_problem("def node(:\n", "<node b>", "node", "node(...)").exception_type == "SyntaxError"
    assert parsed == [code, "def node(:\n"]
    # Another node's name is another answer (its messages name its own file).
    find_problem(code, "<node c>", "node", "node(...)")
    assert len(parsed) == 3
