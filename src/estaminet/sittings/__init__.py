"""Assembly sittings on the web: preparing an AG, the sitting page, the projector, the minutes.

The rules of a sitting are pure (:mod:`estaminet.assembly`); this package is
their shell: it reads the preparation form, creates and seats the live
activity, and renders the minutes as Markdown and PDF. The live screens
reuse the game tables' per-viewer machinery (:mod:`estaminet.tables`).
"""

from estaminet.sittings.agenda_text import parse_agenda
from estaminet.sittings.convocation import Convocation, read_convocation
from estaminet.sittings.minutes_markdown import minutes_markdown
from estaminet.sittings.minutes_pdf import minutes_pdf

__all__ = [
    "Convocation",
    "minutes_markdown",
    "minutes_pdf",
    "parse_agenda",
    "read_convocation",
]
