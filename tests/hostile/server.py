"""A hostile HTTP server on 127.0.0.1: every bad case the web can throw at repub, each on its own path.

``with HostileServer() as srv:``; ``srv.host_map()`` is the REPUB_HOST_MAP value serving
``https://hostile.example/<case>`` from ``http://127.0.0.1:PORT/hostile.example/<case>``. ``srv.hits`` lists
every request path received, in order. ``srv.modes`` lets a test change what a path answers
(``srv.modes["/article"] = "500"``) to play a server that goes bad after a first good answer.
"""

from __future__ import annotations

import functools
import gzip
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from webserver import send

HOST = "hostile.example"
REAL = f"https://{HOST}"
EMOJI_HOST = "xn--ls8h.example"
MAX_BYTES = 10 * 1024 * 1024  # FetchSettings.max_bytes default

ARTICLE_TEXT = (
    "The river rose three metres overnight and the town council met at dawn to decide on evacuations. "
    "Volunteers stacked sandbags along the embankment while the ferry service was suspended until further "
    "notice. Officials said the water should fall again by the weekend if the rain stops."
)
ARTICLE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Flood in the valley</title>"
    "</head><body><article><h1>Flood in the valley</h1>"
    f"<p>{ARTICLE_TEXT}</p><p>{ARTICLE_TEXT}</p></article></body></html>"
).encode()

CYRILLIC_TITLE = "Новости дня"
CYRILLIC_TEXT = (
    "Президент заявил, что переговоры продолжатся на следующей неделе в Москве. Журналисты спросили о "
    "санкциях и экономике, но ответа не получили. Эксперты ожидают новых заявлений в понедельник."
)
CYRILLIC_PAGE = (
    f"<html><head><title>{CYRILLIC_TITLE}</title></head><body><article><h1>{CYRILLIC_TITLE}</h1>"
    f"<p>{CYRILLIC_TEXT}</p><p>{CYRILLIC_TEXT}</p></article></body></html>"
)

NOCHARSET_TITLE = "Café society in Zürich"
NOCHARSET_TEXT = (
    "The café on the corner of the Bahnhofstrasse opened in 1921 and still serves crème brûlée to "
    "bankers, students and tourists. Its owner, Jürg Müller, says the recipe has never changed."
)
NOCHARSET_PAGE = (
    f"<html><head><title>{NOCHARSET_TITLE}</title></head><body><article><h1>{NOCHARSET_TITLE}</h1>"
    f"<p>{NOCHARSET_TEXT}</p><p>{NOCHARSET_TEXT}</p></article></body></html>"
).encode()

BROKEN_TEXT = (
    "Half of this page is missing its closing tags but the story is still here for anyone who looks. "
    "The harbour master confirmed that two cargo ships collided in fog on Tuesday morning."
)
BROKEN_PAGE = (
    b"<html><head><title>Ships collide in fog</title><body><div><div><p>"
    + BROKEN_TEXT.encode()
    + b"<span><a href='/x'>\xff\xfe\x00\x01garbage\x80\x81<p>"
    + BROKEN_TEXT.encode()
    + b"<div></span></p><table><tr><td>\xc3\x28 \xa0\xa1 <script>var x = '</div>"
)
# <title> is raw text: unclosed, it swallows the rest of the page (as in a browser)
UNCLOSED_TITLE_PAGE = (
    b"<html><head><title>Unclosed title<body><p>" + BROKEN_TEXT.encode() + b"</p></body></html>"
)
# A broken template's or a hostile page's nesting: the article inside 3,000 <div> opened and never
# closed (no real page of ../shared/bench nests past 51), and 3,000 unclosed <div> that each hold text.
DEEP_PAGE = ARTICLE.replace(b"<body>", b"<body>" + b"<div>" * 3000)
# ~300 KB of <div> opened around the article: 60,000 levels, which the parser alone would take ~8 s
# over (its cost grows with the square of the depth; 10 MB of them, the most a fetch keeps: hours).
NESTING_BOMB = ARTICLE.replace(b"<body>", b"<body>" + b"<div>" * 60_000)
DEEP_SOUP = b"<html><head><title>Soup</title></head><body>" + b"".join(
    b"<div>line %d " % i for i in range(3000)) + b"</body></html>"
NO_ARTICLE_PAGE = b"<html><head><script>var a = 1;</script></head><body><div> </div><nav></nav></body></html>"
GARBAGE = bytes((i * 37 + 11) % 256 for i in range(4096)).replace(b"<", b"\x00")

