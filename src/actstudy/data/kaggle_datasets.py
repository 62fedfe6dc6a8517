"""Kaggle datasets: found unpacked under ``resources/<name>/``, unpacked from a zip placed there,
or downloaded through the Kaggle client (``kagglesdk``, the SDK the ``kaggle`` package wraps) and
unpacked.

Credentials are those the kaggle tools use: ``KAGGLE_USERNAME``/``KAGGLE_KEY``, ``kaggle.json`` in
``$KAGGLE_CONFIG_DIR``, ``~/.kaggle`` or ``~/.config/kaggle``, or an access token
(``KAGGLE_API_TOKEN``, ``~/.kaggle/access_token``). They are never logged nor put into an
exception or a manifest. (``import kaggle`` is avoided: it authenticates and prints at import time,
and kaggle 2.2.4 needs ``six`` without declaring it.)
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TypeVar

from actstudy.data.archives import unpacked
from actstudy.data.downloads import save_stream
from actstudy.data.retry import (
    attempts_made,
    attempts_phrase,
    http_status,
    is_transient,
    reason,
    retry,
)

logger = logging.getLogger(__name__)

Found = TypeVar("Found")

CREDENTIALS_HINT = (
    "put your Kaggle API token in ~/.kaggle/kaggle.json or set KAGGLE_USERNAME and KAGGLE_KEY"
)


def walk_unpacked(root: Path) -> Iterator[tuple[Path, list[str], list[str]]]:
    """``os.walk`` over ``root`` (nothing if absent) that skips hidden folders such as unfinished
    unpacks; callers may prune by emptying the yielded list of folder names."""
    for top, folders, files in os.walk(root):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        yield Path(top), folders, files


def _config_files() -> list[Path]:
    home = Path.home()
    if os.environ.get("KAGGLE_CONFIG_DIR"):
        return [Path(os.environ["KAGGLE_CONFIG_DIR"]) / "kaggle.json"]
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return [home / ".kaggle" / "kaggle.json", xdg / "kaggle" / "kaggle.json"]


def _warn_if_readable_by_others(config: Path) -> None:
    """The warning the kaggle tool gives for a token file that others on the machine can read."""
    if os.name == "posix" and config.stat().st_mode & 0o077:
        logger.warning(
            "your Kaggle API key in %s is readable by other users on this system; to fix this, "
            "run `chmod 600 %s`",
            config,
            config,
        )


def client_credentials() -> dict[str, str] | None:
    """Keyword arguments for ``KaggleClient``, ``{}`` when it will use an access token itself,
    None when there are no credentials; a malformed kaggle.json raises one sentence."""
    env = os.environ
    if env.get("KAGGLE_USERNAME") and env.get("KAGGLE_KEY"):
        return {"username": env["KAGGLE_USERNAME"], "password": env["KAGGLE_KEY"]}
    for config in _config_files():
        if config.is_file():
            _warn_if_readable_by_others(config)
            try:
                values = json.loads(config.read_text(encoding="utf-8"))
                return {"username": str(values["username"]), "password": str(values["key"])}
            except (ValueError, KeyError, TypeError):
                raise ValueError(
                    f"{config} is not a Kaggle token file with a username and a key; "
                    "download a new token from your Kaggle account settings"
                ) from None
    tokens = [Path.home() / ".kaggle" / name for name in ("access_token", "access_token.txt")]
    if env.get("KAGGLE_API_TOKEN") or any(token.is_file() for token in tokens):
        return {}
    return None


def _verify_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zipped:
            if not zipped.infolist():
                raise zipfile.BadZipFile("it is empty")
    except zipfile.BadZipFile as error:
        raise ValueError(f"it is not a readable zip archive: {error}") from error


def download_dataset(slug: str, folder: Path) -> Path:
    """Download Kaggle dataset ``owner/name`` as ``folder/<name>.zip`` and return that path."""
    from kagglesdk import KaggleClient
    from kagglesdk.datasets.types.dataset_api_service import ApiDownloadDatasetRequest

    if slug.count("/") != 1:
        raise ValueError(f"Kaggle dataset {slug!r} must be named owner/name, as in its URL")
    credentials = client_credentials()
    if credentials is None:
        raise FileNotFoundError(
            f"cannot download Kaggle dataset {slug} without Kaggle credentials; "
            f"{CREDENTIALS_HINT}, or unpack the dataset into {folder}"
        )
    owner, name = slug.split("/")
    target = folder / f"{name}.zip"
    request = ApiDownloadDatasetRequest()
    request.owner_slug = owner
    request.dataset_slug = name
    logger.info("downloading Kaggle dataset %s to %s", slug, target)

    def fetch(client: KaggleClient) -> None:
        response = client.datasets.dataset_api_client.download_dataset(request)
        length = response.headers.get("Content-Length")
        chunks = response.iter_content(1 << 20)
        save_stream(chunks, target, int(length) if length else None, _verify_zip)

    try:
        with KaggleClient(**credentials) as client:
            retry(partial(fetch, client), what=f"download of Kaggle dataset {slug}")
    except (OSError, ValueError) as error:
        status = http_status(error)
        if status is not None and not is_transient(error):
            raise ConnectionError(
                f"Kaggle refused the download of dataset {slug} (HTTP {status}); check your "
                f"credentials and that the dataset exists, or unpack it into {folder}"
            ) from None
        # requests' own messages may hold signed storage URLs: reason() gives only its type.
        raise ConnectionError(
            f"the download of Kaggle dataset {slug} to {target} failed in "
            f"{attempts_phrase(attempts_made(error))} ({reason(error)}); "
            f"rerun to download it again, or unpack the dataset into {folder}"
        ) from None
    return target


def obtain(
    slug: str, folder: Path, locate: Callable[[Path], Found | None], download: bool, what: str
) -> Found:
    """Return ``locate(folder)`` once the dataset is there.

    Zips in ``folder`` not yet unpacked are unpacked into ``folder/<zip name>/`` first; when there
    are none and ``download`` is on, the dataset is downloaded from Kaggle. ``what`` describes
    the expected layout for the error raised when it still cannot be found.
    """
    found = locate(folder)
    if found is not None:
        return found
    archives = sorted(folder.glob("*.zip")) if folder.is_dir() else []
    if not archives:
        if not download:
            raise FileNotFoundError(
                f"{folder} holds no {what} and download is off; unpack Kaggle dataset {slug} "
                "there, or allow the download"
            )
        archives = [download_dataset(slug, folder)]
    for archive in archives:
        destination = folder / archive.stem
        if not destination.exists():
            with unpacked(archive, folder) as tmp:
                os.replace(tmp, destination)
    found = locate(folder)
    if found is None:
        raise FileNotFoundError(
            f"{folder} and the archives in it hold no {what}; place the unpacked Kaggle dataset "
            f"{slug} there"
        )
    return found


def missing_sentence(
    slug: str, folder: Path, locate: Callable[[Path], object | None], download: bool, what: str
) -> str | None:
    """One sentence when the dataset is neither in ``folder`` nor downloadable, else None."""
    if locate(folder) is not None or (folder.is_dir() and any(folder.glob("*.zip"))):
        return None
    if not download:
        return f"{folder} holds no {what} and download is off: unpack Kaggle dataset {slug} there"
    try:
        if client_credentials() is not None:
            return None
    except ValueError as error:
        return str(error)
    return (
        f"{folder} holds no {what} and no Kaggle credentials were found: {CREDENTIALS_HINT}, "
        f"or unpack Kaggle dataset {slug} into {folder}"
    )
