"""The circle of seats every game's screen draws: the same HTML as the template it replaced.

``circle_html`` (``tables/screen.py``) took the place of ``games/_circle.html`` because it is
drawn on every viewer's screen after every move. It must say exactly what the template said,
for every kind of seat, mark and arrow, with names that need escaping; and its items, kept
by what they show, must never be shown for a seat that shows something else.
"""

from __future__ import annotations

import random
from typing import Any

from markupsafe import Markup

from estaminet.tables import screen
from estaminet.tables.screen import circle_arrow, circle_html
from estaminet.web.templating import Templates

# ``games/_circle.html`` as it was (commit 1857a38), its ``users`` given rather than read.
TEMPLATE = """<div class="table-round" aria-hidden="true">
  {% if arrows %}
  {% set place = {} %}{% for s in circle %}{% set _x = place.update({s.seat: loop.index0}) %}{% endfor %}
  <svg class="table-circle-votes" viewBox="0 0 100 100" preserveAspectRatio="none" focusable="false">
    {% for a in arrows if a.from in place and a.to in place %}{% set line = circle_arrow(place[a.from], place[a.to], circle|length) %}{% if line %}
    <g class="table-arrow table-arrow--{{ a.kind or 'vote' }}" data-from="{{ a.from }}" data-to="{{ a.to }}"><line x1="{{ line.x1 }}" y1="{{ line.y1 }}" x2="{{ line.x2 }}" y2="{{ line.y2 }}"/><polygon points="{{ line.head }}"/></g>
    {% endif %}{% endfor %}
  </svg>
  {% endif %}
  <ol class="table-circle table-circle--n{{ circle|length }}" data-people="table-circle" aria-hidden="true">
    {% for s in circle %}
    <li class="person table-circle-seat{% if s.dead %} table-circle-seat--dead{% endif %}{% if s.me %} table-circle-seat--me{% endif %}"{% if s.seat in users %} data-user="{{ users[s.seat] }}"{% endif %}>
      <span class="avatar">{{ s.name|initials }}</span>
      <span class="table-circle-name">{{ s.name }}</span>
      {% if s.captain %}<span class="table-circle-badge">★</span>{% endif %}
      {% if s.mark %}<span class="table-circle-mark">{{ s.mark }}</span>{% endif %}
    </li>
    {% endfor %}
  </ol>
</div>
"""

NAMES = [
    "Anna",
    "Bé <b>",
    "Côme",
    "Dédé & Cie",
    "Éric Van Den Berg",
    'Zoé "Z"',
    "Jean-Luc",
    "O'Neil",
]
MARKS: list[Any] = [None, 0, 1, 2, True, False, "✓", "<3", "", 1.0, Markup("<i>2</i>")]


def _template(circle: list[dict[str, Any]], arrows: Any, users: dict[int, str]) -> str:
    env = Templates().env("fr")
    return env.from_string(TEMPLATE).render(
        circle=circle, arrows=arrows, users=users, circle_arrow=circle_arrow
    )


def _random_circle(rng: random.Random) -> tuple[list[dict[str, Any]], Any, dict[int, str]]:
    count = rng.randint(1, 18)
    circle = []
    for seat in range(count):
        entry: dict[str, Any] = {"seat": seat, "name": rng.choice(NAMES) + str(seat % 3)}
        for key in ("dead", "me", "captain"):
            if rng.random() < 0.6:
                entry[key] = rng.choice([True, False, None, 0, 1])
        if rng.random() < 0.7:
            entry["mark"] = rng.choice(MARKS)
        circle.append(entry)
    arrows: Any = rng.choice([None, []])
    if rng.random() < 0.7:
        arrows = [
            {"from": rng.randint(-1, count), "to": rng.randint(-1, count),
             **({"kind": rng.choice(["vote", "pack", None, "<x>"])} if rng.random() < 0.8 else {})}
            for _ in range(rng.randint(0, count))
        ]  # fmt: skip
    users = {s: f"u{s}<{s}>" for s in range(count) if rng.random() < 0.8}
    return circle, arrows, users


def test_the_circle_is_the_template_s_byte_for_byte() -> None:
    rng = random.Random(20261206)
    for _ in range(400):
        circle, arrows, users = _random_circle(rng)
        expected = _template(circle, arrows, users)
        assert str(circle_html(circle, arrows, users)) == expected
        assert str(circle_html(circle, arrows, users)) == expected  # from what was kept


def test_an_item_kept_is_shown_only_for_a_seat_that_shows_the_same() -> None:
    """Items are kept by everything they show: a mark of 1 and one of True, a seat alive and
    dead, a name as text and as markup, are different items."""
    users = {0: "u0"}
    shown = {
        str(circle_html([{"seat": 0, "name": "Anna", "mark": 1}], None, users)),
        str(circle_html([{"seat": 0, "name": "Anna", "mark": True}], None, users)),
        str(circle_html([{"seat": 0, "name": "Anna", "mark": 1, "dead": True}], None, users)),
        str(circle_html([{"seat": 0, "name": "Anna", "mark": 1, "me": 1}], None, users)),
        str(circle_html([{"seat": 0, "name": "<b>A</b>"}], None, users)),
        str(circle_html([{"seat": 0, "name": Markup("<b>A</b>")}], None, users)),
        str(circle_html([{"seat": 0, "name": "Anna", "mark": 1}], None, {0: "u1"})),
    }
    assert len(shown) == 7
    assert ">True</span>" in "".join(shown) and ">1</span>" in "".join(shown)


def test_the_items_kept_are_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(screen, "_SEATS_KEPT", 5)
    monkeypatch.setattr(screen, "_SEATS", {})
    for i in range(12):
        circle_html([{"seat": 0, "name": f"P{i}"}], None, {})
        assert len(screen._SEATS) <= 5
