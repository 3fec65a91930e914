"""Vote methods: how a vote decides, declared once each (pure).

A method is one :class:`MethodSpec`: its key, its name, the rule read out
before the vote opens (also printed in the minutes), and its ballot
:class:`Form` — what a ballot holds, and so how ballots are checked, summed
as count vectors, counted and written in the minutes:

* ``answers``: yes / no / abstain, counted against a threshold on a base;
* ``one``: one option or a blank ballot, the most chosen option wins;
* ``some``: several options (up to ``max_choices``), the most chosen wins;
* ``grades``: a grade for every option, majority judgment;
* ``objections``: no ballot; adopted unless someone objects (consent).

:func:`declare` registers a method; from then on ``Method(key)`` is that
method and the facilitator's form offers it. See ``docs/new-vote-method.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from estaminet.kernel.i18n import N_, Msgid

__all__ = [
    "Form",
    "Method",
    "MethodSpec",
    "all_methods",
    "declare",
    "form_of",
    "spec_of",
    "withdraw",
]

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class Form(StrEnum):
    """What a ballot holds (each form has its checks, count vector, counting and wording)."""

    ANSWERS = "answers"
    ONE = "one"
    SOME = "some"
    GRADES = "grades"
    OBJECTIONS = "objections"


@dataclass(frozen=True)
class MethodSpec:
    """One vote method, declared once."""

    key: str
    name: Msgid
    """Its name in menus and in the minutes ("Yes / no / abstain")."""
    form: Form
    rule: Msgid | None
    """The rule read out before the vote opens (``%(max)s``: the most choices per ballot);
    ``None`` for ``answers``, whose rule is worded from its threshold and base."""
    min_options: int = 0
    """How many options the question needs (none for answers and objections)."""
    max_choices: int | None = 1
    """``some`` only: the most choices per ballot; ``None``: the facilitator says
    (``max_choices`` in the vote), ``0``: every option may be chosen."""
    for_motions: bool = False
    """Whether it may decide a proposal (adopted or not)."""


class _Methods(type):
    """Iterating ``Method`` lists every declared method, like an enumeration."""

    def __iter__(cls) -> Iterator[Method]:
        return iter(tuple(_declared.values()))


class Method(str, metaclass=_Methods):
    """The key of a declared method: ``Method("majority") is Method.MAJORITY``.

    Only declared methods exist: ``Method("raffle")`` raises :class:`ValueError`.
    """

    MAJORITY: ClassVar[Method]
    """Yes / no / abstain against a threshold on a stated base."""
    SINGLE: ClassVar[Method]
    MULTIPLE: ClassVar[Method]
    CONSENT: ClassVar[Method]
    JUDGMENT: ClassVar[Method]
    """Majority judgment on the default seven-grade scale."""

    __slots__ = ()

    def __new__(cls, key: str) -> Method:
        found = _declared.get(key) if isinstance(key, str) else None
        if found is None:
            raise ValueError(f"{key!r} is not a valid Method")
        return found

    @property
    def value(self) -> str:
        """The method's key, as a plain string (as an enumeration member has it)."""
        return str.__str__(self)

    @property
    def spec(self) -> MethodSpec:
        return _specs[self.value]

    @property
    def form(self) -> Form:
        return _specs[self.value].form


_declared: dict[str, Method] = {}
_specs: dict[str, MethodSpec] = {}


def declare(spec: MethodSpec) -> Method:
    """Register ``spec`` and return its method; declaring the same spec again is harmless."""
    if not _KEY.match(spec.key):
        raise ValueError(f"vote method {spec.key!r}: a lowercase key")
    existing = _specs.get(spec.key)
    if existing is not None:
        if existing != spec:
            raise ValueError(f"another vote method is already declared as {spec.key!r}")
        return _declared[spec.key]
    method = str.__new__(Method, spec.key)
    _declared[spec.key], _specs[spec.key] = method, spec
    return method


def withdraw(key: str) -> None:
    """Forget a method declared at run time (tests); votes already held with it cannot load."""
    _declared.pop(key, None)
    _specs.pop(key, None)


def spec_of(key: str) -> MethodSpec | None:
    """The declaration of the method ``key``, or ``None`` (a method withdrawn since)."""
    return _specs.get(key)


def form_of(key: str) -> str:
    """The ballot form of the method ``key`` (``""`` if it is not declared): for templates."""
    spec = _specs.get(key)
    return "" if spec is None else spec.form.value


def all_methods() -> tuple[MethodSpec, ...]:
    """Every declared method, in declaration order (the facilitator's menu)."""
    return tuple(_specs.values())


Method.MAJORITY = declare(
    MethodSpec(
        "majority",
        N_("Yes / no / abstain"),
        Form.ANSWERS,
        None,
        for_motions=True,
    )
)
Method.SINGLE = declare(
    MethodSpec(
        "single",
        N_("Single choice"),
        Form.ONE,
        N_(
            "Rule: one choice per ballot; the option with the most votes will be chosen. "
            "A tie chooses nothing."
        ),
        min_options=2,
    )
)
Method.MULTIPLE = declare(
    MethodSpec(
        "multiple",
        N_("Multiple choice"),
        Form.SOME,
        N_(
            "Rule: up to %(max)s choices per ballot; the option with the most votes will be "
            "chosen. A tie chooses nothing."
        ),
        min_options=2,
        max_choices=None,
    )
)
Method.CONSENT = declare(
    MethodSpec(
        "consent",
        N_("Consent"),
        Form.OBJECTIONS,
        N_("Rule: adopted unless someone raises a reasoned objection."),
        for_motions=True,
    )
)
Method.JUDGMENT = declare(
    MethodSpec(
        "judgment",
        N_("Majority judgment"),
        Form.GRADES,
        N_(
            "Rule: grade every option; the best majority grade will be chosen (a missing grade "
            "counts as “To reject”). A tie that the tie-break does not settle chooses nothing."
        ),
        min_options=1,
    )
)
