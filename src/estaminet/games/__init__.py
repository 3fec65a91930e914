"""Game nights: the registry of games and one pure package per game.

Importing this package registers every built-in game, so
``estaminet.games.kit.get("werewolf")`` works once ``estaminet.games`` is imported.
"""

from estaminet.games import dessin, espions, example, intrus, petit_bac, quiz, werewolf
from estaminet.games.kit import register

__all__ = ["dessin", "espions", "example", "intrus", "petit_bac", "quiz", "werewolf"]

register(dessin.GAME)
register(espions.GAME)
register(example.GAME)
register(intrus.GAME)
register(petit_bac.GAME)
register(quiz.GAME)
register(werewolf.GAME)
