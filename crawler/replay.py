"""A local replay server for tests and the demo: serves the bundled sample sites (crawler/replay_sites/<key>/,
invented articles in the real sites' formats) on 127.0.0.1, with conditional GET and scriptable faults.

Each site folder holds `site.toml` (`start = "/rss/news.xml"`, optional `[routes."<path>?<query>"]` tables
with `file`, `status`, `headers`) and its files. `{base}` in text files becomes the server's base URL, so
every link stays on loopback. Paths are `/<key>/...`; `/robots.txt` is `root/robots.txt` or allow-all."""
from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import socket
import struct
import threading
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger(__name__)

DEFAULT_ROOT = Path(__file__).resolve().parent / "replay_sites"
FIXED_LAST_MODIFIED = formatdate(1767225600, usegmt=True)  # 2026-01-01: stable across checkouts
TEXT_TYPES = ("text/", "application/xml", "application/rss+xml", "application/atom+xml", "application/json")
mimetypes.add_type("application/rss+xml", ".rss")


@dataclass
class Fault:
    """How to misbehave on one path: statuses to answer in turn (then normal), a delay, a truncated body,
    a wrong charset label, a connection reset, a redirect target, an oversized body."""

    statuses: list[int] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)  # one per request, in turn (then `delay`)
    delay: float = 0.0
    truncate: int | None = None
    charset: str | None = None
    reset: bool = False
    redirect_to: str | None = None
    pad_bytes: int = 0
    current_delay: float = 0.0


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class ReplayServer:
    """Threaded HTTP server on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(self, root: str | Path = DEFAULT_ROOT, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root)
        self.host, self.port = host, port
        self.faults: dict[str, Fault] = {}
        self.hits: Counter[str] = Counter()  # path?query -> requests served
        self.robots_txt: str | None = None
        self.overrides: dict[str, Reply] = {}  # path?query -> a fixed reply (tests)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> Self:
        handler = type("Handler", (_Handler,), {"replay": self})
        self._httpd = ThreadingHTTPServer((self.host, self.port), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="replay-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, source_key: str) -> str:
        """The start URL of that source's bundled site."""
        config = self.site_config(source_key)
        return f"{self.base_url}/{source_key}{config.get('start', '/')}"

    def site_config(self, source_key: str) -> dict[str, Any]:
        path = self.root / source_key / "site.toml"
        if not path.is_file():
            raise KeyError(f"no bundled site for {source_key!r} in {self.root}")
        return tomllib.loads(path.read_text(encoding="utf-8"))

    # ---- test controls ---------------------------------------------------------------------------------
    def add_fault(self, path: str, **kwargs: Any) -> Fault:
        fault = Fault(**kwargs)
        with self._lock:
            self.faults[path] = fault
        return fault

    def set_reply(self, path: str, status: int = 200, body: bytes | str = b"", headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.overrides[path] = Reply(status, data, dict(headers or {}))

    def _next_fault_status(self, key: str) -> tuple[Fault | None, int | None]:
        """Count the request and take its fault's next status and delay, if it has a fault."""
        with self._lock:
            self.hits[key] += 1  # counted on arrival, so a request still being delayed is seen
            fault = self.faults.get(key)  # exact: a redirect to the same path with a query escapes it
            if fault is None:
                return None, None
            fault.current_delay = fault.delays.pop(0) if fault.delays else fault.delay
            return fault, (fault.statuses.pop(0) if fault.statuses else None)

    # ---- serving -----------------------------------------------------------------------------------------
    def reply_for(self, raw_path: str, headers: Any) -> Reply:
        parts = urlsplit(raw_path)
        key = parts.path + (f"?{parts.query}" if parts.query else "")
        if key in self.overrides:
            return self.overrides[key]
        if parts.path == "/robots.txt":
            return self._robots()
        segments = [s for s in parts.path.split("/") if s]
        if not segments or ".." in segments:
            return Reply(404, b"not found")
        site, rest = segments[0], "/" + "/".join(segments[1:]) + ("/" if parts.path.endswith("/") and len(segments) > 1 else "")
        reply = self._site_reply(site, rest, parts.query)
        return self._conditional(reply, headers)

    def _robots(self) -> Reply:
        text = self.robots_txt
        if text is None:
            file = self.root / "robots.txt"
            text = file.read_text(encoding="utf-8") if file.is_file() else "User-agent: *\nAllow: /\n"
        return Reply(200, text.encode("utf-8"), {"Content-Type": "text/plain; charset=utf-8"})

    def _site_reply(self, site: str, rest: str, query: str) -> Reply:
        site_dir = self.root / site
        try:
            config = self.site_config(site)
        except KeyError:
            return Reply(404, b"no such site")
        route = _match_route(config.get("routes", {}), rest, query)
        headers = dict((route or {}).get("headers", {}))
        status = int((route or {}).get("status", 200))
        target = site_dir / (route["file"] if route and route.get("file") else rest.lstrip("/"))
        if not target.exists() and target.with_name(target.name + ".html").is_file():
            target = target.with_name(target.name + ".html")  # /view/AEN… served from view/AEN….html
        if target.is_dir():
            target = next((target / n for n in ("index.xml", "index.html", "index.json") if (target / n).is_file()), target)
        if not target.is_file():
            return Reply(status if route and not route.get("file") else 404, route.get("body", "").encode() if route else b"not found", headers)
        body = target.read_bytes()
        ctype = headers.get("Content-Type") or _content_type(target)
        if ctype.startswith(TEXT_TYPES) and b"{base}" in body:
            body = body.replace(b"{base}", self.base_url.encode("ascii"))
        headers.setdefault("Content-Type", ctype)
        return Reply(status, body, headers)

    def _conditional(self, reply: Reply, request_headers: Any) -> Reply:
        if reply.status != 200:
            return reply
        etag = '"' + hashlib.sha1(reply.body).hexdigest()[:20] + '"'
        reply.headers.setdefault("ETag", etag)
        reply.headers.setdefault("Last-Modified", FIXED_LAST_MODIFIED)
        if request_headers.get("If-None-Match") == reply.headers["ETag"]:
            return Reply(304, b"", {"ETag": reply.headers["ETag"]})
        since = request_headers.get("If-Modified-Since")
        if since and not request_headers.get("If-None-Match"):
            try:
                if parsedate_to_datetime(since) >= parsedate_to_datetime(reply.headers["Last-Modified"]):
                    return Reply(304, b"", {"Last-Modified": reply.headers["Last-Modified"]})
            except (TypeError, ValueError):
                pass
        return reply


def _match_route(routes: dict[str, Any], path: str, query: str) -> dict[str, Any] | None:
    """The route for path?query: exact, else the one whose parameters are all in the request (most
    specific wins), else the bare path's."""
    params = set(parse_qsl(query, keep_blank_values=True))
    best: tuple[int, dict[str, Any]] | None = None
    for key, route in routes.items():
        route_path, _, route_query = key.partition("?")
        wanted = set(parse_qsl(route_query, keep_blank_values=True))
        if route_path == path and wanted <= params and (best is None or len(wanted) > best[0]):
            best = (len(wanted), route)
    return best[1] if best else None


def _content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".xml", ".rss"}:
        return "application/xml; charset=utf-8"
    if suffix == ".json":
        return "application/json; charset=utf-8"
    if suffix in {".html", ".htm"}:
        return "text/html; charset=utf-8"
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


