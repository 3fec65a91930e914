"""Game nights: the registry of games and one pure package per game.

Importing this package registers every built-in game, so
``estaminet.games.kit.get("werewolf")`` works once ``estaminet.games`` is imported.
"""

from estaminet.games import dessin, example, petit_bac, werewolf
from estaminet.games.kit import register

__all__ = ["dessin", "example", "petit_bac", "werewolf"]

register(dessin.GAME)
register(example.GAME)
register(petit_bac.GAME)
register(werewolf.GAME)
