"""The generated Janus configuration: loopback only, token auth, AudioBridge and VideoRoom."""

from __future__ import annotations

import stat
import time
from pathlib import Path

from estaminet.media.janus.config import JanusLayout, janus_command, write_config
from tests.support.janus import RunningJanus


def _layout(tmp_path: Path) -> JanusLayout:
    return JanusLayout(tmp_path / "conf", 18089, 17089, "admin-s3cret", "room-k3y")


def test_config_written_private_with_secrets(tmp_path: Path) -> None:
    folder = write_config(_layout(tmp_path))
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "janus.jcfg",
        "janus.plugin.audiobridge.jcfg",
        "janus.plugin.videoroom.jcfg",
        "janus.transport.http.jcfg",
    ]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    core = (folder / "janus.jcfg").read_text()
    assert 'admin_secret = "admin-s3cret"' in core
    assert "token_auth = true" in core
    assert 'rtp_port_range = "20000-40000"' in core
    http = (folder / "janus.transport.http.jcfg").read_text()
    assert 'ip = "127.0.0.1"' in http and 'admin_ip = "127.0.0.1"' in http
    assert "port = 18089" in http and "admin_port = 17089" in http
    assert 'admin_key = "room-k3y"' in (folder / "janus.plugin.audiobridge.jcfg").read_text()
    assert 'admin_key = "room-k3y"' in (folder / "janus.plugin.videoroom.jcfg").read_text()


def test_config_rewrite_replaces_folder(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    write_config(layout)
    (layout.folder / "stale.jcfg").write_text("x")
    write_config(layout)
    assert not (layout.folder / "stale.jcfg").exists()


def test_config_command_runs_in_foreground_with_a_log_file(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    command = janus_command(layout, "/usr/bin/janus")
    assert command[0] == "/usr/bin/janus"
    assert f"--configs-folder={layout.folder}" in command
    assert f"--log-file={layout.log_file}" in command
    assert not any(arg in ("-b", "--daemon") for arg in command)


def test_config_janus_loads_only_audiobridge_videoroom_and_http(janus: RunningJanus) -> None:
    # Janus writes its log from a thread of its own: answering HTTP does not mean its start-up
    # lines are on disk yet (a loaded machine read an empty file). The watchdog's line comes
    # after every plugin and transport is loaded.
    deadline = time.monotonic() + 15
    log = janus.layout.log_file.read_text()
    while "Sessions watchdog started" not in log and time.monotonic() < deadline:
        time.sleep(0.1)
        log = janus.layout.log_file.read_text()
    loaded = [line for line in log.splitlines() if line.startswith("Loading")]
    assert sorted(loaded) == [
        "Loading plugin 'libjanus_audiobridge.so'...",
        "Loading plugin 'libjanus_videoroom.so'...",
        "Loading transport plugin 'libjanus_http.so'...",
    ]
