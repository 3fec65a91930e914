"""The presence list's changes: removals then appends turn any list into any other, and
people are kept in the order they arrived."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from estaminet.venue.presence import Presence, PresentPerson, list_changes


def apply(before: list[str], removed: list[str], appended: list[str]) -> list[str]:
    """What a page does with the ops: remove by id, then append (an id already there stays)."""
    after = [item for item in before if item not in set(removed)]
    for item in appended:
        if item not in after:
            after.append(item)
    return after


@given(
    st.lists(st.integers(0, 30), unique=True).map(lambda xs: [str(x) for x in xs]),
    st.lists(st.integers(0, 30), unique=True).map(lambda xs: [str(x) for x in xs]),
)
def test_removals_then_appends_reach_the_new_list(before: list[str], after: list[str]) -> None:
    removed, appended = list_changes(before, after)
    assert apply(before, removed, appended) == after
    # only what must move moves: people still here in the same order are not touched
    kept = [item for item in before if item in set(after)]
    untouched = [item for item in kept if item not in removed]
    assert untouched == after[: len(untouched)]


def person(name: str) -> PresentPerson:
    return PresentPerson(name, name.lower(), name[:2].upper())


def test_people_are_kept_in_the_order_they_arrived() -> None:
    here = Presence()
    for name in ("Zoé", "Ali", "Marc"):
        assert here.enter("bar", person(name))
    assert not here.enter("bar", person("Ali"))  # a second tab
    assert [p.display_name for p in here.first("bar", 10)] == ["Zoé", "Ali", "Marc"]
    assert not here.leave("bar", "ali")  # one tab of two
    assert here.leave("bar", "ali")
    here.enter("bar", person("Ali"))  # back: now last
    snap = here.snapshot("bar")
    assert [p.display_name for p in snap.shown] == ["Zoé", "Marc", "Ali"] and snap.count == 3
    assert here.first("bar", 2) == list(snap.shown[:2])
    for uid in ("zoé", "marc", "ali"):
        here.leave("bar", uid)
    assert here.count("bar") == 0 and here.snapshot("bar").shown == ()
    assert not here.leave("bar", "nobody")
