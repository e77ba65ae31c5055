"""A realistic synthetic news corpus for the search benchmark: 300–900-word Korean and English articles
drawn from a Zipf-distributed vocabulary (≥ 50,000 words per language), the domain's words at news-like
ranks (Cambodia and 캄보디아 in about a third of all documents, police in more, kidnapping far fewer),
headline-like titles, dates over three years and the extraction facets the processing step stores."""
from __future__ import annotations

import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_DAYS = 1095  # three years of publication dates
VOCABULARY = 60_000  # Zipf vocabulary per language
ZIPF_S = 1.0
MIN_WORDS, MAX_WORDS = 300, 900
KO_SYLLABLES = 2_500

# Domain words and the Zipf rank each takes in its language (rank 1 = most frequent). With 600 words a
# document, rank r appears in about 1 - exp(-52 / r) of that language's documents: rank 30 in 82%,
# 60 in 58%, 300 in 16%, 3,000 in 2%.
EN_RANKED = {"police": 30, "Cambodia": 60, "government": 45, "students": 120, "student": 200, "embassy": 300,
             "scam": 400, "Cambodian": 500, "Phnom": 700, "Penh": 701, "arrested": 900, "detained": 1500,
             "kidnapped": 2500, "kidnapping": 3500, "kidnap": 5000, "rescued": 3000, "ransom": 4000,
             "Sihanoukville": 6000, "repatriated": 8000, "tortured": 12000, "Kampot": 15000, "Bokor": 30000}
KO_RANKED = {"경찰": 30, "캄보디아": 60, "정부": 45, "대학생": 250, "대사관": 300, "사기": 400, "프놈펜": 700,
             "체포": 900, "감금": 1500, "납치": 2500, "구출": 3000, "몸값": 4000, "시아누크빌": 6000, "송환": 8000,
             "고문": 12000, "캄폿": 15000, "보코르": 30000}
EN_FUNCTION = ["the", "of", "and", "to", "in", "a", "said", "on", "for", "was", "that", "with", "by", "is", "at",
               "from", "as", "he", "it", "his", "were", "had", "has", "an", "be", "have", "who", "they", "not"]
KO_FUNCTION = ["있다", "했다", "이번", "지난", "그는", "밝혔다", "것으로", "등", "위해", "대한", "따르면", "이후",
               "있는", "말했다", "또한", "관계자는", "현지", "수", "한", "이", "그", "더", "및", "중", "것"]
KO_ENDINGS = ["", "", "", "가", "는", "를", "에서", "의", "에", "으로", "도"]
EN_SYLLABLES = ["ba", "be", "con", "de", "di", "ex", "for", "gra", "in", "ka", "la", "lo", "man", "mer", "mi", "mo",
                "na", "no", "per", "pro", "ra", "re", "ri", "sa", "se", "sta", "ter", "ti", "to", "tra", "un", "va",
                "ven", "vi", "wel", "der", "ing", "tion", "ment", "ly", "er", "al", "ous", "ful", "est", "ness"]
RARE_RANK = 10_000  # domain words this rare stay out of incident reports' repeated words
PLACES = [("KH", "Kampot", "Bokor"), ("KH", "Preah Sihanouk", "Sihanoukville"), ("KH", "Phnom Penh", "Phnom Penh"),
          ("KR", "North Gyeongsang", "Yecheon"), ("TH", "Tak", "Mae Sot"), ("MM", "Kayin", "Myawaddy")]
TYPES = ["kidnapping", "detention", "rescue", "repatriation", "scam_recruitment", "arrest", "death", "torture"]


