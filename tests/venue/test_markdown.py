"""Chat Markdown: a small allowed subset, sanitised by a real sanitizer."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estaminet.venue.markdown import find_mentions, render_markdown


def test_markdown_allowed_subset() -> None:
    html = render_markdown("**gras** *italique* [lien](https://lelab.be)\n\n- un\n- deux")
    assert "<strong>gras</strong>" in html
    assert "<em>italique</em>" in html
    assert '<a href="https://lelab.be" rel="noopener noreferrer nofollow ugc">lien</a>' in html
    assert "<ul>" in html and "<li>un</li>" in html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[clic](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=https://evil.example></iframe>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_markdown_script_is_shown_as_text_never_run(attack: str) -> None:
    elements = _elements(render_markdown(attack))
    tags = {tag for tag, _ in elements}
    assert tags <= {"p", "a"}
    for tag, attrs in elements:
        assert not any(name.startswith("on") for name in attrs)
        if tag == "a":
            assert attrs.get("href", "").startswith(("http://", "https://", "mailto:"))


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    """The real elements in ``html`` (escaped text does not count)."""
    found: list[tuple[str, dict[str, str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, {k: v or "" for k, v in attrs}))

    Collector().feed(html)
    return found


def test_markdown_headings_and_images_are_not_rendered() -> None:
    html = render_markdown("# Titre\n![img](https://x.example/a.png)")
    assert "<h1>" not in html and "<img" not in html


def test_markdown_mentions_are_marked() -> None:
    html = render_markdown("merci @Marie Claire !", [("u1", "Marie Claire")])
    assert '<span class="mention" data-user="u1">@Marie Claire</span>' in html


def test_markdown_mention_of_html_name_stays_text() -> None:
    name = "<b>Jo</b>"
    html = render_markdown(f"salut @{name}", [("u2", name)])
    assert "<b>" not in html
    assert 'data-user="u2"' in html


def test_markdown_find_mentions_longest_name_wins() -> None:
    people = [("1", "Marie"), ("2", "Marie Claire"), ("3", "Jo")]
    assert find_mentions("salut @marie claire et @Jo.", people) == [
        ("2", "Marie Claire"),
        ("3", "Jo"),
    ]
    assert find_mentions("mail jo@Jo.be", people) == []
    assert find_mentions("pas de mention", people) == []
    assert find_mentions("@Joseph", people) == []


def test_markdown_find_mentions_reaches_everyone_with_that_name() -> None:
    people = [("1", "Léa"), ("2", "Léa"), ("3", "Léa B."), ("4", "Jo")]
    found = find_mentions("coucou @Léa !", people)
    assert sorted(found) == [("1", "Léa"), ("2", "Léa")]
    assert find_mentions("@Léa B. et @jo", people) == [("3", "Léa B."), ("4", "Jo")]
    html = render_markdown("coucou @Léa !", found)
    assert html.count('class="mention"') == 1


# A mention of nobody present sends a line down the full way (Markdown, then the sanitiser):
# the shortcut for plain lines must give exactly the same HTML for every text.
_NOBODY = [("nobody", "Zq9xNobody")]
_ALPHABET = st.sampled_from(
    [
        *"abcXYZéèçàœ€£ 0123456789.,;:!?'’«»()-+=/%#@~|^{}$*_[]<>`\\&\"\t\n\r",
        "🦊",
        "\u00a0",
        "\u202e",
        "\u2028",
        "\x00",
        "&amp;",
        "http://x.be",
        "1. ",
        "- ",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(_ALPHABET, max_size=30).map("".join)
    | st.text(alphabet="ab é'’«»()-+=/%#@~|^{}$.,;:!?09🦊\u00a0", max_size=40)
)
def test_markdown_plain_lines_take_a_shortcut_to_the_same_html(text: str) -> None:
    assert render_markdown(text) == render_markdown(text, _NOBODY)


@pytest.mark.parametrize(
    "line",
    [
        "On se retrouve au bar après le concert, qui vient ?",
        "t=1732400000.123456 id=42 « Salut » l'ami ! 🦊",
        "Rendez-vous à 20 h (ou 20 h 30) : https://example.be/agenda?x=1",
    ],
)
def test_markdown_plain_lines_are_one_paragraph(line: str) -> None:
    assert render_markdown(line) == f"<p>{line}</p>" == render_markdown(line, _NOBODY)
