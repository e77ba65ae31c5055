"""The replay server: bundled sites, {base} links on loopback, conditional GET, routes and faults."""
from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request

import pytest

from crawler.replay import ReplayServer


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_start_urls_and_base_links(replay: ReplayServer) -> None:
    assert replay.url_for("yonhap-en") == f"{replay.base_url}/yonhap-en/RSS/news.xml"
    status, headers, body = _get(replay.url_for("yonhap-en"))
    assert status == 200 and headers["Content-Type"].startswith("application/xml")
    assert f"{replay.base_url}/yonhap-en/view/AEN".encode() in body and b"{base}" not in body
    assert _get(f"{replay.base_url}/yonhap-en/view/AEN20251012000300315?input=rss")[0] == 200
    assert _get(f"{replay.base_url}/nowhere/")[0] == 404 and _get(f"{replay.base_url}/yonhap-en/../x")[0] == 404
    with pytest.raises(KeyError):
        replay.url_for("nowhere")


def test_conditional_get(replay: ReplayServer) -> None:
    _, headers, _ = _get(replay.url_for("camboja"))
    assert _get(replay.url_for("camboja"), {"If-None-Match": headers["ETag"]})[0] == 304
    assert _get(replay.url_for("camboja"), {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert _get(replay.url_for("camboja"), {"If-None-Match": '"other"'})[0] == 200


def test_routes_with_headers_and_statuses(replay: ReplayServer) -> None:
    base = f"{replay.base_url}/khmer-times-api/wp-json/wp/v2/posts"
    status, headers, _ = _get(f"{base}?categories=7&page=1&per_page=20")
    assert status == 200 and headers["X-WP-TotalPages"] == "2"
    status, _, body = _get(f"{base}?page=3&categories=7")
    assert status == 400 and b"rest_post_invalid_page_number" in body


def test_faults(replay: ReplayServer) -> None:
    path = "/camboja/feed/"
    replay.add_fault(path, statuses=[500, 503])
    assert [_get(replay.base_url + path)[0] for _ in range(3)] == [500, 503, 200]
    replay.add_fault(path, charset="euc-kr", pad_bytes=10)
    _, headers, body = _get(replay.base_url + path)
    assert headers["Content-Type"].endswith("charset=euc-kr") and body.endswith(b" " * 10)
    replay.add_fault(path, truncate=100)
    with pytest.raises(http.client.IncompleteRead):
        _get(replay.base_url + path)
    replay.add_fault(path, reset=True)
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        _get(replay.base_url + path)
    replay.robots_txt = "User-agent: *\nDisallow: /\n"
    assert b"Disallow: /" in _get(replay.base_url + "/robots.txt")[2]
    assert replay.hits[path] >= 5


def test_port_is_free_after_stop() -> None:
    server = ReplayServer().start()
    port = server.port
    server.stop()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
