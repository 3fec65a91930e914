"""What the edge reads from a game's package besides its rules object: names and messages."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from estaminet.kernel.activity import Activity
from estaminet.kernel.i18n import Msgid

__all__ = ["game_module", "participant_message", "rule_message"]


def game_module(rules: Activity[Any]) -> ModuleType:
    """The package a game's rules object comes from (``estaminet.games.werewolf``…)."""
    return importlib.import_module(type(rules).__module__.rpartition(".")[0])


def rule_message(rules: Activity[Any], code: str, default: Msgid) -> Msgid:
    """The English message id a game gives for a rejection code (its module, then its package)."""
    for module in (importlib.import_module(type(rules).__module__), game_module(rules)):
        messages: Mapping[str, Msgid] = getattr(module, "REJECTION_MESSAGES", {})
        if code in messages:
            return messages[code]
    return default


def participant_message(rules: Activity[Any], default: Msgid) -> Msgid:
    """What an activity answers someone with no seat in it (its package's ``NOT_PARTICIPANT_MESSAGE``).

    A game says "only the players…"; an assembly speaks of convened members.
    """
    message: Msgid = getattr(game_module(rules), "NOT_PARTICIPANT_MESSAGE", default)
    return message
