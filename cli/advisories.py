"""`deskwatch advisories`: what each issuer currently advises per country and region, or the history."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import click

from cli.context import AppContext, fail, pass_app
from storage.advisories import DIRECTIONS, list_advisories
from storage.query_syntax import SearchError

COLUMNS = ("issuer", "country", "region", "level", "label", "issued_at", "url")
COUNTRY_RE = re.compile(r"^[A-Za-z]{2}$")
ISSUER_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


def _country(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    for code in value:
        if not COUNTRY_RE.match(code.strip()):
            raise click.BadParameter(f"{code!r} is not an ISO 3166-1 alpha-2 code (e.g. KH)")
    return [code.strip().upper() for code in value]


def _issuer(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    for key in value:
        if not ISSUER_RE.match(key.strip().lower()):
            raise click.BadParameter(f"{key!r} is not an issuer key (e.g. us-state, uk-fcdo, kr-mofa)")
    return [key.strip().lower() for key in value]


@click.command("advisories")
@click.option("--country", multiple=True, callback=_country,
              help="Only this country (ISO alpha-2, e.g. KH); repeat for several.")
@click.option("--issuer", multiple=True, callback=_issuer,
              help="Only this issuer (us-state, uk-fcdo, ca-gac, au-smartraveller, kr-mofa, jp-mofa); "
              "repeat for several.")
@click.option("--min-level", type=int, help="Only levels from N (1 normal … 4 do not travel).")
@click.option("--max-level", type=int, help="Only levels up to N (1 normal … 4 do not travel).")
@click.option("--changed-since", metavar="DATE", help="Only advice recorded (changed) on or after DATE.")
@click.option("--direction", type=click.Choice(DIRECTIONS), help="Only raised (up) or lowered (down) levels.")
@click.option(
    "--history", is_flag=True, help="Every stored change, oldest first, instead of the current advice."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of advisories.")
@pass_app
def advisories(
    app: AppContext, country: list[str], issuer: list[str], min_level: int | None, max_level: int | None,
    changed_since: str | None, direction: str | None, history: bool, as_json: bool,
) -> None:
    """Travel advisories per issuer, country and region, with levels normalized to 1–4
    (1 normal precautions, 2 increased caution, 3 reconsider travel, 4 do not travel)."""
    filters = {
        "country": country, "issuer": issuer, "level_min": min_level, "level_max": max_level,
        "changed_since": changed_since, "direction": direction,
    }
    try:
        rows = list_advisories(app.store, filters=filters, current_only=not history)
    except SearchError as exc:
        fail("advisories", str(exc))
        return
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=None))
        return
    if not rows:
        narrowed = any(v for k, v in filters.items() if k not in ("country", "issuer"))
        hint = "no advisories match these filters" if narrowed else (
            "no advisories stored yet (run `deskwatch crawl us-state` or `deskwatch demo`)")
        click.echo(hint, err=True)
        return
    click.echo(render_table(rows, history=history))


def render_table(rows: list[dict[str, Any]], *, history: bool = False) -> str:
    """Aligned text columns; a history shows when each row was seen and the level it replaced."""
    columns = (*COLUMNS[:5], "was", "fetched_at", "issued_at") if history else COLUMNS
    cells = [[_cell(row, c) for c in columns] for row in rows]
    widths = [min(max(len(c), *(display_width(r[i]) for r in cells)), 48) for i, c in enumerate(columns)]
    lines = ["  ".join(_fit(c, w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(_fit(v, w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _cell(row: dict[str, Any], column: str) -> str:
    if column == "was":
        return "" if row.get("previous_level") is None else str(row["previous_level"])
    if column == "region":
        return row.get("region") or "(whole country)"
    if column in ("issued_at", "fetched_at"):
        return (row.get(column) or "")[:16].replace("T", " ")
    value = row.get(column)
    return "-" if value is None else str(value)


def display_width(text: str) -> int:
    """Terminal columns of a string: Korean and Japanese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(value: str, width: int) -> str:
    """Pad to `width` columns, or cut with an ellipsis when longer."""
    if display_width(value) > width:
        while display_width(value) > width - 1:
            value = value[:-1]
        value += "…"
    return value + " " * (width - display_width(value))
