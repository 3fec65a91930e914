"""Translatable text: nested texts and plural forms, translated at the edge."""

from __future__ import annotations

import pytest

from estaminet.kernel.i18n import N_, Nn_, Plural, Text
from estaminet.translations import render, translate

NB = "\u00a0"  # French typography: a no-break space before ":" and ";"

QUORUM = Nn_(
    "The quorum is not reached: %(count)s voting member present or represented, "
    "%(required)s needed.",
    "The quorum is not reached: %(count)s voting members present or represented, "
    "%(required)s needed.",
)


def test_text_nested_param_is_translated_before_it_is_filled_in() -> None:
    detail = Text(N_("%(field)s must be a whole number"), {"field": Text(N_("the proposal"))})
    text = Text(N_("This request is incomplete or malformed: %(detail)s."), {"detail": detail})
    assert render("fr", text) == (
        f"Cette demande est incomplète ou mal formée{NB}: la proposition doit être un nombre entier."
    )
    assert render("en", text) == (
        "This request is incomplete or malformed: the proposal must be a whole number."
    )


def test_text_dict_form_round_trips_and_renders_the_same() -> None:
    text = Text(
        N_("The assembly is not prepared correctly: %(detail)s."),
        {"detail": Text(N_("%(what)s must be between 0 and 1"), {"what": Text(N_("the quorum"))})},
    )
    data = text.as_dict()
    assert data["params"]["detail"]["params"]["what"] == {"msgid": "the quorum", "params": {}}
    assert Text.from_dict(data) == text
    assert (
        render("fr", data)
        == render("fr", text)
        == (
            f"L'assemblée n'est pas préparée correctement{NB}: le quorum doit se situer entre 0 et 1."
        )
    )


@pytest.mark.parametrize(
    ("count", "french", "english"),
    [
        (0, "0 membre votant présent ou représenté", "0 voting members present or represented"),
        (1, "1 membre votant présent ou représenté", "1 voting member present or represented"),
        (3, "3 membres votants présents ou représentés", "3 voting members present or represented"),
    ],
)
def test_plural_form_follows_the_count_in_each_language(
    count: int, french: str, english: str
) -> None:
    params = {"count": count, "required": 4}
    assert translate("fr", QUORUM, params) == (
        f"Le quorum n'est pas atteint{NB}: {french}, il en faut 4."
    )
    assert translate("en", QUORUM, params) == (f"The quorum is not reached: {english}, 4 needed.")


def test_plural_counts_by_the_param_it_names_and_survives_the_dict_form() -> None:
    choices = Nn_(
        "You can choose at most %(max)s option.", "You can choose at most %(max)s options.", "max"
    )
    assert choices == Plural(choices.singular, choices.plural, "max")
    one, two = Text(choices, {"max": 1}), Text(choices, {"max": 2})
    assert render("fr", one) == "Tu peux choisir 1 option au maximum."
    assert render("fr", two.as_dict()) == "Tu peux choisir 2 options au maximum."
    assert render("en", Text.from_dict(one.as_dict())) == "You can choose at most 1 option."


def test_unknown_message_falls_back_to_english_with_params() -> None:
    assert translate("fr", "Not in any catalog: %(n)s", {"n": 3}) == "Not in any catalog: 3"
    plural = Plural("%(count)s thing nobody translated", "%(count)s things nobody translated")
    assert translate("fr", plural, {"count": 2}) == "2 things nobody translated"


def test_i18n_languages_is_the_one_list() -> None:
    from typing import get_args

    from estaminet.kernel.i18n import LANGUAGES
    from estaminet.realtime.frames import LOCALES
    from estaminet.settings import Settings
    from estaminet.translations import LANGUAGES as TRANSLATED

    assert get_args(Settings.model_fields["default_locale"].annotation) == LANGUAGES
    assert LOCALES is LANGUAGES and TRANSLATED is LANGUAGES
