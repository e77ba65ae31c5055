"""Canonical URLs and stable item ids: the crawler's dedup keys across runs, feeds and outlets."""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = {"section", "input", "fbclid", "gclid", "ocid", "cmpid", "rss", "from", "ref", "plink"}
TRACKING_PREFIXES = ("utm_",)
YONHAP_ID_RE = re.compile(r"\b(A[A-Z]{2}\d{17})\b")  # Yonhap AEN/AKR/ACK... + YYYYMMDD + 9 digits
WORDPRESS_GUID_RE = re.compile(r"[?&]p=(\d+)\b")
DEFAULT_PORTS = {"http": 80, "https": 443}
REPEATED_SLASHES_RE = re.compile(r"/{2,}")


@lru_cache(maxsize=16384)  # a crawl asks for each article's twice or more (seen-set, item id, item)
def canonical_url(url: str) -> str:
    """Fold scheme (https), host case, a leading www. and default ports; drop fragments and tracking
    parameters (utm_*, Yonhap's section/input...); sort the rest; trim a trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "http":
        scheme = "https"
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    port = parts.port
    if port and port not in DEFAULT_PORTS.values():
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    path = REPEATED_SLASHES_RE.sub("/", parts.path or "/")
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def strip_tracking(url: str) -> str:
    """The URL as the outlet publishes it, minus tracking parameters and the fragment (for display)."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def native_id(url: str, guid: str | None = None, id_pattern: str | None = None) -> str | None:
    """The outlet's own article id when one can be read: the registry's `id_pattern` (first group) on the
    URL path, Yonhap AEN/AKR ids anywhere, a WordPress `?p=ID` guid; else None."""
    path = urlsplit(url).path
    if id_pattern:
        match = re.search(id_pattern, path)
        if match:
            return match.group(1)
    match = YONHAP_ID_RE.search(url) or (YONHAP_ID_RE.search(guid) if guid else None)
    if match:
        return match.group(1)
    if guid:
        match = WORDPRESS_GUID_RE.search(guid)
        if match:
            return match.group(1)
    return None


def item_id(prefix: str, url: str, *, guid: str | None = None, id_pattern: str | None = None) -> str:
    """`{prefix}/{native id}`, else `{prefix}/u{16 hex of the canonical URL's sha1}`."""
    native = native_id(url, guid, id_pattern)
    if native:
        return f"{prefix}/{native}"
    return f"{prefix}/u{hashlib.sha1(canonical_url(url).encode('utf-8')).hexdigest()[:16]}"
