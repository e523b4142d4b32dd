"""The demo stock-news site's content: article *n* and the HTML of its pages.

Every article is generated from templates by a fixed rule of its number (one seeded
random generator per article), so article 17 reads the same on every machine and every
start: synthetic headlines about invented companies, not real news. The headline
templates are the labeling demo's (`stores/labeling/demo/generate_headlines.py`), so
the demo labeling project has seen the kind of language the site prints; the body
paragraphs are written here. Only the publication time comes from outside (the
newsroom decides when an article appears).
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass
from datetime import datetime

from stores.labeling.demo.generate_headlines import CITIES, COMPANIES, DAYS, PRODUCTS, QUARTERS, TEMPLATES

PER_PAGE = 10
SITE_NAME = "Wirework Demo Markets"
BASE_PATH = "/demo/news"
_SEED = 20261123

_BODY = {
    "rather positive": [
        "{co} said demand for {p} ran ahead of plan, and management expects the momentum to carry into next year.",
        "Analysts at several brokers lifted their price targets after the announcement.",
        "The company added that margins improved for a second straight quarter.",
    ],
    "neutral": [
        "{co} did not change its financial targets, a spokesperson said.",
        "The company will publish further details in its regular filings.",
        "Shares traded in a narrow range in {city} during the session.",
    ],
    "rather negative": [
        "{co} said conditions for {p} remain difficult and gave no timeline for a recovery.",
        "Several analysts lowered their estimates after the news.",
        "The company declined to comment beyond its statement.",
    ],
}


def ticker_of(company: str) -> str:
    """A stable, made-up ticker: first letters of the name's words, padded from the first word."""
    words = company.upper().split()
    letters = "".join(w[0] for w in words) + words[0][1:]
    return letters[:4]


@dataclass(frozen=True)
class Article:
    number: int
    headline: str
    tickers: tuple[str, ...]
    paragraphs: tuple[str, ...]
    published: datetime

    @property
    def slug(self) -> str:
        words = re.sub(r"[^a-z0-9]+", "-", self.headline.lower()).strip("-")
        return f"{self.number:05d}-{words[:60].rstrip('-')}"

    @property
    def path(self) -> str:
        return f"{BASE_PATH}/articles/{self.slug}"

    @property
    def teaser(self) -> str:
        return self.paragraphs[0]


def make_article(number: int, published: datetime) -> Article:
    """Article `number` (1, 2, …), the same text on every call."""
    rng = random.Random(_SEED * 1_000_003 + number)
    label = rng.choice(list(TEMPLATES))
    company = rng.choice(COMPANIES)
    values = dict(co=company, p=rng.choice(PRODUCTS), city=rng.choice(CITIES), day=rng.choice(DAYS),
                  q=rng.choice(QUARTERS), n=rng.randrange(20, 900, 10), pct=rng.randrange(2, 40),
                  jobs=rng.randrange(100, 5000, 100))
    headline = rng.choice(TEMPLATES[label]).format(**values)
    tickers = [ticker_of(company)]
    if rng.random() < 0.3:  # some stories name a second company
        other = rng.choice([c for c in COMPANIES if c != company])
        tickers.append(ticker_of(other))
    body = [p.format(**values) for p in _BODY[label]]
    rng.shuffle(body)
    return Article(number, headline, tuple(tickers), tuple(body), published)


def _page(title: str, main: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{html.escape(title)} — {SITE_NAME}</title>
  <style>body{{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}}
  header a.logo{{font-weight:700;font-size:1.3rem;text-decoration:none;color:#0b4f8a}}
  article.story{{border-bottom:1px solid #ddd;padding:.6rem 0}} .tickers span,.tickers li{{margin-right:.4rem;
  font-family:monospace;color:#0b4f8a}} .tickers{{padding:0;list-style:none;display:flex}} time{{color:#777}}
  .notice{{background:#fff6d6;padding:.4rem .8rem;border-radius:4px}}</style>
</head>
<body>
  <header class="site-header"><a href="{BASE_PATH}/" class="logo">{SITE_NAME}</a>
    <nav><a href="{BASE_PATH}/">Markets</a> · <a href="/demo/inbox">Slack inbox (demo)</a></nav>
  </header>
  <p class="notice">Demo site served by wirework: every article is generated from templates (invented
  companies, not real news).</p>
  <main id="content">{main}
  </main>
  <footer>&copy; {SITE_NAME} — generated demo content</footer>
</body>
</html>"""


def _tickers_inline(article: Article) -> str:
    return "".join(f'<span class="ticker">{t}</span>' for t in article.tickers)


def list_page_html(articles: list[Article], page: int, pages: int) -> str:
    """One list page (newest first); `articles` are the ones on this page."""
    items = "".join(f"""
      <article class="story" data-number="{a.number}">
        <h2 class="headline"><a href="{a.path}">{html.escape(a.headline)}</a></h2>
        <div class="meta"><time datetime="{a.published.isoformat()}">{a.published:%Y-%m-%d %H:%M} UTC</time>
          <span class="tickers">{_tickers_inline(a)}</span></div>
        <p class="teaser">{html.escape(a.teaser)}</p>
      </article>""" for a in articles)
    pager = []
    if page > 1:
        pager.append(f'<a rel="prev" class="prev" href="{BASE_PATH}/?page={page - 1}">&laquo; Newer</a>')
    if page < pages:
        pager.append(f'<a rel="next" class="next" href="{BASE_PATH}/?page={page + 1}">Older &raquo;</a>')
    main = f"""
    <h1>Markets</h1>
    <section class="articles">{items or '<p class="empty">No articles yet.</p>'}
    </section>
    <nav class="pagination">{" ".join(pager)} <span class="page">page {page} of {max(pages, 1)}</span></nav>"""
    return _page(f"Markets (page {page})", main)


def article_html(article: Article) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
    tickers = "".join(f"<li>{t}</li>" for t in article.tickers)
    main = f"""
    <article class="full" data-number="{article.number}">
      <h1 class="title">{html.escape(article.headline)}</h1>
      <p class="byline">Markets desk, <time datetime="{article.published.isoformat()}">{article.published:%Y-%m-%d %H:%M} UTC</time></p>
      <ul class="tickers">{tickers}</ul>
      <div class="article-body">{body}</div>
    </article>"""
    return _page(article.headline, main)


# What the site answers in its "garbage" fault mode: a 200 that is not the site's markup
# (a broken CMS, a captive portal), so a scraper must notice by itself.
GARBAGE_HTML = ("<html><head><title>502 upstream\x00</title></head><body><div><<<%%% !!cms-template-error"
                " {{ articles | render }} <p>undefined</div></body>")
