"""Lowest unique number, the example game of docs/new-game.md."""

from estaminet.games.example.game import GAME, REJECTION_MESSAGES, LowestUnique, State
from estaminet.games.example.rules import rules_sections

__all__ = ["GAME", "REJECTION_MESSAGES", "LowestUnique", "State", "rules_sections"]
