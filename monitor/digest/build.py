"""The daily digest for monitoring staff: new and updated incidents grouped by story with their dates,
evidence quotes and links, advisory changes, a 30-day chart of new incidents and source health, as
email-safe HTML and Markdown. The digest of day D covers the 24 hours before D's digest time (local).
"New incident" has one meaning everywhere (storage.incidents): an incident story deskwatch made."""
from __future__ import annotations

import base64
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from monitor.config import Settings, data_dir
from monitor.digest.chart import incidents_chart_png
from monitor.digest.present import markdown_escape, markdown_url, safe_href, story_view
from storage.digests import (
    CHART_IMG,
    advisory_changes_between,
    chart_png_of,
    incident_stories_between,
    mark_digest_sent,
    new_incident_times,
    run_counts_between,
    save_digest,
)
from storage.repository import Store
from storage.sources import list_sources

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
CHART_DAYS = 30
CHART_CID = "incidents-chart@deskwatch"


@dataclass(frozen=True)
class DigestResult:
    day: date
    html_path: Path
    md_path: Path
    counts: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "html_path": str(self.html_path), "md_path": str(self.md_path),
                "counts": self.counts}


def digest_window(day: date, settings: Settings) -> tuple[datetime, datetime]:
    """[start, end) in UTC: the 24 hours that end at `day`'s digest time in the configured time zone."""
    tz = ZoneInfo(settings.timezone)
    hour, minute = (int(x) for x in settings.digest_time.split(":"))
    end = datetime.combine(day, time(hour, minute), tzinfo=tz)
    return (end - timedelta(days=1)).astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def today_local(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


def open_digest_day(settings: Settings, now: datetime | None = None) -> date:
    """The day of the digest whose window contains `now`: today before the digest time, tomorrow after it.
    What `deskwatch digest` and the demo show by default, so what was just collected is in it."""
    tz = ZoneInfo(settings.timezone)
    local = (now or datetime.now(tz)).astimezone(tz)
    hour, minute = (int(x) for x in settings.digest_time.split(":"))
    return local.date() + timedelta(days=1) if local.time() >= time(hour, minute) else local.date()


def build_digest(store: Store, day: date | None, settings: Settings) -> DigestResult:
    """Render the digest of `day` (default: the open one, see open_digest_day), write its files (HTML,
    Markdown and the chart's PNG) and archive it (replacing an earlier rendering of the same day)."""
    day = day or open_digest_day(settings)
    context = digest_context(store, day, settings)
    env = _environment()
    html = env.get_template("digest.html.j2").render(**context)
    markdown = env.get_template("digest.md.j2").render(**context)
    folder = data_dir(settings) / "digests"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{day.isoformat()}"
    html_path, md_path = folder / f"{stem}.html", folder / f"{stem}.md"
    html_path.write_text(html, encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    (folder / f"{stem}.png").write_bytes(context["chart_png"])
    save_digest(store, day, context["counts"], html, markdown)
    log.info("digest %s: %s", day, context["counts"])
    return DigestResult(day, html_path, md_path, context["counts"])


def digest_context(store: Store, day: date, settings: Settings) -> dict[str, Any]:
    """Everything the templates show, gathered from the store."""
    start, end = digest_window(day, settings)
    tz = ZoneInfo(settings.timezone)
    stories = incident_stories_between(store, start, end)
    advisories = advisory_changes_between(store, start, end)
    per_day = incidents_per_day(store, day, end, tz)
    health = source_health(store, start, end)
    counts = {
        "new_incidents": len(stories["new"]), "updated_incidents": len(stories["updated"]),
        "new_incidents_30d": sum(n for _, n in per_day), "advisory_changes": len(advisories),
        "sources_failing": sum(1 for s in health["ran"] if s["status"] == "failing"),
    }
    png = incidents_chart_png(per_day, f"New incidents per day, last {CHART_DAYS} days")
    base_url = settings.base_url
    return {
        "day": day, "start_local": start.astimezone(tz), "end_local": end.astimezone(tz), "timezone": settings.timezone,
        "new": [story_view(s, base_url, tz) for s in stories["new"]],
        "updated": [story_view(s, base_url, tz) for s in stories["updated"]],
        "advisories": advisories, "per_day": per_day, "health": health["ran"], "never_run": health["never_run"],
        "counts": counts, "chart_png": png, "chart_days": CHART_DAYS,
        "chart_src": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "chart_url": f"{base_url.rstrip('/')}/digests/{day.isoformat()}/chart.png",
    }


def incidents_per_day(store: Store, day: date, end: datetime, tz: ZoneInfo) -> list[tuple[date, int]]:
    """(local day, new incidents) for the CHART_DAYS days ending with `day`, oldest first; the last bar
    stops at the digest's window end, so the chart's days add up with the digest's own count."""
    first = day - timedelta(days=CHART_DAYS - 1)
    since = datetime.combine(first, time(0), tzinfo=tz)
    times = new_incident_times(store, since, end)
    counter = Counter(t.astimezone(tz).date() for t in times)
    return [(first + timedelta(days=i), counter.get(first + timedelta(days=i), 0)) for i in range(CHART_DAYS)]


def source_health(store: Store, start: datetime, end: datetime) -> dict[str, list[Any]]:
    """Enabled sources that have ever run, with their runs in the window and a status (failing, ok, or
    silent: no run in the window), failing first; and the keys of those that never ran, for one line."""
    runs = run_counts_between(store, start, end)
    ran, never_run = [], []
    for source in list_sources(store):
        if not source["enabled"]:
            continue
        r = runs.get(source["key"], {"runs": 0, "failed": 0, "items": 0, "new_items": 0})
        if not r["runs"] and not source["last_run_at"]:
            never_run.append(source["key"])
            continue
        status = "failing" if source["consecutive_failures"] else ("silent" if not r["runs"] else "ok")
        ran.append({**source, **r, "status": status})
    ran.sort(key=lambda s: ({"failing": 0, "ok": 1, "silent": 2}[s["status"]], s["key"]))
    return {"ran": ran, "never_run": sorted(never_run)}


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_escape
    env.filters["mdurl"] = markdown_url
    env.filters["usd"] = lambda v: f"${v:,.0f}" if v is not None else ""
    env.filters["safe_href"] = safe_href
    return env


def send_digest(store: Store, result: DigestResult, settings: Settings) -> None:
    """Email the digest (HTML with a Markdown text part; the chart a PNG embedded in the message and
    shown inline through its Content-ID, which mail clients display where they drop SVG and data URIs)."""
    from monitor.alerts.channels import EmailChannel, builtin_channel_specs
    from monitor.alerts.engine import channel_specs_for
    from monitor.alerts.rules import RuleError

    try:
        specs = channel_specs_for(settings)
    except RuleError as exc:  # the server and password are the settings' either way; only recipients differ
        log.warning("rules file rejected (%s): the digest goes to the settings' recipients", exc)
        specs = builtin_channel_specs()
    spec = specs.get("email") or builtin_channel_specs()["email"]
    channel = EmailChannel(spec, settings)
    subject = (f"{channel.subject_prefix} Daily digest {result.day}: {result.counts['new_incidents']} new, "
               f"{result.counts['updated_incidents']} updated incidents").strip()
    html = result.html_path.read_text(encoding="utf-8")
    png = chart_png_of(html)
    images = {CHART_CID: png} if png else {}
    html = CHART_IMG.sub(f'<img id="incidents-chart" src="cid:{CHART_CID}"', html, count=1)
    channel.send_message(subject, result.md_path.read_text(encoding="utf-8"), html, inline_images=images)
    mark_digest_sent(store, result.day)
