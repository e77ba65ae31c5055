"""Publication -> webhook latency of the real scheduler (`deskwatch run` in its own process) polling a
feed on the local replay server: kidnapping reports appear in the feed at random moments, a local
receiver timestamps each signed webhook. Prints ONE JSON line:
{"poll_interval_s", "reports", "median_latency_s", "p95_latency_s", "received"}. Target: p95 <= poll + 10 s."""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import tomli_w

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.replay import ReplayServer
from monitor.alerts.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature

FEED_PATH = "/yonhap-en/RSS/news.xml"
SECRET = "bench-secret"
# Invented reports: distinct victims, towns and places so each is its own story.
VICTIMS = [
    ("A 23-year-old office worker from Jeonju", "Bavet", 30_000), ("A 31-year-old chef from Ulsan", "Poipet", 45_000),
    ("A 27-year-old nurse from Cheongju", "Sihanoukville", 20_000), ("A 35-year-old engineer from Pohang", "Kampot", 60_000),
    ("A 22-year-old student from Suncheon", "Phnom Penh", 15_000), ("A 29-year-old designer from Gimhae", "Koh Kong", 25_000),
    ("A 41-year-old trader from Wonju", "Battambang", 80_000), ("A 24-year-old graduate from Mokpo", "Siem Reap", 18_000),
    ("A 33-year-old driver from Gunsan", "Takeo", 35_000), ("A 26-year-old barista from Andong", "Kep", 22_000),
    ("A 38-year-old builder from Iksan", "Svay Rieng", 50_000), ("A 21-year-old cadet from Chuncheon", "Kratie", 12_000),
]


class Receiver:
    """Records (receipt time, payload) of every correctly signed webhook on 127.0.0.1."""

    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, Any]]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ok = verify_signature(SECRET, body, self.headers.get(TIMESTAMP_HEADER, "0"),
                                      self.headers.get(SIGNATURE_HEADER, ""))
                if ok:
                    received.append((time.time(), json.loads(body)))
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


class Feed:
    """The replayed Yonhap feed, which grows by one item per published report."""

    def __init__(self, replay: ReplayServer) -> None:
        self.replay, self.items = replay, []  # type: ignore[var-annotated]
        self._render()

    def publish(self, n: int, victim: str, place: str, ransom: int) -> str:
        now = datetime.now(UTC)
        article_id = f"AEN{now:%Y%m%d}{900000000 + n:09d}"
        url = f"{self.replay.base_url}/yonhap-en/view/{article_id}"
        title = f"S. Korean held in {place} compound, family asked for ${ransom:,} ransom"
        body = (f"SEOUL (Yonhap) -- {victim} has been confined in a scam compound in {place}, Cambodia, and "
                f"kidnappers demanded ${ransom:,} from the family for the release, police said. "
                f"The South Korean national was lured with a job offer and detained after arriving in {place}.")
        self.replay.set_reply(f"/yonhap-en/view/{article_id}", body=_article_html(url, title, body, now),
                              headers={"Content-Type": "text/html; charset=utf-8"})
        self.items.insert(0, (title, url, body, now))
        self._render()
        return url

    def _render(self) -> None:
        items = "".join(
            f"<item><title>{escape(t)}</title><link>{escape(u)}</link><description>{escape(b[:160])}</description>"
            f"<pubDate>{format_datetime(d)}</pubDate></item>"
            for t, u, b, d in self.items
        )
        xml = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Yonhap News Agency</title>'
               f"<link>{self.replay.base_url}/yonhap-en/</link><description>Latest</description>{items}</channel></rss>")
        self.replay.set_reply(FEED_PATH, body=xml, headers={"Content-Type": "application/rss+xml; charset=utf-8"})


def _article_html(url: str, title: str, body: str, when: datetime) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | Yonhap</title>'
        f'<meta property="og:title" content="{escape(title)}"><link rel="canonical" href="{url}">'
        f'<meta property="article:published_time" content="{when.isoformat()}"></head><body><main>'
        f'<article class="story-news"><h1 class="tit">{escape(title)}</h1><div class="article-body">'
        f"<p>{escape(body)}</p></div></article></main></body></html>"
    )


