"""What every game shares: the registry, the secrecy vocabulary and the conformance suite.

The conformance suite itself lives in :mod:`estaminet.games.kit.conformance`
(imported by tests, not by the running server).
"""

from estaminet.games.kit.placings import placings_by_score, placings_by_winners
from estaminet.games.kit.registry import all_games, get, register, template_dirs
from estaminet.games.kit.secrecy import Audience, Fact, Leak, Secretive, find_leaks

__all__ = [
    "Audience",
    "Fact",
    "Leak",
    "Secretive",
    "all_games",
    "find_leaks",
    "get",
    "placings_by_score",
    "placings_by_winners",
    "register",
    "template_dirs",
]
