"""API keys kept by the operating system's keyring, never in Reelforge's own files.

A key given in settings is stored with the `keyring` package (macOS Keychain, Windows Credential
Locker, the Secret Service on Linux). When no secure backend is usable (a headless Linux without
a Secret Service, or only keyring's plaintext/"fail" backends), storing is refused with
KEYRING_UNAVAILABLE: Reelforge never falls back to writing keys to disk. A key in a request's
`x-api-key` header needs no keyring: it lives in memory for that job only.
"""

from __future__ import annotations

import logging
from typing import Any

from reelforge.errors import ReelforgeError

SERVICE = "reelforge"
log = logging.getLogger("reelforge.keys")

# Backends that either do not work or keep secrets in a plain file (matched on module.class).
_INSECURE = ("fail.", "null.", "plaintext")


def _insecure(backend: Any) -> bool:
    name = f"{type(backend).__module__}.{type(backend).__name__}".lower()
    return any(part in name for part in _INSECURE)


def _backend() -> Any | None:
    """The usable secure keyring backend, or None."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except KeyringError:
        return None
    # A chainer writes to its first backend and reads from all: every one must be secure.
    chained = getattr(backend, "backends", None)
    members = list(chained) if chained is not None else [backend]
    if not members or any(_insecure(member) for member in members):
        return None
    priority = getattr(backend, "priority", 0)
    if isinstance(priority, int | float) and priority <= 0:
        return None
    return backend


def status() -> dict[str, Any]:
    backend = _backend()
    return {
        "available": backend is not None,
        "backend": type(backend).__name__ if backend is not None else None,
    }


def _require() -> Any:
    backend = _backend()
    if backend is None:
        raise ReelforgeError(
            "KEYRING_UNAVAILABLE",
            "no secure OS keyring is available, so the key was not stored; "
            "send it per request in the x-api-key header instead",
        )
    return backend


def store(provider: str, key: str) -> None:
    backend = _require()
    try:
        backend.set_password(SERVICE, provider, key)
    except Exception as exc:  # keyring backends raise their own types
        raise ReelforgeError(
            "KEYRING_UNAVAILABLE", f"the OS keyring refused to store the key ({type(exc).__name__})"
        ) from None


def forget(provider: str) -> bool:
    backend = _require()
    try:
        had = backend.get_password(SERVICE, provider) is not None
        if had:
            backend.delete_password(SERVICE, provider)
        return had
    except Exception as exc:
        raise ReelforgeError(
            "KEYRING_UNAVAILABLE",
            f"the OS keyring refused to delete the key ({type(exc).__name__})",
        ) from None


def lookup(provider: str) -> str | None:
    """The stored key for a provider; None when there is none or no keyring to ask."""
    backend = _backend()
    if backend is None:
        return None
    try:
        value = backend.get_password(SERVICE, provider)
    except Exception as exc:
        log.warning("could not read the %s key from the keyring: %s", provider, type(exc).__name__)
        return None
    return value if isinstance(value, str) and value else None
