"""A local fixture web for the benchmarks: generate N article pairs over H hosts, serve them on loopback.

    .venv/bin/python bench/fixture_web.py generate OUT_DIR [--articles N] [--hosts H] [--seed S]
    .venv/bin/python bench/fixture_web.py serve OUT_DIR [--port 0] [--variant 0]

``generate`` templates real fixture pages (TMS-shaped copies from fixtures/sites/www.transcend.org/...,
RT-shaped originals from fixtures/sites/www.rt.com/...) into N copies and their N originals, each with its
own slug, RT id, title suffix and body paragraphs (the template's text replaced by the article's own;
the copy carries its original's text, as a republished copy does), padded to 60-120 KB (extra body
paragraphs, an inline script blob and a "related" sidebar, as real pages carry). Copies go to the TMS
hosts (www.transcend.org, transcend.org), originals to the RT hosts (www.rt.com, rt.com); with H > 4
the extra hosts (``mirrorK.example``) carry TMS-shaped copies no site rule claims (the generic extractor).
It writes OUT_DIR/pages/<host>/<path>index.html, OUT_DIR/copies.txt, originals.txt (real URLs, one a line)
and OUT_DIR/bench-sitemap.xml per copy host (under pages/<host>/).

``serve`` loads every page into memory and answers ``GET /<host>/<path>`` on 127.0.0.1 with an asyncio
raw HTTP/1.1 server (keep-alive, ETag, If-None-Match -> 304; /<host>/robots.txt -> 404 = allow all).
``--variant K`` (K > 0) serves a changed version of every article (one sentence added in the body, a new
ETag), for the "changed" resync figure. It prints ``PORT <n>`` on stdout once listening.
The host map for repub is ``host=http://127.0.0.1:PORT/host`` for each host (``host_map()``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "fixtures" / "sites"
# (copy fixture, original fixture): TMS copies whose "Go to Original" points at an RT page.
TEMPLATES = [
    ("www.transcend.org/tms/2020/10/a-russia-china-military-alliance-would-be-a-bulwark-against-americas-"
     "global-imperialism-is-it-time-for-washington-to-panic/",
     "www.rt.com/op-ed/504399-russia-china-military-alliance-washington/"),
    ("www.transcend.org/tms/2019/03/schoolkids-skip-class-in-100-countries-as-global-climate-strike-takes-off/",
     "www.rt.com/news/454036-global-climate-strike-students/"),
    ("www.transcend.org/tms/2017/03/deep-state-vs-the-outsider-who-really-runs-washington/",
     "www.rt.com/op-ed/380511-deep-state-trump-intelligence-leaks/"),
]
COPY_HOSTS = ["www.transcend.org", "transcend.org"]
ORIGINAL_HOSTS = ["www.rt.com", "rt.com"]
MIN_SIZE, MAX_SIZE = 60_000, 120_000
REV_MARK = "<!--rev-->"
_WORD = re.compile(r"[A-Za-z][a-z]{2,}")
_P_TEXT = re.compile(r"<p>([^<]{200,})</p>")
_P_BODY = re.compile(r"<p>(.{150,}?)</p>")


def hosts_for(h: int) -> tuple[list[str], list[str]]:
    """(copy hosts, original hosts) for H hosts (at least 2: one of each)."""
    h = max(2, h)
    originals = ORIGINAL_HOSTS[: 1 if h < 4 else 2]
    copies = COPY_HOSTS[: max(1, min(2, h - len(originals)))]
    copies += [f"mirror{k}.example" for k in range(1, h - len(originals) - len(copies) + 1)]
    return copies, originals


def _paragraphs(rng: random.Random, vocab: list[str], count: int) -> list[str]:
    out = []
    for _ in range(count):
        words = [rng.choice(vocab) for _ in range(rng.randint(80, 130))]
        words[0] = words[0].capitalize()
        sentences, start = [], 0
        while start < len(words):
            end = min(len(words), start + rng.randint(12, 24))
            sentences.append(" ".join(words[start:end]) + ".")
            start = end
        out.append(" ".join(sentences))
    return out


def _own_text(html: str, shared: list[str], texts: list[str]) -> str:
    """The template's own article text (``shared``: its paragraphs, which every page made from the
    template would otherwise carry) replaced by this article's ``texts``."""
    for old, new in zip(shared, texts, strict=False):
        html = html.replace(f"<p>{old}</p>", f"<p>{new}</p>", 1)
    return html


def _shared_paragraphs(copy_html: str, orig_html: str) -> list[str]:
    """The body paragraphs the copy template and its original both carry (the article's text), in order."""
    theirs = set(_P_BODY.findall(orig_html))
    return [p for p in _P_BODY.findall(copy_html) if p in theirs]


