"""Downloads through a temporary name: a file appears under its real name only once it is
complete and verified, so an interrupted or corrupt download never counts."""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

from actstudy.data.progress import Progress
from actstudy.data.retry import attempts_made, attempts_phrase, reason, retry
from actstudy.io import atomic_path, file_digest

logger = logging.getLogger(__name__)

CHUNK = 1 << 20
TIMEOUT_S = 60
USER_AGENT = "actstudy-data"


class DownloadError(ConnectionError):
    """A file that none of its URLs delivered: ``detail`` says why, ``fix`` what to do."""

    def __init__(self, detail: str, fix: str) -> None:
        super().__init__(f"{detail}; {fix}")
        self.detail = detail


def save_stream(
    chunks: Iterable[bytes],
    target: Path,
    total: int | None,
    verify: Callable[[Path], None] | None = None,
) -> None:
    """Write ``chunks`` to ``target`` through a temporary file, logging progress.

    A body shorter or longer than ``total`` bytes raises ConnectionError and ``verify(tmp)`` may
    raise to refuse the file; either way ``target`` is left as it was and the exception gives the
    reason, which callers wrap into their sentence.
    """
    progress = Progress(f"downloading {target.name}", total, "bytes")
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                progress.advance(len(chunk))
        if total is not None and progress.done != total:
            raise ConnectionError(f"the body stopped after {progress.done:,} of {total:,} bytes")
        if verify is not None:
            verify(tmp)
    logger.info("downloaded %s (%.1f MiB)", target, progress.done / (1 << 20))


def checksum_verifier(algorithm: str, expected: str) -> Callable[[Path], None]:
    """A ``verify`` for :func:`save_stream` comparing the file's digest with a published one."""

    def verify(path: Path) -> None:
        if file_digest(path, algorithm) != expected:
            raise ValueError(f"its {algorithm.upper()} differs from the published {expected}")

    return verify


def _fetch_one(url: str, target: Path, verify: Callable[[Path], None] | None) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        length = response.headers.get("Content-Length")
        chunks = iter(partial(response.read, CHUNK), b"")
        save_stream(chunks, target, int(length) if length else None, verify)


def fetch_url(urls: Sequence[str], target: Path, checksum: tuple[str, str] | None = None) -> None:
    """Download ``target`` from the first of ``urls`` (mirrors) that delivers a good copy.

    ``checksum`` is ``(algorithm, hex digest)``; without it only the length is checked. Each URL
    is tried again after a transient failure (:func:`actstudy.data.retry.retry`); a refusal or a
    wrong checksum moves on to the next one at once.
    """
    verify = checksum_verifier(*checksum) if checksum else None
    reasons = []
    attempts = 0
    for url in urls:
        logger.info("downloading %s to %s", url, target)
        try:
            retry(
                partial(_fetch_one, url, target, verify),
                what=f"download of {target.name} from {url}",
            )
            return
        except (OSError, http.client.HTTPException, ValueError) as error:
            attempts += attempts_made(error)
            if isinstance(error, urllib.error.HTTPError):
                reasons.append(f"HTTP {error.code} from {url}")
            else:
                reasons.append(f"{url}: {reason(error)}")
    raise DownloadError(
        f"could not download {target.name} in {attempts_phrase(attempts)} ({'; '.join(reasons)})",
        f"check the network and rerun, or place a good copy at {target}",
    )
