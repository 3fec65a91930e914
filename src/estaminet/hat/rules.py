"""The solidarity hat's pure rules: a cause's fields, an amount, the structured communication,
the EPC payload's fields, a bank's CSV export read and matched to pledges.

No I/O, no clock, no randomness: the service draws a pledge's number and gives it here. The
checksums are the libraries' (``python-stdnum``: IBAN, BIC, the Belgian OGM-VCS).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.be import ogm_vcs
from stdnum.exceptions import ValidationError

from estaminet.kernel.errors import BadInput
from estaminet.kernel.i18n import N_
from estaminet.kernel.storable import is_storable_text
from estaminet.venue.markdown import strip_bidi_controls

__all__ = [
    "MAX_BENEFICIARY",
    "MAX_GOAL_CENTS",
    "MAX_IMPORT_ROWS",
    "MAX_NAME",
    "MAX_TEXT",
    "SEPA_COUNTRIES",
    "BankRow",
    "ImportReport",
    "PledgeStatus",
    "Progress",
    "check_beneficiary",
    "check_bic",
    "check_goal",
    "check_iban",
    "check_name",
    "check_pledge_amount",
    "check_text",
    "decode_bank_file",
    "format_iban",
    "match_rows",
    "parse_bank_csv",
    "parse_euros",
    "progress",
    "read_reference",
    "structured_communication",
]

MAX_NAME = 80
MAX_TEXT = 2000
MAX_BENEFICIARY = 70
"""The EPC QR code holds a beneficiary name of at most 70 characters."""
MAX_GOAL_CENTS = 100_000_000
"""A goal of at most one million euros (kept in cents, within a 32-bit integer)."""
MAX_IMPORT_ROWS = 20_000

SEPA_COUNTRIES = frozenset(
    [
        "AD",
        "AT",
        "BE",
        "BG",
        "CH",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GB",
        "GI",
        "GR",
        "HR",
        "HU",
        "IE",
        "IS",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MC",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "SM",
        "VA",
    ]
)
"""The countries of the SEPA scheme: an EPC QR code pays an IBAN of one of them."""


class PledgeStatus(StrEnum):
    PLEDGED = "pledged"
    """Promised: the person has the QR code; nobody has seen the money yet."""
    RECEIVED = "received"
    """A treasurer saw the transfer on the account (by hand, or from the bank's export)."""


def _clean(raw: object) -> str:
    return strip_bidi_controls(raw if isinstance(raw, str) else "").strip()


def _bounded(raw: object, most: int, *, required: bool, what: str) -> str:
    text = " ".join(_clean(raw).split()) if what != "text" else _clean(raw)
    if not is_storable_text(text):
        raise BadInput("hat/unreadable", N_("This text contains characters that cannot be kept."))
    if required and not text:
        raise BadInput("hat/required", N_("Please fill in every field marked as required."))
    if len(text) > most:
        raise BadInput(
            "hat/too_long",
            N_("At most %(max)s characters here (this has %(length)s)."),
            max=most,
            length=len(text),
        )
    return text


def check_name(raw: object) -> str:
    """The cause's name (« La casa sin papel »)."""
    return _bounded(raw, MAX_NAME, required=True, what="name")


def check_text(raw: object) -> str:
    """What the cause is, in a few paragraphs (may be empty)."""
    return _bounded(raw, MAX_TEXT, required=False, what="text")


def check_beneficiary(raw: object) -> str:
    """The account holder's name, as the bank knows it (it goes into the QR code)."""
    return _bounded(raw, MAX_BENEFICIARY, required=True, what="beneficiary")


def check_iban(raw: object) -> str:
    """A valid IBAN of a SEPA country, compact (``BE68539007547034``).

    The country's format and the mod-97 check digits are ``python-stdnum``'s; the national
    extra checks are left out (a bank code missing from its list would refuse a real account).
    """
    text = _clean(raw)
    try:
        compact = str(stdnum_iban.validate(text, check_country=False))
    except ValidationError:
        raise BadInput(
            "hat/bad_iban",
            N_(
                "This IBAN is not valid: check it letter by letter (for example BE68 5390 0754 7034)."
            ),
        ) from None
    if compact[:2] not in SEPA_COUNTRIES:
        raise BadInput(
            "hat/iban_not_sepa",
            N_("This account is outside the SEPA area: banking apps cannot pay it by QR code."),
        )
    return compact


def format_iban(compact: str) -> str:
    """``BE68 5390 0754 7034``: in groups of four, as on a bank card."""
    return str(stdnum_iban.format(compact))


def check_bic(raw: object) -> str | None:
    """The BIC, optional (an EPC QR code of version 002 does without it in the SEPA area)."""
    text = _clean(raw)
    if not text:
        return None
    try:
        return str(stdnum_bic.validate(text))
    except ValidationError:
        raise BadInput(
            "hat/bad_bic",
            N_("This BIC is not valid (8 or 11 letters and digits, for example GEBABEBB)."),
        ) from None


_EUROS = re.compile(r"^([+-]?)(\d{1,12})(?:[.,](\d{1,2}))?$")


def parse_euros(raw: object) -> int:
    """An amount typed in euros (``12``, ``12,5``, ``12.50``, ``1 000``, ``12 €``) in cents."""
    text = _clean(raw).replace("€", "").replace("EUR", "").replace("eur", "")
    text = "".join(text.split()).replace("\u202f", "").replace("'", "")
    # 1.234,56 (Belgian) or 1,234.56: a separator followed by three digits and another one.
    if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d{1,2})?", text):
        text = text.replace(".", "")
    elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d{1,2})?", text):
        text = text.replace(",", "")
    found = _EUROS.match(text)
    if not found:
        raise BadInput(
            "hat/bad_amount",
            N_("Type an amount in euros, for example 10 or 7,50."),
        )
    sign, whole, cents = found.groups()
    value = int(whole) * 100 + int((cents or "0").ljust(2, "0"))
    return -value if sign == "-" else value


