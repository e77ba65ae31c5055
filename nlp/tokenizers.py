"""Custom spaCy tokenizers: Korean via kiwipiepy, Khmer via khmer-nltk.

Both build the Doc from slices of the original string, so ``doc.text == text`` and every
span's character offsets are offsets into the input.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any, Callable, Iterable

from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

logger = logging.getLogger(__name__)
_WS = re.compile(r"\s+|\S+")


def doc_from_offsets(vocab: Vocab, text: str, pieces: Iterable[tuple[int, int]]) -> Doc:
    """Make a Doc whose tokens are text[start:end] for merged, sorted pieces; gaps are kept."""
    words: list[str] = []
    spaces: list[bool] = []
    cursor = 0

    def add_gap(gap: str) -> None:
        for m in _WS.finditer(gap):
            chunk = m.group()
            if chunk.isspace() and chunk.startswith(" ") and words and not spaces[-1]:
                spaces[-1] = True
                chunk = chunk[1:]
                if not chunk:
                    continue
            words.append(chunk)
            spaces.append(False)

    for start, end in _merge(pieces):
        if start > cursor:
            add_gap(text[cursor:start])
        words.append(text[start:end])
        spaces.append(False)
        cursor = end
    if cursor < len(text):
        add_gap(text[cursor:])
    return Doc(vocab, words=words, spaces=spaces)


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
    """One shared Kiwi analyser; typo and multi-word dictionaries off to save ~190 MB."""
    from kiwipiepy import Kiwi

    kiwi = Kiwi(load_typo_dict=False, load_multi_dict=False)
    kiwi.tokenize("캄보디아에서")  # the first call pays a one-off warm-up
    return kiwi


class KoreanTokenizer:
    """Kiwi morphemes as tokens (캄보디아에서 → 캄보디아 + 에서); POS kept in token.tag_."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        tokens = get_kiwi().tokenize(text) if text.strip() else []
        doc = doc_from_offsets(self.vocab, text, ((t.start, t.start + t.len) for t in tokens))
        tags = {t.start: t.tag for t in reversed(tokens)}
        for token in doc:
            tag = tags.get(token.idx)
            if tag is not None:
                token.tag_ = str(tag)
        return doc

    def to_disk(self, path: Any, **kwargs: Any) -> None:  # stateless: nothing to save
        pass

    def from_disk(self, path: Any, **kwargs: Any) -> "KoreanTokenizer":
        return self

    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> "KoreanTokenizer":
        return self


class KhmerTokenizer:
    """khmer-nltk CRF word segmentation, re-aligned onto the original characters."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        return doc_from_offsets(self.vocab, text, khmer_offsets(text))

    to_disk = KoreanTokenizer.to_disk
    to_bytes = KoreanTokenizer.to_bytes

    def from_disk(self, path: Any, **kwargs: Any) -> "KhmerTokenizer":
        return self

    def from_bytes(self, data: bytes, **kwargs: Any) -> "KhmerTokenizer":
        return self


def khmer_offsets(text: str) -> list[tuple[int, int]]:
    """Segment with khmer-nltk and find each word in the original text, left to right.

    khmer-nltk cleans its input (zero-width spaces, doubled spaces), so words are searched
    for rather than counted; a word it altered beyond recognition is left to the gap filler.
    """
    if not text.strip():
        return []
    from khmernltk import word_tokenize

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


@registry.tokenizers("deskwatch.ko_tokenizer.v1")
def create_korean_tokenizer() -> Callable[[Any], KoreanTokenizer]:
    def make(nlp: Any) -> KoreanTokenizer:
        return KoreanTokenizer(nlp.vocab)

    return make


@registry.tokenizers("deskwatch.km_tokenizer.v1")
def create_khmer_tokenizer() -> Callable[[Any], KhmerTokenizer]:
    def make(nlp: Any) -> KhmerTokenizer:
        return KhmerTokenizer(nlp.vocab)

    return make
