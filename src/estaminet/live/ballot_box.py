"""Encrypted ballot boxes: a Paillier sum on disk, the private key in memory and in two shares.

A secret vote's box is one row of ``ballot_boxes`` holding the box's public
key, the encrypted running sum of its ballots' count vectors, and how many
ballots it holds. A cast adds the encrypted vector to the sum (Paillier is
additively homomorphic) and rewrites the row in the same transaction as the
voter's ``vote.ballot_cast`` event: every version of the row a copy of the
database may keep (SQLite's WAL, PostgreSQL's old tuples, a backup) holds
only ciphertexts, fresh randomness each time, so no version tells which
ballot came with which voter.

The private key never reaches the disk. This process keeps it in memory
while the vote is open, and splits its prime factor ``p`` into two XOR
shares (each alone uniformly random) that the key holders' pages fetch and
keep in their browser's storage. A process that rebuilds a box without its
key reports it *locked* (casting goes on, counting waits) until the holders'
pages give the shares back; the shares are checked against commitments in
the row and against the public key (``p`` divides ``n``). Only sums are ever
decrypted. Shares, keys and ballots never enter a log line, an event, a
snapshot or an exception. See ``docs/assembly/secret-ballots.md``.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from phe import paillier
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from estaminet.kernel.activity import Seat
from estaminet.kernel.ballots import BoxReading, BoxSpec
from estaminet.kernel.errors import BadInput, Conflict, Forbidden
from estaminet.kernel.i18n import N_
from estaminet.live.schema import ballot_boxes

__all__ = [
    "KEY_BITS",
    "SCHEME",
    "SLOT_BITS",
    "BallotBoxes",
    "Presented",
    "Reachable",
    "read_contents",
    "write_contents",
]

SCHEME = "paillier"
KEY_BITS = 2048
"""The modulus ``n``; each prime factor has half as many bits."""
SLOT_BITS = 24
"""One counter of a packed plaintext: up to 16 777 215 ballots per choice."""
_SLOTS = (KEY_BITS - 8) // SLOT_BITS
"""Counters per ciphertext, kept well below phe's largest positive plaintext (``n / 3``)."""
_SHARE_BITS = KEY_BITS // 2 + 64
"""Shares are wider than ``p``: the XOR of ``p`` with a uniform mask is uniform too."""
_SHARE_HEX = _SHARE_BITS // 4
_SHARE = re.compile(rf"[0-9a-f]{{{_SHARE_HEX}}}")

Reachable = Callable[[int, Sequence[Seat]], Awaitable[set[Seat]]]
"""Which of these seats have the activity's page open here (to hand them a share now)."""


def _pack(vector: Sequence[int]) -> list[int]:
    chunks = []
    for start in range(0, len(vector), _SLOTS):
        value = 0
        for index, count in enumerate(vector[start : start + _SLOTS]):
            value |= count << (SLOT_BITS * index)
        chunks.append(value)
    return chunks


def _unpack(chunks: Sequence[int], size: int) -> tuple[int, ...]:
    mask = (1 << SLOT_BITS) - 1
    counts = [(chunk >> (SLOT_BITS * i)) & mask for chunk in chunks for i in range(_SLOTS)]
    return tuple(counts[:size])


def _commitment(activity_id: int, box: str, part: int, share: str) -> str:
    text = f"estaminet-ballot-share:{activity_id}:{box}:{part}:{share}"
    return hashlib.sha256(text.encode()).hexdigest()


def _public(contents: Mapping[str, Any]) -> paillier.PaillierPublicKey:
    return paillier.PaillierPublicKey(int(contents["n"], 16))


@dataclass
class _Key:
    """What this process holds for one box: always the public key; maybe the private one."""

    public: paillier.PaillierPublicKey
    private: paillier.PaillierPrivateKey | None = None
    shares: tuple[str, ...] = ()
    """The shares to hand to their holders (held as long as the private key)."""
    given: dict[int, str] = field(default_factory=dict)
    """Shares given back while the box is locked, until all are here."""


@dataclass(frozen=True)
class Presented:
    """What a key holder's share did: the row to write (if it changed) and whether it unlocked."""

    contents: dict[str, Any] | None
    unlocked: bool


def _wrong_share() -> BadInput:
    return BadInput("ballots/wrong_share", N_("This is not a key of this ballot box."))