def check_pledge_amount(raw: object, max_cents: int) -> int:
    """A pledge's amount in cents: more than zero, at most ``max_cents``."""
    cents = parse_euros(raw)
    if cents <= 0:
        raise BadInput(
            "hat/amount_not_positive",
            N_("The amount must be more than zero euros."),
        )
    if cents > max_cents:
        raise BadInput(
            "hat/amount_too_large",
            N_("At most %(max)s € per pledge here: for more, speak to the treasurer."),
            max=f"{max_cents // 100}",
        )
    return cents


def check_goal(raw: object) -> int:
    """The cause's goal in cents (more than zero, at most a million euros)."""
    cents = parse_euros(raw)
    if cents <= 0 or cents > MAX_GOAL_CENTS:
        raise BadInput(
            "hat/bad_goal",
            N_("The goal is an amount in euros, between 1 and 1 000 000."),
        )
    return cents


def structured_communication(number: int) -> str:
    """The Belgian structured communication of a 10-digit ``number``:
    ``+++123/4567/89002+++`` (its check digits are the number modulo 97, 97 for 0)."""
    if not 0 < number < 10**10:
        raise ValueError("a structured communication holds a number of 1 to 10 digits")
    base = f"{number:010d}"
    digits = base + str(ogm_vcs.calc_check_digits(base))
    return f"+++{ogm_vcs.format(digits)}+++"


_REFERENCE = re.compile(r"(?<!\d)(\d{3})\s*/?\s*(\d{4})\s*/?\s*(\d{5})(?!\d)")


def read_reference(text: str) -> str | None:
    """The first valid structured communication found in ``text`` (a bank statement's
    communication: ``+++010/8068/17183+++``, ``***…***`` or the 12 digits alone), as 12 digits."""
    for found in _REFERENCE.finditer(text):
        digits = "".join(found.groups())
        if ogm_vcs.is_valid(digits):
            return digits
    return None


