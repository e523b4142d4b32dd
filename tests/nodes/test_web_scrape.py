"""`http.scrape` against a real local news site: selectors, pagination, article pages,
code mode, stable ids, and the polite-fetching rules (timeouts, retries, robots.txt,
size cap)."""

from __future__ import annotations

import hashlib
import time

import pytest
from werkzeug import Response

from nodes import NodeError
from tests.builders import code
from tests.news_site import STORIES, list_page_html, listing_config, serve_news_site, stories_on
from tests.web_helpers import make_node, run_node


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def test_selectors_extract_every_field_with_absolute_urls(httpserver):
    start = serve_news_site(httpserver)
    records = run_node("http.scrape", listing_config(start, add_provenance=True))
    first = STORIES[0]
    assert [r["headline"] for r in records] == [s.headline for s in stories_on(1)]
    record = records[0]
    assert record["url"] == httpserver.url_for(f"/articles/{first.slug}.html")
    assert record["published"] == first.published
    assert record["tickers"] == list(first.tickers)
    assert record["teaser"] == first.teaser
    assert record["source_url"] == start
    assert record["id"] == sha1(f"articles/{first.slug}.html")  # the URL relative to the site, no host
    assert records[2]["tickers"] == ["INTC", "INTX"]


def test_pagination_follows_next_links_up_to_max_pages(httpserver):
    start = serve_news_site(httpserver)
    two = run_node("http.scrape", listing_config(start, next_selector="nav.pagination a[rel=next]", max_pages=2))
    assert [r["headline"] for r in two] == [s.headline for s in STORIES[:8]]
    everything = run_node("http.scrape", listing_config(start, next_selector="a.next", max_pages=50,
                                                        add_provenance=True))
    assert len(everything) == len(STORIES) and len({r["id"] for r in everything}) == len(STORIES)
    assert everything[-1]["source_url"].endswith("/news?page=3")


def test_following_each_item_link_adds_article_fields(httpserver):
    start = serve_news_site(httpserver)
    config = listing_config(start, follow_field="url", article_fields=[
        {"name": "author", "selector": "article.full .author"},
        {"name": "body", "selector": "div.article-body"},
        {"name": "paragraphs", "selector": "div.article-body p", "all": True},
    ])
    records = run_node("http.scrape", config)
    by_headline = {r["headline"]: r for r in records}
    acme = by_headline[STORIES[0].headline]
    assert acme["author"] == "Dana Whitfield"
    assert acme["paragraphs"] == list(STORIES[0].body)
    assert acme["body"] == " ".join(STORIES[0].body)
    assert acme["id"] == sha1(f"articles/{STORIES[0].slug}.html")


def test_rescraping_gives_the_same_ids_even_when_items_move_between_pages(httpserver):
    start = serve_news_site(httpserver)
    first = run_node("http.scrape", listing_config(start, next_selector="a.next", max_pages=5))
    again = run_node("http.scrape", listing_config(start, next_selector="a.next", max_pages=5))
    assert first == again  # same ids and same content: a store upsert sees nothing new
    # Page 2 alone lists the same stories as before under the same ids.
    page_two = run_node("http.scrape", listing_config(httpserver.url_for("/news") + "?page=2"))
    ids = {r["url"]: r["id"] for r in first}
    assert all(ids[r["url"]] == r["id"] for r in page_two)


def test_urls_can_come_from_input_records(httpserver):
    serve_news_site(httpserver)
    inputs = [
        {"id": "feed-1", "section": "markets", "target": {"url": httpserver.url_for("/news") + "?page=1"}},
        {"id": "feed-3", "section": "older", "target": {"url": httpserver.url_for("/news") + "?page=3"}},
    ]
    config = listing_config("", urls=[], url_field="target.url", keep_fields=["section"])
    records = run_node("http.scrape", config, inputs)
    assert [r["section"] for r in records] == ["markets"] * 4 + ["older"] * 2
    assert records[-1]["headline"] == STORIES[-1].headline


