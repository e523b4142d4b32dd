"""Turning HTML into item records with CSS selectors (the selectors mode of `http.scrape`).

Owns the field spec (`FieldSpec`: name, CSS selector, text or attribute, absolute
URLs), extraction of items and fields from a parsed page, the "next page" link, and
stable item ids (`item_id`): the sha1 of the item's URL *relative to the site* (see
`site_relative`: `articles/acme.html`, never the scheme, host or folder the site is
served under), or of the start page's relative URL plus the key when the key is not a
URL. Re-scraping the same site under another base URL (http → https, a mirror host, a
moved folder prefix) gives the same ids, so a store upsert updates instead of
duplicating. Until issue 17 ids were the sha1 of the absolute URL; stores written then
keep those rows, and a re-scrape adds each item once under its new id.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from pydantic import Field

from .base import NodeConfig

# Attributes that hold links: their values are resolved to absolute URLs by default.
URL_ATTRIBUTES = frozenset({"href", "src", "action", "data-src", "data-href", "poster"})
_SPACES = re.compile(r"\s+")


class FieldSpec(NodeConfig):
    name: str = Field(title="Field name", min_length=1, description="Key of this value in the output record.")
    selector: str = Field(
        default="", title="CSS selector",
        description="Relative to the item (or to the article page). Empty means the item element itself.")
    attribute: str = Field(
        default="", title="Attribute",
        description='Read this attribute (e.g. "href", "datetime") instead of the text.')
    all: bool = Field(default=False, title="All matches", description="A list of every match instead of the first.")
    absolute: bool | None = Field(
        default=None, title="Absolute URL",
        description="Resolve the value against the page URL (urljoin). Default: yes for href/src attributes.")

    def resolves_urls(self) -> bool:
        return self.absolute if self.absolute is not None else self.attribute.lower() in URL_ATTRIBUTES


def selector_problem(selector: str) -> str | None:
    """Why a CSS selector is invalid, or None."""
    try:
        # Through bs4's own CSS API (soupsieve underneath): no direct dependency.
        BeautifulSoup("", "html.parser").css.compile(selector)
    except Exception as exc:  # soupsieve's SelectorSyntaxError and friends
        return f'invalid CSS selector "{selector}": {str(exc).splitlines()[0]}'
    return None


def base_url(soup: BeautifulSoup, page_url: str) -> str:
    """The URL relative links resolve against: the page URL, or its <base href>."""
    base = soup.find("base", href=True)
    href = base.get("href") if isinstance(base, Tag) else None
    return urljoin(page_url, href) if isinstance(href, str) else page_url


def _value_of(element: Tag, spec: FieldSpec, base: str) -> Any:
    if spec.attribute:
        value = element.get(spec.attribute)
        if isinstance(value, list):  # multi-valued attributes such as class
            value = " ".join(value)
        if value is None:
            return None
        value = value.strip()
    else:
        value = _SPACES.sub(" ", element.get_text(" ", strip=True)).strip()
    if value and spec.resolves_urls():
        value = urljoin(base, value)
    return value


def extract_fields(scope: Tag, specs: list[FieldSpec], base: str) -> dict[str, Any]:
    """Values of each field within `scope`; a field whose selector matches nothing is None."""
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.all:
            elements = scope.select(spec.selector) if spec.selector else [scope]
            values[spec.name] = [v for v in (_value_of(e, spec, base) for e in elements) if v not in (None, "")]
        else:
            element = scope.select_one(spec.selector) if spec.selector else scope
            values[spec.name] = _value_of(element, spec, base) if element is not None else None
    return values


def next_page_url(soup: BeautifulSoup, selector: str, base: str) -> str | None:
    link = soup.select_one(selector)
    if link is None:
        return None
    href = link.get("href")
    if not href:  # the selector matched a wrapper (e.g. <li class="next">): use its link
        anchor = link.find("a", href=True)
        href = anchor.get("href") if isinstance(anchor, Tag) else None
    # bs4 gives a list only for multi-valued attributes (class, rel), never for href.
    return urljoin(base, href.strip()) if isinstance(href, str) and href else None


def is_absolute_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def site_folder(url: str) -> str:
    """The folder a URL is in: `http://h/mirror/news?page=2` → `http://h/mirror/`."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else posixpath.dirname(parts.path).rstrip("/") + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def common_site(urls: list[str]) -> str:
    """The deepest folder holding every URL of `urls` (one host): the site they belong to."""
    folders = [urlsplit(site_folder(u)).path.split("/") for u in urls]
    common: list[str] = []
    for segments in zip(*folders):
        if len(set(segments)) != 1:
            break
        common.append(segments[0])
    first = urlsplit(urls[0])
    return f"{first.scheme}://{first.netloc}{'/'.join(common).rstrip('/')}/"


def site_relative(url: str, site: str) -> str:
    """`url` relative to the site's folder, without scheme or host, query kept and fragment
    dropped: `https://mirror/m/articles/a.html` under site `https://mirror/m/` and
    `http://host/articles/a.html` under `http://host/` both give `articles/a.html`. A URL
    on another host stays `//host/path` (only its scheme is dropped)."""
    target, base = urlsplit(url), urlsplit(site)
    query = f"?{target.query}" if target.query else ""
    if target.netloc.lower() != base.netloc.lower():
        return f"//{target.netloc.lower()}{target.path or '/'}{query}"
    folder = base.path if base.path.endswith("/") else posixpath.dirname(base.path) + "/"
    relative = posixpath.relpath(target.path or "/", folder or "/")
    if target.path.endswith("/") and relative != ".":
        relative += "/"
    return relative + query


def item_id(key: Any, start_url: str, site: str | None = None) -> str:
    """Stable id of an item: sha1 of its URL relative to `site` (default: the start URL's
    folder; with no start URL, the URL's own host), else of start page + key."""
    text = key if isinstance(key, str) else repr(key)
    if is_absolute_url(text):
        # A URL names the item wherever it is listed, and wherever the site is served.
        base = site or (site_folder(start_url) if start_url else f"{urlsplit(text).scheme}://{urlsplit(text).netloc}/")
        material = site_relative(text, base)
    elif start_url:
        # Anything else is only unique within the listing it came from.
        material = f"{site_relative(start_url, site or site_folder(start_url))}\n{text}"
    else:
        material = text
    return hashlib.sha1(material.encode("utf-8")).hexdigest()
