"""The peers `run_bench.py` times repub against, each one command over a share of a URL list.

    .venv/bin/python bench/peers.py scrapy-import URLS OUT.jsonl [--concurrency 16]
    .venv/bin/python bench/peers.py scrapy-recheck URLS CACHE_DIR [--fill] [--concurrency 16]
    .venv/bin/python bench/peers.py httpx-recheck URLS_AND_ETAGS [--concurrency 16]

``scrapy-import``: what a Python user would build to import articles: a Scrapy spider requesting every
URL of the list, and an item pipeline running ``trafilatura.extract(html, url=..., output_format="json",
include_comments=False)`` (what the trafilatura command line's ``--json`` does per page: the body and
the few fields it reads without ``with_metadata``), items written as JSON lines by Scrapy's feed
export. Scrapy's defaults otherwise (robots.txt obeyed, no delay), with the concurrency given.

``scrapy-recheck``: Scrapy's HTTP cache (``HttpCacheMiddleware``, filesystem storage) with its
``RFC2616Policy``: ``--fill`` fetches every URL once into CACHE_DIR (not timed by the bench); a run
without it re-checks them, the policy sending If-None-Match with the cached ETag (the fixture server
sends no freshness information, so every cached page is stale and revalidated) and serving the cached
page on a 304. Prints the 304 count (``httpcache/revalidate``) as JSON.

``httpx-recheck``: the floor of any re-check: a plain httpx.AsyncClient loop sending each URL's
conditional GET (``If-None-Match: ETAG``; the file has ``URL<TAB>ETAG`` lines) with at most
``--concurrency`` in flight, counting the 304s. No database, no politeness, no bookkeeping.

Each prints one JSON line (``{"pages": N, "not_modified": M}``) on stdout at the end; the bench checks it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path


def _scrapy_settings(concurrency: int) -> dict[str, object]:
    return {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,  # every URL is on 127.0.0.1:PORT (loopback form)
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": True,  # as `scrapy startproject` sets it, and as repub does
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "USER_AGENT": "scrapy-bench (+https://scrapy.org)",
    }


def _spider(name: str, urls: list[str], seen: dict[str, int]):  # noqa: ANN202 (scrapy's class)
    import scrapy

    class ListSpider(scrapy.Spider):
        def start_requests(self):  # noqa: ANN202 (scrapy < 2.13 calls this one)
            for url in urls:
                yield scrapy.Request(url, callback=self.parse)

        async def start(self):  # noqa: ANN202 (scrapy >= 2.13)
            for request in self.start_requests():
                yield request

        def parse(self, response):  # noqa: ANN001, ANN202
            seen[str(response.status)] = seen.get(str(response.status), 0) + 1
            yield {"url": response.url, "html": response.text}

    ListSpider.name = name
    return ListSpider


class TrafilaturaPipeline:
    """The item pipeline: the page's HTML becomes trafilatura's JSON record, as its command line writes it."""

    def process_item(self, item: dict) -> dict:  # scrapy >= 2.14 passes no spider
        import trafilatura

        out = trafilatura.extract(item["html"], url=item["url"], output_format="json", include_comments=False)
        return json.loads(out) if out else {"url": item["url"], "text": None}


def scrapy_import(urls: list[str], out: Path, concurrency: int) -> dict[str, int]:
    from scrapy.crawler import CrawlerProcess

    seen: dict[str, int] = {}
    settings = _scrapy_settings(concurrency) | {
        "ITEM_PIPELINES": {f"{__name__}.TrafilaturaPipeline": 300},
        "FEEDS": {str(out): {"format": "jsonlines", "overwrite": True}},
    }
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(_spider("import", urls, seen))
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    return {"pages": seen.get("200", 0), "items": stats.get("item_scraped_count", 0)}


def scrapy_recheck(urls: list[str], cache: Path, concurrency: int) -> dict[str, int]:
    from scrapy.crawler import CrawlerProcess

    seen: dict[str, int] = {}
    settings = _scrapy_settings(concurrency) | {
        "HTTPCACHE_ENABLED": True,
        "HTTPCACHE_DIR": str(cache.resolve()),
        "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
        "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.FilesystemCacheStorage",
    }
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(_spider("recheck", urls, seen))
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    return {"pages": seen.get("200", 0), "not_modified": stats.get("httpcache/revalidate", 0),
            "stored": stats.get("httpcache/store", 0)}


async def httpx_recheck(pairs: list[tuple[str, str]], concurrency: int) -> dict[str, int]:
    import httpx

    counts = {"pages": 0, "not_modified": 0}
    todo = iter(pairs)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def lane() -> None:
            for url, etag in todo:
                response = await client.get(url, headers={"If-None-Match": etag})
                counts["pages"] += 1
                counts["not_modified"] += response.status_code == 304

        await asyncio.gather(*(lane() for _ in range(concurrency)))
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("scrapy-import")
    imp.add_argument("urls", type=Path)
    imp.add_argument("out", type=Path)
    rec = sub.add_parser("scrapy-recheck")
    rec.add_argument("urls", type=Path)
    rec.add_argument("cache", type=Path)
    rec.add_argument("--fill", action="store_true", help="(documentation only: a first run fills)")
    hx = sub.add_parser("httpx-recheck")
    hx.add_argument("pairs", type=Path)
    for p in (imp, rec, hx):
        p.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    if args.command == "httpx-recheck":
        pairs = [tuple(line.split("\t", 1)) for line in args.pairs.read_text().splitlines() if line]
        result = asyncio.run(httpx_recheck(pairs, args.concurrency))  # type: ignore[arg-type]
    else:
        urls = args.urls.read_text().split()
        if args.command == "scrapy-import":
            result = scrapy_import(urls, args.out, args.concurrency)
        else:
            result = scrapy_recheck(urls, args.cache, args.concurrency)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # the pipeline's module, for scrapy
    sys.exit(main())