def test_a_record_without_the_url_field_fails_naming_the_record(httpserver):
    config = listing_config("", urls=[], url_field="link")
    with pytest.raises(NodeError) as err:
        run_node("http.scrape", config, [{"id": "r-7", "title": "no link here"}])
    assert err.value.record_id == "r-7" and 'no field "link"' in err.value.message


def test_code_mode_runs_kern_style_code_unmodified(httpserver):
    start = serve_news_site(httpserver)
    kern = code(f'''
        def node(record: dict):
            import time
            from uuid import uuid4
            import requests
            from bs4 import BeautifulSoup

            response = requests.get("{start}")
            response.raise_for_status()
            soup = BeautifulSoup(response.text, 'html')
            for story in soup.find_all("article", class_="story"):
                link = story.find("a")
                yield {{
                    "id": str(uuid4()),
                    "headline": link.text,
                    "tickers": [t.text for t in story.select(".ticker")],
                }}
                time.sleep(0.01)
    ''')
    records = run_node("http.scrape", {"mode": "code", "code": kern})
    assert [r["headline"] for r in records] == [s.headline for s in stories_on(1)]
    assert records[0]["tickers"] == ["ACME"] and len(records[0]["id"]) == 36


def test_code_mode_items_with_a_url_get_stable_ids_and_fetch_is_polite(httpserver):
    start = serve_news_site(httpserver)
    source = code(f'''
        def node(record):
            from bs4 import BeautifulSoup
            from urllib.parse import urljoin
            soup = BeautifulSoup(fetch("{start}"), "html.parser")
            for a in soup.select("h2.headline a"):
                yield {{"headline": a.text, "url": urljoin("{start}", a["href"])}}
    ''')
    records = run_node("http.scrape", {"mode": "code", "code": source})
    assert records[0]["id"] == sha1(f"articles/{STORIES[0].slug}.html")  # relative to the URL's host
    agents = {req.headers.get("User-Agent") for req, _ in httpserver.log}
    assert agents == {"wirework/0.1 (+https://github.com/wirework)"}
    assert [req.path for req, _ in httpserver.log][0] == "/robots.txt"


def test_code_mode_errors_point_at_the_users_line(httpserver):
    httpserver.expect_request("/gone").respond_with_data("gone", status=404)
    source = code(f'''
        def node(record):
            import requests
            response = requests.get("{httpserver.url_for('/gone')}")
            response.raise_for_status()
            yield {{"id": "never"}}
    ''')
    with pytest.raises(NodeError) as err:
        run_node("http.scrape", {"mode": "code", "code": source})
    assert err.value.user_line == 4 and "404" in err.value.message


def test_robots_txt_disallow_is_respected(httpserver):
    serve_news_site(httpserver)
    with pytest.raises(NodeError) as err:
        run_node("http.scrape", listing_config(httpserver.url_for("/private/drafts")))
    assert "robots.txt" in err.value.message and "/private/drafts" in err.value.message
    assert not any(req.path == "/private/drafts" for req, _ in httpserver.log)
    # Turning it off (with the owner's permission) fetches the page.
    records = run_node("http.scrape", listing_config(httpserver.url_for("/private/drafts"), respect_robots=False))
    assert len(records) == 4


def test_robots_txt_rules_apply_to_our_user_agent(httpserver):
    start = serve_news_site(httpserver, robots="User-agent: wirework\nDisallow: /news\n")
    with pytest.raises(NodeError, match="disallows"):
        run_node("http.scrape", listing_config(start))


def test_a_slow_page_times_out_with_a_clear_error(httpserver):
    serve_news_site(httpserver)

    def slow(request):
        time.sleep(3.0)
        return Response("<html></html>", content_type="text/html")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()
    with pytest.raises(NodeError) as err:
        run_node("http.scrape", listing_config(httpserver.url_for("/slow"), timeout_s=0.3), node_id="news")
    assert time.monotonic() - started < 2.5  # gave up before the server answered (at 3 s)
    assert err.value.node_id == "news" and "0.3 s timeout" in err.value.message
    assert httpserver.url_for("/slow") in err.value.message


