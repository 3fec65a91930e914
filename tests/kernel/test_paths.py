"""Only a plain path of this site is ever followed or linked from what a visitor sends."""

from __future__ import annotations

import pytest

from estaminet.kernel.paths import local_path


@pytest.mark.parametrize(
    "given",
    [
        "/",
        "/r/bar",
        "/agenda?month=2026-12",
        "/help/12",
        "/t/3/replay",
    ],
)
def test_local_paths_are_kept(given: str) -> None:
    assert local_path(given) == given


@pytest.mark.parametrize(
    "given",
    [
        "//evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "r/bar",
        "",
        "/r/bar\n",
        "/r/\tbar",
        "/r/bar\x00",
        "/caf\u00e9",
        "/" + "a" * 2001,
        None,
        42,
    ],
)
def test_anything_a_browser_could_read_as_another_site_is_refused(given: object) -> None:
    assert local_path(given) is None


def test_local_path_without_query_or_fragment() -> None:
    assert local_path("/agenda?month=2026-12", keep_query=False) == "/agenda"
    assert local_path("/r/bar#chat") == "/r/bar"
