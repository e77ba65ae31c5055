"""The search box's syntax: words (all must match), "quoted phrases", OR, -exclusion and parentheses.
Parsed into a small tree that storage.search turns into FTS5 MATCH or PostgreSQL conditions, so user
text never reaches SQL as syntax. Mistakes raise SearchError with a message meant for the user."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

MIN_TERM_CHARS = 2
MAX_TERMS = 24
MAX_QUERY_CHARS = 500
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MIN_STEM_CHARS = 4  # a shorter stem ('die' of 'dies') would match inside unrelated words ('soldier')
_ENGLISH_WORD_RE = re.compile(r"[A-Za-z]+")
_PUNCT_EDGES = ".,;:!?'`~@#$%^&*+=|\\/<>[]{}…·「」『』“”‘’"


class SearchError(ValueError):
    """A user's bad query syntax or filter value; the message says what to fix."""


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool = False


@dataclass(frozen=True)
class All:
    """Every item must match and no excluded node may."""

    items: tuple[Node, ...]
    excluded: tuple[Node, ...] = ()


@dataclass(frozen=True)
class AnyOf:
    """At least one item must match (the OR of the query syntax)."""

    items: tuple[Node, ...]


Node = Term | All | AnyOf

_OR, _AND, _NEG, _OPEN, _CLOSE = "OR", "AND", "-", "(", ")"


@dataclass(frozen=True)
class _Tok:
    kind: str  # word | phrase | OR | AND | - | ( | )
    text: str = ""


def parse_query(query: str) -> Node | None:
    """The query as a tree, or None for a blank query."""
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(f"the query is too long ({len(query)} characters; at most {MAX_QUERY_CHARS})")
    query = CONTROL_CHARS_RE.sub(" ", query)  # NUL and other controls: no database accepts them in a term
    tokens = _tokenize(query)
    if not tokens:
        return None
    parser = _Parser(tokens)
    node = parser.parse_any()
    if parser.peek() is not None:
        raise SearchError("unbalanced parentheses: there is a ')' without a matching '('")
    count = len(positive_terms(node)) + _count_excluded(node)
    if count > MAX_TERMS:
        raise SearchError(f"too many search terms ({count}; at most {MAX_TERMS})")
    return node


def positive_terms(node: Node | None) -> list[Term]:
    """Terms that can make a document match (for highlighting), excluded ones left out."""
    if node is None:
        return []
    if isinstance(node, Term):
        return [node]
    return [t for item in node.items for t in positive_terms(item)]


def match_forms(term: Term) -> tuple[str, ...]:
    """The substrings a term matches (any of them). An English word (a phrase's last word) becomes forms
    of its Snowball stem, so 'kidnapped' finds 'kidnap' and 'kidnapping' and the reverse, 'studies'
    finds 'study', 'police' finds 'policing' (not 'policy'); Korean, Khmer and other text stays as typed
    (substring search already covers their endings). One form is always a part of the typed word, so a
    term still matches everything it matched as typed."""
    head, _, last = term.text.rpartition(" ")
    return tuple(f"{head} {form}" if head else form for form in english_forms(last))


@lru_cache(maxsize=4096)
def english_forms(word: str) -> tuple[str, ...]:
    if not _ENGLISH_WORD_RE.fullmatch(word):
        return (word,)
    lower = word.lower()
    stem = _english_stemmer().stemWord(lower)
    if stem == lower or len(stem) < MIN_STEM_CHARS:
        return (word,)
    if lower == stem + "e":  # police, rescue: keep the e, or 'polic' would find 'policy'
        return (lower, stem + "ing")
    y_form = (stem[:-1] + "y",) if stem.endswith("i") else ()  # studi(es) ~ study, happi(ness) ~ happy
    if lower.startswith(stem):
        return (stem, *y_form)
    return (lower, stem, *y_form) if lower not in y_form else (stem, *y_form)


