"""Korean given names in both scripts reduced to one consonant skeleton, so that 오영훈 and "Young-hun",
김병주 and "Byung-joo" meet: Hangul is romanized (Revised Romanization), then vowels, glides and
voicing are dropped. Pure."""
from __future__ import annotations

import re

_INITIALS = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_FINALS = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t",
           "ng", "t", "t", "k", "t", "p", "t"]
_VOWEL = "a"  # vowels are dropped from the skeleton, so one placeholder is enough
_DROP = re.compile(r"[aeiouwy\W_]+")
_VOICING = str.maketrans({"g": "k", "d": "t", "b": "p", "r": "l", "j": "c", "f": "p", "v": "p", "z": "c"})


def romanize(hangul: str) -> str:
    """Hangul syllables to a rough Revised Romanization (vowels as placeholders); other characters kept."""
    out = []
    for ch in hangul:
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            out.append(_INITIALS[code // 588] + _VOWEL + _FINALS[code % 28])
        else:
            out.append(ch)
    return "".join(out)


def given_skeleton(roman: str) -> str:
    """'Young-hun' -> 'nkhn': lower-case, no vowels or glides, voiced and unvoiced stops merged."""
    s = roman.lower().replace("ch", "c").replace("sh", "s")
    s = _DROP.sub("", s).translate(_VOICING)
    return re.sub(r"(.)\1+", r"\1", s)


def ko_given_skeleton(hangul: str) -> str:
    return given_skeleton(romanize(hangul))