def test_429_with_retry_after_is_retried_then_succeeds(httpserver):
    start = serve_news_site(httpserver)
    httpserver.expect_oneshot_request("/news", query_string="page=9").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"})
    httpserver.expect_request("/news", query_string="page=9").respond_with_data(
        list_page_html(1), content_type="text/html")
    started = time.monotonic()
    records = run_node("http.scrape", listing_config(start + "?page=9", max_retries=2, backoff_s=0.01))
    assert len(records) == 4
    assert time.monotonic() - started >= 0.9  # waited what Retry-After asked, not the 0.01 s backoff
    hits = [resp.status_code for req, resp in httpserver.log if req.query_string == b"page=9"]
    assert hits == [429, 200]


def test_500_three_times_fails_naming_node_and_url(httpserver):
    serve_news_site(httpserver)
    httpserver.expect_request("/flaky").respond_with_data("boom", status=500)
    url = httpserver.url_for("/flaky")
    with pytest.raises(NodeError) as err:
        run_node("http.scrape", listing_config(url, max_retries=2, backoff_s=0.01), node_id="scrape-news")
    assert err.value.node_id == "scrape-news"
    assert url in err.value.message and "HTTP 500" in err.value.message and "after 3 attempts" in err.value.message
    assert 'node "scrape-news"' in str(err.value)
    assert sum(1 for req, _ in httpserver.log if req.path == "/flaky") == 3


def test_responses_over_max_bytes_are_refused(httpserver):
    serve_news_site(httpserver)
    big = "<html><body>" + "<p>filler</p>" * 2000 + "</body></html>"
    httpserver.expect_request("/big").respond_with_data(big, content_type="text/html")

    def endless(request):  # no Content-Length: the cap must hold while streaming
        return Response((b"<p>more</p>" * 100 for _ in range(1000)), content_type="text/html")

    httpserver.expect_request("/stream").respond_with_handler(endless)
    with pytest.raises(NodeError, match="max_bytes"):
        run_node("http.scrape", listing_config(httpserver.url_for("/big"), max_bytes=4096))
    with pytest.raises(NodeError, match="exceeded max_bytes"):
        run_node("http.scrape", listing_config(httpserver.url_for("/stream"), max_bytes=8192))
    ok = run_node("http.scrape", listing_config(httpserver.url_for("/big"), max_bytes=100_000,
                                                  item_selector="p", fields=[{"name": "text"}], key_field=""))
    assert ok[0]["text"] == "filler"


def test_failed_article_pages_fail_the_node_unless_skipped(httpserver):
    start = serve_news_site(httpserver)
    # An extra story whose article link is broken.
    broken = httpserver.url_for("/news") + "?page=404"
    httpserver.expect_request("/news", query_string="page=404").respond_with_data(
        '<article class="story"><h2 class="headline"><a href="/articles/missing.html">Lost</a></h2></article>',
        content_type="text/html")
    httpserver.expect_request("/articles/missing.html").respond_with_data("not here", status=404)
    config = listing_config(broken, follow_field="url",
                            article_fields=[{"name": "author", "selector": ".author"}])
    with pytest.raises(NodeError, match="HTTP 404"):
        run_node("http.scrape", config)
    records = run_node("http.scrape", {**config, "skip_failed_articles": True})
    assert records[0]["headline"] == "Lost" and "404" in records[0]["article_error"]
    assert start  # the rest of the site is still served


def test_config_problems_are_reported_before_a_run():
    node = make_node("http.scrape", {"mode": "code", "code": "def node(record):\n    yield {}\n"})
    assert node.check() == []
    from engine.model.validation import instantiate
    from nodes import default_registry

    bad = instantiate(default_registry().get("http.scrape"), "s", {
        "urls": ["ftp://example.com"], "item_selector": "div[", "key_field": "link",
    })
    messages = " | ".join(p.message for p in bad.check())
    assert "not an absolute http(s) URL" in messages
    assert "invalid CSS selector" in messages
    assert 'key field "link"' in messages


