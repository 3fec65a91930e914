"""A view sent as patches ends up byte for byte the view a late joiner gets whole.

For every registered game, random playouts: after each event, each viewer's screen is
rendered afresh (what a late joiner's catch-up shows) and the patch from that viewer's
previous screen is built as a table publishes it (``realtime.patch.changes``). The
patches are applied in Python and by the page's own code (``static/js/ops.js``, run by
Node), and every result must equal the fresh screen.
"""

from __future__ import annotations

import itertools
import json
import random
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from estaminet.games.kit import all_games
from estaminet.games.kit.conformance import play
from estaminet.kernel.activity import Activity, Viewer
from estaminet.live.engine import Live
from estaminet.realtime import patch
from estaminet.tables.model import Participant, TableInfo
from estaminet.tables.service import VIEW, TableService
from estaminet.web.templating import Templates
from tests.support.databases import IN_CI

NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
OPS_JS = Path(__file__).parents[2] / "src" / "estaminet" / "web" / "static" / "js" / "ops.js"
STEPS = 70  # screens per playout (each event's), then the final one

NODE_APPLY = """
globalThis.document = { createElement: () => ({}) };
const { splitTokens, patchTokens, crc32 } = await import(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const chains = JSON.parse(input);
const out = chains.map((chain) => {
  let tokens = splitTokens(chain.first);
  const crcs = [];
  for (const op of chain.ops) {
    tokens = op.op === "replace" ? splitTokens(op.html) : patchTokens(tokens, op.edits);
    if (!tokens) return { error: "an edit did not fit" };
    crcs.push(crc32(tokens.join("")));
  }
  return { crcs, last: tokens.join("") };
});
process.stdout.write(JSON.stringify(out));
"""


def _service() -> TableService:
    service = object.__new__(TableService)  # only the rendering half is used here
    service.templates = Templates()
    service.view_templates = {}
    return service


def _seats(game: Activity[Any]) -> int:
    options = game.default_options()
    for seats in range(max(game.min_players, 4), game.max_players + 1):
        if game.validate_options(options, seats) is None:
            return seats
    return game.min_players


def _table(game: Activity[Any], seats: int) -> TableInfo:
    people = (
        *(Participant(f"u{i}", f"Joueur <{i}> 🦊", "player", i, i) for i in range(seats)),
        Participant("fan", "Fan « é »", "spectator", None, seats),
    )
    return TableInfo(
        1, game.key, "game", 1, "jeux", "T", "u0", "running", {}, False, 50, NOW, None, people
    )


def _run_node(chains: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("node is not installed (CI must run the page's patching code)")
        pytest.skip("node is not installed: the page's patching code cannot run here")
    done = subprocess.run(
        [node, "--input-type=module", "-e", NODE_APPLY, OPS_JS.as_uri()],
        input=json.dumps(chains),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("game", all_games(), ids=lambda g: g.key)
def test_patched_views_equal_a_late_joiners_view(game: Activity[Any]) -> None:
    service = _service()
    seats = _seats(game)
    options = game.default_options()
    table = _table(game, seats)
    viewers = [Viewer.player(s) for s in range(seats)] + [Viewer.spectator()]
    if game.key == "werewolf":
        viewers.append(Viewer.narrator())
    chains: list[dict[str, Any]] = []
    expected: list[list[str]] = []
    patched = 0
    for seed in (1, 2):
        playout = play(game, seats=seats, options=options, seed=seed, checks=False)
        state = game.setup(seats, options, seed, NOW)
        states = [state]
        for event in playout.events:
            state = game.evolve(state, json.loads(json.dumps(event)))
            states.append(state)
        picked = [*states[:STEPS], states[-1]]
        for locale in ("fr", "en"):
            for viewer in viewers:
                screens: list[patch.Screen] = []
                for state in picked:
                    live = Live(1, game.key, game, state, 0, "running")
                    view = game.view(state, viewer)
                    screens.append(
                        patch.Screen(
                            lambda loc, v=view, lv=live, who=viewer: service.render_view(
                                table, lv, v, who, loc
                            )
                        )
                    )
                first = screens[0].html(locale)
                tokens = patch.tokens(first)
                ops = []
                for before, after in itertools.pairwise(screens):
                    (op,) = patch.changes(VIEW, before, after)(locale)["ops"]
                    fresh = after.html(locale)  # what a late joiner is sent, whole
                    if op["op"] == "patch":
                        patched += 1
                        assert op["crc"] == patch.checksum(fresh)
                        tokens = patch.apply_edits(tokens, op["edits"])
                    else:
                        assert op == patch.whole_op(VIEW, fresh)
                        tokens = patch.tokens(op["html"])
                    assert "".join(tokens) == fresh
                    ops.append(op)
                chains.append({"first": first, "ops": ops})
                expected.append([s.html(locale) for s in screens[1:]])
    assert patched > 0
    results = _run_node(chains)
    for result, screens_html in zip(results, expected, strict=True):
        assert "error" not in result, result
        assert result["crcs"] == [patch.checksum(html) for html in screens_html]
        assert result["last"] == screens_html[-1]


def test_patches_of_any_text_rebuild_it_in_python_and_in_the_page() -> None:
    """Random texts (with text before the first tag, astral characters, entities) and their
    random changes: both sides rebuild the new text exactly, and agree on its CRC-32."""
    rng = random.Random(20)
    pieces = ["<p>", "</p>", "<b class='x'>", "é", "🦊", "&amp;", "a", " ", "\n", "<br>", "<"]
    chains, expected = [], []
    for _ in range(60):
        texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 60)))]
        for _ in range(6):
            words = patch.tokens(texts[-1])
            for _ in range(rng.randrange(0, 4)):
                at = rng.randrange(0, len(words) + 1)
                words[at : at + rng.randrange(0, 3)] = [rng.choice(pieces) + "x"]
            texts.append("".join(words))
        ops = []
        tokens = patch.tokens(texts[0])
        for old, new in itertools.pairwise(texts):
            edits = patch.diff(old, new)
            tokens = patch.apply_edits(tokens, edits)
            assert "".join(tokens) == new
            ops.append({"op": "patch", "edits": [list(e) for e in edits]})
        chains.append({"first": texts[0], "ops": ops})
        expected.append(texts[1:])
    for result, texts in zip(_run_node(chains), expected, strict=True):
        assert result["crcs"] == [patch.checksum(t) for t in texts]
        assert result["last"] == texts[-1]


