"""Templates render in the reader's language, whatever the order languages were set up in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment

from estaminet.kernel.i18n import Text
from estaminet.translations import translate, translations
from estaminet.web.templating import Templates


def test_templating_each_language_has_its_own_translations() -> None:
    templates = Templates()
    fr = templates.env("fr").from_string('{{ _("Send") }} {{ value|text }} {{ moment|time }}')
    en = templates.env("en").from_string('{{ _("Send") }} {{ value|text }} {{ moment|time }}')
    context = {"value": Text("Nobody here yet."), "moment": datetime(2026, 7, 1, 18, 5, tzinfo=UTC)}
    french, english = fr.render(**context), en.render(**context)
    assert french.startswith(translate("fr", "Send")) and translate("fr", "Send") != "Send"
    assert translate("fr", "Nobody here yet.").replace("'", "&#39;") in french
    assert english.startswith("Send ") and "Nobody here yet." in english
    assert french.endswith("20:05") and english.endswith("20:05")  # Brussels summer time
    assert templates.env("fr").globals["locale"] == "fr"
    assert templates.env("en").globals["locale"] == "en"


def test_templating_avatars_show_the_same_initials_everywhere() -> None:
    render = (
        Templates()
        .env("fr")
        .from_string("{{ a|initials }} {{ b|initials }} {{ c|initials }}")
        .render
    )
    assert render(a="Jean-Luc", b="marie claire dupont", c="Jo") == "JL MD JO"


def test_templating_reads_a_dict_s_keys_exactly_as_jinja_does() -> None:
    """``view.name`` on a plain dict reads the key without Jinja's failed attribute
    lookup first; what any template gets is unchanged, including names that are
    dict methods, keys that are missing, and objects that are not plain dicts."""

    class Seat(dict[str, Any]):
        colour = "rouge"

    source = (
        "{{ v.name }}|{{ v.missing }}|{{ v.items()|list|length }}|{{ v.get('name') }}|"
        "{{ v.keys is defined }}|{{ v.missing is defined }}|{{ v['items'] }}|"
        "{{ v.nested.deep }}|{{ v.nested.absent is defined }}|{{ s.colour }}|"
        "{{ s.name }}|{{ v.__class__.__name__ }}"
    )
    values = {
        "v": {"name": "Mona", "items": "clé", "get": "clé", "nested": {"deep": 3}},
        "s": Seat(name="Théo", colour="bleu"),
    }
    ours = Templates().env("fr").from_string(source).render(**values)
    theirs = Environment(autoescape=True).from_string(source).render(**values)
    assert ours == theirs == "Mona||4|Mona|True|False|clé|3|False|rouge|Théo|dict"


def test_templating_translations_remembered_say_the_same_as_jinja_s() -> None:
    """A sentence without placeholders is remembered once translated; with placeholders,
    with and without escaping, in each language, the text is Jinja's own."""
    source = (
        "{{ _('Raise my hand') }}|{{ _('Raise my hand') + '<b>' }}|"
        "{% autoescape false %}{{ _('Raise my hand') + '<b>' }}{% endautoescape %}|"
        "{{ _('%(name)s asks for help', name='<Théo>') }}|{{ _('not in the catalog') }}"
    )
    said: dict[str, str] = {}
    for locale in ("fr", "en"):
        plain = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
        plain.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
        theirs = plain.from_string(source).render()
        env = Templates().env(locale)
        for _ in range(2):  # the second time from what was remembered
            assert env.from_string(source).render() == theirs
        said[locale] = theirs
    assert said["fr"] == (
        "Lever la main|Lever la main&lt;b&gt;|Lever la main<b>|"
        "&lt;Théo&gt; demande de l'aide|not in the catalog"
    )


def test_templating_a_message_s_time_is_babel_s_hh_mm_in_brussels() -> None:
    """The ``time`` filter writes the hour as Babel's ``HH:mm`` would, in the venue's time
    zone, across both changes of the clock (it no longer asks Babel for every message)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from babel.dates import format_time

    templates = Templates()
    brussels = ZoneInfo("Europe/Brussels")
    starts = (
        datetime(2026, 3, 29, 0, 0, tzinfo=UTC),  # summer time begins at 01:00 UTC
        datetime(2026, 10, 25, 0, 0, tzinfo=UTC),  # and ends at 01:00 UTC
        datetime(2026, 12, 5, 22, 45, 30, tzinfo=UTC),
    )
    for locale in ("fr", "en"):
        filter_ = templates.env(locale).filters["time"]
        for start in starts:
            for minutes in range(0, 180, 7):
                when = start + timedelta(minutes=minutes)
                expected = format_time(when.astimezone(brussels), "HH:mm", locale=locale)
                assert filter_(when) == expected, (locale, when)
