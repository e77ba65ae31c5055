"""The one table that normalizes every issuer's travel-advice levels to 1–4. (Country names are in
crawler/countries.py; reading the issuers' payloads, texts and local times in
crawler/spiders/advisories/payloads.py.)

Normalized scale (what `AdvisoryItem.level` means, for every issuer):
  1  normal precautions
  2  increased / high degree of caution
  3  reconsider travel / avoid non-essential travel
  4  do not travel / avoid all travel / travel ban (or leave)
  None  the issuer gives no level (e.g. Smartraveller "No travel advice")

Mapping choices (the "why" behind ISSUER_LEVELS):
- us-state, ca-gac and au-smartraveller have the same four steps: one to one.
- uk-fcdo has no graded scale, only `alert_status` flags. No flag → 1; advice against all but essential
  travel → 3, against all travel → 4. A flag that covers only *parts* of a country goes on region rows;
  the whole country then gets 2 ("some areas carry more risk"), the way the US and Canada grade a
  country with restricted zones.
- kr-mofa and jp-mofa start their four steps at "be careful": a country without any alarm is the normal
  state (1). So Korea 여행유의 / Japan レベル1 (caution) → 2, 여행자제 / レベル2 (avoid non-essential) → 3,
  출국권고 (leave) / 여행금지 (travel ban) and レベル3 (do not travel) / レベル4 (evacuate) → 4.
  The issuer's own step stays in `level_native`, so nothing is lost.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

NORMALIZED_LABELS: dict[int, str] = {
    1: "Exercise normal precautions",
    2: "Exercise increased caution",
    3: "Reconsider travel / avoid non-essential travel",
    4: "Do not travel / avoid all travel",
}

ISSUERS = ("us-state", "uk-fcdo", "ca-gac", "au-smartraveller", "kr-mofa", "jp-mofa")

# Each issuer's native level (its code or label, compared case-insensitively) → normalized level.
ISSUER_LEVELS: dict[str, dict[str, int | None]] = {
    "us-state": {
        "1": 1,
        "exercise normal precautions": 1,
        "2": 2,
        "exercise increased caution": 2,
        "3": 3,
        "reconsider travel": 3,
        "4": 4,
        "do not travel": 4,
    },
    "uk-fcdo": {
        "none": 1,
        "avoid_all_but_essential_travel_to_parts": 2,  # whole country; the parts get region rows at 3
        "avoid_all_travel_to_parts": 2,  # whole country; the parts get region rows at 4
        "avoid_all_but_essential_travel_to_whole_country": 3,
        "avoid_all_travel_to_whole_country": 4,
        "advises against all but essential travel": 3,  # region wording in parts[].body
        "advises against all travel": 4,
    },
    "ca-gac": {
        "0": 1,
        "exercise normal security precautions": 1,
        "1": 2,
        "exercise a high degree of caution": 2,
        "2": 3,
        "avoid non-essential travel": 3,
        "3": 4,
        "avoid all travel": 4,
    },
    "au-smartraveller": {
        "exercise normal safety precautions": 1,
        "exercise a high degree of caution": 2,
        "reconsider your need to travel": 3,
        "do not travel": 4,
        "no travel advice": None,
    },
    "kr-mofa": {
        "0": 1,
        "없음": 1,  # no alarm for the country
        "1": 2,
        "여행유의": 2,
        "2": 3,
        "여행자제": 3,
        "3": 4,
        "출국권고": 4,
        "4": 4,
        "여행금지": 4,
        "특별여행주의보": 3,  # special advisory, between 여행자제 and 출국권고
    },
    "jp-mofa": {
        "0": 1,  # no danger information
        "1": 2,
        "十分注意してください": 2,
        "2": 3,
        "不要不急の渡航は止めてください": 3,
        "3": 4,
        "渡航は止めてください（渡航中止勧告）": 4,
        "4": 4,
        "退避してください。渡航は止めてください。（退避勧告）": 4,
    },
}

# The issuer's own words for its numbered steps (labels for rows whose payload carries only a number).
ISSUER_LABELS: dict[str, dict[str, str]] = {
    "us-state": {"1": "Exercise Normal Precautions", "2": "Exercise Increased Caution",
                 "3": "Reconsider Travel", "4": "Do Not Travel"},
    "ca-gac": {"0": "Exercise normal security precautions", "1": "Exercise a high degree of caution",
               "2": "Avoid non-essential travel", "3": "Avoid all travel"},
    "kr-mofa": {"0": "여행경보 없음", "1": "여행유의", "2": "여행자제", "3": "출국권고", "4": "여행금지"},
    "jp-mofa": {"0": "危険情報なし", "1": "レベル1：十分注意してください", "2": "レベル2：不要不急の渡航は止めてください",
                "3": "レベル3：渡航は止めてください（渡航中止勧告）", "4": "レベル4：退避してください（退避勧告）"},
    "uk-fcdo": {"none": "No FCDO advice against travel",
                "avoid_all_but_essential_travel_to_parts": "Advice against all but essential travel to parts",
                "avoid_all_travel_to_parts": "Advice against all travel to parts",
                "avoid_all_but_essential_travel_to_whole_country": "Advice against all but essential travel",
                "avoid_all_travel_to_whole_country": "Advice against all travel"},
}


def normalize_advisory_level(issuer: str, native: str | int | None) -> int | None:
    """Map an issuer's native level code or label to 1–4 (None when it gives no level or is unknown)."""
    if native is None:
        return None
    table = ISSUER_LEVELS.get(issuer)
    if table is None:
        raise KeyError(f"unknown advisory issuer {issuer!r}")
    key = " ".join(str(native).split()).casefold()
    if key in table:
        return table[key]
    log.debug("%s: unknown native level %r", issuer, native)
    return None


def native_label(issuer: str, code: str | int) -> str:
    """The issuer's own wording for a numbered step, or the code itself when there is none."""
    return ISSUER_LABELS.get(issuer, {}).get(str(code), str(code))


def level_from_text(issuer: str, text: str) -> tuple[int | None, str]:
    """Find the strongest of an issuer's level phrases inside free text: (level, the phrase found)."""
    folded = " ".join(text.split()).casefold()
    best: tuple[int | None, str] = (None, "")
    for phrase, level in ISSUER_LEVELS.get(issuer, {}).items():
        if phrase.isdigit() or level is None or phrase not in folded:
            continue
        if best[0] is None or level > best[0] or (level == best[0] and len(phrase) > len(best[1])):
            best = (level, phrase)
    return best
