"""Small, real photos for the demo's claims: JPEGs drawn with Pillow (a parcel with a crushed
corner, a cracked item, the wrong item in its box), deterministic for a given ``seed`` so that
seeding twice gives the same bytes (and the claim service sees the same evidence)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

#: What each picture shows, drawn by :func:`claim_photo`.
SCENES = ("crushed_box", "cracked_item", "wrong_item", "label")


def claim_photo(scene: str, *, seed: int = 0, size: tuple[int, int] = (480, 360)) -> bytes:
    """A JPEG of ``scene`` (one of :data:`SCENES`): a few kilobytes, decodable by any browser and by
    the claim service's photo check."""
    rng = random.Random(f"{scene}:{seed}")
    width, height = size
    image = Image.new("RGB", size, (232, 226, 214))
    draw = ImageDraw.Draw(image)
    # A table top with some grain, so the JPEG is not a flat colour.
    for y in range(0, height, 6):
        shade = 200 + rng.randint(-12, 12)
        draw.line([(0, y), (width, y + rng.randint(-3, 3))], fill=(shade, shade - 20, shade - 45), width=3)
    box = (width // 5, height // 4, width * 4 // 5, height * 4 // 5)
    cardboard = (176, 132, 82)
    if scene == "crushed_box":
        left, top, right, bottom = box
        dent = rng.randint(30, 60)
        draw.polygon(
            [(left, top + dent), (left + dent, top), (right, top), (right, bottom), (left, bottom)],
            fill=cardboard,
        )
        draw.line([(left, top + dent), (left + dent, top)], fill=(90, 60, 30), width=4)
        draw.line([(left + 10, top + dent + 20), (left + dent + 40, top + 10)], fill=(120, 85, 45), width=3)
        draw.rectangle((left + 20, bottom - 60, left + 140, bottom - 20), fill=(250, 250, 250))
    elif scene == "cracked_item":
        draw.ellipse(box, fill=(70, 110, 150), outline=(30, 40, 60), width=4)
        x, y = (box[0] + box[2]) // 2, box[1]
        points = [(x, y)]
        for _ in range(7):
            x += rng.randint(-25, 25)
            y += (box[3] - box[1]) // 8
            points.append((x, y))
        draw.line(points, fill=(245, 245, 245), width=5)
    elif scene == "wrong_item":
        draw.rectangle(box, fill=cardboard, outline=(90, 60, 30), width=4)
        inner = (box[0] + 30, box[1] + 30, box[2] - 30, box[3] - 30)
        draw.rectangle(inner, fill=(190, 40, 60))
        draw.text((inner[0] + 10, inner[1] + 10), "SKU ?", fill=(255, 255, 255))
    else:
        draw.rectangle(box, fill=(250, 250, 250), outline=(60, 60, 60), width=3)
        for row in range(5):
            y = box[1] + 20 + row * 22
            draw.line([(box[0] + 20, y), (box[2] - 20 - rng.randint(0, 80), y)], fill=(40, 40, 40), width=6)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()
