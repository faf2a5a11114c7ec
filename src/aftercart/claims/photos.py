"""Photos a customer sends with a claim or as evidence: checked by their content with the returns'
rules (:func:`aftercart.returns.photos.photo_check`: at most 5 MB, really a JPEG, PNG or WebP that
decodes, not a decompression bomb) and re-encoded, which drops EXIF metadata (a phone photo's GPS
position is the customer's home). At most :data:`MAX_PER_CLAIM` per claim.

They are kept under the photos' folder in ``claims/<claim>/<digest>.<ext>`` and written only once
the claim that names them commits (``transaction.on_commit``), so a refused or rolled-back claim
leaves nothing on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from aftercart.returns.photos import MAX_BYTES, Photo, PhotoRefused, photo_check, photos_root

__all__ = [
    "MAX_BYTES",
    "MAX_PER_CLAIM",
    "CheckedPhoto",
    "PhotoRefused",
    "claim_photos_check",
    "claim_photos_delete",
    "claim_photos_write_on_commit",
]

MAX_PER_CLAIM = 6
_CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@dataclass(frozen=True)
class CheckedPhoto:
    """An accepted photo, re-encoded, with where it will be kept."""

    photo: Photo
    line_id: str
    path: str
    sha256: str

    @property
    def content_type(self) -> str:
        return _CONTENT_TYPES[self.photo.extension]


def claim_photos_check(
    number: str, files: Sequence[tuple[str, bytes, str]], *, already: int = 0
) -> list[CheckedPhoto]:
    """Check ``files`` (``(name, bytes, line_id)`` each) for claim ``number``, which has
    ``already`` photos: all accepted, or :class:`PhotoRefused` for the first that is not
    (``too_many`` past :data:`MAX_PER_CLAIM`). The same photo twice is kept once."""
    if already + len(files) > MAX_PER_CLAIM:
        raise PhotoRefused("too_many")
    folder = f"claims/{hashlib.sha256(number.encode()).hexdigest()[:24]}"
    out: dict[str, CheckedPhoto] = {}
    for name, data, line_id in files:
        photo = photo_check(data, name)
        digest = hashlib.sha256(photo.data).hexdigest()
        out.setdefault(
            digest, CheckedPhoto(photo, line_id, f"{folder}/{digest[:20]}.{photo.extension}", digest)
        )
    return list(out.values())


def claim_photos_write_on_commit(photos: Sequence[CheckedPhoto]) -> None:
    """Write ``photos`` to disk once the current transaction commits (at once outside one)."""
    items = list(photos)

    def write() -> None:
        root = photos_root()
        for item in items:
            target = root / item.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(item.photo.data)

    if items:
        transaction.on_commit(write)


def claim_photos_delete(paths: Iterable[str]) -> int:
    """Remove kept claim photos and the folders they leave empty; how many files were removed.
    Anything not under the claims' photo folder is left alone."""
    folder = (photos_root() / "claims").resolve()
    removed = 0
    for path in paths:
        target = (photos_root() / path).resolve()
        if not target.is_relative_to(folder) or target == folder:
            continue
        try:
            target.unlink()
            removed += 1
        except (FileNotFoundError, IsADirectoryError):
            continue
        with contextlib.suppress(OSError):
            target.parent.rmdir()
    return removed
