"""The conformance suite every game must pass, callable from any test module.

``check_game`` plays random legal games to the end from many seeds and, at
every step, checks the properties the live engine relies on:

* every action listed by ``legal_actions`` is accepted by ``apply``;
* ``apply`` is deterministic and never mutates the state it is given;
* events survive JSON, and folding them with ``evolve`` never fails;
* every state survives ``dump``/``load`` through JSON with equal views, equal as
  values too (the table service sends a viewer nothing when their view is unchanged);
* ``outcome`` is ``None`` until the end, then exactly one outcome stays;
* replaying ``setup`` plus the logged events rebuilds the final state;
* the outcome's ``details["placings"]`` give every seat a place (an integer from 1),
  as the evening soirée reads them;
* no view discloses a fact its viewer may not know (for games that declare
  their secrets, see :mod:`estaminet.games.kit.secrecy`);
* no view shows a time its viewer may not know: a game that declares
  ``timing_keys`` (``"deadline"``) declares, among its facts, the times each
  viewer may see, derived from public facts only (a step's start and its
  timer), never from the state's own deadline. A countdown that is shorter
  for a call nobody can answer tells the table that role is not in play.

Timeouts are injected like the runner does: the fake clock jumps past
``deadline(state)`` and ``SYSTEM`` applies ``{"type": "timeout"}``.

With a ``bot`` policy (practice tables), the seats play by that policy
instead of at random: it is given only the seat's own view (as the runner
gives it), the seed and the log position, and each action it chooses must be
one of that seat's legal actions (a seat with no legal action may be shown a
stale screen, as Loup-Garou's players are after a narrator's undo: what it
chooses then is refused, and it waits).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from estaminet.games.kit.secrecy import Secretive, find_leaks
from estaminet.kernel.activity import (
    SYSTEM,
    Activity,
    Event,
    Outcome,
    Rejection,
    Seat,
    Viewer,
    ViewerKind,
)

__all__ = [
    "START",
    "BotPolicy",
    "ConformanceError",
    "Playout",
    "check_game",
    "check_round_trip",
    "check_secrecy",
    "default_viewers",
    "play",
    "replay",
]

START = datetime(2024, 1, 6, 20, 0, tzinfo=UTC)
"""The fake clock's first instant (a Saturday game night)."""

TIMEOUT: Mapping[str, Any] = {"type": "timeout"}

BotPolicy = Callable[[Mapping[str, Any], int, int], Mapping[str, Any] | None]
"""A bot: (the seat's own view, the game's seed, the log position) → an action or ``None``."""


class ConformanceError(AssertionError):
    """A game broke a rule of the protocol; the message says where (seed, step)."""


