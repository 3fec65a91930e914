"""Access is decided in one place: no role comparison outside ``people/access.py``.

A scan of the code and templates (docs/architecture.md promises it): ranks compared,
``at_least``, a role tested against a named role. The role model itself, the games'
own roles (werewolf cards) and the two lines in ``NOT_DECISIONS`` are not decisions
about a person's access.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).parents[2] / "src" / "estaminet"
DECISION = re.compile(
    r"\.at_least\(|\.rank\s*[<>]=?|role(\.value)?\s+is(\s+not)?\s+Role\.|"
    r"role(\.value)?\s*[!=]=\s*(Role\.|\"(guest|member|animator|moderator|admin)\")"
)
OUTSIDE = {
    "people/access.py",
    "people/model.py",
    "kernel/user.py",
}  # the place; the roles and their order
NOT_DECISIONS = {
    ("cli.py", ".where(users.c.role == Role.ADMIN.value"),  # the query for the first admin
    ("people/actions.py", "if self_membership and role is Role.GUEST:"),  # guest → member
    ("people/departure.py", ".where(users.c.role == Role.ADMIN.value"),  # counting the admins
    ("people/queries.py", ".where(users.c.role == Role.ADMIN.value"),  # the first admin (cli)
    # Describing an account ("guest, no account"), not deciding what someone may do.
    ("web/templates/people/people.html", '<td data-label="{{ _("Account") }}">'),
}


def test_access_role_decisions_live_only_in_access_py() -> None:
    found = []
    for path in sorted([*SRC.rglob("*.py"), *SRC.rglob("*.html")]):
        name = path.relative_to(SRC).as_posix()
        if name in OUTSIDE or name.startswith("games/"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            allowed = any(
                name == where and line.strip().startswith(text) for where, text in NOT_DECISIONS
            )
            if DECISION.search(line) and not allowed:
                found.append(f"{name}:{number}: {line.strip()}")
    assert found == []


def test_access_scan_sees_a_role_check() -> None:
    for line in (
        "if user.role.at_least(Role.MEMBER):",
        "if target.role.rank >= actor.role.rank:",
        "if user.role is not Role.ADMIN:",
        '{% if me.role.value == "admin" %}',
    ):
        assert DECISION.search(line), line