@lru_cache(maxsize=1)
def _english_stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


def _count_excluded(node: Node) -> int:
    if isinstance(node, Term):
        return 0
    excluded = sum(len(positive_terms(x)) for x in node.excluded) if isinstance(node, All) else 0
    return excluded + sum(_count_excluded(item) for item in node.items)


def _tokenize(query: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise SearchError('unclosed quote: add the closing " or remove the stray one')
            phrase = " ".join(query[i + 1 : end].split())
            if not phrase:
                raise SearchError('empty quotes "": put a phrase between them or remove them')
            tokens.append(_Tok("phrase", _checked(phrase)))
            i = end + 1
        elif ch in "()":
            tokens.append(_Tok(ch))
            i += 1
        elif ch == "-" and (i + 1 >= n or query[i + 1].isspace()):
            raise SearchError("'-' must be followed directly by the word or phrase to exclude, e.g. -rescue")
        elif ch == "-":  # words swallow inner hyphens (call-centre), so this one starts a token
            tokens.append(_Tok(_NEG))
            i += 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '"()':
                j += 1
            _add_word(tokens, query[i:j])
            i = j
    return tokens


def _add_word(tokens: list[_Tok], raw: str) -> None:
    if raw in (_OR, _AND):
        tokens.append(_Tok(raw))
        return
    word = raw.strip(_PUNCT_EDGES + "-")
    if word:  # a word of punctuation only ("&", "…") carries nothing to search for
        tokens.append(_Tok("word", _checked(word)))


def _checked(text: str) -> str:
    if len(text) < MIN_TERM_CHARS:
        raise SearchError(f"'{text}' is too short: search terms need at least {MIN_TERM_CHARS} characters")
    return text


class _Parser:
    """Recursive descent: any := all (OR all)* ; all := [-]primary ([AND] [-]primary)* ;
    primary := word | "phrase" | ( any )."""

    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse_any(self) -> Node:
        if (tok := self.peek()) is not None and tok.kind in (_OR, _AND):
            raise SearchError(f"'{tok.kind}' needs a word or phrase on both sides")
        items = [self.parse_all()]
        while (tok := self.peek()) is not None and tok.kind == _OR:
            self.take()
            nxt = self.peek()
            if nxt is None or nxt.kind in (_OR, _AND, _CLOSE):
                raise SearchError("'OR' needs a word or phrase on both sides")
            items.append(self.parse_all())
        return items[0] if len(items) == 1 else AnyOf(tuple(items))

    def parse_all(self) -> Node:
        items: list[Node] = []
        excluded: list[Node] = []
        while (tok := self.peek()) is not None and tok.kind not in (_OR, _CLOSE):
            if tok.kind == _AND:
                self.take()
                nxt = self.peek()
                if not items and not excluded or nxt is None or nxt.kind in (_OR, _AND, _CLOSE):
                    raise SearchError("'AND' needs a word or phrase on both sides")
                continue
            if tok.kind == _NEG:
                self.take()
                excluded.append(self.parse_primary())
            else:
                items.append(self.parse_primary())
        if not items and not excluded:
            raise SearchError("empty parentheses: put words between them or remove them")
        if not items:
            raise SearchError("a query (or a group in parentheses) cannot only exclude: add a word to search for")
        if len(items) == 1 and not excluded:
            return items[0]
        return All(tuple(items), tuple(excluded))

    def parse_primary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise SearchError("the query ends where a word or phrase was expected")
        self.take()
        if tok.kind in ("word", "phrase"):
            return Term(tok.text, phrase=tok.kind == "phrase")
        if tok.kind == _OPEN:
            node = self.parse_any()
            if self.peek() is None or self.peek().kind != _CLOSE:  # type: ignore[union-attr]
                raise SearchError("unbalanced parentheses: a '(' is never closed")
            self.take()
            return node
        raise SearchError(f"'{tok.kind}' cannot start a term here")