def test_missing_robots_txt_allows_and_a_broken_one_blocks_with_a_clear_error(httpserver):
    httpserver.expect_request("/robots.txt").respond_with_data("not found", status=404)
    httpserver.expect_request("/news").respond_with_data(list_page_html(1), content_type="text/html")
    assert len(run_node("http.scrape", listing_config(httpserver.url_for("/news")))) == 4

    httpserver.clear()
    httpserver.expect_request("/robots.txt").respond_with_data("oops", status=500)
    httpserver.expect_request("/news").respond_with_data(list_page_html(1), content_type="text/html")
    with pytest.raises(NodeError) as err:
        run_node("http.scrape", listing_config(httpserver.url_for("/news"), max_retries=1))
    assert "could not read robots.txt" in err.value.message and "HTTP 500" in err.value.message
    assert not any(req.path == "/news" for req, _ in httpserver.log)


def test_an_item_listed_twice_is_kept_once_and_its_article_fetched_once(httpserver):
    start = serve_news_site(httpserver)
    config = listing_config(start, urls=[start, start + "?page=1", start + "?page=2"], follow_field="url",
                            article_fields=[{"name": "author", "selector": ".author"}])
    records = run_node("http.scrape", config)
    assert [r["headline"] for r in records] == [s.headline for s in STORIES[:8]]
    article_hits = [req.path for req, _ in httpserver.log if req.path.startswith("/articles/")]
    assert len(article_hits) == len(set(article_hits)) == 8


def test_max_items_stops_early(httpserver):
    start = serve_news_site(httpserver)
    records = run_node("http.scrape", listing_config(start, next_selector="a.next", max_pages=10, max_items=5))
    assert len(records) == 5
    assert not any(req.query_string == b"page=3" for req, _ in httpserver.log)


def test_the_same_site_under_another_base_url_updates_never_duplicates(httpserver, tmp_path):
    """The news site on 127.0.0.1 at `/news`, then on a mirror host (localhost, another
    port) under a moved folder `/mirror/news`: a re-scrape written to a real store keeps
    the row count and updates the rows (their absolute `url` changed)."""
    from pytest_httpserver import HTTPServer

    from nodes.scrape_parse import item_id
    from stores import LocalStoreClient

    first_start = serve_news_site(httpserver)
    mirror = HTTPServer(host="localhost", port=0)
    mirror.start()
    client = LocalStoreClient(tmp_path)
    try:
        mirror_start = serve_news_site(mirror, prefix="/mirror")
        assert mirror_start.startswith("http://localhost:") and mirror_start.endswith("/mirror/news")
        paginated = {"next_selector": "a.next", "max_pages": 10}
        first = run_node("http.scrape", listing_config(first_start, **paginated))
        assert client.upsert("news", first, create=True)["inserted"] == len(STORIES)
        again = run_node("http.scrape", listing_config(mirror_start, **paginated))
        assert {r["url"] for r in again}.isdisjoint({r["url"] for r in first})  # every URL differs
        counts = client.upsert("news", again)
        assert counts["inserted"] == 0 and counts["updated"] == len(STORIES)
        assert client.describe_store("news")["count"] == len(STORIES)
        assert sorted(r["id"] for r in again) == sorted(r["id"] for r in first)
        # http → https: the scheme is no part of an id either
        https = first_start.replace("http://", "https://")
        assert item_id(f"{https.rsplit('/', 1)[0]}/articles/a.html", https) == \
            item_id(f"{first_start.rsplit('/', 1)[0]}/articles/a.html", first_start)
    finally:
        client.close()
        mirror.clear()
        mirror.stop()


def test_a_configured_site_url_makes_ids_relative_to_it(httpserver):
    start = serve_news_site(httpserver, prefix="/mirror")
    site = httpserver.url_for("/mirror/")
    by_default = run_node("http.scrape", listing_config(start))
    configured = run_node("http.scrape", listing_config(start, site_url=site))
    assert [r["id"] for r in configured] == [r["id"] for r in by_default]  # /mirror/news's folder is /mirror/
    assert configured[0]["id"] == sha1(f"articles/{STORIES[0].slug}.html")
    rooted = run_node("http.scrape", listing_config(start, site_url=httpserver.url_for("/")))
    assert rooted[0]["id"] == sha1(f"mirror/articles/{STORIES[0].slug}.html")
    with pytest.raises(AssertionError, match="site URL"):
        make_node("http.scrape", listing_config(start, site_url="mirror/"))