def _pad(html: str, rng: random.Random, vocab: list[str], body_anchor: str, target: int,
         paras: list[str]) -> str:
    """Insert body paragraphs before ``body_anchor``, then an inline script and a sidebar up to ``target``."""
    paras = [*paras[:-1], f"{paras[-1]} {REV_MARK}"]
    body = "".join(f"<p>{p}</p>\n" for p in paras)
    at = html.index(body_anchor)
    if not body_anchor.startswith("<p>"):  # after the last paragraph before the anchor (same container)
        at = html.rindex("</p>", 0, at) + len("</p>")
    html = html[:at] + body + html[at:]
    room = max(0, target - len(html.encode()))
    script_size = room // 2
    blob = json.dumps({"config": [{"k": f"slot{i}", "v": rng.getrandbits(64), "w": rng.choice(vocab)}
                                  for i in range(script_size // 40)]})[:script_size]
    script = f'<script type="text/javascript">window.__APP_STATE__ = {json.dumps(blob)};</script>\n'
    html = html.replace("</head>", script + "</head>", 1)
    links, size = [], len(html.encode())
    while size < target:
        title = " ".join(rng.choice(vocab) for _ in range(rng.randint(5, 10))).capitalize()
        link = f'<li><a href="/related/{rng.getrandbits(32)}/">{title}</a></li>'
        links.append(link)
        size += len(link) + 1
    aside = '<aside class="related-widget"><h3>Related</h3><ul>\n' + "\n".join(links) + "\n</ul></aside>\n"
    at = html.rindex("</body>")
    return html[:at] + aside + html[at:]


def _rewrite(html: str, swaps: list[tuple[str, str]]) -> str:
    for old, new in swaps:
        html = html.replace(old, new, 1 if old == "</title>" else -1)
    return html


def generate(out: Path, articles: int, hosts: int, seed: int = 1) -> dict[str, object]:
    """Write the fixture web to ``out``; returns the manifest (also written as out/manifest.json)."""
    rng = random.Random(seed)
    copy_hosts, original_hosts = hosts_for(hosts)
    templates = []
    for copy_path, orig_path in TEMPLATES:
        copy_html = (SITES / copy_path / "index.html").read_text(encoding="utf-8")
        orig_html = (SITES / orig_path / "index.html").read_text(encoding="utf-8")
        vocab = sorted({w.lower() for w in _WORD.findall(" ".join(_P_TEXT.findall(copy_html)))})
        templates.append((copy_path, orig_path, copy_html, orig_html, vocab,
                          _shared_paragraphs(copy_html, orig_html)))
    pages_dir = out / "pages"
    copies, originals = [], []
    by_host: dict[str, list[str]] = {h: [] for h in copy_hosts}
    for i in range(articles):
        copy_path, orig_path, copy_html, orig_html, vocab, shared = templates[i % len(templates)]
        c_host, c_rest = copy_path.split("/", 1)
        o_host, o_rest = orig_path.split("/", 1)
        c_slug = c_rest.rstrip("/").rsplit("/", 1)[1]
        o_slug = o_rest.rstrip("/").rsplit("/", 1)[1]
        o_section = o_rest.split("/", 1)[0]
        new_c_host = copy_hosts[i % len(copy_hosts)]
        new_o_host = original_hosts[i % len(original_hosts)]
        new_c_rest = c_rest.replace(c_slug, f"{c_slug[:60].rstrip('-')}-{i}")
        rt_id = 600000 + i
        new_o_rest = f"{o_section}/{rt_id}-{o_slug.split('-', 1)[1]}-{i}/"
        c_url, o_url = f"https://{new_c_host}/{new_c_rest}", f"https://{new_o_host}/{new_o_rest}"
        old_c_url, old_o_url = f"https://{c_host}/{c_rest}", f"https://{o_host}/{o_rest}"

        swaps = [(old_c_url, c_url), (old_o_url, o_url), (o_rest, new_o_rest),
                 (c_slug, new_c_rest.rstrip("/").rsplit("/", 1)[1]), ("</title>", f" #{i}</title>")]
        # The article's own text, the same in the copy and its original (a copy republishes it): the
        # template's paragraphs replaced, more added. Every page made from one template once carried
        # the template's text, a third of each page shared with a third of the web, which no real site
        # does (text reuse then measured ~40 candidates a page that were never copies).
        own = _paragraphs(rng, vocab, len(shared))
        added = _paragraphs(rng, vocab, rng.randint(6, 14))
        c_page = _pad(_own_text(_rewrite(copy_html, swaps), shared, own), rng, vocab, "<p>____",
                      rng.randint(MIN_SIZE, MAX_SIZE), added)
        o_page = _pad(_own_text(_rewrite(orig_html, swaps), shared, own), rng, vocab,
                      '<div class="tags-trends">', rng.randint(MIN_SIZE, MAX_SIZE), added)
        for host, rest, page in ((new_c_host, new_c_rest, c_page), (new_o_host, new_o_rest, o_page)):
            target = pages_dir / host / rest / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page, encoding="utf-8")
        copies.append(c_url)
        originals.append(o_url)
        by_host[new_c_host].append(c_url)
    for host, urls in by_host.items():
        entries = "".join(f"<url><loc>{u}</loc></url>\n" for u in urls)
        sitemap = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                   '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</urlset>\n")
        (pages_dir / host).mkdir(parents=True, exist_ok=True)
        (pages_dir / host / "bench-sitemap.xml").write_text(sitemap, encoding="utf-8")
    (out / "copies.txt").write_text("".join(u + "\n" for u in copies), encoding="utf-8")
    (out / "originals.txt").write_text("".join(u + "\n" for u in originals), encoding="utf-8")
    manifest = {"articles": articles, "hosts": copy_hosts + original_hosts, "copy_hosts": copy_hosts,
                "original_hosts": original_hosts, "seed": seed}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return manifest


def host_map(port: int, hosts: list[str]) -> str:
    return ",".join(f"{h}=http://127.0.0.1:{port}/{h}" for h in hosts)


def loopback(url: str, port: int) -> str:
    parts = urlsplit(url)
    return f"http://127.0.0.1:{port}/{parts.netloc}{parts.path}"


# ------------------------------------------------------------------------------------------------ serve


def load_pages(out: Path, variant: int = 0) -> dict[str, tuple[bytes, bytes, bytes]]:
    """Request path -> (content type, ETag, body). ``/<host>/<dir>/`` and ``/<host>/<dir>`` both answer."""
    pages: dict[str, tuple[bytes, bytes, bytes]] = {}
    root = out / "pages"
    for file in root.rglob("*"):
        if not file.is_file():
            continue
        data = file.read_bytes()
        rel = "/" + file.relative_to(root).as_posix()
        if file.name == "index.html":
            if variant:
                data = data.replace(REV_MARK.encode(), f"Updated in revision {variant}.".encode())
            ctype = b"text/html; charset=utf-8"
            paths = [rel[: -len("index.html")], rel[: -len("/index.html")]]
        else:
            ctype = b"application/xml"
            paths = [rel]
        etag = b'"' + hashlib.md5(data).hexdigest().encode() + b'"'
        for p in paths:
            pages[p] = (ctype, etag, data)
    return pages


class FixtureServer:
    """asyncio HTTP/1.1 server over pre-built bytes. ``hits`` counts requests, ``not_modified`` 304s."""

    def __init__(self, pages: dict[str, tuple[bytes, bytes, bytes]]) -> None:
        self.pages = pages
        self.hits = 0
        self.not_modified = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    break
                lines = head.split(b"\r\n")
                parts = lines[0].split(b" ")
                if len(parts) < 3:
                    break
                method, target = parts[0], parts[1].decode("latin-1")
                headers = {}
                for line in lines[1:]:
                    if b":" in line:
                        k, v = line.split(b":", 1)
                        headers[k.strip().lower()] = v.strip()
                if headers.get(b"content-length", b"0") != b"0":
                    await reader.readexactly(int(headers[b"content-length"]))
                self.hits += 1
                path = target.split("?", 1)[0]
                if path.startswith("http://") or path.startswith("https://"):
                    path = urlsplit(path).path
                found = self.pages.get(path)
                close = headers.get(b"connection", b"").lower() == b"close" or parts[2] == b"HTTP/1.0"
                if found is None:
                    status, extra, body = b"404 Not Found", b"Content-Type: text/plain\r\n", b"not found\n"
                else:
                    ctype, etag, body = found
                    if headers.get(b"if-none-match") == etag:
                        self.not_modified += 1
                        status, extra, body = b"304 Not Modified", b"ETag: " + etag + b"\r\n", b""
                    else:
                        status = b"200 OK"
                        extra = b"Content-Type: " + ctype + b"\r\nETag: " + etag + b"\r\n"
                out = (b"HTTP/1.1 " + status + b"\r\n" + extra + b"Content-Length: "
                       + str(len(body)).encode() + b"\r\n"
                       + (b"Connection: close\r\n" if close else b"") + b"\r\n")
                writer.write(out + body if method != b"HEAD" else out)
                await writer.drain()
                if close:
                    break
        finally:
            writer.close()

    async def serve(self, port: int = 0, ready: asyncio.Future[int] | None = None) -> None:
        server = await asyncio.start_server(self.handle, "127.0.0.1", port, backlog=1024)
        bound = server.sockets[0].getsockname()[1]
        if ready is not None:
            ready.set_result(bound)
        else:
            print(f"PORT {bound}", flush=True)
        async with server:
            await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("out", type=Path)
    gen.add_argument("--articles", type=int, default=200)
    gen.add_argument("--hosts", type=int, default=4)
    gen.add_argument("--seed", type=int, default=1)
    srv = sub.add_parser("serve")
    srv.add_argument("out", type=Path)
    srv.add_argument("--port", type=int, default=0)
    srv.add_argument("--variant", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "generate":
        print(json.dumps(generate(args.out, args.articles, args.hosts, args.seed)))
        return 0
    server = FixtureServer(load_pages(args.out, args.variant))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
