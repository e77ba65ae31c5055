"""Custom spaCy tokenizers: Korean via kiwipiepy, Khmer via khmer-nltk.

Both build the Doc from slices of the original string, so ``doc.text == text`` and every
span's character offsets are offsets into the input.
"""
from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar, cast

from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

logger = logging.getLogger(__name__)
_WS = re.compile(r"\s+|\S+")


def doc_from_offsets(vocab: Vocab, text: str, pieces: Iterable[tuple[int, int]],
                     tags: dict[int, str] | None = None) -> Doc:
    """Make a Doc whose tokens are text[start:end] for merged, sorted pieces; gaps are kept.

    `tags` (char offset → POS) are set on the tokens starting there, and kept in
    ``doc.user_data['ko_tags']`` as {start: (end, tag)} so components need not walk the tokens.
    """
    return _doc_from_merged(vocab, text, _merge(pieces), tags)


def _doc_from_merged(vocab: Vocab, text: str, merged: list[tuple[int, int]], tags: dict[int, str] | None) -> Doc:
    """doc_from_offsets for pieces already sorted, non-empty and merged."""
    words: list[str] = []
    spaces: list[bool] = []
    tagged: list[tuple[int, int, int, str]] = []  # token index, start, end, tag
    cursor = 0
    for start, end in merged:
        if start > cursor:
            if start - cursor == 1 and text[cursor] == " " and words and not spaces[-1]:
                spaces[-1] = True  # the common gap, one space after a token: add_gap's first case
            else:
                _add_gap(text[cursor:start], words, spaces)
        if tags and start in tags:
            tagged.append((len(words), start, end, tags[start]))
        words.append(text[start:end])
        spaces.append(False)
        cursor = end
    if cursor < len(text):
        _add_gap(text[cursor:], words, spaces)
    doc = Doc(vocab, words=words, spaces=spaces)
    if tags:
        for i, start, end, tag in tagged:
            doc[i].tag_ = tag
        doc.user_data["ko_tags"] = {start: (end, tag) for _, start, end, tag in tagged}
    return doc


def _add_gap(gap: str, words: list[str], spaces: list[bool]) -> None:
    """Text between pieces becomes whitespace and non-space tokens; a leading space is the previous
    token's trailing space."""
    for m in _WS.finditer(gap):
        chunk = m.group()
        if chunk.isspace() and chunk.startswith(" ") and words and not spaces[-1]:
            spaces[-1] = True
            chunk = chunk[1:]
            if not chunk:
                continue
        words.append(chunk)
        spaces.append(False)


