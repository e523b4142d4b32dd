"""A small, realistic financial-news site served by pytest-httpserver on 127.0.0.1.

List pages `/news?page=N` (four stories each, with headline links, dates, tickers, a
teaser, site chrome around them and a "next" link), article pages
`/articles/<slug>.html`, and a robots.txt that keeps crawlers out of `/private/`.
`prefix` serves the same site under a folder (`/mirror/news`, links included), as a
mirror or a moved site would be.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_httpserver import HTTPServer

ROBOTS = """# Friendly robots welcome, except in private areas
User-agent: *
Disallow: /private/

User-agent: BadBot
Disallow: /
"""


@dataclass(frozen=True)
class Story:
    slug: str
    headline: str
    published: str  # ISO date-time
    tickers: tuple[str, ...]
    teaser: str
    author: str
    body: tuple[str, ...]


STORIES = [
    Story("acme-record-quarter", "Acme shares soar after record quarter", "2026-11-20T09:30:00Z", ("ACME",),
          "Revenue rose 31% as cloud demand surged.", "Dana Whitfield",
          ("Acme Corp reported record third-quarter revenue on Thursday.", "Shares rose 12% in early trading.")),
    Story("globex-misses", "Globex misses estimates, stock falls", "2026-11-20T11:05:00Z", ("GLBX",),
          "Margins shrank for a third straight quarter.", "Ravi Menon",
          ("Globex fell short of analyst expectations.", "The company cut its full-year outlook.")),
    Story("initech-agm", "Initech holds annual meeting", "2026-11-19T15:00:00Z", ("INTC", "INTX"),
          "Shareholders re-elected the board.", "Lena Park",
          ("Initech's annual meeting passed without surprises.",)),
    Story("umbrella-beats", "Umbrella Corp beats forecasts and raises guidance", "2026-11-19T08:45:00Z", ("UMBR",),
          "Pharma unit drives the upside.", "Tom Becker",
          ("Umbrella Corp beat forecasts.", "Guidance for next year was raised.")),
    Story("hooli-slump", "Hooli shares slump on weak outlook", "2026-11-18T17:20:00Z", ("HOOL",),
          "Ad revenue growth slowed sharply.", "Mia Chen",
          ("Hooli warned of slower growth.",)),
    Story("soylent-merger", "Soylent agrees merger with Vandelay", "2026-11-18T10:10:00Z", ("SOYL", "VDLY"),
          "An all-stock deal valued at $4.2bn.", "Oscar Diaz",
          ("Soylent and Vandelay Industries agreed to merge.", "The deal needs regulatory approval.")),
    Story("wonka-recall", "Wonka issues product recall", "2026-11-17T13:40:00Z", ("WNKA",),
          "A packaging fault affects two product lines.", "Ada Fox",
          ("Wonka recalled two chocolate lines.",)),
    Story("stark-contract", "Stark Industries wins defence contract", "2026-11-17T09:00:00Z", ("STRK",),
          "The ten-year contract is worth $9bn.", "Sam Ortiz",
          ("Stark Industries won a ten-year contract.",)),
    Story("cyberdyne-ipo", "Cyberdyne prices IPO above range", "2026-11-16T20:15:00Z", ("CYDN",),
          "Shares open 40% higher.", "Kim Lee",
          ("Cyberdyne priced its IPO above the marketed range.",)),
    Story("tyrell-guidance", "Tyrell cuts guidance amid supply issues", "2026-11-16T07:55:00Z", ("TYRL",),
          "Component shortages weigh on output.", "Eve Stone",
          ("Tyrell cut its guidance.",)),
]
PER_PAGE = 4


def page_count() -> int:
    return (len(STORIES) + PER_PAGE - 1) // PER_PAGE


def stories_on(page: int) -> list[Story]:
    return STORIES[(page - 1) * PER_PAGE: page * PER_PAGE]


def _story_html(story: Story, prefix: str = "") -> str:
    tickers = "".join(f'<a class="ticker" href="{prefix}/quote/{t}">{t}</a>' for t in story.tickers)
    return f"""
      <article class="story" data-id="{story.slug}">
        <h2 class="headline"><a href="{prefix}/articles/{story.slug}.html">{story.headline}</a></h2>
        <div class="meta">
          <time datetime="{story.published}">{story.published[:10]}</time>
          <span class="tickers">{tickers}</span>
        </div>
        <p class="teaser">{story.teaser}</p>
      </article>"""


def list_page_html(page: int, prefix: str = "") -> str:
    stories = "".join(_story_html(s, prefix) for s in stories_on(page))
    pager = []
    if page > 1:
        pager.append(f'<a rel="prev" class="prev" href="{prefix}/news?page={page - 1}">&laquo; Newer</a>')
    if page < page_count():
        pager.append(f'<a rel="next" class="next" href="{prefix}/news?page={page + 1}">Older &raquo;</a>')
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Markets — Example Financial News (page {page})</title>
  <link rel="stylesheet" href="/static/site.css">
</head>
<body>
  <header class="site-header"><a href="/" class="logo">Example Financial News</a>
    <nav><a href="/news">Markets</a> <a href="/opinion">Opinion</a> <a href="/private/drafts">Drafts</a></nav>
  </header>
  <main id="content">
    <h1>Markets</h1>
    <section class="stories">{stories}
    </section>
    <nav class="pagination">{" ".join(pager)}</nav>
  </main>
  <aside class="ad">Advertisement</aside>
  <footer>&copy; 2026 Example Financial News</footer>
</body>
</html>"""


