"""Time nlp.extract against trafilatura.extract on the same N generated news articles.

Prints one JSON line: {"docs", "rounds", "nlp_docs_per_s", "trafilatura_docs_per_s", "ratio", "ratio_per_round",
"cpu_ratio", "peak_rss_mb"}. The two are timed in alternating rounds and each rate is its fastest round, so
a burst of load from other processes does not land on one side only; `ratio_per_round` shows the spread and
`cpu_ratio` the same comparison in CPU time (trafilatura's CPU seconds over nlp's).
Articles are mixed English/Korean (300–1,000 words) from templates and filler sentences with a
fixed seed; about a third report an incident, the rest are general news, as in a real feed.
"""
from __future__ import annotations

import argparse
import html
import json
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EN_LEADS = [
    "A South Korean man in his 20s was rescued from a scam compound in {place} on {day}, police said.",
    "The family of a {age}-year-old student said captors demanded {won} million won (${usd:,}) for his release.",
    "Three Koreans held in a building in {place} were repatriated after a joint raid, the embassy said.",
    "Police arrested a {age}-year-old broker accused of luring job seekers to {place} with fake job ads.",
]
EN_FILLER = [
    "The central bank kept its policy rate unchanged at its {day} meeting, citing stable inflation.",
    "Exports of semiconductors rose {n} percent from a year earlier, the trade ministry said.",
    "The city council approved a budget of {won} billion won for new bus routes in {kr}.",
    "Officials in {kr} said the festival drew about {n},000 visitors over the weekend.",
    "Analysts expect growth to slow slightly next year as global demand weakens.",
    "The ministry said it would announce further measures after consultations with industry groups.",
    "Residents complained about traffic congestion near the new stadium during the holiday.",
    "A spokesperson said the company would invest in battery plants and research centres.",
    "Weather officials forecast heavy rain for the southern regions through {day}.",
    "The opposition party called for a parliamentary hearing on the housing policy.",
]
KO_LEADS = [
    "캄보디아 {kplace}에서 감금됐던 20대 한국인 남성이 {day} 구출됐다고 외교부가 밝혔다.",
    "범죄조직은 가족에게 몸값으로 {won}천만원을 요구한 것으로 조사됐다.",
    "경찰은 고수익 일자리를 미끼로 청년들을 캄보디아로 보낸 모집책 A씨({age})를 구속했다.",
]
KO_FILLER = [
    "한국은행은 {day} 기준금리를 동결했다고 밝혔다.",
    "반도체 수출이 지난해보다 {n}% 증가한 것으로 집계됐다.",
    "{kkr}시는 새 버스 노선을 위해 예산 {won}억원을 편성했다.",
    "주말 동안 축제에 약 {n}만 명이 방문한 것으로 나타났다.",
    "전문가들은 내년 성장률이 다소 둔화될 것으로 전망했다.",
    "정부는 업계와 협의를 거쳐 추가 대책을 발표할 예정이라고 말했다.",
    "새 경기장 주변 교통 혼잡에 대한 주민 불만이 이어졌다.",
    "기상청은 남부 지방에 많은 비가 내릴 것으로 예보했다.",
    "야당은 부동산 정책에 대한 청문회를 열어야 한다고 촉구했다.",
]
SLOTS = {"place": ["Sihanoukville", "Phnom Penh", "Bavet", "Poipet", "Kampot"], "kplace": ["시아누크빌", "프놈펜", "바벳"],
         "kr": ["Busan", "Daegu", "Incheon", "Gwangju"], "kkr": ["부산", "대구", "인천", "광주"],
         "day": ["Monday", "Tuesday", "Friday", "월요일", "금요일"]}


def _fill(template: str, rng: random.Random) -> str:
    values: dict[str, object] = {k: rng.choice(v) for k, v in SLOTS.items()}
    values.update(age=rng.randint(19, 45), won=rng.randint(2, 9), usd=rng.randint(15, 60) * 1000, n=rng.randint(2, 30))
    return template.format(**values)


def make_article(i: int, rng: random.Random) -> tuple[str, str, str]:
    """(title, body, lang) — roughly 300–1,000 words (Korean counted in eojeol)."""
    korean = i % 2 == 1
    leads, filler = (KO_LEADS, KO_FILLER) if korean else (EN_LEADS, EN_FILLER)
    target = rng.randint(300, 1000)
    sentences = [_fill(rng.choice(leads), rng)] if rng.random() < 0.35 else []
    words = sum(len(s.split()) for s in sentences)
    while words < target:
        s = _fill(rng.choice(filler), rng)
        sentences.append(s)
        words += len(s.split())
    paragraphs = [" ".join(sentences[j:j + 4]) for j in range(0, len(sentences), 4)]
    title = sentences[0][:80]
    return title, "\n\n".join(paragraphs), "ko" if korean else "en"


def wrap_html(title: str, body: str, i: int) -> str:
    paras = "\n".join(f"<p>{html.escape(p)}</p>" for p in body.split("\n\n"))
    nav = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(12))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta property='og:title' content='{html.escape(title)}'></head><body>"
            f"<header><nav><ul>{nav}</ul></nav></header><main><article><h1>{html.escape(title)}</h1>"
            f"<div class='byline'>By Staff Reporter · 2025-10-{1 + i % 28:02d}</div>{paras}</article>"
            f"<aside><h3>Most read</h3><ul>{nav}</ul></aside></main>"
            f"<footer>© Example News. All rights reserved.</footer></body></html>")


def run(n_docs: int, seed: int = 20251001, rounds: int = 3) -> dict[str, object]:
    import trafilatura

    import nlp

    rng = random.Random(seed)
    docs = [make_article(i, rng) for i in range(n_docs)]
    pages = [wrap_html(t, b, i) for i, (t, b, _) in enumerate(docs)]
    # build (and warm) both pipelines outside the timing, as a long-running processor would
    nlp.extract("A South Korean was kidnapped in Phnom Penh; captors demanded $5,000.", "en")
    nlp.extract("캄보디아 프놈펜에서 한국인이 납치돼 몸값 5천만원을 요구받았다.", "ko")
    trafilatura.extract(pages[0])
    # Rounds alternate the two, so both meet the same load on a shared machine; each rate is its fastest round.
    nlp_s, traf_s, nlp_cpu, traf_cpu = [], [], [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        for title, body, _ in docs:
            nlp.extract(body, title=title)
        nlp_s.append(time.perf_counter() - wall)
        nlp_cpu.append(time.process_time() - cpu)
        wall, cpu = time.perf_counter(), time.process_time()
        for page in pages:
            trafilatura.extract(page)
        traf_s.append(time.perf_counter() - wall)
        traf_cpu.append(time.process_time() - cpu)
    nlp_rate, traf_rate = n_docs / min(nlp_s), n_docs / min(traf_s)
    return {"docs": n_docs, "rounds": rounds, "nlp_docs_per_s": round(nlp_rate, 1),
            "trafilatura_docs_per_s": round(traf_rate, 1), "ratio": round(nlp_rate / traf_rate, 2),
            "ratio_per_round": [round(t / n, 2) for n, t in zip(nlp_s, traf_s)],
            "cpu_ratio": round(min(traf_cpu) / min(nlp_cpu), 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200, help="number of generated articles")
    parser.add_argument("--seed", type=int, default=20251001)
    parser.add_argument("--rounds", type=int, default=3, help="alternating timed rounds of each (fastest counts)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.docs, args.seed, args.rounds)))


if __name__ == "__main__":
    main()
