"""The app with its own Janus: started with the app, admits people, stopped with the app."""

from __future__ import annotations

from pathlib import Path

import httpx

from estaminet.app import create_app
from estaminet.settings import Settings
from tests.support.janus import BrowserSide, require_janus
from tests.support.live_server import free_port


async def test_autostart_app_runs_and_stops_its_janus(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    settings = Settings(
        data_dir=tmp_path,
        secret_key="k",
        database_url=database_url,
        janus_autostart="always",
        janus_executable=require_janus(),
        janus_http_port=port,
        janus_admin_port=free_port(),
        janus_rtp_ports=(44000, 45000),
    )
    app = create_app(settings)
    crowd = app.state.crowd_voice
    assert crowd is not None
    assert crowd.public_url == f"http://127.0.0.1:{port}/janus"
    async with app.router.lifespan_context(app):
        assert await crowd.healthy()
        ticket = await crowd.admit("bar", "u-alice", "Alice")
        side = BrowserSide(ticket.server, ticket.token)
        try:
            await side.open()
            assert (await side.join(ticket.room, ticket.participant))["audiobridge"] == "joined"
        finally:
            await side.aclose()
        folder = tmp_path / "janus" / "conf"
        assert "token_auth = true" in (folder / "janus.jcfg").read_text()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            csp = (await http.get("/healthz")).headers["content-security-policy"]
        assert f"http://127.0.0.1:{port}/janus/" in csp
    async with httpx.AsyncClient(timeout=2.0) as http:  # stopped with the app
        try:
            await http.get(f"{crowd.public_url}/info")
        except httpx.TransportError:
            pass
        else:
            raise AssertionError("Janus still answers after the app stopped")