# Bot walls, modelled on the pages and headers real services send (their shapes as captured in public
# detectors and bug reports: see src/repub/fetch/botwalls.toml); tokens and ids are made up.
CLOUDFLARE_CHALLENGE = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    b'<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" '
    b'content="noindex,nofollow"><meta name="viewport" content="width=device-width,initial-scale=1">'
    b'<link href="/cdn-cgi/styles/challenges.css" rel="stylesheet"></head><body class="no-js">'
    b'<div class="main-wrapper" role="main"><div class="main-content"><noscript><div class="h2">'
    b'<span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript>'
    b"</div></div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'hostile.example',cType: "
    b"'managed',cRay: '8f0a1b2c3d4e5f60',cH: 'x0x0',cUPMDTk: \"/?__cf_chl_tk=x0x0\"};var cpo="
    b"document.createElement('script');cpo.src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"
    b"?ray=8f0a1b2c3d4e5f60';document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>"
    b"</body></html>"
)
CLOUDFLARE_BLOCK = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Attention Required! | Cloudflare</title></head>'
    b'<body><div id="cf-wrapper"><div id="cf-error-details"><h1>Sorry, you have been blocked</h1>'
    b"<h2>You are unable to access hostile.example</h2><p>This website is using a security service to "
    b"protect itself from online attacks.</p><p>Cloudflare Ray ID: 8f0a1b2c3d4e5f60</p></div></div>"
    b"</body></html>"
)
DATADOME_CHALLENGE = (
    b'<html lang="en"><head><title>hostile.example</title><style>#cmsg{animation: A 1.5s;}</style>'
    b'</head><body style="margin:0"><p id="cmsg">Please enable JS and disable any ad blocker</p>'
    b"<script data-cfasync=\"false\">var dd={'rt':'c','cid':'AHrlqAAAAAMAx0x0','hsh':'0A0A0A0A',"
    b"'t':'bv','s':12345,'e':'x0x0','host':'geo.captcha-delivery.com'}</script>"
    b'<script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script></body></html>'
)
PERIMETERX_BLOCK = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Access to this page has been '
    b"denied.</title></head><body><div class=\"px-container\"><h1>Access to this page has been denied"
    b"</h1><p>Press &amp; Hold to confirm you are a human (and not a bot).</p><div id=\"px-captcha\">"
    b"</div><p>Reference ID 0a0a0a0a-0000-11ee-0000-000000000000</p></div><script>window._pxAppId = "
    b"'PX0a0a0a0a';window._pxJsClientSrc = '/0a0a0a0a/init.js';</script>"
    b'<script src="https://captcha.px-cdn.net/PX0a0a0a0a/captcha.js?a=c&m=0"></script></body></html>'
)
AKAMAI_DENIED = (
    b"<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
    b'You don\'t have permission to access "http&#58;&#47;&#47;hostile&#46;example&#47;akamai" on this '
    b"server.<P>\nReference&#32;&#35;18&#46;0a0a0a0a&#46;1700000000&#46;0a0a0a0a\n<P>https&#58;&#47;"
    b"&#47;errors&#46;edgesuite&#46;net&#47;18&#46;0a0a0a0a&#46;1700000000&#46;0a0a0a0a</P>\n"
    b"</BODY>\n</HTML>\n"
)
SUCURI_BLOCK = (
    b'<!DOCTYPE html>\n<html lang="en"><head><link rel="stylesheet" '
    b'href="https://cdn.sucuri.net/sucuri-firewall-block.css" /><title>Sucuri WebSite Firewall - Access '
    b"Denied</title></head><body><div id=\"main-container\"><h1>Access Denied - Sucuri Website Firewall"
    b"</h1><table><tr><td>Block ID:</td><td><span>FBP007</span></td></tr><tr><td>Block reason:</td><td>"
    b"<span>Fake bot access.</span></td></tr></table></div></body></html>"
)
SUCURI_CHALLENGE = (
    b"<html><title>You are being redirected...</title><noscript>Javascript is required. Please enable "
    b"javascript before you are allowed to see this page.</noscript><script>var s={},u,c,U,r,i,l=0,a,e="
    b"eval,w=String.fromCharCode,sucuri_cloudproxy_js='',S='cz0iMCIgKyAiMCI7';L=S.length;"
    b"document.cookie='sucuri_cloudproxy_uuid_0a0a0a0a0=0a0a;path=/;max-age=86400';"
    b"location.reload();</script></html>"
)
# An ordinary page of a site behind Cloudflare: its script and cookie are on every page, no wall.
CLOUDFLARE_FRONTED_ARTICLE = ARTICLE.replace(
    b"</body>", b"<script>(function(){window.__CF$cv$params={r:'8f0a1b2c3d4e5f60',t:'MTcwMDAwMDAwMA=='};"
    b"var a=document.createElement('script');a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';"
    b"document.getElementsByTagName('head')[0].appendChild(a);})();</script></body>")
