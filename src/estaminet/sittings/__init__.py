"""Assembly sittings on the web: preparing an AG, the sitting page, the projector, the minutes.

The rules of a sitting are pure (:mod:`estaminet.assembly`); this package is
their shell: it reads the preparation form, creates and seats the live
activity, and words the minutes once (:func:`minutes_document`), then renders
them as Markdown and PDF. The live screens
reuse the game tables' per-viewer machinery (:mod:`estaminet.tables`).
"""

from estaminet.sittings.convocation import Convocation, read_convocation
from estaminet.sittings.minutes_document import MinutesDocument, minutes_document
from estaminet.sittings.minutes_markdown import minutes_markdown
from estaminet.sittings.minutes_pdf import minutes_pdf
from estaminet.sittings.order_text import parse_order_of_business

__all__ = [
    "Convocation",
    "MinutesDocument",
    "minutes_document",
    "minutes_markdown",
    "minutes_pdf",
    "parse_order_of_business",
    "read_convocation",
]
