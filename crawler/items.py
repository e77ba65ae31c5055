"""What spiders yield: one article or one advisory, as plain dataclasses (Scrapy ≥ 2.x item dataclasses)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class ArticleItem:
    """One news article. `item_id` is stable across runs (`{source}/{native id}`): the upsert key."""

    item_id: str
    source_key: str
    url: str
    canonical_url: str
    title: str
    body: str
    lang: str
    country: str = ""
    summary: str = ""
    author: str | None = None
    published_at: datetime | None = None  # aware, UTC
    quality_flags: list[str] = field(default_factory=list)  # fragment | paywall | cookie_wall

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (a shallow copy: asdict's deep copy costs more than the rest of the item)."""
        d = dict(self.__dict__)
        d["quality_flags"] = list(self.quality_flags)
        return d


@dataclass
class AdvisoryItem:
    """One issuer's advice for one country (ISO alpha-2) and region ('' = the whole country).
    `level` is the normalized 1–4 (crawler.advisory_levels), `level_native` the issuer's own wording."""

    issuer: str
    country: str
    level: int | None
    level_native: str
    label: str = ""
    region: str = ""
    summary: str = ""
    url: str = ""
    issued_at: datetime | None = None  # aware, UTC

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
