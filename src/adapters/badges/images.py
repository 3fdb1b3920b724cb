"""Badge images: a PNG drawn with Pillow, an SVG from a template, QR codes with ``qrcode``."""

from __future__ import annotations

import io
import textwrap
from html import escape

import qrcode
import qrcode.image.svg
from PIL import Image, ImageDraw, ImageFont

SIZE = 400
LINE_CHARACTERS = 18
MAX_LINES = 4


def _lines(title: str) -> list[str]:
    lines = textwrap.wrap(title, LINE_CHARACTERS) or [""]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][: LINE_CHARACTERS - 1] + "…"]
    return lines


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


class BadgeImages:
    """The ``Images`` port."""

    def png(self, title: str, subtitle: str, colours: tuple[str, ...]) -> bytes:
        background, ink = _rgb(colours[0]), _rgb(colours[1])
        image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        draw.ellipse((8, 8, SIZE - 8, SIZE - 8), fill=background, outline=ink, width=10)
        font = ImageFont.load_default(size=30)
        small = ImageFont.load_default(size=20)
        lines = _lines(title)
        top = SIZE // 2 - len(lines) * 19
        for number, line in enumerate(lines):
            draw.text((SIZE // 2, top + number * 38), line, fill=ink, font=font, anchor="mm")
        draw.text((SIZE // 2, SIZE - 80), subtitle, fill=ink, font=small, anchor="mm")
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()

    def svg(self, title: str, subtitle: str, colours: tuple[str, ...]) -> str:
        background, ink = escape(colours[0]), escape(colours[1])
        lines = _lines(title)
        top = SIZE // 2 - len(lines) * 19 + 10
        text = "".join(
            f'<text x="{SIZE // 2}" y="{top + n * 38}" font-size="30" text-anchor="middle" '
            f'fill="{ink}" font-family="sans-serif">{escape(line)}</text>'
            for n, line in enumerate(lines)
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
            f'viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>"
            f'<circle cx="{SIZE // 2}" cy="{SIZE // 2}" r="{SIZE // 2 - 13}" fill="{background}" '
            f'stroke="{ink}" stroke-width="10"/>{text}'
            f'<text x="{SIZE // 2}" y="{SIZE - 74}" font-size="20" text-anchor="middle" '
            f'fill="{ink}" font-family="sans-serif">{escape(subtitle)}</text></svg>'
        )

    def qr_png(self, text: str) -> bytes:
        out = io.BytesIO()
        qrcode.make(text, border=2).save(out)
        return out.getvalue()

    def qr_svg(self, text: str) -> str:
        image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
        svg: str = image.to_string(encoding="unicode")
        return svg
