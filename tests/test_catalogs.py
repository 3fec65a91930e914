"""The translation catalogs: complete, well formed, and faithful to the source.

The source is re-extracted with Babel's API and the project's ``babel.cfg``
(what ``make catalogs`` does), so a string added to the code without a French
translation fails here, with the list of missing message ids. To fix such a
failure: run ``make catalogs``, then translate the new entries in
``src/estaminet/locale/fr/LC_MESSAGES/messages.po`` (see ``locale/GLOSSARY.md``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from estaminet.translations import translate

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "estaminet"
LOCALE = PACKAGE / "locale"
BABEL_CFG = ROOT / "babel.cfg"
CATALOGS = {
    "fr": LOCALE / "fr" / "LC_MESSAGES" / "messages.po",
    "en": LOCALE / "en" / "LC_MESSAGES" / "messages.po",
}
TEMPLATE = LOCALE / "messages.pot"
PLURAL_FORMS = {
    "fr": "nplurals=2; plural=(n > 1);",
    "en": "nplurals=2; plural=(n != 1);",
}
# The keywords of ``make catalogs``: Babel's defaults, plus ``-k N_ -k _``.
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "_": None}
# Python calls whose literal first argument(s) are message ids (as Babel sees them).
SINGULAR_CALLS = frozenset({"_", "N_", "gettext"})
PLURAL_CALLS = frozenset({"ngettext"})
PLACEHOLDER = re.compile(r"%\((\w+)\)([#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa])")

Key = tuple[str | tuple[str, ...], str | None]


@dataclass(frozen=True)
class Found:
    """A message extracted from the source, with where it was found."""

    msgid: str | tuple[str, ...]
    context: str | None
    where: str

    @property
    def key(self) -> Key:
        return (self.msgid, self.context)


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, abort_invalid=True)


def _entries(catalog: Catalog) -> Iterator[Message]:
    return (message for message in catalog if message.id)


def _singular(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _forms(string: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if string is None:
        return ()
    return string if isinstance(string, tuple) else (string,)


def _placeholders(text: str) -> set[str]:
    return {f"%({name}){conversion}" for name, conversion in PLACEHOLDER.findall(text)}


def _dummy_params(msgid: str | tuple[str, ...]) -> dict[str, object]:
    names = set()
    for text in _forms(msgid):
        names |= {name for name, _ in PLACEHOLDER.findall(text)}
    return dict.fromkeys(names, 2)


def _formats(text: str, params: dict[str, object]) -> bool:
    try:
        text % params
    except (KeyError, ValueError, TypeError):
        return False
    return True


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory: pytest.TempPathFactory) -> dict[Key, Found]:
    """Every message of the source, extracted into a temporary ``.pot`` and read back."""
    with BABEL_CFG.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, filename=str(BABEL_CFG))
    template = Catalog(project="Estaminet")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), method_map, options_map, keywords=KEYWORDS
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    pot = tmp_path_factory.mktemp("catalogs") / "messages.pot"
    with pot.open("wb") as handle:
        write_po(handle, template)
    found = {}
    for message in _entries(_read(pot)):
        where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
        found[(message.id, message.context)] = Found(message.id, message.context, where)
    assert found, "no message was extracted: is babel.cfg right?"
    return found


def _literal_messages(path: Path) -> Iterator[tuple[str | tuple[str, ...], int]]:
    """Message ids written as literals in ``N_(…)``/``_(…)`` calls, f-strings included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        texts: list[str] = []
        for arg in node.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                break
            texts.append(arg.value)
        if node.func.id in SINGULAR_CALLS and texts:
            yield texts[0], node.lineno
        elif node.func.id in PLURAL_CALLS and len(texts) >= 2:
            yield (texts[0], texts[1]), node.lineno


@pytest.fixture(scope="module")
def french() -> Catalog:
    return _read(CATALOGS["fr"], "fr")


@pytest.fixture(scope="module")
def english() -> Catalog:
    return _read(CATALOGS["en"], "en")


def _describe(found: Found) -> str:
    context = f" (context {found.context!r})" if found.context else ""
    return f"  {found.msgid!r}{context}  [{found.where}]"


