"""The minutes as PDF, drawn with fpdf2 from :class:`.MinutesDocument` (never from Markdown).

Labels are set in bold and values in roman on the same line, ties in bold,
quotes in italics: the emphasis comes from the document's structure, so a
person's ``*stars*`` print as stars. A Unicode TrueType font (DejaVu Sans,
from the system's ``fonts-dejavu-core``) is used when present, so that
every French character prints; without it the PDF falls back to the
standard Helvetica with Latin-1 text (œ becomes oe, curly quotes become
straight ones), never to an error.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from fpdf import FPDF

from estaminet.sittings.minutes_document import DecisionRecord, Field, MinutesDocument

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

_BODY = 10.0
_LINE = _BODY * 0.5


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
        text = unicodedata.normalize("NFC", text)
        if self.unicode:
            return text
        return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    def block(
        self, text: str, size: float = _BODY, style: str = "", indent: float = 0, gap: float = 1.5
    ) -> None:
        """A paragraph in one style."""
        self.set_font(self.family, style, size)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, size * 0.5, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)

    def section(self, heading: str) -> None:
        """A second-level heading, with room above it."""
        self.ln(2)
        self.block(heading, 14, "B", gap=2)

    def runs(self, runs: list[tuple[str, str]], indent: float = 0, bullet: bool = True) -> None:
        """One line of text in several styles (a bold label, then its value), wrapped."""
        margin = self.l_margin
        self.set_left_margin(margin + indent + (4 if bullet else 0))
        self.set_x(margin + indent)
        if bullet:
            self.set_font(self.family, "", _BODY)
            self.cell(4, _LINE, self.clean("•"))
        for style, text in runs:
            self.set_font(self.family, style, _BODY)
            self.write(_LINE, self.clean(text))
        self.ln(_LINE + 0.5)
        self.set_left_margin(margin)

    def field(self, field: Field, indent: float = 4) -> None:
        self.runs([("B", field.label + " "), ("", field.value)], indent)

    def text_line(self, text: str, style: str = "", indent: float = 4) -> None:
        self.runs([(style, text)], indent)


def _decision(pdf: _Minutes, decision: DecisionRecord) -> None:
    pdf.ln(1)
    pdf.block(decision.heading, 11, "B")
    if decision.wording:
        pdf.block(decision.wording, _BODY, "I", indent=8)
    for field in decision.fields:
        pdf.field(field)
    for line in decision.counts:
        pdf.text_line(line)
    for field in decision.objections:
        pdf.field(field)
    pdf.text_line(decision.verdict, "B" if decision.tie else "")
    if decision.next_step:
        pdf.text_line(decision.next_step)
    if decision.ballots_label is not None:
        pdf.text_line(decision.ballots_label)
        for field in decision.ballots:
            pdf.field(field, indent=10)
    pdf.ln(1.5)


def minutes_pdf(document: MinutesDocument) -> bytes:
    """An A4 PDF of the minutes."""
    pdf = _Minutes()
    pdf.set_title(pdf.clean(document.title))
    pdf.set_creator("Estaminet")
    pdf.block(document.heading, 17, "B", gap=3)
    for field in document.facts:
        pdf.field(field)
    pdf.section(document.attendance_heading)
    for field in document.attendance:
        pdf.field(field)
    pdf.section(document.agenda_heading)
    for entry in document.agenda:
        pdf.text_line(f"{entry.number}. {entry.title}", indent=4 + 6 * entry.depth)
    for item in document.items:
        pdf.ln(2)
        pdf.block(item.heading, 12 if item.depth == 0 else 11, "B")
        if not item.discussed:
            pdf.block(document.not_discussed, _BODY, "I")
            continue
        for note in item.notes:
            pdf.block(note)
        if item.speakers is not None:
            pdf.runs([("B", item.speakers.label + " "), ("", item.speakers.value)], bullet=False)
            pdf.ln(1)
        for decision in item.decisions:
            _decision(pdf, decision)
    if document.other_decisions:
        pdf.section(document.other_heading)
        for decision in document.other_decisions:
            _decision(pdf, decision)
    pdf.section(document.signatures_heading)
    for field in document.signatures:
        pdf.field(field)
    return bytes(pdf.output())
