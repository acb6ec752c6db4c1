"""The CJK font documents are drawn with: Debian's fonts-wqy-zenhei unless set.

A fax of a Chinese statement drawn without a CJK font would be boxes, so a
missing font is an error that says what to install, never a silent fallback.
"""

from __future__ import annotations

from pathlib import Path

DEBIAN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


class FontMissing(Exception):
    """No CJK font: the message says which package or setting fixes it."""


def find_font(configured: str = "") -> Path:
    """The font file to use: [fax] font when set, else the first Debian CJK font present."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(f"[fax] font = {configured!r}: no such file; set it to a .ttf or "
                              ".ttc with Chinese glyphs, or \"\" for Debian's fonts-wqy-zenhei")
        return path
    for candidate in DEBIAN_FONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing("no CJK font for fax documents: install Debian's fonts-wqy-zenhei "
                      "(apt-get install fonts-wqy-zenhei) or set [fax] font to a .ttf/.ttc "
                      "with Chinese glyphs")
