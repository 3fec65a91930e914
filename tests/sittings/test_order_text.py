"""The agenda as typed in the preparation form."""

from __future__ import annotations

import pytest

from estaminet.kernel.errors import BadInput
from estaminet.sittings import parse_order_of_business


def test_agenda_text_nests_items_durations_and_links() -> None:
    text = (
        "Accueil (5 min)\n\nComptes (20 min) https://example.org/c.pdf\n"
        "- Budget (10 min)\n  - Détail\nDivers"
    )
    agenda = parse_order_of_business(text)
    assert [item["title"] for item in agenda] == ["Accueil", "Comptes", "Divers"]
    assert agenda[0]["minutes"] == 5 and agenda[2]["minutes"] == 0
    assert agenda[1]["links"] == ["https://example.org/c.pdf"]
    budget = agenda[1]["children"][0]
    assert budget["title"] == "Budget" and budget["minutes"] == 10
    assert budget["children"][0]["title"] == "Détail"


def test_agenda_text_never_nests_deeper_than_one_below() -> None:
    agenda = parse_order_of_business("- - Orphelin\nSuite")
    assert [item["title"] for item in agenda] == ["Orphelin", "Suite"]


def test_agenda_text_refuses_too_many_items() -> None:
    with pytest.raises(BadInput):
        parse_order_of_business("\n".join(f"Point {n}" for n in range(101)))