@dataclass
class Playout:
    """One random game: its inputs, the accepted moves and the logged events."""

    seats: int
    options: Mapping[str, Any]
    seed: int
    moves: list[tuple[Seat, Mapping[str, Any]]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    outcome: Outcome | None = None
    final: Any = None


def default_viewers(seats: int) -> list[Viewer]:
    """Each player, a spectator, a narrator and the replay viewer."""
    viewers = [Viewer.player(seat) for seat in range(seats)]
    return [*viewers, Viewer.spectator(), Viewer.narrator(), Viewer(ViewerKind.REPLAY)]


def _fail(playout: Playout, step: int, message: str) -> ConformanceError:
    return ConformanceError(f"seed={playout.seed} seats={playout.seats} step={step}: {message}")


def _wire(value: Any) -> Any:
    """``value`` as it comes back from JSON (the store and the gateway)."""
    return json.loads(json.dumps(value))


def _views(game: Activity[Any], state: Any, viewers: Sequence[Viewer]) -> list[Any]:
    return [_wire(game.view(state, viewer)) for viewer in viewers]


def check_round_trip(
    game: Activity[Any], state: Any, viewers: Sequence[Viewer], views: Sequence[Any] | None = None
) -> None:
    """``dump`` gives JSON types, and ``load`` of it gives a state with equal dump and views."""
    dumped = game.dump(state)
    text = json.dumps(dumped, sort_keys=True)
    loaded = game.load(json.loads(text))
    if json.dumps(game.dump(loaded), sort_keys=True) != text:
        raise ConformanceError("dump(load(dump(state))) differs from dump(state)")
    views = _views(game, state, viewers) if views is None else views
    for viewer, seen in zip(viewers, views, strict=True):
        again = game.view(loaded, viewer)
        if seen != _wire(again):
            raise ConformanceError(f"the view of {viewer} changed after a dump/load round-trip")
        # The table service compares a viewer's views as values to send nothing when
        # nothing changed: equal states must give equal values, not only equal JSON (a
        # tuple in one and a list in the other would send a frame that tells the table
        # somebody acted).
        if game.view(state, viewer) != again:
            raise ConformanceError(
                f"the view of {viewer} is another value after a dump/load round-trip"
                " (a tuple where a list was?), though its JSON is the same"
            )


def check_secrecy(
    game: Activity[Any], state: Any, viewers: Sequence[Viewer], views: Sequence[Any] | None = None
) -> None:
    """No view of ``state`` discloses a fact its viewer may not know."""
    if not isinstance(game, Secretive):
        return
    facts = game.knowledge(state)
    views = _views(game, state, viewers) if views is None else views
    timing: frozenset[str] = getattr(game, "timing_keys", frozenset())
    # Times are claims like secrets (an object holding both must match a fact with both).
    guarded = game.guarded_keys | timing
    for viewer, seen in zip(viewers, views, strict=True):
        leaks = find_leaks(seen, viewer, facts, guarded, wired=True)
        if leaks:
            kind = "timing leak" if any(timing & leak.claim.keys() for leak in leaks) else "leak"
            raise ConformanceError(f"{kind}: " + "; ".join(str(leak) for leak in leaks[:3]))


def replay(game: Activity[Any], playout: Playout) -> Any:
    """Rebuild the state from ``setup`` and the logged events, as the runner does."""
    state = game.setup(playout.seats, playout.options, playout.seed, START)
    for event in playout.events:
        state = game.evolve(state, _wire(event))
    return state


def _check_accepts(
    game: Activity[Any],
    state: Any,
    moves: Sequence[tuple[Seat, Mapping[str, Any]]],
    now: datetime,
    rng: random.Random,
    limit: int,
) -> str | None:
    sample = list(moves) if len(moves) <= limit else rng.sample(list(moves), limit)
    for actor, action in sample:
        result = game.apply(state, actor, action, now)
        if isinstance(result, Rejection):
            return f"legal action {action} of seat {actor} rejected with {result.code}"
        if not result:
            return f"legal action {action} of seat {actor} produced no event"
    return None


def play(
    game: Activity[Any],
    *,
    seats: int,
    options: Mapping[str, Any],
    seed: int,
    extra_actors: Sequence[Seat] = (),
    viewers: Sequence[Viewer] | None = None,
    timeout_share: float = 0.1,
    max_steps: int = 4000,
    legal_sample: int = 4,
    checks: bool = True,
    bot: BotPolicy | None = None,
) -> Playout:
    """Play one random legal game to its end, checking every step when ``checks`` is on.

    With ``bot``, the seats play by that policy (see the module's docstring) and the
    ``extra_actors`` (a human narrator) at random."""
    playout = Playout(seats, options, seed)
    rng = random.Random(f"conformance:{seed}")
    viewers = list(viewers) if viewers is not None else default_viewers(seats)
    actors = [*range(seats), *extra_actors]
    now = START
    state = game.setup(seats, options, seed, now)
    for step in range(max_steps):
        try:
            if checks:
                views = _views(game, state, viewers)
                check_round_trip(game, state, viewers, views)
                check_secrecy(game, state, viewers, views)
        except ConformanceError as error:
            raise _fail(playout, step, str(error)) from None
        outcome = game.outcome(state)
        if outcome is not None:
            _check_end(game, state, actors, playout, step)
            problem = placings_problem(outcome.details, seats)
            if problem:
                raise _fail(playout, step, problem)
            playout.outcome, playout.final = outcome, state
            break
        moves = [(actor, action) for actor in actors for action in game.legal_actions(state, actor)]
        due = game.deadline(state)
        if checks:
            problem = _check_accepts(game, state, moves, now, rng, legal_sample)
            if problem:
                raise _fail(playout, step, problem)
        if bot is not None:
            moves = _bot_moves(game, state, bot, playout, step, moves, rng)
        if due is not None and (not moves or rng.random() < timeout_share):
            now = max(now, due) + timedelta(seconds=1)
            actor, action = SYSTEM, TIMEOUT
        elif moves:
            actor, action = rng.choice(moves)
        else:
            raise _fail(playout, step, "stuck: no legal action, no deadline and no outcome")
        before = json.dumps(game.dump(state), sort_keys=True)
        result = game.apply(state, actor, action, now)
        if isinstance(result, Rejection):
            raise _fail(playout, step, f"{action} by {actor} rejected with {result.code}")
        if checks and _wire(game.apply(state, actor, action, now)) != _wire(list(result)):
            raise _fail(playout, step, f"apply is not deterministic for {action}")
        previous = state
        for event in result:
            state = game.evolve(state, _wire(event))
        if checks and json.dumps(game.dump(previous), sort_keys=True) != before:
            raise _fail(playout, step, f"apply or evolve mutated the state given ({action})")
        playout.moves.append((actor, action))
        playout.events.extend(_wire(list(result)))
    else:
        raise _fail(playout, max_steps, "no outcome after the maximum number of steps")
    return playout


def placings_problem(details: Mapping[str, Any], seats: int) -> str | None:
    """What is wrong with an outcome's placings (``None``: every seat has a place from 1)."""
    placings = details.get("placings")
    if not isinstance(placings, Mapping):
        return "the outcome has no placings ({seat: place} in details['placings'])"
    if set(placings) != set(range(seats)):
        return f"placings must name every seat 0..{seats - 1} once: {sorted(placings)}"
    for place in placings.values():
        if isinstance(place, bool) or not isinstance(place, int) or not 1 <= place <= seats:
            return f"a place must be a whole number from 1 to {seats}: {place!r}"
    return None


def _bot_moves(
    game: Activity[Any],
    state: Any,
    bot: BotPolicy,
    playout: Playout,
    step: int,
    moves: list[tuple[Seat, Mapping[str, Any]]],
    rng: random.Random,
) -> list[tuple[Seat, Mapping[str, Any]]]:
    """The bots' moves now (each checked legal); the other actors' moves only now and then,
    as a narrator who lets the seats act first."""
    chosen: list[tuple[Seat, Mapping[str, Any]]] = []
    for seat in range(playout.seats):
        view = _wire(game.view(state, Viewer.player(seat)))
        action = bot(view, playout.seed, len(playout.events))
        if action is None:
            continue
        if _wire(action) != _wire(bot(view, playout.seed, len(playout.events))):
            raise _fail(playout, step, f"the bot of seat {seat} is not deterministic")
        legal = _wire(list(game.legal_actions(state, seat)))
        if not legal:
            # Not called now, whatever its screen shows (Loup-Garou's veil after a narrator's
            # undo shows the table as it was): the runner is refused and the bot waits.
            continue
        if _wire(action) not in legal:
            raise _fail(playout, step, f"the bot of seat {seat} chose an illegal {action}")
        chosen.append((seat, action))
    others = [(actor, action) for actor, action in moves if not 0 <= actor < playout.seats]
    if chosen and (not others or rng.random() < 0.85):
        return chosen
    return others


def _check_end(
    game: Activity[Any], state: Any, actors: Sequence[Seat], playout: Playout, step: int
) -> None:
    if game.deadline(state) is not None:
        raise _fail(playout, step, "a finished game still has a deadline")
    for actor in actors:
        if game.legal_actions(state, actor):
            raise _fail(playout, step, f"a finished game still offers actions to {actor}")


def check_game(
    game: Activity[Any],
    *,
    seats: int,
    options: Mapping[str, Any] | None = None,
    seeds: Sequence[int] = range(10),
    extra_actors: Sequence[Seat] = (),
    timeout_share: float = 0.1,
    legal_sample: int = 4,
    max_steps: int = 4000,
    bot: BotPolicy | None = None,
) -> list[Playout]:
    """Run the whole suite for one table size and options over ``seeds``.

    Raises :class:`ConformanceError` at the first broken rule; returns the
    playouts so a test can look at their outcomes (e.g. that every ending
    the game knows is reached).
    """
    options = dict(game.default_options() if options is None else options)
    rejection = game.validate_options(options, seats)
    if rejection is not None:
        raise ConformanceError(f"options rejected: {rejection.code} {dict(rejection.params)}")
    playouts = []
    for seed in seeds:
        playout = play(
            game,
            seats=seats,
            options=options,
            seed=seed,
            extra_actors=extra_actors,
            timeout_share=timeout_share,
            legal_sample=legal_sample,
            max_steps=max_steps,
            bot=bot,
        )
        rebuilt = replay(game, playout)
        if json.dumps(game.dump(rebuilt), sort_keys=True) != json.dumps(
            game.dump(playout.final), sort_keys=True
        ):
            raise _fail(playout, len(playout.moves), "replaying the events gives another state")
        if game.outcome(rebuilt) != playout.outcome:
            raise _fail(playout, len(playout.moves), "replay gives another outcome")
        playouts.append(playout)
    return playouts