def article_html(story: Story) -> str:
    body = "".join(f"<p>{p}</p>" for p in story.body)
    tickers = "".join(f"<li>{t}</li>" for t in story.tickers)
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{story.headline} — Example Financial News</title></head>
<body>
  <header class="site-header"><a href="/" class="logo">Example Financial News</a></header>
  <main>
    <article class="full">
      <h1 class="title">{story.headline}</h1>
      <p class="byline">By <span class="author">{story.author}</span>,
         <time datetime="{story.published}">{story.published}</time></p>
      <div class="article-body">{body}</div>
      <ul class="tickers">{tickers}</ul>
    </article>
  </main>
</body>
</html>"""


def serve_news_site(server: HTTPServer, robots: str = ROBOTS, prefix: str = "") -> str:
    """Register the whole site on `server` (under `prefix`); returns the URL of the first list page."""
    server.expect_request("/robots.txt").respond_with_data(robots, content_type="text/plain")
    for page in range(1, page_count() + 1):
        query = f"page={page}"
        server.expect_request(f"{prefix}/news", query_string=query).respond_with_data(
            list_page_html(page, prefix), content_type="text/html; charset=utf-8")
    server.expect_request(f"{prefix}/news", query_string="").respond_with_data(
        list_page_html(1, prefix), content_type="text/html; charset=utf-8")
    for story in STORIES:
        server.expect_request(f"{prefix}/articles/{story.slug}.html").respond_with_data(
            article_html(story), content_type="text/html; charset=utf-8")
    server.expect_request("/private/drafts").respond_with_data(list_page_html(1), content_type="text/html")
    return server.url_for(f"{prefix}/news")


def listing_config(start_url: str, **overrides) -> dict:
    """A selectors-mode `http.scrape` config for the news list pages."""
    config = {
        "urls": [start_url],
        "item_selector": "article.story",
        "fields": [
            {"name": "headline", "selector": "h2.headline a"},
            {"name": "url", "selector": "h2.headline a", "attribute": "href"},
            {"name": "published", "selector": "time", "attribute": "datetime"},
            {"name": "tickers", "selector": "a.ticker", "all": True},
            {"name": "teaser", "selector": "p.teaser"},
        ],
        "key_field": "url",
        "max_retries": 0,
        "backoff_s": 0.01,
    }
    config.update(overrides)
    return config


# -- a Hacker-News-shaped front page (the markup flows/scrape_to_store.json expects) ---------

HN_ROBOTS = "User-Agent: *\nDisallow: /x?\nDisallow: /vote?\nDisallow: /reply?\n"


def hn_front_page_html(stories: list[tuple[int, str, str]]) -> str:
    """`stories`: (hn id, title, link); a link without a scheme is an Ask HN style item link."""
    rows = []
    for rank, (hn_id, title, link) in enumerate(stories, start=1):
        site = "" if not link.startswith("http") else link.split("/")[2].removeprefix("www.")
        sitebit = (f' <span class="sitebit comhead">(<a href="from?site={site}"><span class="sitestr">{site}'
                   "</span></a>)</span>") if site else ""
        rows.append(f"""
      <tr class="athing submission" id="{hn_id}">
        <td align="right" valign="top" class="title"><span class="rank">{rank}.</span></td>
        <td valign="top" class="votelinks"><center><a id="up_{hn_id}" href="vote?id={hn_id}&amp;how=up">
          <div class="votearrow" title="upvote"></div></a></center></td>
        <td class="title"><span class="titleline"><a href="{link}">{title}</a>{sitebit}</span></td>
      </tr>
      <tr><td colspan="2"></td><td class="subtext"><span class="subline">
        <span class="score" id="score_{hn_id}">{100 + rank} points</span> by <a href="user?id=pg" class="hnuser">pg</a>
        <span class="age" title="2026-11-23T09:00:00"><a href="item?id={hn_id}">3 hours ago</a></span> |
        <a href="item?id={hn_id}">{rank * 7}&nbsp;comments</a></span></td></tr>
      <tr class="spacer" style="height:5px"></tr>""")
    return f"""<html lang="en" op="news"><head><meta name="referrer" content="origin">
<title>Hacker News</title></head><body><center><table id="hnmain">
  <tr><td><table><tr><td><a href="https://news.ycombinator.com"><img src="y18.svg"></a></td>
    <td><span class="pagetop"><b class="hnname"><a href="news">Hacker News</a></b></span></td></tr></table></td></tr>
  <tr id="pagespace" title="" style="height:10px"></tr>
  <tr><td><table class="itemlist">{"".join(rows)}
    <tr class="morespace" style="height:10px"></tr>
    <tr><td colspan="2"></td><td class="title"><a href="?p=2" class="morelink" rel="next">More</a></td></tr>
  </table></td></tr>
</table></center></body></html>"""
