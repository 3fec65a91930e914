"""The CSV format of question sets: one question per row under a header; all rows or none.

The header names the columns (any order; ``;`` or ``,`` between them, as a
spreadsheet saves them; UTF-8, or Windows-1252 as older spreadsheets do):

========== ================================================================
question   the question's text (required)
type       ``choix`` (choices) or ``libre`` (free answer); required
choix1…6   the choices of a ``choix`` question (2 to 6, the empty ones left out)
bonnes     the numbers of the right choices, ``2`` or ``1|3``
acceptees  the accepted answers of a ``libre`` question, ``Mons|Bergen``
secondes   the time to answer, 5 to 120 (empty: 20)
========== ================================================================

A bad row stops the import: the problem names the row as the spreadsheet
numbers it (the header is row 1) and says why; nothing is kept. Pure: no I/O.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from estaminet.games.quiz import DEFAULT_SECONDS, MAX_CHOICES, MAX_QUESTIONS, check_question
from estaminet.kernel.activity import Rejection
from estaminet.kernel.i18n import N_

__all__ = ["COLUMNS", "CSV_MESSAGES", "EXAMPLE", "CsvProblem", "parse_csv"]

COLUMNS = (
    "question",
    "type",
    *(f"choix{n}" for n in range(1, MAX_CHOICES + 1)),
    "bonnes",
    "acceptees",
    "secondes",
)
_KINDS = {"choix": "choice", "choice": "choice", "libre": "free", "free": "free"}

CSV_MESSAGES: dict[str, str] = {
    "quiz/csv_empty": N_("The file is empty."),
    "quiz/csv_encoding": N_("The file cannot be read: save it as CSV (UTF-8)."),
    "quiz/csv_header": N_(
        "The first row must name the columns: question, type, choix1 … choix6, bonnes, "
        "acceptees, secondes (see the example)."
    ),
    "quiz/csv_unknown_column": N_("Unknown column “%(column)s” (see the example)."),
    "quiz/csv_no_rows": N_("The file has no question under its header."),
    "quiz/csv_too_many": N_("A question set has at most %(max)s questions."),
    "quiz/csv_bad_type": N_("The type must be “choix” or “libre”, not “%(value)s”."),
    "quiz/csv_bad_right": N_("“bonnes” must be numbers of choices, like 2 or 1|3."),
    "quiz/csv_bad_seconds": N_("“secondes” must be a whole number."),
    "quiz/csv_extra_cells": N_("This row has more cells than the header has columns."),
}

EXAMPLE = (
    "question;type;choix1;choix2;choix3;choix4;choix5;choix6;bonnes;acceptees;secondes\n"
    "Quelle ville belge est surnommée la Cité ardente ?;choix;Namur;Liège;Charleroi;Mons;;;2;;20\n"
    "Combien font septante plus vingt ?;choix;Huitante;Nonante;Cent;;;;2;;15\n"
    "Dans quelle ville se déroule la ducasse du Doudou ?;libre;;;;;;;;Mons|Bergen;20\n"
    "Le Manneken-Pis se trouve à Bruxelles.;choix;Vrai;Faux;;;;;1;;10\n"
)
"""The downloadable example (semicolons, as a Belgian spreadsheet saves CSV)."""


@dataclass(frozen=True)
class CsvProblem:
    """Why the file was refused; ``row`` as the spreadsheet numbers it (``None``: the file)."""

    rejection: Rejection
    row: int | None = None


def _text(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _cell(row: Mapping[Any, Any], name: str) -> str:
    value = row.get(name)
    return value.strip() if isinstance(value, str) else ""


def _question(row: Mapping[Any, Any]) -> dict[str, Any] | Rejection:
    if row.get(None):  # csv.DictReader puts cells beyond the header under None
        return Rejection("quiz/csv_extra_cells")
    kind_text = _cell(row, "type").casefold()
    kind = _KINDS.get(kind_text)
    if kind is None:
        return Rejection("quiz/csv_bad_type", {"value": _cell(row, "type")})
    seconds_text = _cell(row, "secondes")
    if seconds_text and not seconds_text.isdigit():
        return Rejection("quiz/csv_bad_seconds")
    raw: dict[str, Any] = {
        "text": _cell(row, "question"),
        "kind": kind,
        "seconds": int(seconds_text) if seconds_text else DEFAULT_SECONDS,
        "media": None,
    }
    if kind == "choice":
        raw["choices"] = [
            _cell(row, f"choix{n}") for n in range(1, MAX_CHOICES + 1) if _cell(row, f"choix{n}")
        ]
        parts = [p.strip() for p in _cell(row, "bonnes").replace(",", "|").split("|") if p.strip()]
        if not all(p.isdigit() and len(p) <= 2 for p in parts):
            return Rejection("quiz/csv_bad_right")
        raw["right"] = [int(p) - 1 for p in parts]
    else:
        raw["accepted"] = [a.strip() for a in _cell(row, "acceptees").split("|") if a.strip()]
    return check_question(raw)


def parse_csv(data: bytes) -> list[dict[str, Any]] | CsvProblem:
    """Every question of the file, checked, or the first problem and its row."""
    text = _text(data)
    if text is None:
        return CsvProblem(Rejection("quiz/csv_encoding"))
    if not text.strip():
        return CsvProblem(Rejection("quiz/csv_empty"))
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [(name or "").strip().casefold() for name in reader.fieldnames or []]
    for name in header:
        if name and name not in COLUMNS:
            return CsvProblem(Rejection("quiz/csv_unknown_column", {"column": name}), 1)
    if "question" not in header or "type" not in header:
        return CsvProblem(Rejection("quiz/csv_header"), 1)
    reader.fieldnames = header
    questions: list[dict[str, Any]] = []
    try:
        for number, row in enumerate(reader, start=2):
            if not any(_cell(row, name) for name in header if name) and not row.get(None):
                continue  # a blank line
            if len(questions) >= MAX_QUESTIONS:
                return CsvProblem(Rejection("quiz/csv_too_many", {"max": MAX_QUESTIONS}), number)
            checked = _question(row)
            if isinstance(checked, Rejection):
                return CsvProblem(checked, number)
            questions.append(checked)
    except csv.Error:
        return CsvProblem(Rejection("quiz/csv_encoding"))
    if not questions:
        return CsvProblem(Rejection("quiz/csv_no_rows"))
    return questions
