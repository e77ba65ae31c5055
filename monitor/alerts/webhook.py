"""Webhook delivery that cannot be turned against the operator's own network, and its HMAC signature.

A webhook host must resolve to public addresses only: loopback, private, link-local, multicast and reserved
addresses are refused, at rule load and again at every delivery (DNS may change in between), and the
connection goes to the very address that was checked. Hosts the operator allows by name in the settings
(`webhook_allowed_hosts`) skip the address check. Redirects are never followed: a 3xx is a failed delivery.

A receiver verifies a delivery with `verify_signature(secret, body, timestamp, signature)`: it recomputes
HMAC-SHA256(secret, "<timestamp>.<raw body>") over the exact bytes received, compares it in constant
time with the `X-Deskwatch-Signature: sha256=<hex>` header, and refuses a `X-Deskwatch-Timestamp`
(integer Unix seconds) older or newer than its window (5 minutes by default) so a captured request
cannot be replayed later; it then de-duplicates on `X-Deskwatch-Alert-Id`."""
from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Collection
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Deskwatch-Signature"
TIMESTAMP_HEADER = "X-Deskwatch-Timestamp"
SIGNATURE_WINDOW_S = 300
MAX_RESPONSE_BYTES = 64 * 1024
TIMESTAMP_RE = re.compile(r"[1-9][0-9]{0,11}|0")  # canonical: no sign, spaces, leading zeros or exponent
SIGNATURE_RE = re.compile(r"sha256=[0-9a-f]{64}")
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


class WebhookAddressError(ValueError):
    """A webhook URL deskwatch refuses to call; the message says why and how to allow it."""


class WebhookResponseError(RuntimeError):
    """A delivery the receiver did not accept (an error status or a redirect)."""


def host_is_allowed(host: str, allowed_hosts: Collection[str]) -> bool:
    """True when the operator named `host` in `webhook_allowed_hosts` (case-insensitive, exact)."""
    wanted = host.lower().rstrip(".").strip("[]")
    return any(wanted == name.lower().rstrip(".").strip("[]") for name in allowed_hosts if name)


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified addresses, including
    IPv4 addresses wrapped in IPv6 (mapped, 6to4, NAT64)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast


def public_webhook_addresses(host: str, port: int, allowed_hosts: Collection[str] = ()) -> list[str]:
    """The addresses `host` resolves to, after refusing any that is not public (unless the operator allowed
    the host by name). Raises WebhookAddressError; socket.gaierror when the name does not resolve."""
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if host_is_allowed(host, allowed_hosts):
        return addresses
    internal = [a for a in addresses if not is_public_address(a)]
    if internal or not addresses:
        raise WebhookAddressError(
            f"webhook host {host!r} resolves to a non-public address ({', '.join(internal) or 'none'}); "
            "an internal receiver must be named in the webhook_allowed_hosts setting"
        )
    return addresses


def check_webhook_url(url: str, allowed_hosts: Collection[str] = (), *, resolve: bool = True) -> None:
    """HTTPS to public addresses; plain HTTP and internal addresses only for hosts allowed in settings.
    A name that does not resolve now is left to the check at delivery."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise WebhookAddressError(f"webhook URL {url!r} has an invalid port") from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username or parts.password:
        raise WebhookAddressError(f"webhook URL {url!r} must be https://HOST/... (no credentials in the URL)")
    allowed = host_is_allowed(parts.hostname, allowed_hosts)
    if parts.scheme == "http" and not allowed:
        raise WebhookAddressError(f"webhook URL {url!r} must use https (plain http only to hosts in "
                                  "the webhook_allowed_hosts setting)")
    if resolve and not allowed:
        try:
            public_webhook_addresses(parts.hostname, port, allowed_hosts)
        except (socket.gaierror, UnicodeError) as exc:
            log.info("webhook host %s does not resolve now (%s); it is checked again at delivery", parts.hostname, exc)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to one already-checked address, with the host name kept for SNI and the certificate."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post_webhook(url: str, body: bytes, headers: dict[str, str], *, timeout_s: float,
                 allowed_hosts: Collection[str] = ()) -> int:
    """POST `body` to `url` once, to an address checked just now; returns the 2xx status. No proxy, no
    redirect: WebhookResponseError for a 3xx or an error status, WebhookAddressError for a refused host."""
    check_webhook_url(url, allowed_hosts, resolve=False)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = public_webhook_addresses(host, port, allowed_hosts)[0]
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = kind(host, address, port, timeout_s)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
    finally:
        connection.close()
    if 300 <= response.status < 400:
        target = response.getheader("Location") or "?"
        raise WebhookResponseError(f"HTTP {response.status} redirect to {target[:200]} not followed")
    if response.status >= 400 or response.status < 200:
        raise WebhookResponseError(f"HTTP {response.status} {response.reason}")
    return response.status


def signature_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers a receiver checks: HMAC-SHA256(secret, f"{ts}.{body}") and the integer timestamp."""
    ts = str(int(time.time()) if timestamp is None else int(timestamp))
    digest = hmac.new(secret.encode("utf-8"), ts.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: f"sha256={digest}"}


def verify_signature(secret: str, body: bytes, timestamp: str, signature: str, *,
                     window_s: float = SIGNATURE_WINDOW_S, now: float | None = None) -> bool:
    """What a receiver does with the two headers: True only for a canonical integer timestamp within
    `window_s` of now and a matching signature; False on any malformed input (never raises)."""
    if not isinstance(timestamp, str) or not isinstance(signature, str) or not isinstance(body, bytes | bytearray):
        return False
    if not TIMESTAMP_RE.fullmatch(timestamp) or not SIGNATURE_RE.fullmatch(signature):
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > window_s:
        return False
    expected = signature_headers(secret, bytes(body), int(timestamp))[SIGNATURE_HEADER]
    return hmac.compare_digest(expected, signature)
