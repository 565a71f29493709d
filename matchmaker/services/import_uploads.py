"""Uploads kept between a registry import's dry run and its commit: a file in the
instance folder under a random name, with a note of who uploaded it for which registry,
readable by the service only, claimed once by the commit and purged after a day.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from matchmaker.models import User
from matchmaker.services.errors import NotFound

UPLOAD_TTL_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


@dataclass(frozen=True)
class Upload:
    token: str
    user_id: int
    registry: str
    filename: str
    all_or_nothing: bool
    path: Path


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def purge_uploads(*, now: float | None = None) -> int:
    """Delete uploads older than a day (their data and their note)."""
    now = now or time.time()
    removed = 0
    for path in _folder().iterdir():
        try:
            if now - path.stat().st_mtime > UPLOAD_TTL_SECONDS:
                path.unlink()
                removed += path.suffix != ".json"
        except FileNotFoundError:
            pass
    return removed


def save_upload(*, user: User, key: str, data: bytes, filename: str,
                all_or_nothing: bool) -> Upload:
    """Keep an uploaded file for its commit: a random name, readable by the service only."""
    purge_uploads()
    token = secrets.token_urlsafe(24)  # 32 characters
    folder = _folder()
    path = folder / token
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    meta = {"user_id": user.id, "registry": key, "filename": filename[:200],
            "all_or_nothing": all_or_nothing}
    fd = os.open(folder / f"{token}.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(meta, fh, ensure_ascii=False)
    return Upload(token, user.id, key, meta["filename"], all_or_nothing, path)


def load_upload(*, user: User, key: str, token: str) -> Upload:
    """The user's own upload for this registry, if it is still kept; else ``NotFound``."""
    missing = NotFound(_("导入文件已过期或不存在，请重新上传"))
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise missing
    folder = _folder()
    path, note = folder / token, folder / f"{token}.json"
    try:
        if time.time() - path.stat().st_mtime > UPLOAD_TTL_SECONDS:
            discard_upload(token)
            raise missing
        meta = json.loads(note.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        raise missing from None
    if meta.get("user_id") != user.id or meta.get("registry") != key:
        raise missing
    return Upload(token, user.id, key, meta.get("filename", ""),
                  bool(meta.get("all_or_nothing")), path)


def claim_upload(upload: Upload) -> Upload:
    """Take the upload for its commit, once: a second confirm of the same file (a double
    click, two tabs) finds it gone instead of importing it twice."""
    claimed = upload.path.with_name(upload.token + ".claimed")
    try:
        os.rename(upload.path, claimed)
    except FileNotFoundError:
        raise NotFound(_("导入文件已过期或不存在，请重新上传")) from None
    return Upload(upload.token, upload.user_id, upload.registry, upload.filename,
                  upload.all_or_nothing, claimed)


def discard_upload(token: str) -> None:
    if not _TOKEN.fullmatch(token or ""):
        return
    folder = _folder()
    for path in (folder / token, folder / f"{token}.json", folder / f"{token}.claimed"):
        path.unlink(missing_ok=True)
