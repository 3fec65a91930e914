"""A chat message is rendered once per state and language, whoever it is sent to.

After a restart every tab that comes back to a room catches up on the same few messages;
each used to render them for itself. The rendering is kept by the whole message (an edit,
a deletion, a renamed author are other messages) and the language, and bounded.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from estaminet.venue import service as venue_service
from estaminet.venue.chat import ChatMessage
from estaminet.venue.service import VenueService
from estaminet.web.templating import Templates

NOW = datetime(2026, 12, 6, 20, 15, tzinfo=UTC)


class _Counted(Templates):
    def __init__(self) -> None:
        super().__init__()
        self.renders: list[tuple[str, str]] = []

    def render(self, name: str, locale: str, context: Any = None) -> str:
        self.renders.append((name, locale))
        return super().render(name, locale, context)


def _venue() -> tuple[VenueService, _Counted]:
    venue = object.__new__(VenueService)
    templates = _Counted()
    venue.templates = templates
    venue._rendered = {}
    return venue, templates


def _message(**changes: Any) -> ChatMessage:
    message = ChatMessage(
        7, 1, "u1", "Zoé", "Salut **tout** le monde", "<p>Salut <strong>tout</strong> le monde</p>",
        NOW, None, None, 12,
    )  # fmt: skip
    return dataclasses.replace(message, **changes)


def test_a_message_is_rendered_once_per_state_and_language() -> None:
    venue, templates = _venue()
    first = venue.render_message(_message(), "fr")
    for _ in range(500):  # five hundred tabs catching up on it
        assert venue.render_message(_message(), "fr") == first
    assert templates.renders == [("venue/_message.html", "fr")]
    # Exactly what the template gives for it, with the hour in Brussels.
    assert first == Templates().render("venue/_message.html", "fr", {"m": _message()})
    assert 'data-seq="12"' in first and "21:15" in first and "Zoé" in first

    english = venue.render_message(_message(seq=13, edited_at=NOW), "en")
    edited = venue.render_message(_message(seq=13, edited_at=NOW, html="<p>Salut</p>"), "fr")
    deleted = venue.render_message(_message(seq=14, deleted_at=NOW), "fr")
    renamed = venue.render_message(_message(author_name="Zoé B."), "fr")
    assert len(templates.renders) == 5
    assert "(modifié)" in edited and "<p>Salut</p>" in edited and "tout" not in edited
    assert "Message supprimé." in deleted and "Salut" not in deleted
    assert "Zoé B." in renamed and "(edited)" in english


def test_the_renderings_kept_are_bounded_the_oldest_going_first(monkeypatch: Any) -> None:
    monkeypatch.setattr(venue_service, "RENDERED_MESSAGES", 3)
    venue, templates = _venue()
    for seq in range(1, 6):
        venue.render_message(_message(seq=seq), "fr")
    assert [key[0].seq for key in venue._rendered] == [3, 4, 5]
    venue.render_message(_message(seq=5), "fr")
    venue.render_message(_message(seq=1), "fr")
    assert len(templates.renders) == 6 and len(venue._rendered) == 3
