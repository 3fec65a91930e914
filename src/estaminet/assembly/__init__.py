"""General assemblies: the pure rules of a sitting, counting, views and minutes.

Only pure modules: no I/O, no database, no clock, no global randomness.
The sitting is a live activity (:data:`ASSEMBLY`); counting lives in
:mod:`estaminet.assembly.counting`; the minutes structure comes from
:func:`sitting_minutes`.
"""

from estaminet.assembly import methods
from estaminet.assembly.checks import Decision
from estaminet.assembly.floor import floor_given_to, voice_floor
from estaminet.assembly.minutes import sitting_minutes
from estaminet.assembly.rejections import (
    NOT_PARTICIPANT_MESSAGE,
    REJECTION_MESSAGES,
    rejection_text,
)
from estaminet.assembly.sitting import ACTIONS, ASSEMBLY, AssemblyActivity
from estaminet.assembly.state import AssemblyState
from estaminet.kernel.ballots import BoxReading, BoxSpec, SealedBallot

__all__ = [
    "ACTIONS",
    "ASSEMBLY",
    "NOT_PARTICIPANT_MESSAGE",
    "REJECTION_MESSAGES",
    "AssemblyActivity",
    "AssemblyState",
    "BoxReading",
    "BoxSpec",
    "Decision",
    "SealedBallot",
    "floor_given_to",
    "methods",
    "rejection_text",
    "sitting_minutes",
    "voice_floor",
]