def test_french_catalog_translates_every_source_message(
    source_messages: dict[Key, Found], french: Catalog
) -> None:
    missing = []
    for found in sorted(source_messages.values(), key=lambda found: str(found.key)):
        entry = french.get(_singular(found.msgid), context=found.context)
        if (
            entry is None
            or entry.id != found.msgid
            or entry.fuzzy
            or not _forms(entry.string)
            or not all(form.strip() for form in _forms(entry.string))
            or (entry.pluralizable and len(_forms(entry.string)) != french.num_plurals)
        ):
            missing.append(_describe(found))
    assert not missing, (
        f"{len(missing)} source message(s) have no French translation (or a fuzzy one); "
        "run `make catalogs` and translate them in locale/fr/LC_MESSAGES/messages.po:\n"
        + "\n".join(missing)
    )


def test_python_sources_hide_no_message_from_babel(source_messages: dict[Key, Found]) -> None:
    hidden = sorted(
        f"  {msgid!r}  [{path.relative_to(PACKAGE)}:{line}]"
        for path in sorted(PACKAGE.rglob("*.py"))
        for msgid, line in _literal_messages(path)
        if (msgid, None) not in source_messages
    )
    assert not hidden, (
        "Babel does not extract these messages (a call inside an f-string?), so they are "
        "never translated; move the call out of the f-string (e.g. `label = tr(N_('…'))`):\n"
        + "\n".join(hidden)
    )


def test_french_catalog_keeps_every_placeholder(french: Catalog) -> None:
    wrong = []
    for entry in _entries(french):
        expected = set().union(*(_placeholders(text) for text in _forms(entry.id)))
        params = _dummy_params(entry.id)
        source_formats = all(_formats(text, params) for text in _forms(entry.id))
        for index, form in enumerate(_forms(entry.string)):
            if not form:
                continue
            found = _placeholders(form)
            if found != expected:
                wrong.append(
                    f"  {_singular(entry.id)!r} [form {index}]: "
                    f"expected {sorted(expected)}, found {sorted(found)}"
                )
            elif source_formats and not _formats(form, params):
                wrong.append(f"  {_singular(entry.id)!r} [form {index}]: a stray '%' breaks it")
    assert not wrong, "French translations with wrong placeholders:\n" + "\n".join(wrong)


def test_french_catalog_has_french_plural_rule(french: Catalog) -> None:
    assert str(french.locale) == "fr"
    assert french.plural_forms == PLURAL_FORMS["fr"]
    assert french.plural_expr == "(n > 1)"


def test_english_catalog_fills_both_plural_forms(
    source_messages: dict[Key, Found], english: Catalog
) -> None:
    assert str(english.locale) == "en"
    assert english.plural_forms == PLURAL_FORMS["en"]
    plurals = [found for found in source_messages.values() if isinstance(found.msgid, tuple)]
    incomplete = []
    for found in plurals:
        entry = english.get(_singular(found.msgid), context=found.context)
        forms = _forms(entry.string) if entry is not None else ()
        if (
            entry is None
            or entry.fuzzy
            or len(forms) != 2
            or not all(form.strip() for form in forms)
        ):
            incomplete.append(_describe(found))
    assert not incomplete, (
        "English plural entries need both forms (msgstr[0] and msgstr[1]):\n"
        + "\n".join(incomplete)
    )


def test_english_catalog_keeps_every_placeholder(english: Catalog) -> None:
    wrong = [
        f"  {_singular(entry.id)!r} [form {index}]"
        for entry in _entries(english)
        for index, form in enumerate(_forms(entry.string))
        if form
        and _placeholders(form) != set().union(*(_placeholders(text) for text in _forms(entry.id)))
    ]
    assert not wrong, "English translations with wrong placeholders:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", [TEMPLATE, *CATALOGS.values()], ids=lambda path: path.parent.name)
def test_catalog_files_parse_without_errors(path: Path) -> None:
    catalog = _read(path)
    assert catalog.charset.lower() == "utf-8"
    assert len(list(_entries(catalog))) > 0


@pytest.mark.parametrize("path", CATALOGS.values(), ids=CATALOGS.keys())
def test_catalog_files_have_no_fuzzy_entry(path: Path) -> None:
    fuzzy = [_singular(entry.id) for entry in _entries(_read(path)) if entry.fuzzy]
    assert not fuzzy, f"fuzzy entries are ignored at run time; review them: {fuzzy}"


def test_translate_renders_french_with_parameters() -> None:
    text = translate("fr", "Slow down! Wait %(seconds)s s before sending again.", {"seconds": 3})
    assert text != "Slow down! Wait 3 s before sending again."
    assert "3" in text
    assert "Attends" in text


def test_translate_falls_back_to_english_msgid() -> None:
    text = translate("en", "Slow down! Wait %(seconds)s s before sending again.", {"seconds": 3})
    assert text == "Slow down! Wait 3 s before sending again."
