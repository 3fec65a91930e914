"""Loup-Garou de Thiercelieux: every role, an automatic and an apprentice narrator.

Pure rules: no I/O, no clock, no global random. See docs/games/werewolf-rules.md.
"""

from estaminet.games.werewolf.bots import bot_action
from estaminet.games.werewolf.channels import CHANNELS, channels, voice_plan
from estaminet.games.werewolf.game import GAME, Werewolf
from estaminet.games.werewolf.knowledge import GUARDED_KEYS, knowledge
from estaminet.games.werewolf.moves import NARRATOR_SEAT
from estaminet.games.werewolf.options import (
    DEFAULT_OPTIONS,
    SUGGESTED_COMPOSITIONS,
    Balance,
    balance,
    suggested_composition,
    validate_options,
)
from estaminet.games.werewolf.rejections import REJECTION_MESSAGES
from estaminet.games.werewolf.roles import (
    ROLE_NAMES,
    ROLE_POWERS,
    TITLE_NAMES,
    Camp,
    Role,
    camp_of,
)
from estaminet.games.werewolf.rules import rules_sections
from estaminet.games.werewolf.screen import ScreenModel, VillageSeat, screen_model
from estaminet.games.werewolf.script import DAY_ORDER, NIGHT_ORDER, STEPS, Phase, Step
from estaminet.games.werewolf.state import State

__all__ = [
    "CHANNELS",
    "DAY_ORDER",
    "DEFAULT_OPTIONS",
    "GAME",
    "GUARDED_KEYS",
    "NARRATOR_SEAT",
    "NIGHT_ORDER",
    "REJECTION_MESSAGES",
    "ROLE_NAMES",
    "ROLE_POWERS",
    "STEPS",
    "SUGGESTED_COMPOSITIONS",
    "TITLE_NAMES",
    "Balance",
    "Camp",
    "Phase",
    "Role",
    "ScreenModel",
    "State",
    "Step",
    "VillageSeat",
    "Werewolf",
    "balance",
    "bot_action",
    "camp_of",
    "channels",
    "knowledge",
    "rules_sections",
    "screen_model",
    "suggested_composition",
    "validate_options",
    "voice_plan",
]
