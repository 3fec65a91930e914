"""A Janus configuration folder for Estaminet: loopback HTTP APIs, token auth, AudioBridge and
VideoRoom (the stage) only.

Used by the supervisor (``estaminet serve`` may run its own Janus) and by the
tests. The folder holds three ``.jcfg`` files; everything else Janus ships
(other plugins, transports, event handlers, loggers) is disabled.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEBIAN_LIBRARIES", "JanusLayout", "janus_command", "write_config"]

DEBIAN_LIBRARIES = Path("/usr/lib/x86_64-linux-gnu/janus")
"""Where Debian's ``janus`` package keeps its plugins, transports, event handlers and loggers."""

_KEEP = {
    "plugins": ("libjanus_audiobridge.so", "libjanus_videoroom.so"),
    "transports": ("libjanus_http.so",),
}


@dataclass(frozen=True, slots=True)
class JanusLayout:
    """What a generated configuration says: where Janus listens and its secrets."""

    folder: Path
    http_port: int
    admin_port: int
    admin_secret: str
    room_admin_key: str
    """AudioBridge's and VideoRoom's ``admin_key``: without it nobody (browsers included) can
    create a room."""
    rtp_ports: tuple[int, int] = (20000, 40000)
    host: str = "127.0.0.1"
    libraries: Path = DEBIAN_LIBRARIES

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.http_port}/janus"

    @property
    def admin_url(self) -> str:
        return f"http://{self.host}:{self.admin_port}/admin"

    @property
    def log_file(self) -> Path:
        return self.folder / "janus.log"


def _quote(value: str) -> str:
    return json.dumps(value)  # jcfg (libconfig) strings take JSON-style escapes


def _disabled(folder: Path, keep: tuple[str, ...]) -> str:
    """The libraries of ``folder`` other than ``keep``, as a jcfg ``disable`` list."""
    names = sorted(p.name for p in folder.glob("*.so")) if folder.is_dir() else []
    return ",".join(name for name in names if name not in keep)


def _janus_jcfg(layout: JanusLayout) -> str:
    lib = layout.libraries
    low, high = layout.rtp_ports
    return f"""# Written by Estaminet: a Janus for voice rooms (AudioBridge) and the stage (VideoRoom).
general: {{
	configs_folder = {_quote(str(layout.folder))}
	plugins_folder = {_quote(str(lib / "plugins"))}
	transports_folder = {_quote(str(lib / "transports"))}
	events_folder = {_quote(str(lib / "events"))}
	loggers_folder = {_quote(str(lib / "loggers"))}
	debug_level = 4
	server_name = "Estaminet"
	admin_secret = {_quote(layout.admin_secret)}
	token_auth = true
	session_timeout = 60
}}
certificates: {{
}}
media: {{
	rtp_port_range = "{low}-{high}"
}}
nat: {{
	nice_debug = false
	ice_ignore_list = "vmnet"
}}
plugins: {{
	disable = {_quote(_disabled(lib / "plugins", _KEEP["plugins"]))}
}}
transports: {{
	disable = {_quote(_disabled(lib / "transports", _KEEP["transports"]))}
}}
loggers: {{
	disable = {_quote(_disabled(lib / "loggers", ()))}
}}
events: {{
	broadcast = false
	disable = {_quote(_disabled(lib / "events", ()))}
}}
"""


def _http_jcfg(layout: JanusLayout) -> str:
    return f"""# Written by Estaminet: the Janus API and the admin API, both on {layout.host} only.
general: {{
	json = "plain"
	base_path = "/janus"
	http = true
	port = {layout.http_port}
	ip = {_quote(layout.host)}
	https = false
}}
admin: {{
	admin_base_path = "/admin"
	admin_http = true
	admin_port = {layout.admin_port}
	admin_ip = {_quote(layout.host)}
	admin_https = false
}}
cors: {{
}}
"""


def _audiobridge_jcfg(layout: JanusLayout) -> str:
    return f"""# Written by Estaminet: rooms are created through the API, with the admin key only.
general: {{
	admin_key = {_quote(layout.room_admin_key)}
	lock_rtp_forward = true
	lock_play_file = true
	events = false
}}
"""


def _videoroom_jcfg(layout: JanusLayout) -> str:
    return f"""# Written by Estaminet: the stage's rooms are created through the API, admin key only.
general: {{
	admin_key = {_quote(layout.room_admin_key)}
	lock_rtp_forward = true
	events = false
}}
"""


def write_config(layout: JanusLayout) -> Path:
    """Write the configuration folder (replacing an earlier one); returns the folder."""
    folder = layout.folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    folder.chmod(0o700)  # it holds the admin secret
    files = {
        "janus.jcfg": _janus_jcfg(layout),
        "janus.transport.http.jcfg": _http_jcfg(layout),
        "janus.plugin.audiobridge.jcfg": _audiobridge_jcfg(layout),
        "janus.plugin.videoroom.jcfg": _videoroom_jcfg(layout),
    }
    for name, text in files.items():
        path = folder / name
        path.write_text(text)
        path.chmod(0o600)
    return folder


def janus_command(layout: JanusLayout, executable: str = "janus") -> list[str]:
    """The command line that runs Janus in the foreground on this folder, logging to a file."""
    return [
        executable,
        f"--configs-folder={layout.folder}",
        f"--config={layout.folder / 'janus.jcfg'}",
        f"--log-file={layout.log_file}",
        "--disable-stdout",
        "--disable-colors",
    ]
