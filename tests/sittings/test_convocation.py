"""The preparation form read into the assembly's options and seats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.datastructures import FormData

from estaminet.kernel.errors import BadInput
from estaminet.people.model import Role, User
from estaminet.sittings import read_convocation

WHEN = datetime(2025, 3, 1, tzinfo=UTC)
PEOPLE = [
    User("a", "Anaïs", Role.ADMIN, None, None, True, WHEN),
    User("b", "Bruno", Role.MEMBER, None, None, False, WHEN),
    User("c", "Chloé", Role.MEMBER, None, None, False, WHEN),
    User("g", "Guest", Role.GUEST, None, None, False, WHEN),
    User("t", "Tim", Role.MEMBER, None, None, False, WHEN),
]


def form(*pairs: tuple[str, str], **fields: str) -> FormData:
    base = {"title": "AG", "agenda": "Accueil\nDivers", "facilitator": "a", "quorum": "1/2"}
    base.update(fields)
    return FormData([*base.items(), *pairs])


def test_convocation_seats_every_member_when_all_vote() -> None:
    convocation = read_convocation(form(proxies="on", max_proxies="2"), PEOPLE)
    assert convocation.seats == ("a", "b", "c", "t")  # guests observe, they are not convened
    rules = convocation.options["rules"]
    assert rules["voters"] is None and rules["quorum"] == "1/2"
    assert rules["proxies"] == {"allowed": True, "max_per_person": 2}
    assert convocation.options["roles"] == {"facilitator": 0, "secretary": None, "timekeeper": None}


def test_convocation_with_a_list_gives_roles_observer_seats() -> None:
    convocation = read_convocation(
        form(("voters", "b"), ("voters", "c"), voters_mode="list", timekeeper="t", quorum="none"),
        PEOPLE,
    )
    assert convocation.seats == ("a", "b", "c", "t")
    assert convocation.options["rules"]["voters"] == [1, 2]
    assert convocation.options["rules"]["quorum"] is None
    assert convocation.options["roles"]["timekeeper"] == 3
    assert convocation.options["rules"]["proxies"]["allowed"] is False


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": " "}, "sittings/title_empty"),
        ({"agenda": ""}, "sittings/agenda_empty"),
        ({"quorum": "3/2"}, "sittings/bad_quorum"),
        ({"facilitator": ""}, "sittings/no_facilitator"),
        ({"facilitator": "g"}, "sittings/unknown_person"),
        ({"date": "demain"}, "sittings/bad_date"),
        ({"speaking_minutes": "0"}, "sittings/number_range"),
        ({"voters_mode": "list"}, "sittings/no_voters"),
    ],
)
def test_convocation_refuses_bad_input(fields: dict[str, str], code: str) -> None:
    with pytest.raises(BadInput) as refused:
        read_convocation(form(**fields), PEOPLE)
    assert refused.value.code == code
