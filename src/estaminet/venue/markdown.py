"""Chat Markdown: bold, italics, links and lists only; the output goes through a real sanitizer.

Raw HTML typed by a person is shown as text (markdown-it with ``html=False``);
``nh3`` (Ammonia) then keeps only the tags we allow, as a second wall.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from html import escape

import nh3
from markdown_it import MarkdownIt

__all__ = ["find_mentions", "render_markdown", "strip_bidi_controls"]

_md = MarkdownIt(
    "zero", {"html": False, "linkify": False, "breaks": True, "typographer": False}
).enable(["emphasis", "link", "list", "newline", "autolink", "escape", "backticks"])

_ALLOWED_TAGS = {"p", "strong", "em", "a", "ul", "ol", "li", "br", "code", "span"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "span": {"class", "data-user"}, "ol": {"start"}}


_TAGS = re.compile(r"(<[^>]*>)")
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_bidi_controls(text: str) -> str:
    """``text`` without the bidirectional embedding, override and isolate controls.

    They make a line read differently from what it holds (``RLO`` turns
    ``gnp.exe`` into an apparent ``exe.png``) and nobody types them on purpose;
    right-to-left scripts need none of them to show correctly. The marks
    ``LRM``/``RLM`` (U+200E, U+200F) stay: they reorder nothing beyond themselves.
    """
    return _BIDI_CONTROLS.sub("", text)


def _sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
    )


def _mention_html(user_id: str) -> Callable[[re.Match[str]], str]:
    return lambda m: f'<span class="mention" data-user="{user_id}">{m.group(0)}</span>'


# Characters that may make Markdown or HTML of a line (or need escaping in it). A line
# without them, printable (no control, no line break), trimmed and not opening like a list
# item is a plain paragraph: Markdown and the sanitiser would give back ``<p>`` + the text.
_NOT_PLAIN = frozenset('*_[]<>`\\&"')
_LIST_OPENERS = frozenset("-+0123456789")


def _plain(text: str) -> bool:
    return (
        text.isprintable()
        and text == text.strip()
        and text[:1] not in _LIST_OPENERS
        and _NOT_PLAIN.isdisjoint(text)
    )


def render_markdown(text: str, mentions: Iterable[tuple[str, str]] = ()) -> str:
    """Sanitised HTML for a chat message; ``mentions`` are ``(user_id, display_name)`` pairs.

    Mentions become ``<span class="mention" data-user="…">@Name</span>``. A plain line
    (most chat) takes a shortcut to the same result: it holds nothing Markdown or the
    sanitiser would change (``tests/venue/test_markdown.py`` compares both ways).
    """
    if not text:
        return ""
    mentions = list(mentions)
    if not mentions and _plain(text):
        return f"<p>{text}</p>"
    html = _md.render(text)
    shown: set[str] = set()
    for user_id, name in sorted(mentions, key=lambda m: -len(m[1])):
        if name.lower() in shown:
            continue  # two people with one name: the text is marked once
        shown.add(name.lower())
        pattern = re.compile(
            r"(?<![\w@])@" + re.escape(escape(name, quote=False)) + r"(?!\w)", re.I
        )
        # Only in text between tags: an ``@name`` inside a link's address stays as it is.
        html = "".join(
            part if part.startswith("<") else pattern.sub(_mention_html(user_id), part)
            for part in _TAGS.split(html)
        )
    return _sanitize(html).strip()


def find_mentions(text: str, people: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The ``(user_id, name)`` pairs whose ``@name`` appears in ``text`` (longest names first).

    Two people who go by the same name are both mentioned by it: nobody called
    ``@Léa`` is left out because another Léa came in first.
    """
    if "@" not in text:
        return []
    lowered = text.lower()
    found: list[tuple[str, str]] = []
    taken: list[tuple[int, int]] = []
    for user_id, name in sorted(people, key=lambda p: -len(p[1])):
        needle = "@" + name.lower()
        start = lowered.find(needle)
        while start != -1:
            end = start + len(needle)
            boundary_ok = end == len(lowered) or not lowered[end].isalnum()
            before_ok = start == 0 or not (
                lowered[start - 1].isalnum() or lowered[start - 1] == "@"
            )
            overlaps = any(s < end and start < e and (s, e) != (start, end) for s, e in taken)
            if boundary_ok and before_ok and not overlaps:
                found.append((user_id, name))
                taken.append((start, end))
                break
            start = lowered.find(needle, start + 1)
    return found
