"""SQLAlchemy 2 typed models: the data model of DESIGN.md (sources, runs, documents, advisories,
extractions, stories, alerts, digests) plus the small tables that keep the crawler incremental."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """One registry entry as last loaded, plus its health."""

    __tablename__ = "sources"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # news | advisory
    country: Mapped[str] = mapped_column(String(8))
    lang: Mapped[str] = mapped_column(String(8))
    fetch: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    schedule: Mapped[str] = mapped_column(String(80))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_key: Mapped[str] = mapped_column(String(80), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    new_items: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|partial|failed
    error_summary: Mapped[str | None] = mapped_column(Text)


class HttpValidator(Base):
    """ETag / Last-Modified per fetched feed URL, for conditional GET across runs."""

    __tablename__ = "http_validators"

    url_hash: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Story(Base):
    """Reports of one real-world event merged across outlets and languages."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # When deskwatch made the story (first_seen is the first report's publication time): what "new" means
    # to a digest reader. Nullable only for rows made before migration 0005 backfilled it.
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    incident_types: Mapped[list[Any]] = mapped_column(default=list)
    is_incident: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    countries: Mapped[list[Any]] = mapped_column(default=list)
    victim_nationality: Mapped[str | None] = mapped_column(String(8))
    max_ransom_usd: Mapped[float | None] = mapped_column(Float)
    doc_count: Mapped[int] = mapped_column(Integer, default=0)
    facts_key: Mapped[str] = mapped_column(String(64), default="")  # changes when a new fact appears
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)

    documents: Mapped[list[Document]] = relationship(back_populates="story")


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[str] = mapped_column(String(300), unique=True)  # e.g. yonhap-en/AEN20251012000300315
    source_key: Mapped[str] = mapped_column(String(80), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text)
    url_hash: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(8), index=True)
    country: Mapped[str] = mapped_column(String(8), default="")  # the source's country
    author: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(Text)  # near-duplicate signature (MinHash values, hex)
    quality_flags: Mapped[list[Any]] = mapped_column(default=list)  # fragment | paywall | cookie_wall
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id"), index=True)
    story_pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # placed by hand
    extraction_version: Mapped[str | None] = mapped_column(String(32), index=True)

    story: Mapped[Story | None] = relationship(back_populates="documents")
    extraction: Mapped[Extraction | None] = relationship(back_populates="document", uselist=False)

    __table_args__ = (
        Index("ix_documents_source_published", "source_key", "published_at"),
        # Covering index for search candidates (migration 0004): no wide row reads while ranking.
        Index("ix_documents_candidate", "id", "published_at", "source_key", "lang", "story_id"),
        # A story's first and latest reports by two limited range scans (migration 0008).
        Index("ix_documents_story_members", "story_id", "id"),
    )


class Extraction(Base):
    """What nlp/ found in one document; the full contract dict plus columns for filtering."""

    __tablename__ = "extractions"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    pipeline_version: Mapped[str] = mapped_column(String(32))
    relevant: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    incident_types: Mapped[list[Any]] = mapped_column(default=list)
    victim_nationality: Mapped[str | None] = mapped_column(String(8), index=True)
    victim_count: Mapped[int | None] = mapped_column(Integer)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    max_ransom_usd: Mapped[float | None] = mapped_column(Float, index=True)
    has_ransom: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    extracted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    document: Mapped[Document] = relationship(back_populates="extraction")


class DocumentFacet(Base):
    """One (document, facet, value) row: incident types, place countries, admin1s and place names,
    so filters and facet counts are index lookups instead of JSON scans."""

    __tablename__ = "document_facets"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    facet: Mapped[str] = mapped_column(String(20), primary_key=True)  # incident_type|country|admin1|place|has_ransom
    value: Mapped[str] = mapped_column(String(200), primary_key=True)

    __table_args__ = (Index("ix_document_facets_value", "facet", "value", "document_id"),)


class StoryLink(Base):
    """Why a document joined a story: the explanation of a merge."""

    __tablename__ = "story_links"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    matched_document_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StoryKey(Base):
    """One identity key of a story (site, specific place, person with age, count, day, ransom): the index
    that bounds the stories a new report is compared with."""

    __tablename__ = "story_keys"

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)

    __table_args__ = (Index("ix_story_keys_key", "key", "story_id"),)


class StoryCorrection(Base):
    """An analyst's hand correction of stories (merge, split), with who and when; never undone."""

    __tablename__ = "story_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(20))  # merge | split
    story_id: Mapped[int] = mapped_column(Integer, index=True)  # the story kept (merge) / split from (split)
    other_story_id: Mapped[int | None] = mapped_column(Integer)  # merged away (merge) / made (split)
    document_ids: Mapped[list[Any]] = mapped_column(default=list)
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_story_corrections_other", "other_story_id"),)


class DocumentBand(Base):
    """One MinHash LSH band key of a document: documents sharing a band are near-duplicate candidates,
    so finding them is an index lookup instead of a comparison with every stored document."""

    __tablename__ = "document_bands"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    band: Mapped[str] = mapped_column(String(24), primary_key=True)

    __table_args__ = (Index("ix_document_bands_band", "band", "document_id"),)


class Advisory(Base):
    """One issuer's advice for one country/region; a new row only on change, so the table is history."""

    __tablename__ = "advisories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(8))
    region: Mapped[str] = mapped_column(String(300), default="")
    level_native: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content_hash: Mapped[str] = mapped_column(String(64))
    previous_level: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_advisories_key", "issuer", "country", "region", "fetched_at"),)


class Alert(Base):
    """One decision to tell someone, and its delivery (status pending until sent, then sent or failed)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(120))
    subject_type: Mapped[str] = mapped_column(String(20))  # story | advisory | source
    subject_id: Mapped[str] = mapped_column(String(120))
    subject_version: Mapped[str] = mapped_column(String(64), default="")
    channel: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        UniqueConstraint("rule", "subject_type", "subject_id", "subject_version", "channel", name="uq_alert_subject"),
    )


class Digest(Base):
    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    html: Mapped[str] = mapped_column(Text, default="")
    markdown: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
