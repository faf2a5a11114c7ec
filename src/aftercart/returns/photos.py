"""Photos a shopper attaches to a returned line: checked by their content, kept on disk.

A photo is accepted when Pillow can decode it as JPEG, PNG or WebP (whatever its name or the
browser's content type says), it is at most :data:`MAX_BYTES`, :data:`MAX_PIXELS` and
:data:`MAX_DECODED_BYTES` once decoded (judged from its header, before anything is decoded), and a
line has at most :data:`MAX_PER_LINE`; a whole submission uploads at most :data:`MAX_UPLOAD_BYTES`.
Accepted photos are re-encoded before they are kept: that drops EXIF metadata (a phone photo's GPS
position is the shopper's home address) and anything appended to the image data. They live under ``MEDIA_ROOT`` (else ``<var>/media``) in
``returns/<submission>/<line>-<n>.<ext>``; each return line lists its photos' paths
(``ReturnLine.photos``). Files are written only once the return that names them is committed
(:func:`aftercart.returns.submission.return_submit`), so a refused or rolled-back request leaves
nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageFile, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_PER_LINE = 3
#: How many lines of one submission may carry a full set of photos (``MAX_PER_LINE`` at
#: ``MAX_BYTES`` each). It sets what one request may upload in all, :data:`MAX_UPLOAD_BYTES`: a
#: return of more lines can carry photos for each as long as they add up to no more.
FULL_PHOTO_LINES = 3
#: The most photo data one portal submission may carry (45 MB). The web layer refuses a larger
#: request before reading its body (:mod:`aftercart.web.uploads`), so nothing is parsed, spooled
#: to disk or written.
MAX_UPLOAD_BYTES = MAX_BYTES * MAX_PER_LINE * FULL_PHOTO_LINES
#: Larger than any phone camera; refuses decompression bombs before they are decoded.
MAX_PIXELS = 50_000_000
#: What a photo may take in memory once decoded (width × height × bytes per pixel), judged from its
#: header before decoding. Pixels alone undercount: a 16-bit RGBA PNG is 8 bytes a pixel to inflate
#: and Pillow keeps most modes at 4, so 50 megapixels cost seconds and hundreds of MB per photo.
#: 128 MB is a 32-megapixel colour photo (more than a phone's default), 16 megapixels at 16 bits.
MAX_DECODED_BYTES = 128_000_000
#: The limit in megapixels of 8-bit colour, as the shopper is told it.
MAX_MEGAPIXELS = MAX_DECODED_BYTES // 4 // 1_000_000
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


class PhotoRefused(ValueError):
    """A photo that cannot be kept; ``code`` is ``too_large`` (bytes), ``too_many_pixels`` (decoded
    size), ``not_an_image`` or ``too_many``."""

    def __init__(self, code: str, name: str = ""):
        super().__init__(f"{code}: {name}")
        self.code, self.name = code, name


@dataclass(frozen=True)
class Photo:
    """An accepted photo, re-encoded, ready to keep."""

    data: bytes
    extension: str


def decoded_bytes(image: ImageFile.ImageFile) -> int:
    """What decoding ``image`` (opened, not loaded) takes at most: width × height × the larger of
    Pillow's bytes per pixel for its mode and the file's own (its bands at the bit depth of the
    decoder's raw mode, e.g. ``RGBA;16B``: 8)."""
    mode = image.mode
    kept = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    raw = ""
    if image.tile:
        args = image.tile[0].args
        raw = str(args[0] if isinstance(args, tuple) and args else args or "")
    depth = 2 if "16" in raw else 1
    source = len(image.getbands()) * depth
    return image.width * image.height * max(kept, source)


def photo_check(data: bytes, name: str = "") -> Photo:
    """The photo re-encoded without metadata, or :class:`PhotoRefused` saying why not."""
    if len(data) > MAX_BYTES:
        raise PhotoRefused("too_large", name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format or ""
                if kind not in FORMATS:
                    raise PhotoRefused("not_an_image", name)
                if probe.width * probe.height > MAX_PIXELS or decoded_bytes(probe) > MAX_DECODED_BYTES:
                    raise PhotoRefused("too_many_pixels", name)
                probe.verify()  # structure and checksums, without decoding the pixels
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                out = io.BytesIO()
                if kind == "JPEG":
                    image.convert("RGB").save(out, format="JPEG", quality=90)
                else:
                    image.save(out, format=kind)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise PhotoRefused("not_an_image", name) from None
    except Image.DecompressionBombWarning:
        raise PhotoRefused("not_an_image", name) from None
    return Photo(out.getvalue(), FORMATS[kind])


def photos_check(files: Sequence[tuple[str, bytes]]) -> list[Photo]:
    """A line's photos (``(name, bytes)`` each), all accepted, or the first refusal."""
    if len(files) > MAX_PER_LINE:
        raise PhotoRefused("too_many")
    return [photo_check(data, name) for name, data in files]


def photos_root() -> Path:
    """Where photos are kept: ``MEDIA_ROOT`` when set, else ``<var>/media``."""
    media = getattr(settings, "MEDIA_ROOT", "")
    return Path(media) if media else Path(settings.VAR_DIR) / "media"


def _digest(text: str, size: int) -> str:
    # Keys and line ids come from shoppers and stores: file names keep to a fixed, harmless alphabet.
    return hashlib.sha256(text.encode()).hexdigest()[:size]


@dataclass(frozen=True)
class PlannedPhoto:
    """Where an accepted photo will be kept (``path`` relative to :func:`photos_root`)."""

    path: str
    photo: Photo


def photos_plan(submission: str, line_id: str, photos: Sequence[Photo]) -> list[PlannedPhoto]:
    """Paths for a line's photos, fixed before the return exists so the return can name them
    (``submission`` is the form's submission key: the same submission, the same paths)."""
    folder = f"returns/{_digest(submission, 24)}"
    return [
        PlannedPhoto(f"{folder}/{_digest(line_id, 12)}-{n}.{photo.extension}", photo)
        for n, photo in enumerate(photos, start=1)
    ]


def photos_write(planned: Sequence[PlannedPhoto]) -> None:
    """Write the photos to disk (once the return that names them is committed)."""
    root = photos_root()
    for item in planned:
        target = root / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.photo.data)


def photos_delete(paths: Iterable[str]) -> int:
    """Remove kept photos (paths as return lines list them) and the folders they leave empty; how
    many files were removed. Anything that is not a file under the photos' folder (a URL, a path
    that climbs out) is left alone."""
    folder = (photos_root() / "returns").resolve()
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
        with contextlib.suppress(OSError):  # not empty yet: the submission's other photos
            target.parent.rmdir()
    return removed
