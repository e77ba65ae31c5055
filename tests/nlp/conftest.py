"""Session-scoped pipelines: building one loads kiwi / khmer-nltk once for the whole run."""
from __future__ import annotations

import pytest
from spacy.language import Language

from nlp.pipeline import get_nlp


@pytest.fixture(scope="session")
def nlp_en() -> Language:
    return get_nlp("en")


@pytest.fixture(scope="session")
def nlp_ko() -> Language:
    return get_nlp("ko")


@pytest.fixture(scope="session")
def nlp_km() -> Language:
    return get_nlp("km")
