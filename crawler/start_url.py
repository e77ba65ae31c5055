"""Which start URLs a user may hand a crawl (`deskwatch crawl KEY --url`, `python -m crawler.runner --url`):
this machine's loopback (replays, tests) or the source's own registry host. Anything else needs an explicit
`--any-host`, so a crawl can never be pointed at an internal address (cloud metadata, the LAN) by accident."""
from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


class StartUrlError(ValueError):
    """A start URL that is not allowed; the message says why and what would be."""


def is_loopback_host(host: str) -> bool:
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bare_host(host: str) -> str:
    return host.lower().removeprefix("www.")


def _same_site(host: str, registry_host: str) -> bool:
    """The registry's host (with or without www.) or one of its subdomains."""
    return _bare_host(host) == _bare_host(registry_host) or host.lower().endswith("." + _bare_host(registry_host))


def check_start_url(url: str, registry_url: str, *, any_host: bool = False) -> str:
    """`url` when it may be crawled instead of the registry's `registry_url`; StartUrlError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise StartUrlError(f"start URL {url!r} must be an http(s) URL with a host")
    if any_host or is_loopback_host(parts.hostname):
        return url
    registry_host = urlsplit(registry_url).hostname or ""
    if registry_host and _same_site(parts.hostname, registry_host):
        return url
    raise StartUrlError(
        f"start URL host {parts.hostname!r} is neither loopback nor this source's registry host "
        f"{registry_host!r}; pass --any-host to crawl it anyway"
    )