CLOUDFLARE_HEADERS = {"Server": "cloudflare", "CF-RAY": "8f0a1b2c3d4e5f60-FRA",
                      "Set-Cookie": "__cf_bm=x0x0; path=/; domain=.hostile.example; HttpOnly; Secure"}

# for `repub ingest`: a good article and a challenge, side by side
SITEMAP = (
    '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    f"<url><loc>{REAL}/article</loc></url><url><loc>{REAL}/cf-challenge</loc></url></urlset>"
).encode()

ORIGINAL_PAGE = (
    "<html><head><title>{title}</title>{head}</head><body><article><h1>{title}</h1>"
    f"<p>{ARTICLE_TEXT}</p><p>{ARTICLE_TEXT}</p>{{tail}}</article></body></html>"
)
METADATA_URL = "http://169.254.169.254/latest/meta-data/"
# an article path: a canonical to a bare home page is never taken for an original at all
PRIVATE_URL = "http://10.0.0.1/news/2020/10/the-original/"
BAD_IPV6_URL = "http://[::1/x"  # urllib raises ValueError("Invalid IPv6 URL") on it

Response = tuple[int, dict[str, str], bytes]


def _html(body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str) -> Response:
    return 200, {"Content-Type": ctype, **headers}, body


@functools.cache
def gzip_bomb() -> bytes:
    """About 20 KB on the wire, 20 MB (twice the limit) once inflated."""
    return gzip.compress(b"<html><body><p>" + bytes(2 * MAX_BYTES), compresslevel=9)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up mid-body is what these cases are for: no traceback on stderr


