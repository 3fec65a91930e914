"""The minutes as PDF, drawn with fpdf2 from their Markdown text.

A Unicode TrueType font (DejaVu Sans, from the system's ``fonts-dejavu-core``)
is used when present, so that every French character prints; without it the
PDF falls back to the standard Helvetica with Latin-1 text (œ becomes oe,
curly quotes become straight ones), never to an error.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from fpdf import FPDF

__all__ = ["FONT_DIRS", "minutes_pdf"]

FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)
"""Where the DejaVu Sans font files are looked for."""

_LATIN1 = str.maketrans(
    {
        "œ": "oe", "Œ": "OE", "’": "'", "‘": "'", "“": '"', "”": '"',
        "–": "-", "—": "-", "…": "...", "€": "EUR", "\u202f": " ", "−": "-",
    }
)  # fmt: skip
_UNESCAPE = re.compile(r"\\([\\*_#])")


def _font_dir() -> Path | None:
    for folder in FONT_DIRS:
        if (folder / "DejaVuSans.ttf").is_file() and (folder / "DejaVuSans-Bold.ttf").is_file():
            return folder
    return None


class _Minutes(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        folder = _font_dir()
        self.unicode = folder is not None
        if folder is not None:
            self.add_font("Body", "", str(folder / "DejaVuSans.ttf"))
            self.add_font("Body", "B", str(folder / "DejaVuSans-Bold.ttf"))
            oblique = folder / "DejaVuSans-Oblique.ttf"
            self.add_font(
                "Body", "I", str(oblique if oblique.is_file() else folder / "DejaVuSans.ttf")
            )
            self.family = "Body"
        else:
            self.family = "Helvetica"
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, 18)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 6, str(self.page_no()), align="C")

    def clean(self, text: str) -> str:
        text = unicodedata.normalize("NFC", _UNESCAPE.sub(r"\1", text))
        if self.unicode:
            return text
        return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    def block(
        self, text: str, size: float, style: str = "", indent: float = 0, gap: float = 1.5
    ) -> None:
        self.set_font(self.family, style, size)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, size * 0.5, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)


def minutes_pdf(markdown: str, title: str = "") -> bytes:
    """An A4 PDF of the Markdown minutes (headings, lists, quotes, bold and italic lines)."""
    pdf = _Minutes()
    pdf.set_title(pdf.clean(title))
    pdf.set_creator("Estaminet")
    for line in markdown.splitlines():
        stripped = line.strip()
        if not stripped:
            pdf.ln(1.5)
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        if stripped.startswith("# "):
            pdf.block(stripped[2:], 17, "B", gap=3)
        elif stripped.startswith("## "):
            pdf.ln(2)
            pdf.block(stripped[3:], 14, "B", gap=2)
        elif stripped.startswith("#"):
            pdf.ln(1)
            pdf.block(stripped.lstrip("#").strip(), 12, "B")
        elif stripped.startswith("- "):
            pdf.block("•  " + stripped[2:], 10, indent=4 + 6 * depth, gap=0.5)
        elif stripped.startswith("> "):
            pdf.block(stripped[2:], 10, "I", indent=8)
        elif stripped.startswith("**") and stripped.endswith("**"):
            pdf.block(stripped[2:-2], 11, "B")
        elif stripped.startswith("_") and stripped.endswith("_"):
            pdf.block(stripped[1:-1], 10, "I")
        else:
            pdf.block(stripped, 10)
    return bytes(pdf.output())