class BallotBoxes:
    """The encrypted boxes of every activity, and the keys this process holds for them."""

    def __init__(self) -> None:
        self.reachable: Reachable | None = None
        self._keys: dict[tuple[int, str], _Key] = {}

    # -- opening and sealing ---------------------------------------------------

    async def create(self, activity_id: int, spec: BoxSpec) -> tuple[dict[str, Any], BoxReading]:
        """A new box: a key pair made off the event loop, its row, and the rules' reading."""
        public, private = await asyncio.to_thread(
            paillier.generate_paillier_keypair, n_length=KEY_BITS
        )
        holders = await self._holders(activity_id, spec.keepers)
        mask = secrets.randbits(_SHARE_BITS)
        shares = tuple(f"{s:0{_SHARE_HEX}x}" for s in (mask, mask ^ private.p))
        zero = await asyncio.to_thread(self._encrypt, public, [0] * spec.size)
        self._keys[(activity_id, spec.box)] = _Key(public, private, shares)
        contents = {
            "scheme": SCHEME,
            "n": f"{public.n:x}",
            "slot_bits": SLOT_BITS,
            "size": spec.size,
            "ballots": 0,
            "sums": [f"{c:x}" for c in zero],
            "holders": list(holders),
            "commitments": [
                _commitment(activity_id, spec.box, part, share) for part, share in enumerate(shares)
            ],
            "kept": [False] * len(holders),
        }
        reading = BoxReading(spec.box, 0, (0,) * spec.size, holders, (False,) * len(holders))
        return contents, reading

    async def _holders(self, activity_id: int, keepers: Sequence[Seat]) -> tuple[Seat, Seat]:
        first = keepers[0]
        second = keepers[1] if len(keepers) > 1 else first
        online = (
            {second} if self.reachable is None else await self.reachable(activity_id, (second,))
        )
        if second not in online:
            second = first  # the secretary's page is not open here: the facilitator keeps both
        return first, second

    @staticmethod
    def _encrypt(public: paillier.PaillierPublicKey, vector: Sequence[int]) -> list[int]:
        # raw_encrypt draws its randomness from the OS (random.SystemRandom).
        return [public.raw_encrypt(chunk) for chunk in _pack(vector)]

    async def seal(self, activity_id: int, box: str, vector: Sequence[int]) -> list[int]:
        """Encrypt a ballot's vector for its box (off the event loop)."""
        key = self._keys.get((activity_id, box))
        if key is None:
            raise Conflict("ballots/box_unknown", N_("This ballot box is not open."))
        return await asyncio.to_thread(self._encrypt, key.public, vector)

    @staticmethod
    def add(contents: Mapping[str, Any], sealed: Sequence[int]) -> dict[str, Any]:
        """The row with one more ballot: its encrypted vector added to the encrypted sum."""
        public = _public(contents)
        sums = [
            paillier.EncryptedNumber(public, int(total, 16)) + paillier.EncryptedNumber(public, c)
            for total, c in zip(contents["sums"], sealed, strict=True)
        ]
        if contents["ballots"] + 1 >= 1 << SLOT_BITS:
            raise Conflict("ballots/box_full", N_("This ballot box is full."))
        return {
            **contents,
            "ballots": contents["ballots"] + 1,
            "sums": [f"{s.ciphertext(be_secure=False):x}" for s in sums],
        }

    # -- reading ---------------------------------------------------------------

    async def read(self, activity_id: int, box: str, contents: Mapping[str, Any]) -> BoxReading:
        """What the rules may know of a stored box: its totals only if this process has its key."""
        key = self._keys.get((activity_id, box))
        if key is None or key.public.n != int(contents["n"], 16):
            key = self._keys[(activity_id, box)] = _Key(_public(contents))
        totals = None
        if key.private is not None:
            totals = await asyncio.to_thread(self._decrypt, key.private, contents)
        return BoxReading(
            box,
            int(contents["ballots"]),
            totals,
            tuple(contents["holders"]),
            tuple(bool(k) for k in contents["kept"]),
        )

    @staticmethod
    def _decrypt(
        private: paillier.PaillierPrivateKey, contents: Mapping[str, Any]
    ) -> tuple[int, ...]:
        # Only the sum is ever decrypted: single ballots are never stored on their own.
        chunks = [private.raw_decrypt(int(total, 16)) for total in contents["sums"]]
        return _unpack(chunks, int(contents["size"]))

    def holds_key(self, activity_id: int, box: str) -> bool:
        """Whether this process can count the box now."""
        key = self._keys.get((activity_id, box))
        return key is not None and key.private is not None

    # -- the key holders ---------------------------------------------------------

    def shares_for(
        self, activity_id: int, seat: Seat, holders: Mapping[str, Sequence[Seat]]
    ) -> list[dict[str, Any]]:
        """The shares ``seat`` keeps, for the boxes (``holders``: each box's holders) whose key
        this process holds; sent to that person's own page only."""
        found = []
        for box, seats in sorted(holders.items()):
            key = self._keys.get((activity_id, box))
            if key is None or key.private is None:
                continue
            for part, holder in enumerate(seats):
                if holder == seat and part < len(key.shares):
                    found.append({"box": box, "part": part, "share": key.shares[part]})
        return found

    def present(
        self,
        activity_id: int,
        box: str,
        contents: Mapping[str, Any],
        seat: Seat,
        part: object,
        share: object,
    ) -> Presented:
        """A holder's page shows its share: a confirmation that it is kept, or (locked) a key
        coming back. Refuses another seat's part or a share that is not this box's."""
        holders = list(contents["holders"])
        if isinstance(part, bool) or not isinstance(part, int) or not 0 <= part < len(holders):
            raise BadInput("ballots/malformed", N_("This message could not be read."))
        if holders[part] != seat:
            raise Forbidden("ballots/not_a_keeper", N_("You do not keep this key."))
        if not isinstance(share, str) or not _SHARE.fullmatch(share):
            raise _wrong_share()
        if not secrets.compare_digest(
            _commitment(activity_id, box, part, share), contents["commitments"][part]
        ):
            raise _wrong_share()
        key = self._keys.get((activity_id, box))
        if key is None:
            key = self._keys[(activity_id, box)] = _Key(_public(contents))
        unlocked = False
        if key.private is None:
            key.given[part] = share
            if len(key.given) == len(holders):
                unlocked = self._unlock(key)
        kept = list(contents["kept"])
        if kept[part]:
            return Presented(None, unlocked)
        kept[part] = True
        return Presented({**contents, "kept": kept}, unlocked)

    @staticmethod
    def _unlock(key: _Key) -> bool:
        mask = 0
        for part in sorted(key.given):
            mask ^= int(key.given[part], 16)
        n = key.public.n
        if not 1 < mask < n or n % mask:
            key.given.clear()
            raise _wrong_share()
        key.private = paillier.PaillierPrivateKey(key.public, mask, n // mask)
        key.shares = tuple(key.given[part] for part in sorted(key.given))
        key.given.clear()
        return True

    def shut(self, activity_id: int, box: str) -> None:
        """Forget the box's keys (its vote is counted or cancelled)."""
        self._keys.pop((activity_id, box), None)

    def shut_all(self, activity_id: int) -> None:
        """Forget every key of an activity (it ended)."""
        for known in [k for k in self._keys if k[0] == activity_id]:
            del self._keys[known]


async def read_contents(
    conn: AsyncConnection, activity_id: int, box: str, *, lock: bool
) -> dict[str, Any] | None:
    """A box's row (``lock``: for update, on databases that lock rows)."""
    query = select(ballot_boxes.c.contents).where(
        ballot_boxes.c.activity_id == activity_id, ballot_boxes.c.box == box
    )
    if lock and conn.dialect.name != "sqlite":
        query = query.with_for_update()
    found = (await conn.execute(query)).scalar()
    return None if found is None else dict(found)


async def write_contents(
    conn: AsyncConnection, activity_id: int, box: str, contents: Mapping[str, Any], *, new: bool
) -> None:
    """Store a box's row (the one row of the box, rewritten each time)."""
    if new:
        await conn.execute(
            insert(ballot_boxes).values(activity_id=activity_id, box=box, contents=dict(contents))
        )
    else:
        await conn.execute(
            update(ballot_boxes)
            .where(ballot_boxes.c.activity_id == activity_id, ballot_boxes.c.box == box)
            .values(contents=dict(contents))
        )
