"""Templates render in the reader's language, whatever the order languages were set up in."""

from __future__ import annotations

from datetime import UTC, datetime

from estaminet.kernel.i18n import Text
from estaminet.translations import translate
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
