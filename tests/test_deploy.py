"""The deployment folder works as its guide says: the systemd units verify, every
``estaminet`` command in the guides is one the program accepts, and the nginx site, with a
real nginx and a real ``estaminet serve`` behind it, serves pages and the live connection
over TLS, sends plain HTTP to HTTPS and refuses oversized bodies."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from estaminet.cli import build_parser
from tests.support.nginx import (
    deploy_site,
    nginx_binary,
    nginx_folder,
    ports,
    running_nginx,
    self_signed,
)
from tests.support.served import served

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMMANDS = ("init", "serve", "backup", "restore", "venue", "invite", "db", "demo")


def _commands_in(path: Path) -> Iterator[list[str]]:
    """The ``estaminet`` commands of a file (of its code blocks, for a Markdown guide)."""
    text = path.read_text()
    if path.suffix == ".md":
        text = "\n".join(re.findall(r"^```[a-z]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL))
    text = text.replace("\\\n", " ")
    pattern = rf"(?:^|[\s/])estaminet\s+((?:{'|'.join(COMMANDS)})\b[^\n#`&|;<>]*)"
    for found in re.finditer(pattern, text, re.MULTILINE):
        yield shlex.split(found.group(1).replace("%i", "8000"))


def test_every_command_in_the_guides_is_one_the_program_takes() -> None:
    files = [*DEPLOY.rglob("*"), ROOT / "README.md"]
    seen = 0
    for path in files:
        if not path.is_file():
            continue
        for args in _commands_in(path):
            try:
                build_parser().parse_args(args)
            except SystemExit:
                pytest.fail(f"{path.relative_to(ROOT)}: `estaminet {shlex.join(args)}` is refused")
            seen += 1
    assert seen >= 10, "the guides' commands were not found"


def test_the_container_runs_a_command_the_program_takes() -> None:
    found = re.search(r"^CMD (\[.*\])$", (DEPLOY / "Containerfile").read_text(), re.MULTILINE)
    assert found is not None
    command = json.loads(found.group(1))
    assert command[0] == "estaminet"
    build_parser().parse_args(command[1:])


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    units = []
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text().replace("/opt/estaminet/.venv/bin/estaminet", "/bin/true")
        name = unit.name.replace("@.service", "@8000.service")
        (tmp_path / name).write_text(text)
        units.append(str(tmp_path / name))
    done = subprocess.run([tool, "verify", *units], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


@pytest.fixture
def nginx_in_front(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A real nginx with the deploy site in front of a real ``estaminet serve``: the HTTPS
    and the HTTP addresses, and the admin's sign-in path."""
    nginx_binary()
    folder = nginx_folder(tmp_path)
    cert, key = self_signed(folder)
    http_port, https_port = ports()
    public = f"https://localhost:{https_port}"
    with served(
        tmp_path / "venue",
        ESTAMINET_DATABASE_URL=database_url,
        ESTAMINET_BASE_URL=public,
    ) as venue:
        app_port = int(venue.base.rsplit(":", 1)[1])
        site = deploy_site([app_port], http_port, https_port, cert, key)
        with running_nginx(folder, site, http_port, https_port) as front:
            yield front.public, front.plain, venue.admin_link


def test_the_nginx_site_serves_the_venue_over_tls(nginx_in_front: tuple[str, str, str]) -> None:
    public, plain, admin_link = nginx_in_front
    with httpx.Client(base_url=public, verify=False, timeout=10) as browser:
        assert browser.get("/healthz").json() == {"status": "ok"}

        # plain HTTP goes to HTTPS, on the same path
        moved = httpx.get(f"{plain}/agenda?x=1", follow_redirects=False)
        assert moved.status_code == 301
        assert moved.headers["location"] == "https://localhost/agenda?x=1"

        # the venue compresses its own files and nginx passes them as they are
        page = browser.get(admin_link)
        assert page.status_code == 200
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert found
        signed_in = browser.post(admin_link, data={"csrf": found.group(1)})
        assert signed_in.status_code == 303
        css = re.search(r'href="(/static/v/[^"]+\.css)"', browser.get("/").text)
        assert css
        styles = browser.get(css.group(1), headers={"accept-encoding": "gzip"})
        assert styles.status_code == 200 and styles.headers.get("content-encoding") == "gzip"

        # a body over the site's limit is refused by nginx before it reaches the venue
        too_big = browser.post("/agenda/new", content=b"x" * (13 * 1024 * 1024))
        assert too_big.status_code == 413

        # the live connection goes through, upgraded, and a message is acknowledged
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    ws_url = public.replace("https", "wss") + "/ws"
    with connect(
        ws_url,
        ssl=context,
        origin=public,
        additional_headers={"cookie": cookie},  # type: ignore[arg-type]
    ) as ws:
        first = json.loads(ws.recv(timeout=10))
        assert first["type"] == "subscribed"
        ws.send(json.dumps({"type": "act", "id": "n1", "name": "chat.send",
                            "data": {"room": "bar", "body": "par nginx"}}))  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            frame = json.loads(ws.recv(timeout=10))
            if frame.get("id") == "n1":
                assert frame["type"] == "ack", frame
                break
        else:
            pytest.fail("no acknowledgement through nginx")
