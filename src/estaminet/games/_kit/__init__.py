"""What every game shares: the registry, the secrecy vocabulary and the conformance suite.

The conformance suite itself lives in :mod:`estaminet.games._kit.conformance`
(imported by tests, not by the running server).
"""

from estaminet.games._kit.registry import all_games, get, register
from estaminet.games._kit.secrecy import Audience, Fact, Leak, Secretive, find_leaks

__all__ = [
    "Audience",
    "Fact",
    "Leak",
    "Secretive",
    "all_games",
    "find_leaks",
    "get",
    "register",
]
