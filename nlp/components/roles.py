"""Whose age is it? Attach an age to its person mention, then read that person's role.

The mention is the noun phrase the age belongs to: after it in "a 22-year-old student" / "22세 남성",
before it in "Park, 22," / "박모(22)씨" / "aged 22". The role comes, in order, from a role noun in the
mention or its apposition (suspect, broker, mother / victim, hostage, student), from the verb whose
object the mention is ("police arrested a 29-year-old", "B씨(29)를 구속"), from a relative clause right
before it (기소된 D씨(41)), then from the predicate of its clause ("was kidnapped", "faces trial",
"숨진 채 발견됐다"). None when nothing decides. Patterns are data: nlp/data/age_roles.toml.
"""
from __future__ import annotations

import re
from functools import cache

from nlp.context import load_toml, sentence_bounds

_NP_END = {"en": re.compile(r"[,.;:()\"“”]|\s(?:who|which|that|was|were|is|are|has|had|will|went|faces?|said)\b"),
           "ko": re.compile(r"[,.;:()\"“”]|(?<=[가-힣])(?:은|는|이|가|을|를|와|과|의|에게)(?=\s)"),
           "km": re.compile(r"[,។;:()]")}
_EN_NAME = re.compile(r"(?:\b[A-Z][\w'’.-]*\s?){1,4}$")


@cache
def _frames(lang: str) -> dict[str, re.Pattern[str]]:
    flags = re.IGNORECASE if lang == "en" else 0
    return {k: re.compile(v, flags) for k, v in load_toml("age_roles.toml")[lang].items()}


def _nearest_role(frames: dict[str, re.Pattern[str]], text: str, from_end: bool = True) -> bool | None:
    """The role noun in `text` nearest to the mention (its end, or its start): False suspect-like, True victim."""
    found = [(m.start(), False) for m in frames["not_victim"].finditer(text)]
    found += [(m.start(), True) for m in frames["victim"].finditer(text)]
    if not found:
        return None
    return (max(found) if from_end else min(found))[1]


def _earliest(frames: dict[str, re.Pattern[str]], text: str, neg: str, pos: str) -> bool | None:
    """Of two patterns, which matches first in `text` (not-victim wins a tie)."""
    n, p = frames[neg].search(text), frames[pos].search(text)
    if n and (not p or n.start() <= p.start()):
        return False
    return True if p else None


def mention_role(text: str, start: int, end: int, lang: str, where: str) -> bool | None:
    """True if the age at text[start:end] is a victim's, False if someone else's, None if undecided."""
    frames = _frames(lang)
    s_start, s_end = sentence_bounds(text, start)
    before, after = text[s_start:start], text[end:s_end]
    if where == "follows":
        np_end = _NP_END[lang].search(after)
        mention = after[:np_end.start() if np_end else 40][:40]
        role = _nearest_role(frames, mention, from_end=False)
        if role is None and lang == "en" and re.search(r"(?:,|\band)\s(?:a|an|the)\s$", before):
            role = _nearest_role(frames, before[-30:])  # "the victim, a 32-year-old"
        rest = after[len(mention):] if lang != "en" else after
    else:
        appos = re.split(r"[.;:]\s", before[-45:] if lang == "en" else before[-15:])[-1]
        role = _nearest_role(frames, appos)
        if role is None and lang == "en" and re.match(r",?\s(?:one of|among|a|an|the)\b", after):
            role = _nearest_role(frames, after.split(",")[1] if after.startswith(",") else after.split(",")[0])
        rest = after
    if role is not None:
        return role
    return _from_verbs(frames, before, rest, lang, where)


def _from_verbs(frames: dict[str, re.Pattern[str]], before: str, rest: str, lang: str, where: str) -> bool | None:
    if lang == "en":
        holder_before = _EN_NAME.sub("", before) if where == "precedes" else before
        obj = _earliest(frames, holder_before[-40:], "not_victim_object", "victim_object")
        return obj if obj is not None else _earliest(frames, rest[:110], "not_victim_predicate", "victim_predicate")
    if frames["not_victim_object"].match(rest):
        return False
    if frames["victim_object"].match(rest):
        return True
    head = before[-20:] if where == "follows" else re.sub(r"\S{1,4}\s?$", "", before)[-20:]
    if frames["not_victim_before"].search(head):
        return False
    if frames["victim_before"].search(head):
        return True
    n, p = frames["not_victim_predicate"].match(rest), frames["victim_predicate"].match(rest)
    if n and (not p or n.end() <= p.end()):
        return False
    return True if p else None
