"""Building outgoing JSON from records: field paths and `{field}` templates.

Owns the template language of the output nodes (`webhook.post`, `slack.post`):
a template is JSON whose strings may hold `{field}` placeholders. A dotted path reaches
into nested values (`{prediction.results.sentiment.prediction}`); a string that is
exactly one placeholder keeps the value's type (a number, list or object), otherwise
the value is written into the text; `{{` and `}}` are literal braces. A missing field
is an error naming the record, never a silent empty string.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][\w-]*(?:\.[\w-]+)*)\}")
_MISSING = object()


class TemplateError(ValueError):
    """A template is not valid JSON, or a record lacks a field the template uses."""


def get_path(record: Any, path: str) -> Any:
    """`record["a"]["b"]` for "a.b"; list items by index ("items.0"). Raises TemplateError."""
    value = record
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            available = ", ".join(sorted(map(str, value))[:20]) if isinstance(value, dict) else type(value).__name__
            raise TemplateError(f'the record has no field "{path}" (available here: {available})')
    return value


def parse_template(template: str) -> Any:
    """The template as a JSON value; a TemplateError says where the JSON is broken."""
    try:
        return json.loads(template)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"the template is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                            'write e.g. {"text": "{title}"}') from None


def render(template: Any, values: dict[str, Any]) -> Any:
    """Fill the placeholders of a parsed template from `values`."""
    if isinstance(template, str):
        return _render_string(template, values)
    if isinstance(template, dict):
        return {_render_key(k, values): render(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, values) for v in template]
    return template


def _render_key(key: str, values: dict[str, Any]) -> str:
    rendered = _render_string(key, values)
    return rendered if isinstance(rendered, str) else str(rendered)


def _render_string(text: str, values: dict[str, Any]) -> Any:
    whole = _PLACEHOLDER.fullmatch(text)
    if whole and whole.group(1):
        return get_path(values, whole.group(1))

    def substitute(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        value = get_path(values, match.group(1))
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)

    return _PLACEHOLDER.sub(substitute, text)


def placeholders(template: Any) -> set[str]:
    """The field paths a parsed template uses (for checks before a run)."""
    found: set[str] = set()
    if isinstance(template, str):
        found.update(m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1))
    elif isinstance(template, dict):
        for key, value in template.items():
            found |= placeholders(key) | placeholders(value)
    elif isinstance(template, list):
        for value in template:
            found |= placeholders(value)
    return found