class _Handler(BaseHTTPRequestHandler):
    replay: ReplayServer
    protocol_version = "HTTP/1.1"

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):  # a client that hung up (oversize, timeouts)
            pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        key = parts.path + (f"?{parts.query}" if parts.query else "")
        fault, status = self.replay._next_fault_status(key)
        if fault and fault.current_delay:
            time.sleep(fault.current_delay)
        if fault and fault.reset:
            self._reset_connection()
            return
        if fault and fault.redirect_to:
            self._send(Reply(301, b"", {"Location": fault.redirect_to}))
            return
        reply = self.replay.reply_for(self.path, self.headers)
        if status is not None:
            reply = Reply(status, f"status {status}".encode(), {"Content-Type": "text/plain"})
        if fault:
            reply = _apply_fault(reply, fault)
        self._send(reply, cut_at=fault.truncate if fault else None)

    def _reset_connection(self) -> None:
        """Abort with a TCP RST. socket.close() alone waits for rfile's reference (no RST at all, the client
        just times out), so the descriptor is detached and closed with SO_LINGER 0."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(self.connection.detach())
        self.close_connection = True

    def _send(self, reply: Reply, cut_at: int | None = None) -> None:
        """Send a reply; `cut_at` announces the whole body but sends only that many bytes, then hangs up."""
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.status == 304:
            return
        self.wfile.write(reply.body if cut_at is None else reply.body[:cut_at])
        if cut_at is not None:
            self.wfile.flush()
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("replay %s", format % args)


def _apply_fault(reply: Reply, fault: Fault) -> Reply:
    body, headers = reply.body, dict(reply.headers)
    if fault.pad_bytes:
        body = body + b" " * fault.pad_bytes
    if fault.charset:
        ctype = headers.get("Content-Type", "text/html").split(";")[0]
        headers["Content-Type"] = f"{ctype}; charset={fault.charset}"
    return Reply(reply.status, body, headers)
