"""The node registry: built-ins, plugins from the `wirework.nodes` entry-point group,
and a broken plugin reported without breaking the rest."""

from __future__ import annotations

import sys
import textwrap

import pytest

from nodes import NodeRegistry, UnknownNodeType, default_registry


def install_plugin(tmp_path, monkeypatch, body: str, name: str = "acme_nodes") -> None:
    """A real installed distribution on sys.path: package + dist-info with entry points."""
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(body))
    dist = tmp_path / f"{name}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[wirework.nodes]\nacme.upper = {name}:Upper\nacme.broken = {name}:Missing\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)


def test_builtins_are_registered():
    types = {t.type for t in default_registry().types()}
    assert {"python.map", "python.yield", "python.aggregate", "store.read", "store.write"} <= types


def test_plugins_load_from_entry_points_and_broken_ones_are_reported(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, '''
        from nodes import NodeConfig, NodeType

        class UpperConfig(NodeConfig):
            field: str = "title"

        class Upper(NodeType):
            type = "acme.upper"
            category = "transform"
            Config = UpperConfig

            def run(self, ctx, records):
                return [{**r, self.config.field: r[self.config.field].upper()} for r in records]
    ''')
    registry = NodeRegistry()
    registry.load_plugins()
    upper = registry.get("acme.upper")
    assert upper(upper.Config(), "n").run(None, [{"id": "1", "title": "acme"}]) == [{"id": "1", "title": "ACME"}]
    assert "acme.broken" in registry.plugin_errors and "Missing" in registry.plugin_errors["acme.broken"]


def test_unknown_type_lists_what_is_known():
    with pytest.raises(UnknownNodeType) as err:
        default_registry().get("nope")
    assert "python.map" in str(err.value)


def test_node_type_descriptions_carry_schema_and_input_mode():
    described = {t.type: t.describe() for t in default_registry().types()}
    assert described["store.read"]["inputs"] == "order"
    assert described["python.map"]["inputs"] == "records"
    assert described["python.map"]["config_schema"]["properties"]["code"]["format"] == "python"
