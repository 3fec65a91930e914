"""Templates render in the reader's language, whatever the order languages were set up in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

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


def test_templating_calls_from_a_template_give_what_jinja_s_give() -> None:
    """Plain functions, methods and built-ins are called directly, the others the way Jinja
    does: in and out of loops and blocks, with keywords, with a function that wants the
    context or the environment, a callable object that wants the context, a macro with a
    caller, and a function that raises StopIteration (Jinja makes that undefined)."""
    from jinja2 import pass_context, pass_environment

    class Seats:
        def __init__(self) -> None:
            self.names = ["Anna"]

        def add(self, name: str, *, loud: bool = False) -> str:
            self.names.append(name.upper() if loud else name)
            return ",".join(self.names)

    class Greeter:
        @pass_context
        def __call__(self, context: Any, name: str) -> str:
            return f"{context.get('greeting')} {name}"

    def plain(*args: Any, **kwargs: Any) -> str:
        return f"{args}{sorted(kwargs.items())}"  # any stray ``_loop_vars`` would show here

    @pass_context
    def with_context(context: Any, key: str) -> str:
        return str(context.get(key))

    @pass_environment
    def with_environment(environment: Any) -> str:
        return str(environment.autoescape is not False)

    def stops() -> None:
        raise StopIteration

    class Quiet:
        """A method made of a built-in (no ``__dict__`` to look in): Jinja's way."""

        def __init__(self) -> None:
            import types

            self.upper = types.MethodType(str.upper, "bound")

    source = (
        "{{ plain(1, a=2) }}|{% for i in [1, 2] %}{% set x = i %}{{ plain(x, b=i) }}"
        "{{ ctx('greeting') }}{% endfor %}|{{ seats.add('Bram') }}|"
        "{% for n in ['Chloé'] %}{{ seats.add(n, loud=true) }}{% endfor %}|"
        "{% set l = [] %}{% set _x = l.append(3) %}{{ l }}|{{ env() }}|{{ greet('Dédé') }}|"
        "{{ stops() is defined }}|{% macro m() %}<{{ caller() }}>{% endmacro %}"
        "{% call m() %}{{ plain('in') }}{% endcall %}|{{ ctx('greeting') }}|"
        "{% block b %}{% set y = 5 %}{{ plain(y) }}{{ ctx('greeting') }}{% endblock %}|"
        "{{ quiet.upper() }}"
    )

    def values() -> dict[str, Any]:
        return {
            "plain": plain, "ctx": with_context, "env": with_environment, "stops": stops,
            "seats": Seats(), "greet": Greeter(), "greeting": "Salut", "quiet": Quiet(),
        }  # fmt: skip

    ours = Templates().env("fr").from_string(source).render(**values())
    theirs = Environment(autoescape=True).from_string(source).render(**values())
    assert ours == theirs
    assert "(1,)[(&#39;a&#39;, 2)]|(1,)[(&#39;b&#39;, 1)]Salut" in ours
    assert "Anna,Bram|Anna,Bram,CHLOÉ|[3]|True|Salut Dédé|False|<(&#39;in&#39;,)[]>" in ours
    assert ours.endswith("|BOUND")


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


def test_templating_translations_in_loops_blocks_and_macros_say_the_same_as_jinja_s() -> None:
    """``_()``, ``gettext()``, ``ngettext()`` and ``{% trans %}`` wherever a screen uses them
    (in loops, blocks, macros and their callers, with and without escaping, with values that
    need escaping) give Jinja's own text, in each language: ours ask only whether the template
    escapes, Jinja's copy the context for each call made in a loop or a block."""
    source = (
        "{% macro m(n) %}{{ _('Raise my hand') }}{{ caller() }}{% endmacro %}"
        "{% for n in [0, 1, 2] %}{{ _('Raise my hand') }}|"
        "{{ ngettext('%(num)d vote', '%(num)d votes', n) }}|"
        "{{ ngettext('%(num)d vote', '%(num)d votes', n, name='<b>') }}|"
        "{{ gettext('%(name)s asks for help', name=n ~ '<i>') }}|"
        "{% call m(n) %}{{ _('%(name)s asks for help', name='<Zoé>') }}{% endcall %}|"
        "{% trans name='<Éo>' %}{{ name }} asks for help{% endtrans %}|"
        "{% trans count=n %}{{ count }} vote{% pluralize %}{{ count }} votes{% endtrans %}|"
        "{% autoescape false %}{{ _('%(name)s asks for help', name='<b>') }}"
        "{{ ngettext('%(num)d vote', '%(num)d votes', n) ~ '<b>' }}{% endautoescape %}\n"
        "{% endfor %}{% block b %}{{ _('Raise my hand') }}{% for x in [1] %}"
        "{{ ngettext('%(num)d vote', '%(num)d votes', x) }}{% endfor %}{% endblock %}"
    )
    for locale in ("fr", "en"):
        plain = Environment(
            autoescape=True, extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True
        )
        plain.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
        theirs = plain.from_string(source).render()
        env = Templates().env(locale)
        for _ in range(2):  # the second time from what was remembered
            assert env.from_string(source).render() == theirs
        if locale == "fr":
            assert "&lt;Zoé&gt; demande de l'aide" in theirs and "<b> demande" in theirs
            assert "2 votes" in theirs


def test_templating_sentences_remembered_with_their_values_keep_each_value_as_written() -> None:
    """A sentence is remembered with its plain values and their types: 1, True and 1.0, or a
    name as text and as markup, equal or alike in Python, are written as Jinja writes each;
    other values (a list) are not remembered and still give Jinja's text."""
    source = (
        "{% for v in values %}{{ _('%(name)s asks for help', name=v) }}|{% endfor %}"
        "{% for v in values %}{{ gettext('%(name)s asks for help', name=v) }}|{% endfor %}"
    )
    values = [1, True, 1.0, "<b>", Markup("<b>"), 1, True, ["x"], None, "<b>", Markup("<b>")]
    plain = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    plain.install_gettext_translations(translations("fr"), newstyle=True)  # type: ignore[attr-defined]
    theirs = plain.from_string(source).render(values=values)
    env = Templates().env("fr")
    for _ in range(2):
        assert env.from_string(source).render(values=values) == theirs
    assert theirs.startswith(
        "1 demande de l'aide|True demande de l'aide|1.0 demande de l'aide|"
        "&lt;b&gt; demande de l'aide|<b> demande de l'aide|"
    )


def test_templating_a_function_wanting_the_evaluation_context_gets_it_as_with_jinja() -> None:
    """A ``pass_eval_context`` function called from a loop or a block gets the evaluation
    context first (our shorter way of calling), as with Jinja's own."""
    from jinja2 import pass_eval_context

    @pass_eval_context
    def escaping(eval_ctx: Any, word: str, **extra: Any) -> str:
        return f"{word}:{eval_ctx.autoescape}:{sorted(extra)}"

    source = (
        "{{ f('a') }}|{% for i in [1] %}{{ f('b', x=i) }}{% endfor %}|"
        "{% block b %}{{ f('c') }}{% endblock %}|{% autoescape false %}{{ f('d') }}{% endautoescape %}"
    )
    ours = Templates().env("fr").from_string(source).render(f=escaping)
    theirs = Environment(autoescape=True).from_string(source).render(f=escaping)
    assert ours == theirs
    assert ours == "a:True:[]|b:True:[&#39;x&#39;]|c:True:[]|d:False:[]"


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
