from __future__ import annotations

import datetime as dt
import hashlib
import sys
import time


def iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).isoformat().replace("+00:00", "Z")


def day(ms: int) -> str:
    return iso(ms)[:10]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_started = time.monotonic()


def stage(message: str) -> None:
    """A progress line; the training activity forwards the latest one as its heartbeat detail."""
    print(f"stage: {message} [{time.monotonic() - _started:.0f}s]", flush=True)
    sys.stdout.flush()


def rounded(value, digits: int = 6):
    """Floats rounded for manifests and reports, so reruns diff cleanly; structure kept."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return value