def _vocabulary(rng: random.Random, korean: bool, ranked: dict[str, int], function: list[str]) -> list[str]:
    """VOCABULARY distinct words in Zipf rank order: function words first, domain words at their ranks."""
    words: list[str] = list(function)
    syllables = [chr(0xAC00 + i) for i in rng.sample(range(11172), KO_SYLLABLES)]
    syllable_weights = [1 / r for r in range(1, KO_SYLLABLES + 1)]
    seen = set(words) | set(ranked)
    while len(words) < VOCABULARY:
        if korean:  # Korean text uses a few thousand syllables, some far more than others
            w = "".join(rng.choices(syllables, syllable_weights)[0] for _ in range(rng.choice((1, 2, 2, 2, 3, 3, 4))))
            w += rng.choice(KO_ENDINGS)
        else:
            w = "".join(rng.choice(EN_SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
        if w not in seen:
            seen.add(w)
            words.append(w)
    for word, rank in sorted(ranked.items(), key=lambda x: x[1]):
        words.insert(rank - 1, word)
    return words[:VOCABULARY]


class Corpus:
    """Documents in publication order; `vocabulary` counts the distinct words actually emitted so far."""

    def __init__(self, n: int, seed: int = 7) -> None:
        self.n, self.seed = n, seed
        rng = random.Random(seed)
        self.vocab = {True: _vocabulary(rng, True, KO_RANKED, KO_FUNCTION),
                      False: _vocabulary(rng, False, EN_RANKED, EN_FUNCTION)}
        self._arrays = {k: np.array(v, dtype=object) for k, v in self.vocab.items()}
        weights = 1.0 / np.arange(1, VOCABULARY + 1) ** ZIPF_S
        self._cdf = np.cumsum(weights) / weights.sum()
        self._seen = {True: np.zeros(VOCABULARY, bool), False: np.zeros(VOCABULARY, bool)}
        self.words = 0
        self.raw_bytes = 0

    @property
    def vocabulary(self) -> int:
        return int(self._seen[True].sum() + self._seen[False].sum())

    @property
    def mean_words(self) -> float:
        return self.words / self.n if self.n else 0.0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        rng = random.Random(self.seed)
        nrng = np.random.default_rng(self.seed)
        step = timedelta(days=SPAN_DAYS) / max(self.n, 1)
        for i in range(self.n):
            korean = i % 2 == 0
            relevant = rng.random() < 0.3
            idx = np.searchsorted(self._cdf, nrng.random(rng.randint(MIN_WORDS, MAX_WORDS)))
            self._seen[korean][idx] = True
            words = list(self._arrays[korean][idx])
            if relevant:
                _topic_burst(rng, words, korean)
            title = _title(rng, words, korean)
            body = " ".join(words)
            self.words += len(words)
            self.raw_bytes += len(title.encode()) + len(body.encode())
            yield {
                "item_id": f"bench/{i}", "source_key": f"{'ko' if korean else 'en'}-src-{i % 12}",
                "url": f"https://bench.invalid/{i}", "title": title, "body": body, "lang": "ko" if korean else "en",
                "country": "KR", "published_at": START + step * i + timedelta(minutes=rng.randint(0, 90)),
                "extraction": _extraction(rng) if relevant else None, "extraction_version": "bench",
            }


def _topic_burst(rng: random.Random, words: list[str], korean: bool) -> None:
    """An incident report repeats a few of its topic's words (with Korean particles) and, in English,
    the phrase 'scam compound' now and then."""
    domain = [w for w, rank in (KO_RANKED if korean else EN_RANKED).items() if rank < RARE_RANK]
    for _ in range(rng.randint(3, 10)):
        word = rng.choice(domain) + (rng.choice(KO_ENDINGS) if korean else "")
        words.insert(rng.randrange(len(words)), word)
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), "사기 단지" if korean else "scam compound")


def _title(rng: random.Random, words: list[str], korean: bool) -> str:
    """A headline: a place or a domain word, a colon now and then, 6–12 of the article's own words."""
    lead = rng.choice(["캄보디아", "프놈펜", "경찰", "외교부", "정부"] if korean else
                      ["Cambodia", "Phnom Penh", "Police", "Embassy", "Government", "Students"])
    picked = [w for w in rng.sample(words, min(len(words), 24)) if len(w) > 2][: rng.randint(6, 12)]
    head = " ".join(picked)
    if not korean:
        head = head[:1].upper() + head[1:]
    return f"{lead}: {head}" if rng.random() < 0.5 else f"{head} ({lead})" if korean else f"{lead} {head}"


def _extraction(rng: random.Random) -> dict[str, Any]:
    place = rng.choice(PLACES)
    ransom = [{"amount": a, "currency": "USD", "usd": a} for a in [rng.choice([5000, 20000, 38500, 100000])]
              if rng.random() < 0.3]
    return {
        "relevant": True, "incident_types": sorted(set(rng.sample(TYPES, rng.randint(1, 2)))),
        "victim_ages": [{"value": rng.randint(18, 45)}] if rng.random() < 0.5 else [], "ransoms": ransom,
        "places": [{"name": place[2], "country": place[0], "admin1": place[1]}], "victim_nationality": "KR",
    }


class Progress:
    """Count, rate and time left: a live line on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, total: int, label: str, every_s: float = 5.0) -> None:
        self.total, self.label, self.every_s = total, label, every_s
        self.started = self.last = time.monotonic()
        self.tty = sys.stderr.isatty()

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not (self.tty or now - self.last >= self.every_s or done >= self.total):
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        left = (self.total - done) / rate if rate else 0.0
        line = f"{self.label}: {done:,}/{self.total:,} ({rate:,.0f}/s, {left / 60:.1f} min left)"
        sys.stderr.write(("\r" + line + ("\n" if done >= self.total else "")) if self.tty else line + "\n")
        sys.stderr.flush()