def _merge(pieces: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort and merge overlapping pieces (kiwi gives overlapping morphemes for contractions)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(p for p in pieces if p[1] > p[0]):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@lru_cache(maxsize=1)
def get_kiwi() -> Any:
    """One shared Kiwi analyser; typo and multi-word dictionaries off to save ~190 MB. No worker threads
    (num_workers=0): sentences are analysed in the calling thread, one at a time, with the same result;
    handing each document's few sentences to a pool cost more than it saved on a busy machine."""
    from kiwipiepy import Kiwi

    with warnings.catch_warnings():  # kiwipiepy notes that 0 meant "all cores" before 0.21: we mean none
        warnings.simplefilter("ignore", DeprecationWarning)
        kiwi = Kiwi(num_workers=0, load_typo_dict=False, load_multi_dict=False)
    kiwi.tokenize("캄보디아에서")  # the first call pays a one-off warm-up
    return kiwi


_KO_SENT = re.compile(r"[^.!?\n]+[.!?]*[\"'”’)]*|\n+")
_KO_PIECE = re.compile(r"[가-힣]+|[A-Za-z]+|\d+(?:[.,]\d+)*|[^\s가-힣A-Za-z\d]")
_MEMO_SIZE = 200_000  # words remembered by the per-word memos before they start afresh
_PARTICLES = frozenset(["에서", "에게", "으로", "부터", "까지", "에는", "에도", "에서는", "과", "와", "을", "를", "은", "는", "이", "가", "의", "에", "로", "도", "만"])


class KoreanTokenizer:
    """Kiwi morphemes as tokens (캄보디아에서 → 캄보디아 + 에서); POS kept in token.tag_.

    With ``morphology="cued"`` (the default) kiwi analyses only sentences that carry evidence
    (a place-name candidate or an incident keyword) and the rest are split by a rule tokenizer
    (word pieces, trailing particles split off). Kiwi costs ~10 µs per character, and no
    component reads the morphemes of filler sentences. ``morphology="all"`` runs kiwi everywhere.
    """

    def __init__(self, vocab: Vocab, morphology: str = "cued", cue: Callable[[str], bool] | None = None) -> None:
        if morphology not in ("cued", "all"):
            raise ValueError(f"morphology must be 'cued' or 'all', not {morphology!r}")
        self.vocab, self.morphology, self.cue = vocab, morphology, cue

    def __call__(self, text: str) -> Doc:
        sentences = [(m.start(), m.end()) for m in _KO_SENT.finditer(text)]
        wanted = [self._wants_kiwi(text[start:end]) for start, end in sentences]
        analysed = [text[start:end] for (start, end), want in zip(sentences, wanted) if want]
        kiwi = get_kiwi()
        results = (kiwi.tokenize(sentence) for sentence in analysed)
        merged: list[tuple[int, int]] = []
        tags: dict[int, str] = {}
        for (base, end), want in zip(sentences, wanted):
            if want:  # sentences are disjoint and in order: merging each one alone is merging all
                pieces = []
                for t in next(results):
                    start = base + t.start
                    pieces.append((start, start + t.len))
                    tags.setdefault(start, str(t.tag))
                merged.extend(_merge(pieces))
            else:
                merged.extend(rule_pieces(text[base:end], base))
        return _doc_from_merged(self.vocab, text, merged, tags)

    def _wants_kiwi(self, sentence: str) -> bool:
        if not sentence.strip():
            return False
        return self.morphology == "all" or self.cue is None or self.cue(sentence)

    def to_disk(self, path: Any, **kwargs: Any) -> None:  # stateless: config carries the settings
        pass

    def from_disk(self, path: Any, **kwargs: Any) -> KoreanTokenizer:
        return self

    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> KoreanTokenizer:
        return self


def rule_pieces(sentence: str, base: int) -> list[tuple[int, int]]:
    """Cheap split: Hangul/Latin/number runs and punctuation; a trailing particle goes apart.
    Sorted, non-empty and disjoint, as _merge leaves pieces."""
    out: list[tuple[int, int]] = []
    cuts = _PARTICLE_CUT
    for m in _KO_PIECE.finditer(sentence):
        start, end = m.span()
        cut = cuts.get(m.group())
        if cut is None:
            cut = _particle_length(m.group())
        if cut:
            out.append((base + start, base + end - cut))
            out.append((base + end - cut, base + end))
        else:
            out.append((base + start, base + end))
    return out


_PARTICLE_CUT: dict[str, int] = {}


def _particle_length(word: str) -> int:
    """Length of the particle a Hangul word ends in (longest first), 0 if none; memoised per word."""
    cut = _PARTICLE_CUT.get(word)
    if cut is None:
        cut = 0
        if "\uac00" <= word[0] <= "\ud7a3":
            cut = next((k for k in (3, 2, 1) if len(word) > k + 1 and word[-k:] in _PARTICLES), 0)
        if len(_PARTICLE_CUT) >= _MEMO_SIZE:
            _PARTICLE_CUT.clear()
        _PARTICLE_CUT[word] = cut
    return cut


class KhmerTokenizer:
    """khmer-nltk CRF word segmentation, re-aligned onto the original characters."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        return doc_from_offsets(self.vocab, text, khmer_offsets(text))

    to_disk = KoreanTokenizer.to_disk
    to_bytes = KoreanTokenizer.to_bytes

    def from_disk(self, path: Any, **kwargs: Any) -> KhmerTokenizer:
        return self

    def from_bytes(self, data: bytes, **kwargs: Any) -> KhmerTokenizer:
        return self


def khmer_offsets(text: str) -> list[tuple[int, int]]:
    """Segment with khmer-nltk and find each word in the original text, left to right.

    khmer-nltk cleans its input (zero-width spaces, doubled spaces), so words are searched
    for rather than counted; a word it altered beyond recognition is left to the gap filler.
    """
    if not text.strip():
        return []
    from khmernltk import word_tokenize

    logging.getLogger("khmer-nltk").setLevel(logging.WARNING)  # it logs model loading to stderr at INFO
    offsets: list[tuple[int, int]] = []
    cursor = 0
    for word in word_tokenize(text):
        word = word.replace("\u200b", "").strip()
        if not word:
            continue
        pos = text.find(word, cursor)
        if pos < 0 or pos - cursor > 50:
            continue
        offsets.append((pos, pos + len(word)))
        cursor = pos + len(word)
    return offsets


_F = TypeVar("_F", bound=Callable[..., Any])


def _register_tokenizer(name: str) -> Callable[[_F], _F]:
    """spaCy's registry.tokenizers decorator, typed: catalogue ships no type information, and the
    decorator returns the function it registers unchanged."""
    return cast(Callable[[_F], _F], registry.tokenizers(name))


@_register_tokenizer("deskwatch.ko_tokenizer.v1")
def create_korean_tokenizer(morphology: str = "cued") -> Callable[[Any], KoreanTokenizer]:
    def make(nlp: Any) -> KoreanTokenizer:
        from nlp.components.incidents import korean_sentence_cue

        return KoreanTokenizer(nlp.vocab, morphology, korean_sentence_cue)

    return make


@_register_tokenizer("deskwatch.km_tokenizer.v1")
def create_khmer_tokenizer() -> Callable[[Any], KhmerTokenizer]:
    def make(nlp: Any) -> KhmerTokenizer:
        return KhmerTokenizer(nlp.vocab)

    return make