@dataclass(frozen=True)
class Progress:
    goal_cents: int
    pledged_cents: int
    """Every pledge, received or not."""
    received_cents: int
    """What a treasurer saw arrive (only this is « reçu »)."""
    pledges: int
    received: int

    @property
    def received_percent(self) -> int:
        return min(100, self.received_cents * 100 // self.goal_cents) if self.goal_cents else 0

    @property
    def pledged_percent(self) -> int:
        """The whole bar (received and still only promised), at most 100."""
        return min(100, self.pledged_cents * 100 // self.goal_cents) if self.goal_cents else 0

    @property
    def waiting_percent(self) -> int:
        """The promised part not received yet, as drawn after the received part."""
        return max(0, self.pledged_percent - self.received_percent)


def progress(goal_cents: int, pledges: list[tuple[int, PledgeStatus, int | None]]) -> Progress:
    """The hat's progress from its pledges: ``(amount, status, amount received)``; a received
    pledge counts what the bank showed (or its amount when marked by hand)."""
    pledged = sum(amount for amount, _, _ in pledges)
    received = [
        got if got is not None else amount
        for amount, status, got in pledges
        if status is PledgeStatus.RECEIVED
    ]
    return Progress(goal_cents, pledged, sum(received), len(pledges), len(received))


# -- a bank's CSV export -----------------------------------------------------------------


@dataclass(frozen=True)
class BankRow:
    line: int
    """The row's line in the file (1 is the header)."""
    amount_cents: int
    reference: str | None
    """The structured communication found in the row, as 12 digits."""
    counterparty: str


_AMOUNT_HEADERS = ("montant", "bedrag", "amount", "betrag")
_COMMUNICATION_HEADERS = (
    "communication",
    "communications",
    "mededeling",
    "mededelingen",
    "message",
    "détails",
    "details",
    "omschrijving",
    "description",
    "libellé",
)
_COUNTERPARTY_HEADERS = (
    "nom de la contrepartie",
    "nom contrepartie contient",
    "nom contrepartie",
    "naam tegenpartij",
    "naam van de tegenpartij",
    "tegenpartij",
    "contrepartie",
    "counterparty",
    "counterparty name",
    "naam",
)


def decode_bank_file(data: bytes) -> str:
    """A bank's export as text: UTF-8 (with or without its mark), else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _column(header: list[str], names: tuple[str, ...]) -> list[int]:
    """The columns named one of ``names``, in the order of ``names`` (the likeliest first)."""
    normal = [h.strip().strip('"').casefold() for h in header]
    return [i for name in names for i, h in enumerate(normal) if h == name]


def _bank_amount(raw: str, line: int) -> int:
    try:
        return parse_euros(raw)
    except BadInput:
        pass
    try:
        value = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        value = None
    if value is None or value != value.quantize(Decimal("0.01")):
        raise BadInput(
            "hat/import_bad_amount",
            N_(
                "Line %(line)s of the file: the amount « %(value)s » cannot be read. Nothing was imported."
            ),
            line=line,
            value=raw[:40],
        )
    return int(value * 100)


def parse_bank_csv(text: str) -> list[BankRow]:
    """Read a Belgian bank's account export (BNP Paribas Fortis, Belfius, KBC, ING, Argenta
    and others share this shape): a header row, then one row per transaction, separated by
    ``;`` (or ``,``); the amount in a column named *Montant* / *Bedrag* / *Amount*, the
    communication in *Communication(s)* / *Mededeling* / *Détails* / *Omschrijving* (every
    such column is read), the payer in *Nom de la contrepartie* / *Naam tegenpartij*.

    A file that does not have this shape, or a row that cannot be read, is refused whole,
    naming the line (:class:`BadInput`): nothing is imported from a half-read file.
    """
    lines = text.splitlines()
    # Some exports put a few lines about the account before the header: skip to the header.
    start = next(
        (
            i
            for i, row in enumerate(lines[:20])
            if any(name in row.casefold() for name in _AMOUNT_HEADERS)
        ),
        None,
    )
    if start is None:
        raise BadInput(
            "hat/import_no_header",
            N_(
                "This file is not a bank export we can read: no column « Montant » (or "
                "« Bedrag », « Amount ») in its first lines. Nothing was imported."
            ),
        )
    body = "\n".join(lines[start:])
    delimiter = ";" if lines[start].count(";") >= lines[start].count(",") else ","
    reader = csv.reader(io.StringIO(body), delimiter=delimiter, quotechar='"', strict=True)
    try:
        header = next(reader)
    except (csv.Error, StopIteration):
        header = []
    amount_at = _column(header, _AMOUNT_HEADERS)
    said_at = _column(header, _COMMUNICATION_HEADERS)
    payer_at = _column(header, _COUNTERPARTY_HEADERS)
    if not amount_at or not said_at:
        raise BadInput(
            "hat/import_no_columns",
            N_(
                "This file has no column for the amount or for the communication: is it "
                "the account's export as CSV? Nothing was imported."
            ),
        )
    rows: list[BankRow] = []
    width = len(header)
    line = start + 1
    try:
        for record in reader:
            line = start + reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise BadInput(
                    "hat/import_too_long",
                    N_("This file has more than %(max)s rows: export a shorter period."),
                    max=MAX_IMPORT_ROWS,
                )
            if len(record) < width:
                # A trailing empty column left out is fine; a missing amount is not.
                record = record + [""] * (width - len(record))
                if not record[amount_at[0]].strip():
                    raise _row_error(line)
            if len(record) > width + 1:
                raise _row_error(line)
            if not is_storable_text("".join(record)):
                raise _row_error(line)
            said = " ".join(record[i] for i in said_at)
            rows.append(
                BankRow(
                    line=line,
                    amount_cents=_bank_amount(record[amount_at[0]], line),
                    reference=read_reference(said),
                    counterparty=" ".join(record[payer_at[0]].split())[:70] if payer_at else "",
                )
            )
    except csv.Error:
        raise _row_error(line + 1) from None
    return rows


def _row_error(line: int) -> BadInput:
    return BadInput(
        "hat/import_bad_row",
        N_(
            "Line %(line)s of the file does not have the columns of the header. "
            "Nothing was imported: check the file, or export it again."
        ),
        line=line,
    )


@dataclass(frozen=True)
class ImportReport:
    matched: list[tuple[BankRow, int]]
    """Rows that pay a pledge still waiting: ``(row, pledge id)``; these are marked received."""
    already: list[tuple[BankRow, int]]
    """Rows for a pledge already marked received (counted once)."""
    unmatched: list[BankRow]
    """Money in whose communication names no pledge of this hat."""
    outgoing: int
    """Rows of money going out (ignored)."""


def match_rows(rows: list[BankRow], pledges: dict[str, tuple[int, PledgeStatus]]) -> ImportReport:
    """Match a bank export's rows to the hat's pledges (``reference → (id, status)``)."""
    matched: list[tuple[BankRow, int]] = []
    already: list[tuple[BankRow, int]] = []
    unmatched: list[BankRow] = []
    outgoing = 0
    seen: set[int] = set()
    for row in rows:
        if row.amount_cents <= 0:
            outgoing += 1
            continue
        found = pledges.get(row.reference) if row.reference else None
        if found is None:
            unmatched.append(row)
            continue
        pledge_id, status = found
        if status is PledgeStatus.RECEIVED or pledge_id in seen:
            already.append((row, pledge_id))
            continue
        seen.add(pledge_id)
        matched.append((row, pledge_id))
    return ImportReport(matched, already, unmatched, outgoing)
