"""How an alert reads: one plain-text paragraph, a Slack-compatible body, and an email (text + HTML).
Everything scraped is escaped for the format it lands in."""
from __future__ import annotations

import html
from typing import Any

KIND_LABELS = {"new": "New", "update": "Update"}
SUBJECT_LABELS = {"story": "incident", "advisory": "advisory change", "source": "source failure"}


def headline(alert: dict[str, Any]) -> str:
    """"New incident: <title>" style first line."""
    payload = alert.get("payload", {})
    kind = KIND_LABELS.get(payload.get("kind", "new"), "New")
    subject = SUBJECT_LABELS.get(alert.get("subject_type", ""), alert.get("subject_type", ""))
    return f"{kind} {subject}: {payload.get('title') or alert.get('subject_id')}"


def detail_lines(alert: dict[str, Any]) -> list[str]:
    """Facts worth a glance, one per line, plain text."""
    p = alert.get("payload", {})
    lines = []
    if p.get("incident_types"):
        lines.append("types: " + ", ".join(p["incident_types"]))
    if p.get("countries"):
        lines.append("countries: " + ", ".join(p["countries"]))
    if p.get("places"):
        lines.append("places: " + ", ".join(p["places"][:8]))
    if p.get("victim_nationality"):
        lines.append(f"victims: {p['victim_nationality']}" + (f", ages {p['ages']}" if p.get("ages") else ""))
    if p.get("max_ransom_usd"):
        lines.append(f"ransom: up to ${p['max_ransom_usd']:,.0f}")
    if p.get("new_facts"):
        lines.append("new facts: " + "; ".join(p["new_facts"]))
    for key in ("issuer", "country", "level_change", "consecutive_failures", "last_error"):
        if p.get(key) not in (None, ""):
            lines.append(f"{key.replace('_', ' ')}: {p[key]}")
    if p.get("doc_count"):
        lines.append(f"reports: {p['doc_count']}")
    return lines


def links(alert: dict[str, Any]) -> list[dict[str, str]]:
    return [dict(link) for link in alert.get("payload", {}).get("links", [])][:5]


def alert_text(alert: dict[str, Any]) -> str:
    parts = [f"[deskwatch/{alert.get('rule')}] {headline(alert)}", *("  " + line for line in detail_lines(alert))]
    parts += [f"  - {link.get('title') or link['url']} <{link['url']}>" for link in links(alert)]
    return "\n".join(parts)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(alert: dict[str, Any]) -> dict[str, Any]:
    """Slack incoming-webhook JSON ("text" + blocks), plus the raw alert under "deskwatch"."""
    title = _slack_escape(headline(alert))
    details = "\n".join(_slack_escape(line) for line in detail_lines(alert))
    link_lines = "\n".join(
        f"• <{link['url']}|{_slack_escape(link.get('title') or link['url'])}>" for link in links(alert)
    )
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}}]
    for chunk in (details, link_lines):
        if chunk:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk[:2900]}})
    return {
        "text": title,
        "blocks": blocks,
        "deskwatch": {k: alert.get(k) for k in ("id", "rule", "subject_type", "subject_id", "created_at")}
        | {"payload": alert.get("payload", {})},
    }


def alert_email(alert: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text body, HTML body with inline CSS)."""
    esc = html.escape
    items = "".join(f"<li style=\"margin:2px 0\">{esc(line)}</li>" for line in detail_lines(alert))
    link_items = "".join(
        f"<li><a href=\"{esc(link['url'], quote=True)}\" style=\"color:#1a56db\">"
        f"{esc(link.get('title') or link['url'])}</a></li>"
        for link in links(alert)
    )
    body = (
        "<div style=\"font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#111\">"
        f"<h2 style=\"font-size:17px;margin:0 0 8px\">{esc(headline(alert))}</h2>"
        f"<ul style=\"padding-left:18px;margin:0 0 8px\">{items}</ul>"
        f"<ul style=\"padding-left:18px;margin:0\">{link_items}</ul>"
        f"<p style=\"color:#666;font-size:12px\">rule {esc(str(alert.get('rule')))} · alert #{alert.get('id')}</p>"
        "</div>"
    )
    return headline(alert), alert_text(alert), body