def write_config(folder: Path, replay: ReplayServer, hook_url: str, poll_s: int) -> dict[str, str]:
    """sources.toml (one feed on the replay), rules.toml (the default kidnapping rule -> the webhook)."""
    sources = {"sources": [{"key": "yonhap-en", "name": "Yonhap (replay)", "kind": "news", "country": "KR",
                            "lang": "en", "fetch": "rss", "url": replay.url_for("yonhap-en"),
                            "schedule": f"{poll_s}s", "enabled": True}]}
    rules = tomllib.loads((ROOT / "config" / "rules.toml").read_text(encoding="utf-8"))
    rules["rules"] = [r for r in rules["rules"] if r["name"] == "korean-kidnapping"]
    rules["rules"][0]["channels"] = ["bench"]
    rules["rules"][0].pop("throttle", None)
    rules["channels"] = {"bench": {"type": "webhook", "url": hook_url, "secret_env": "DESKWATCH_WEBHOOK_SECRET_BENCH"}}
    (folder / "sources.toml").write_text(tomli_w.dumps(sources), encoding="utf-8")
    (folder / "rules.toml").write_text(tomli_w.dumps(rules), encoding="utf-8")
    return {
        "DESKWATCH_DB": f"sqlite:///{folder / 'bench.sqlite'}", "DESKWATCH_SOURCES_FILE": str(folder / "sources.toml"),
        "DESKWATCH_RULES_FILE": str(folder / "rules.toml"), "DESKWATCH_DATA_DIR": str(folder), "DESKWATCH_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "DESKWATCH_WEBHOOK_SECRET_BENCH": SECRET,
    }


def wait_for(receiver: Receiver, url: str, deadline: float) -> float | None:
    while time.time() < deadline:
        for at, payload in list(receiver.received):
            links = payload.get("deskwatch", {}).get("payload", {}).get("links", [])
            if any(link.get("url") == url for link in links):
                return at
        time.sleep(0.2)
    return None


def run(poll_s: int, reports: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    receiver = Receiver()
    with ReplayServer() as replay, tempfile.TemporaryDirectory() as tmp:
        feed = Feed(replay)
        env = {**os.environ, **write_config(Path(tmp), replay, receiver.url, poll_s)}
        log_file = (Path(tmp) / "scheduler.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "cli", "run"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=log_file)
        try:
            warm = feed.publish(0, *VICTIMS[-1])  # loads nlp in the scheduler; not counted
            if wait_for(receiver, warm, time.time() + poll_s + 180) is None:
                raise SystemExit("warm-up report never reached the webhook: see the scheduler log")
            latencies = _publish_and_measure(feed, receiver, rng, poll_s, reports)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            log_file.close()
    got = [x for x in latencies if x is not None]
    return {
        "poll_interval_s": poll_s, "reports": reports, "received": len(got),
        "median_latency_s": round(statistics.median(got), 2) if got else None,
        "p95_latency_s": round(_p95(got), 2) if got else None,
    }


def _publish_and_measure(feed: Feed, receiver: Receiver, rng: random.Random, poll_s: int, reports: int) -> list[float | None]:
    start = time.time()
    moments = sorted(rng.uniform(0, reports * poll_s) for _ in range(reports))
    published: list[tuple[str, float]] = []
    for n, moment in enumerate(moments, 1):
        time.sleep(max(0.0, start + moment - time.time()))
        victim, place, ransom = VICTIMS[(n - 1) % (len(VICTIMS) - 1)]
        published.append((feed.publish(n, f"{victim} (case {n})", place, ransom), time.time()))
    deadline = time.time() + poll_s + 120
    return [(at - t) if (at := wait_for(receiver, url, deadline)) is not None else None for url, t in published]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--poll", type=int, default=20, help="the feed's crawl interval in seconds")
    parser.add_argument("--reports", type=int, default=8, help="kidnapping reports to publish")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(run(args.poll, args.reports, args.seed)))


if __name__ == "__main__":
    main()