@pytest.mark.parametrize(
    ("old", "new", "edits"),
    [
        ("abc<p>", "<p>", [(0, 1, "")]),  # the text before the first tag goes
        ("<p>", "abc<p>", [(0, 0, "abc")]),  # and comes
        ("p>x<i>", "<p>x<i>", [(0, 1, "<p>x")]),  # a text that a tag's piece equals
        ("<p>x<i>", "p>x<i>", [(0, 1, "p>x")]),
        ("", "<b>", [(0, 0, "<b>")]),
        ("a", "", [(0, 1, "")]),
        ("<a><b><c>", "<a><c>", [(1, 1, "")]),
    ],
)
def test_edits_count_the_pages_tokens(old: str, new: str, edits: list[patch.Edit]) -> None:
    """The diff works on the text cut at each ``<`` (faster than cutting tokens), and its
    edits count tokens as the page does: the text before the first tag is a token only
    when there is one."""
    assert patch.diff(old, new) == edits
    assert "".join(patch.apply_edits(patch.tokens(old), edits)) == new


def test_an_edit_that_does_not_fit_is_refused() -> None:
    base = patch.tokens("<p>a</p><p>b</p>")
    for bad in ([[3, 2, "<i>"]], [[-1, 0, "x"]], [[0, 0, 5]], [["0", 1, "<i>"]]):
        with pytest.raises(ValueError, match="edit"):
            patch.apply_edits(base, bad)
    results = _run_node(
        [
            {"first": "<p>a</p><p>b</p>", "ops": [{"op": "patch", "edits": e}]}
            for e in ([[3, 2, "<i>"]], [[0, 0, 5]], "x")
        ]
    )
    assert all(result == {"error": "an edit did not fit"} for result in results)


def test_a_patch_is_only_sent_when_smaller_than_the_view() -> None:
    small = patch.Screen(lambda _: "<div><p>1</p>" + "<p>same</p>" * 50 + "</div>")
    moved = patch.Screen(lambda _: "<div><p>2</p>" + "<p>same</p>" * 50 + "</div>")
    other = patch.Screen(lambda _: "<section>" + "<i>new</i>" * 40 + "</section>")
    small.html("fr")  # someone read it (a screen nobody read is followed by the whole one)
    (op,) = patch.changes(VIEW, small, moved)("fr")["ops"]
    assert op["op"] == "patch" and op["edits"] == [[1, 1, "<p>2"]]
    (op,) = patch.changes(VIEW, small, other)("fr")["ops"]
    assert op == patch.whole_op(VIEW, other.html("fr"))
    (op,) = patch.changes(VIEW, small, small)("fr")["ops"]
    assert op["op"] == "patch" and op["edits"] == []
