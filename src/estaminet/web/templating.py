"""Jinja2 templates, one environment per interface language (sharing one cache).

Fragments for live updates are rendered with the same templates as pages, so
a message looks the same whether it arrived with the page or over the socket.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from gettext import NullTranslations
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    TemplateNotFound,
    pass_context,
    pass_eval_context,
    select_autoescape,
)
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import Markup

from estaminet.games.kit import template_dirs
from estaminet.kernel.i18n import Text
from estaminet.kernel.user import initials_of
from estaminet.settings import DEFAULT_TIMEZONE
from estaminet.translations import LANGUAGES, render, translations
from estaminet.web.assets import module_preloads, screen_module, static_url

__all__ = ["Templates", "needs_module", "vowel_initial"]

_WEB = Path(__file__).parent


_DICT_ATTRIBUTES = frozenset(dir(dict))


_EVAL_CONTEXT = getattr(pass_eval_context(lambda: None), "jinja_pass_arg")  # noqa: B009
"""The mark ``pass_eval_context`` leaves on a function."""


class _Context(Context):
    """Jinja's context, with a shorter way to call a plain function from a template.

    Each call written in a template (``who(seat)``, ``shared.get(…)``, ``list.append``) goes
    through :meth:`Context.call`, which asks the callable twice whether it wants the context
    passed (two failed attribute lookups) and, in a loop or a block, gets two extra keyword
    arguments to drop. A game screen makes about 180 such calls. A Python function or method
    without Jinja's marker (``pass_context`` and the like set ``jinja_pass_arg`` in the
    function's ``__dict__``), and a built-in one, which cannot carry it, are called directly,
    as :meth:`Context.call` would call them, and so is a function that asks for the evaluation
    context (``pass_eval_context``: the translations), given it first; anything else takes
    Jinja's own way.
    """

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        kind = type(__obj)
        if kind is FunctionType:
            marker = __obj.__dict__.get("jinja_pass_arg")
            if marker is _EVAL_CONTEXT:
                args = (__self.eval_ctx, *args)
            elif marker is not None:
                return super().call(__obj, *args, **kwargs)
        elif not (
            kind is BuiltinFunctionType
            or (
                kind is MethodType
                and type(__obj.__func__) is FunctionType
                and "jinja_pass_arg" not in __obj.__func__.__dict__
            )
        ):
            return super().call(__obj, *args, **kwargs)
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class _Environment(Environment):
    """Jinja's environment, with ``view.name`` on a plain dict looked up as a key first.

    The screens read the views, plain dicts, as ``seat.name``. Jinja asks for the
    attribute first and falls back to the key, so each such read raised and caught an
    AttributeError: about 600 per game screen, a tenth of its rendering. A plain dict has
    no attribute but those of its type, so for any other name the key is what Jinja would
    have found anyway; ``items``, ``get`` and the like still mean the methods.
    """

    context_class = _Context

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


_REMEMBERED = 4096


def _gettext(catalog: NullTranslations) -> Callable[..., str]:
    """``_()`` and ``gettext()`` in templates: Jinja's own "new style" translation (look the
    sentence up, mark it safe when escaping, apply ``%`` with the values), remembering what
    a sentence without placeholders became.

    Jinja's ``_`` is an alias that looks ``gettext`` up in the context and calls it with the
    context, which in a loop or a block means a copy of the context for each call; a game
    screen asks for about twenty sentences on each of a move's screens. This one needs only
    whether the template escapes (the evaluation context), and a catalog does not change
    while the process runs: what a sentence became is remembered, with its values when they
    are plain. Kept per environment (one per language) and per escaping, bounded: full, it
    starts again.
    """
    memo: dict[tuple[Any, ...], str] = {}

    @pass_eval_context
    def gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
        key: tuple[Any, ...] | None = (string, bool(eval_ctx.autoescape))
        if variables:
            # A sentence with plain values (a name, a number) is remembered with them, each
            # with its type: "Vote against Anna" is on every player's screen of a vote.
            parts = sorted(variables.items())
            if all(type(value) in _PLAIN for _, value in parts):
                key = (string, bool(eval_ctx.autoescape), *((n, type(v), v) for n, v in parts))
            else:
                key = None
        if key is not None:
            found = memo.get(key)
            if found is not None:
                return found
        text: str = catalog.gettext(string)
        if eval_ctx.autoescape:
            text = Markup(text)
        text = text % variables
        if key is not None:
            if len(memo) >= _REMEMBERED:
                memo.clear()
            memo[key] = text
        return text

    return gettext


_PLAIN = frozenset({str, Markup, int, float, bool, type(None)})
"""The values a translated sentence is remembered with (compared with their type)."""


def _ngettext(catalog: NullTranslations) -> Callable[..., str]:
    """``ngettext()`` in templates: Jinja's own "new style" plural (``num`` among the values),
    asking only whether the template escapes, like :func:`_gettext`."""

    @pass_eval_context
    def ngettext(
        eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any
    ) -> str:
        variables.setdefault("num", num)
        text: str = catalog.ngettext(singular, plural, num)
        if eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    return ngettext


class Templates:
    """Renders a template in a language: ``render("venue/room.html", "fr", room=...)``."""

    def __init__(self, timezone: str = DEFAULT_TIMEZONE, extra_dirs: list[Path] | None = None):
        dirs = [_WEB / "templates", *(extra_dirs or [])]
        # Each game package brings its own screen (``games/<key>.html``), found
        # through the games registry when first rendered.
        loader = ChoiceLoader(
            [*(FileSystemLoader(str(d)) for d in dirs), _Registered(template_dirs)]
        )
        self.tz = ZoneInfo(timezone)
        self._envs: dict[str, Environment] = {}
        for locale in LANGUAGES:
            # One environment per language: globals and filters are per environment
            # (an overlay would share them, and the last language installed would win).
            env = _Environment(
                loader=loader,
                autoescape=select_autoescape(["html", "xml", "svg"]),
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
                auto_reload=False,
            )
            catalog = translations(locale)
            env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
            env.globals["_"] = env.globals["gettext"] = _gettext(catalog)
            env.globals["ngettext"] = _ngettext(catalog)
            env.globals["locale"] = locale
            env.globals["static_url"] = static_url
            env.globals["module_preloads"] = module_preloads
            env.globals["needs_module"] = needs_module
            env.globals["module_set"] = set
            env.filters["time"] = self._time_filter(locale)
            env.filters["datetime"] = self._datetime_filter(locale)
            env.filters["date"] = self._date_filter(locale)
            env.filters["text"] = self._text_filter(locale)
            env.filters["initials"] = initials_of
            env.filters["moment"] = self._moment_filter(locale)
            env.filters["euros"] = _euros_filter(locale)
            env.globals["vowel_initial"] = vowel_initial
            self._envs[locale] = env

    def env(self, locale: str) -> Environment:
        return self._envs.get(locale) or self._envs[LANGUAGES[0]]

    def render(self, name: str, locale: str, context: Mapping[str, Any] | None = None) -> str:
        return self.env(locale).get_template(name).render(**(context or {}))

    def _local(self, value: datetime) -> datetime:
        return value.astimezone(self.tz)

    def _time_filter(self, locale: str) -> Any:
        # "HH:mm" is written alike in every language the venue speaks: no Babel per message.
        return lambda value: self._local(value).strftime("%H:%M")

    def _datetime_filter(self, locale: str) -> Any:
        return lambda value, fmt="medium": format_datetime(
            self._local(value), fmt, tzinfo=self.tz, locale=_babel_locale(locale)
        )

    def _date_filter(self, locale: str) -> Any:
        return lambda value, fmt="long": format_date(
            self._local(value) if isinstance(value, datetime) else value,
            fmt,
            locale=_babel_locale(locale),
        )

    def _moment_filter(self, locale: str) -> Any:
        """An ISO date or date-time kept as text (``2026-12-03T15:42``), said in words."""

        def moment(value: str) -> str:
            when = datetime.fromisoformat(value)
            if len(value) <= 10:
                return format_date(when.date(), "long", locale=_babel_locale(locale))
            if when.tzinfo is None:
                when = when.replace(tzinfo=self.tz)  # typed in the venue's time zone
            return format_datetime(
                self._local(when), "d MMMM y, HH:mm", tzinfo=self.tz, locale=_babel_locale(locale)
            )

        return moment

    def _text_filter(self, locale: str) -> Any:
        def text(value: Text | Mapping[str, Any] | str) -> str:
            return render(locale, value)

        return text


@pass_context
def needs_module(context: Context, *names: str) -> str:
    """A template says which screen modules its controls need: ``{{ needs_module("chat") }}``.

    Inside a page, the names join the page's ``modules_used`` (``base.html`` renders the
    content first, then preloads those modules in the head and lists them on ``#page`` as
    ``data-modules``, which ``main.js`` imports before showing the page). Outside a page
    (a fragment sent over the socket) it only checks the names. Renders nothing.
    """
    for name in names:
        screen_module(name)  # a misspelt name fails here, not as a dead button in a browser
    used = context.get("modules_used")
    if isinstance(used, set):
        used.update(names)
    return ""


class _Registered(BaseLoader):
    """Templates from folders known only at render time (each registered game's own)."""

    def __init__(self, folders: Callable[[], Iterable[Path]]) -> None:
        self._folders = folders

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        for folder in self._folders():
            try:
                return FileSystemLoader(str(folder)).get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)


def vowel_initial(name: str) -> bool:
    """Whether a name begins with a vowel, so French elides before it ("d'Awa", "de Léa").

    The template picks the catalog's "name starting with a vowel" message then; an "h"
    may be mute or not, so names starting with "h" keep the plain form.
    """
    first = unicodedata.normalize("NFD", name.strip()[:1]).casefold()[:1]
    return first in {"a", "e", "i", "o", "u"}


def _euros_filter(locale: str) -> Any:
    """An amount kept in cents, said in euros: ``1250`` → « 12,50 € » (fr), "€12.50" (en)."""
    return lambda cents: format_currency(
        Decimal(int(cents)) / 100, "EUR", locale=_babel_locale(locale)
    )


def _babel_locale(locale: str) -> str:
    return "fr_BE" if locale == "fr" else "en_GB"
