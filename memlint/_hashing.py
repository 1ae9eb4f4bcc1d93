"""Digests for the cache keys. Importing hashlib initialises OpenSSL, about 10 ms of a
100 ms run; BLAKE2 is built into CPython, so it is used directly where it exists."""

from __future__ import annotations

try:
    from _blake2 import blake2b as _blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b as _blake2b


def digest(data: bytes, size: int = 32) -> str:
    """Hex digest of `data` (`size` bytes, so 2 * size hex digits)."""
    return _blake2b(data, digest_size=size).hexdigest()


def hasher(size: int = 32):
    """An incremental BLAKE2b object (update(), hexdigest())."""
    return _blake2b(digest_size=size)
