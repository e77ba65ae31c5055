"""`deskwatch extract` and `deskwatch evaluate`: nlp/ on its own, from the command line."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import IO, Any

import click

logger = logging.getLogger(__name__)

FLOORS_FILE = "floors.toml"


def _extract_line(line: str, default_lang: str | None) -> dict[str, Any]:
    import nlp

    item_id: Any = None
    try:
        item = json.loads(line)
        if not isinstance(item, dict):
            raise TypeError("each line must be a JSON object")
        item_id = item.get("id")
        text = item.get("text")
        if not isinstance(text, str):
            raise TypeError("missing or non-string 'text'")
        result = nlp.extract(text, item.get("lang") or default_lang, title=item.get("title")).to_dict()
        return {"id": item_id, **result}
    except (ValueError, TypeError) as exc:
        return {"id": item_id, "error": str(exc)}


def _run_jsonl(stream: IO[str], lang: str | None) -> int:
    errors = 0
    for line in stream:
        if not line.strip():
            continue
        out = _extract_line(line, lang)
        errors += "error" in out
        click.echo(json.dumps(out, ensure_ascii=False))
    return errors


@click.command("extract")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--lang", type=click.Choice(["en", "ko", "km"]), default=None,
              help="Force the language instead of detecting it.")
@click.option("--title", default=None, help="Headline, used for incident typing and relevance.")
@click.option("--jsonl", is_flag=True, help='Read lines {"id","text","lang"?}; write one result line each.')
def extract(source: IO[str], lang: str | None, title: str | None, jsonl: bool) -> None:
    """Extract places, victim ages, ransoms and incident facts from FILE (or - for stdin) as JSON."""
    import nlp

    if jsonl:
        errors = _run_jsonl(source, lang)
        if errors:
            click.echo(f"{errors} line(s) failed", err=True)
            sys.exit(1)
        return
    result = nlp.extract(source.read(), lang, title=title)
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


def _print_table(table: dict[str, dict[str, Any]], floors: dict[str, float]) -> None:
    click.echo(f"{'field':20} {'P':>6} {'R':>6} {'F1':>6} {'floor':>6}  tp/fp/fn")
    for name, row in table.items():
        floor = floors.get(name)
        mark = "" if floor is None or row["f1"] + 1e-9 >= floor else "  BELOW FLOOR"
        floor_s = f"{floor:.2f}" if floor is not None else "-"
        click.echo(f"{name:20} {row['precision']:6.3f} {row['recall']:6.3f} {row['f1']:6.3f} {floor_s:>6}"
                   f"  {row['tp']}/{row['fp']}/{row['fn']}{mark}")


@click.command("evaluate")
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), required=False)
@click.option("--json", "as_json", is_flag=True, help="Print scores (and misses) as JSON.")
@click.option("--misses/--no-misses", default=True, help="List what each field missed or invented.")
@click.option("--lang", type=click.Choice(["en", "ko", "km"]), default=None, help="Only gold items in LANG.")
def evaluate(gold_dir: Path | None, as_json: bool, misses: bool, lang: str | None) -> None:
    """Score nlp against GOLD_DIR (default tests/gold); exit 1 if a field is below its pinned floor."""
    from nlp import evaluate as ev

    gold_dir = gold_dir or ev.DEFAULT_GOLD
    docs = [d for d in ev.load_gold(gold_dir) if lang is None or d.get("lang") == lang]
    if not docs:
        raise click.ClickException(f"no gold items found in {gold_dir}")
    floors_path = gold_dir / FLOORS_FILE
    floors = ev.load_floors(floors_path) if floors_path.exists() else {}
    scores = ev.evaluate(docs)
    table = ev.report(scores)
    failed = ev.below_floors(scores, floors) if lang is None else {}
    if as_json:
        out: dict[str, Any] = {"docs": len(docs), "fields": table, "floors": floors,
                               "below_floor": {k: {"f1": round(v[0], 4), "floor": v[1]} for k, v in failed.items()}}
        if misses:
            out["misses"] = {name: s.misses for name, s in scores.items()}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{len(docs)} gold documents from {gold_dir}")
        _print_table(table, floors)
        if misses:
            for name, s in scores.items():
                for miss in s.misses:
                    click.echo(f"  {name}: {miss['id']} missing={miss['missing']} spurious={miss['spurious']}")
    if failed:
        click.echo("below floor: " + ", ".join(f"{k} {v[0]:.3f} < {v[1]:.2f}" for k, v in failed.items()), err=True)
        sys.exit(1)
