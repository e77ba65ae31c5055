"""The daily digest for monitoring staff: new and updated incidents grouped by story with evidence
quotes and links, advisory changes, a 30-day chart and source health, as email-safe HTML and
Markdown. The digest of day D covers the 24 hours before D's digest time (local)."""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from monitor.config import Settings, data_dir
from monitor.digest.chart import incidents_chart_svg
from storage import digests as archive
from storage.repository import Store

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
CHART_DAYS = 30
QUOTES_PER_STORY = 3
SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


@dataclass(frozen=True)
class DigestResult:
    day: date
    html_path: Path
    md_path: Path
    counts: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "html_path": str(self.html_path), "md_path": str(self.md_path),
                "counts": self.counts}  # fmt: skip


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
    """Render the digest of `day` (default: the open one, see open_digest_day), write its files and
    archive it (replacing an earlier rendering of the same day)."""
    day = day or open_digest_day(settings)
    context = digest_context(store, day, settings)
    env = _environment()
    html = env.get_template("digest.html.j2").render(**context, chart=Markup(context["chart_svg"]))
    markdown = env.get_template("digest.md.j2").render(**context)
    folder = data_dir(settings) / "digests"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{day.isoformat()}"
    html_path, md_path = folder / f"{stem}.html", folder / f"{stem}.md"
    html_path.write_text(html, encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    (folder / f"{stem}.svg").write_text(context["chart_svg"], encoding="utf-8")
    archive.save_digest(store, day, context["counts"], html, markdown)
    log.info("digest %s: %s", day, context["counts"])
    return DigestResult(day, html_path, md_path, context["counts"])


def digest_context(store: Store, day: date, settings: Settings) -> dict[str, Any]:
    """Everything the templates show, gathered from the store."""
    start, end = digest_window(day, settings)
    tz = ZoneInfo(settings.timezone)
    stories = archive.incident_stories_between(store, start, end)
    advisories = archive.advisory_changes_between(store, start, end)
    per_day = incidents_per_day(store, day, tz)
    health = source_health(store, start, end)
    counts = {
        "new_incidents": len(stories["new"]), "updated_incidents": len(stories["updated"]),
        "advisory_changes": len(advisories), "incidents_30d": sum(n for _, n in per_day),
        "sources_failing": sum(1 for s in health if s["status"] == "failing"),
    }  # fmt: skip
    return {
        "day": day, "start_local": start.astimezone(tz), "end_local": end.astimezone(tz), "timezone": settings.timezone,
        "new": [story_view(s) for s in stories["new"]], "updated": [story_view(s) for s in stories["updated"]],
        "advisories": advisories, "per_day": per_day, "health": health, "counts": counts,
        "chart_svg": incidents_chart_svg(per_day, f"Incidents per day, last {CHART_DAYS} days"),
        "chart_file": f"digest-{day.isoformat()}.svg",
    }  # fmt: skip


def incidents_per_day(store: Store, day: date, tz: ZoneInfo) -> list[tuple[date, int]]:
    """(local day, new incident stories) for the CHART_DAYS days ending with `day`, oldest first."""
    first = day - timedelta(days=CHART_DAYS - 1)
    since = datetime.combine(first, time(0), tzinfo=tz)
    counter = Counter(t.astimezone(tz).date() for t in archive.incident_first_seen_since(store, since))
    return [(first + timedelta(days=i), counter.get(first + timedelta(days=i), 0)) for i in range(CHART_DAYS)]


def source_health(store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Each enabled source with its runs in the window and a status: ok, failing or silent (no runs)."""
    runs = archive.run_counts_between(store, start, end)
    out = []
    for source in store.list_sources():
        if not source["enabled"]:
            continue
        r = runs.get(source["key"], {"runs": 0, "failed": 0, "items": 0, "new_items": 0})
        status = "failing" if source["consecutive_failures"] else ("silent" if not r["runs"] else "ok")
        out.append({**source, **r, "status": status})
    return sorted(out, key=lambda s: ({"failing": 0, "silent": 1, "ok": 2}[s["status"]], s["key"]))


def story_view(story: dict[str, Any]) -> dict[str, Any]:
    """A story as the digest shows it: facts, quotes (sentences around the extracted evidence), links."""
    docs = sorted(story["documents"], key=lambda d: d.get("published_at") or "", reverse=True)
    quotes: list[dict[str, str]] = []
    for doc in docs:
        for quote in evidence_quotes(doc):
            if len(quotes) < QUOTES_PER_STORY and quote not in [q["text"] for q in quotes]:
                quotes.append({"text": quote, "source": doc["source"], "url": doc["url"]})
    return {
        "id": story["id"], "title": story["title"] or (docs[0]["title"] if docs else f"story {story['id']}"),
        "incident_types": story["incident_types"], "countries": story["countries"],
        "victim_nationality": story["victim_nationality"], "max_ransom_usd": story["max_ransom_usd"],
        "doc_count": story["doc_count"], "first_seen": story["first_seen"], "quotes": quotes,
        "links": [{"title": d["title"] or d["url"], "url": d["url"], "source": d["source"], "lang": d["lang"]}
                  for d in docs[:6]],
    }  # fmt: skip


def evidence_quotes(doc: dict[str, Any], limit: int = 2) -> list[str]:
    """The sentences holding the extraction's evidence spans (ransoms, ages, then places), trimmed."""
    data = doc.get("extraction") or {}
    body = doc.get("body") or ""
    spans = [*data.get("ransoms", []), *data.get("victim_ages", []), *data.get("places", [])]
    quotes: list[str] = []
    for span in spans:
        sentence = _sentence_around(body, span)
        if sentence and sentence not in quotes:
            quotes.append(sentence)
        if len(quotes) >= limit:
            break
    return quotes


def _sentence_around(body: str, span: dict[str, Any]) -> str | None:
    start, end, text = span.get("start"), span.get("end"), span.get("text") or ""
    if not (isinstance(start, int) and isinstance(end, int) and body[start:end] == text):
        start = body.find(text) if text else -1  # spans may count from the title; find the text instead
        if start < 0:
            return None
        end = start + len(text)
    left = max((m.end() for m in SENTENCE_END.finditer(body, 0, start)), default=0)
    right_match = SENTENCE_END.search(body, end)
    sentence = body[left : right_match.start() if right_match else len(body)].strip()
    return sentence if len(sentence) <= 400 else sentence[:397] + "…"


def markdown_escape(value: Any) -> str:
    """Scraped text made inert in Markdown: markup characters backslashed, HTML characters as entities."""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def markdown_url(value: str) -> str:
    return str(value).replace("(", "%28").replace(")", "%29").replace(" ", "%20").replace("<", "%3C").replace(">", "%3E")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )  # fmt: skip
    env.filters["md"] = markdown_escape
    env.filters["mdurl"] = markdown_url
    env.filters["usd"] = lambda v: f"${v:,.0f}" if v is not None else ""
    env.filters["safe_href"] = safe_href
    return env


def safe_href(url: Any) -> str:
    """Only http(s) links reach the digest; anything else (javascript:, data:) becomes '#'."""
    url = str(url or "")
    return url if re.match(r"^https?://", url, re.IGNORECASE) else "#"


def send_digest(store: Store, result: DigestResult, settings: Settings) -> None:
    """Email the digest (HTML with a Markdown text part) through the email channel; marks it sent."""
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
               f"{result.counts['updated_incidents']} updated incidents").strip()  # fmt: skip
    channel.send_message(subject, result.md_path.read_text(encoding="utf-8"), result.html_path.read_text(encoding="utf-8"))
    archive.mark_digest_sent(store, result.day)
