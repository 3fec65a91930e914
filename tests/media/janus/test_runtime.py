"""From settings to Janus: when Estaminet runs its own, which address browsers use, the CSP."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from estaminet.app import create_app
from estaminet.media.janus.client import JanusClient, JanusDown, JanusRefused
from estaminet.media.janus.runtime import janus_public_url, janus_runtime, should_autostart
from estaminet.settings import Settings
from estaminet.web.security import content_security_policy


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="k", **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "serving", "expected"),
    [
        ({}, False, False),  # demo and tests: never on their own
        ({"janus_executable": "janus-not-installed-here"}, True, False),
        ({"janus_url": "http://127.0.0.1:8088/janus"}, True, False),  # someone else's Janus
        ({"janus_autostart": "never"}, True, False),
        ({"janus_autostart": "always"}, False, True),
        (  # several Janus of one's own: none started here
            {"janus_servers": [{"url": "http://a/janus", "admin_url": "a", "admin_secret": "s"}]},
            True,
            False,
        ),
    ],
)
def test_runtime_should_autostart(
    tmp_path: Path, values: dict[str, object], serving: bool, expected: bool
) -> None:
    assert should_autostart(_settings(tmp_path, **values), serving=serving) is expected


def test_runtime_serve_autostarts_when_janus_installed(tmp_path: Path) -> None:
    installed = shutil.which("janus") is not None
    assert should_autostart(_settings(tmp_path), serving=True) is installed


def test_runtime_public_url(tmp_path: Path) -> None:
    assert janus_public_url(_settings(tmp_path), autostarted=False) is None
    assert janus_public_url(_settings(tmp_path), autostarted=True) == "http://127.0.0.1:8089/janus"
    remote = _settings(tmp_path, base_url="https://lab.example.be")
    assert janus_public_url(remote, autostarted=True) == "https://lab.example.be/janus"
    configured = _settings(
        tmp_path,
        janus_url="http://10.0.0.5:8088/janus/",
        janus_public_url="https://voice.example.be/janus",
    )
    assert janus_public_url(configured, autostarted=False) == "https://voice.example.be/janus"
    internal = _settings(tmp_path, janus_url="http://10.0.0.5:8088/janus/")
    assert janus_public_url(internal, autostarted=False) == "http://10.0.0.5:8088/janus"


def test_runtime_several_servers_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    servers = [
        {
            "name": "janus-2",
            "url": "http://10.0.0.12:8088/janus",
            "public_url": "https://janus-2.example.be/janus/",
            "admin_url": "http://10.0.0.12:7088/admin",
            "admin_secret": "two",
        },
        {"url": "http://10.0.0.13:8088/janus", "admin_url": "http://x/admin", "admin_secret": "3"},
    ]
    monkeypatch.setenv("ESTAMINET_JANUS_SERVERS", json.dumps(servers))
    settings = _settings(
        tmp_path,
        janus_url="http://10.0.0.11:8088/janus",
        janus_admin_url="http://10.0.0.11:7088/admin",
        janus_admin_secret="one",
    )
    runtime = janus_runtime(settings, serving=True)
    assert runtime is not None
    assert runtime.supervisor is None
    assert runtime.pool.names == [
        "http://10.0.0.11:8088/janus",  # janus_url is one more server
        "janus-2",
        "http://10.0.0.13:8088/janus",  # no name: its url
    ]
    assert runtime.public_urls == [
        "http://10.0.0.11:8088/janus",
        "http://10.0.0.13:8088/janus",
        "https://janus-2.example.be/janus",
    ]
    same = [{**servers[1], "name": "http://10.0.0.11:8088/janus"}]
    monkeypatch.setenv("ESTAMINET_JANUS_SERVERS", json.dumps(same))
    with pytest.raises(ValueError, match="distinct names"):
        janus_runtime(
            _settings(
                tmp_path,
                **settings.model_dump(
                    include={"janus_url", "janus_admin_url", "janus_admin_secret"}
                ),
            ),
            serving=True,
        )


def test_runtime_none_without_janus(tmp_path: Path) -> None:
    assert janus_runtime(_settings(tmp_path), serving=False) is None
    half = _settings(tmp_path, janus_url="http://127.0.0.1:8088/janus")  # no admin API
    assert janus_runtime(half, serving=True) is None


async def _csp(app: Any) -> str:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return (await http.get("/healthz")).headers["content-security-policy"]


async def test_runtime_app_wires_crowd_and_csp(tmp_path: Path, database_url: str) -> None:
    settings = _settings(
        tmp_path,
        janus_url="http://127.0.0.1:1/janus",
        janus_admin_url="http://127.0.0.1:1/admin",
        janus_admin_secret="s",
        janus_public_url="https://voice.example.be/janus",
        database_url=database_url,
    )
    app = create_app(settings)
    assert app.state.crowd_voice is not None
    csp = await _csp(app)
    assert (
        "connect-src 'self' https://voice.example.be/janus https://voice.example.be/janus/;" in csp
    )


async def test_runtime_app_without_janus_keeps_strict_csp(
    tmp_path: Path, database_url: str
) -> None:
    settings = _settings(tmp_path, database_url=database_url)
    app = create_app(settings)
    assert app.state.crowd_voice is None
    csp = await _csp(app)
    assert "connect-src 'self';" in csp


def test_csp_refuses_addresses_that_would_widen_it() -> None:
    for bad in [
        "*",
        "https://x.be; script-src *",
        "javascript:alert(1)",
        "https://a.be 'unsafe-eval'",
    ]:
        with pytest.raises(ValueError, match="connect-src"):
            content_security_policy([bad])


async def test_client_not_a_janus_answer_is_down() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>proxy error</html>")

    client = JanusClient(
        "http://j/janus", "http://j/admin", "s", transport=httpx.MockTransport(answer)
    )
    try:
        with pytest.raises(JanusDown):
            await client.info()
        with pytest.raises(JanusDown):
            await client.add_token("t", ["janus.plugin.audiobridge"])
    finally:
        await client.aclose()


async def test_client_plugin_error_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "janus": "success",
                "response": {"audiobridge": "event", "error_code": 485, "error": "No such room"},
            },
        )

    client = JanusClient(
        "http://j/janus", "http://j/admin", "s", transport=httpx.MockTransport(answer)
    )
    try:
        with pytest.raises(JanusRefused) as refused:
            await client.plugin({"request": "destroy", "room": 1})
        assert refused.value.code == 485
    finally:
        await client.aclose()