class HostileServer:
    """Serves every hostile case under /hostile.example/<case>."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.modes: dict[str, str] = {}
        self.stop = threading.Event()
        srv = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                srv.hits.append(self.path)
                path = urlsplit(self.path).path.removeprefix(f"/{HOST}")
                case = srv.modes.get(path, path)
                action = srv.cases().get(case)
                if action is None:
                    send(self, 404, {"Content-Type": "text/html"}, b"<html><body>Not found</body></html>")
                    return
                result = action(self)
                if result is not None:
                    send(self, *result)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- the cases ----------------------------------------------------------------------------------

    def cases(self) -> dict[str, Callable[[BaseHTTPRequestHandler], Response | None]]:
        hops = {f"/hops/{n}": self._redirect(f"/{HOST}/hops/{n + 1}") for n in range(30)}
        return {
            "/article": lambda _h: _html(ARTICLE),
            "/big": self._big,
            "/bomb": lambda _h: _html(gzip_bomb(), **{"Content-Encoding": "gzip"}),
            # the article gzipped and cut short (Content-Length says the cut length: HTTP sees no fault)
            "/cut-gzip": lambda _h: _html(gzip.compress(ARTICLE)[:-40], **{"Content-Encoding": "gzip"}),
            # the article as two gzip members one after the other (a server gzipping each chunk it writes)
            "/two-gzip-members": lambda _h: _html(
                gzip.compress(ARTICLE[:300]) + gzip.compress(ARTICLE[300:]), **{"Content-Encoding": "gzip"}),
            "/trickle": self._trickle,
            "/loop-a": self._redirect(f"/{HOST}/loop-b"),
            "/loop-b": self._redirect(f"{REAL}/loop-a", 301),
            **hops,
            "/pdf": lambda _h: _html(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf"),
            "/json": lambda _h: _html(b'{"title": "not a page"}', "application/json"),
            "/image": lambda _h: _html(b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png"),
            "/empty": lambda _h: _html(b""),
            "/cp1251": lambda _h: _html(CYRILLIC_PAGE.encode("cp1251")),
            "/nocharset": lambda _h: _html(NOCHARSET_PAGE, "text/html"),
            "/punycode": lambda _h: _html(ARTICLE, "text/html; charset=punycode"),
            "/broken": lambda _h: _html(BROKEN_PAGE),
            "/unclosed-title": lambda _h: _html(UNCLOSED_TITLE_PAGE),
            "/no-article": lambda _h: _html(NO_ARTICLE_PAGE),
            "/deep": lambda _h: _html(DEEP_PAGE),
            "/deep-soup": lambda _h: _html(DEEP_SOUP),
            "/nesting-bomb": lambda _h: _html(NESTING_BOMB),
            "/garbage": lambda _h: _html(GARBAGE),
            "/bad-ipv6-link": lambda _h: _html(self._copy("canonical", BAD_IPV6_URL)),
            "/ssrf-redirect": self._redirect(f"{self.base}/secret"),
            # 💩.example: an emoji host (💩.la is real), whose A-label IDNA 2008 refuses
            "/emoji-redirect": self._redirect(f"https://{EMOJI_HOST}/article"),
            "/tab-redirect": self._redirect(f"/{HOST}/art\ticle"),
            "/secret": lambda _h: _html(b"<html><body><p>internal secret</p></body></html>"),
            "/to-metadata": lambda _h: _html(self._copy("Go to Original", METADATA_URL)),
            "/to-private": lambda _h: _html(self._copy("canonical", PRIVATE_URL)),
            "/cf-challenge": lambda _h: _html(CLOUDFLARE_CHALLENGE, **CLOUDFLARE_HEADERS),
            "/cf-challenge-403": lambda _h: (403, {"Content-Type": "text/html; charset=UTF-8",
                                                   "cf-mitigated": "challenge", **CLOUDFLARE_HEADERS},
                                             CLOUDFLARE_CHALLENGE),
            "/cf-block": lambda _h: (403, {"Content-Type": "text/html; charset=UTF-8", **CLOUDFLARE_HEADERS},
                                     CLOUDFLARE_BLOCK),
            "/cf-fronted": lambda _h: _html(CLOUDFLARE_FRONTED_ARTICLE, **CLOUDFLARE_HEADERS),
            "/datadome": lambda _h: (403, {"Content-Type": "text/html;charset=utf-8", "Server": "DataDome",
                                           "X-DataDome": "protected", "X-DD-B": "2"}, DATADOME_CHALLENGE),
            "/datadome-no-headers": lambda _h: (403, {"Content-Type": "text/html"}, DATADOME_CHALLENGE),
            "/perimeterx": lambda _h: (403, {"Content-Type": "text/html"}, PERIMETERX_BLOCK),
            "/akamai": lambda _h: (403, {"Content-Type": "text/html", "Server": "AkamaiGHost"},
                                   AKAMAI_DENIED),
            "/sucuri": lambda _h: (403, {"Content-Type": "text/html", "Server": "Sucuri/Cloudproxy",
                                         "X-Sucuri-ID": "19002", "X-Sucuri-Block": "FBP007"}, SUCURI_BLOCK),
            "/sucuri-challenge": lambda _h: _html(SUCURI_CHALLENGE, "text/html; charset=UTF-8",
                                                  Server="Sucuri/Cloudproxy"),
            "/cf-challenge-503": lambda _h: (503, {"Content-Type": "text/html", **CLOUDFLARE_HEADERS},
                                             CLOUDFLARE_CHALLENGE),
            "/sitemap.xml": lambda _h: _html(SITEMAP, "application/xml"),
            "/500": lambda _h: (500, {"Content-Type": "text/html"}, b"<html><body>oops</body></html>"),
            "/404": lambda _h: (404, {"Content-Type": "text/html"}, b"<html><body>gone</body></html>"),
        }

    @staticmethod
    def _redirect(location: str, status: int = 302) -> Callable[[BaseHTTPRequestHandler], Response]:
        return lambda _h: (status, {"Location": location}, b"")

    @staticmethod
    def _copy(signal: str, target: str) -> bytes:
        if signal == "canonical":
            page = ORIGINAL_PAGE.format(
                title="A copy with a private canonical", head=f'<link rel="canonical" href="{target}">',
                tail="",
            )
        else:
            page = ORIGINAL_PAGE.format(
                title="A copy pointing at the metadata service", head="",
                tail=f'<p>Go to Original – <a href="{target}">metadata.example</a></p>',
            )
        return page.encode()

    def _big(self, h: BaseHTTPRequestHandler) -> None:
        """11 MB, chunked: no Content-Length to refuse up front."""
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        chunk = b"<p>" + b"x" * 65_533
        try:
            for _ in range(11 * 1024 * 1024 // len(chunk) + 1):
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            h.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client hung up: that is the point
        h.close_connection = True

    def _trickle(self, h: BaseHTTPRequestHandler) -> None:
        """One byte every 0.5 s: never idle long enough for a read timeout."""
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        try:
            for _ in range(40):
                h.wfile.write(b"x")
                h.wfile.flush()
                if self.stop.wait(0.5):
                    break
        except OSError:
            pass
        h.close_connection = True

    # -- life cycle ---------------------------------------------------------------------------------

    def host_map(self) -> str:
        return f"{HOST}={self.base}/{HOST}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()
