"""The CSV format: every row or none; a bad row is named with its reason."""

from __future__ import annotations

import pytest

from estaminet.games.quiz import REJECTION_MESSAGES
from estaminet.quizzes.csvformat import CSV_MESSAGES, EXAMPLE, CsvProblem, parse_csv

HEADER = "question;type;choix1;choix2;choix3;bonnes;acceptees;secondes\n"


def test_csvformat_the_example_imports_whole() -> None:
    questions = parse_csv(EXAMPLE.encode("utf-8-sig"))
    assert not isinstance(questions, CsvProblem)
    assert [q["kind"] for q in questions] == ["choice", "choice", "free", "choice"]
    assert questions[0]["right"] == [1] and questions[0]["choices"][1] == "Liège"
    assert questions[2]["accepted"] == ["Mons", "Bergen"]
    assert questions[3]["seconds"] == 10


def test_csvformat_commas_windows_1252_and_several_right_choices() -> None:
    text = "question,type,choix1,choix2,choix3,bonnes\nQui est né à Liège ?,choix,Simenon,Brel,Grétry,1|3\n"
    questions = parse_csv(text.encode("cp1252"))
    assert not isinstance(questions, CsvProblem)
    assert questions[0]["right"] == [0, 2] and questions[0]["choices"][2] == "Grétry"
    assert questions[0]["seconds"] == 20


@pytest.mark.parametrize(
    ("body", "row", "code"),
    [
        ("Q1;choix;a;b;;1;;\nQ2;peut-être;a;b;;1;;\n", 3, "quiz/csv_bad_type"),
        ("Q1;choix;a;b;;1;;\nQ2;choix;a;b;;3;;\n", 3, "quiz/bad_right_choice"),
        ("Q1;choix;a;b;;deux;;\n", 2, "quiz/csv_bad_right"),
        ("Q1;libre;;;;;;\n", 2, "quiz/accepted_count"),
        ("Q1;choix;a;;;1;;\n", 2, "quiz/choice_count"),
        (";choix;a;b;;1;;\n", 2, "quiz/text_empty"),
        ("Q1;choix;a;b;;1;;deux\n", 2, "quiz/csv_bad_seconds"),
        ("Q1;choix;a;b;;1;;500\n", 2, "quiz/bad_seconds"),
        ("Q1;choix;a;b;;1;;20;en trop\n", 2, "quiz/csv_extra_cells"),
    ],
)
def test_csvformat_a_bad_row_is_named_and_nothing_is_kept(body: str, row: int, code: str) -> None:
    problem = parse_csv((HEADER + body).encode())
    assert isinstance(problem, CsvProblem)
    assert (problem.row, problem.rejection.code) == (row, code)
    assert code in CSV_MESSAGES or code in REJECTION_MESSAGES


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "quiz/csv_empty"),
        (b"\xff\xfe\x00\x81\x8d", "quiz/csv_encoding"),
        (b"titre;reponse\nQ;R\n", "quiz/csv_unknown_column"),
        (b"choix1;choix2\na;b\n", "quiz/csv_header"),
        (HEADER.encode(), "quiz/csv_no_rows"),
    ],
)
def test_csvformat_a_bad_file_is_refused(data: bytes, code: str) -> None:
    problem = parse_csv(data)
    assert isinstance(problem, CsvProblem) and problem.rejection.code == code


def test_csvformat_too_many_questions() -> None:
    rows = "".join(f"Q{n};choix;a;b;;1;;\n" for n in range(61))
    problem = parse_csv((HEADER + rows).encode())
    assert isinstance(problem, CsvProblem)
    assert (problem.row, problem.rejection.code) == (62, "quiz/csv_too_many")


def test_csvformat_blank_lines_are_skipped() -> None:
    questions = parse_csv((HEADER + "\n;;;;;;;\nQ1;choix;a;b;;2;;\n").encode())
    assert not isinstance(questions, CsvProblem) and len(questions) == 1
