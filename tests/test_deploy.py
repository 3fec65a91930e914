"""The deployment folder works as its guide says: the systemd units verify, every
``estaminet`` command in the guides is one the program accepts, and the nginx site, with a
real nginx and a real ``estaminet serve`` behind it, serves pages and the live connection
over TLS, sends plain HTTP to HTTPS and refuses oversized bodies."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from estaminet.cli import build_parser
from tests.support.live_server import free_port
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


def _site(app_port: int, http_port: int, https_port: int, cert: Path, key: Path) -> str:
    site = (DEPLOY / "nginx" / "estaminet.conf").read_text()
    site = re.sub(r"^\s*listen \[::\]:.*\n", "", site, flags=re.MULTILINE)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    site = site.replace("/etc/letsencrypt/live/lab.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/lab.example.org/privkey.pem", str(key))
    return site.replace("lab.example.org", "localhost")


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nginx did not listen:\n{log.read_text()}")


@pytest.fixture
def nginx_in_front(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real nginx with the deploy site in front of a real ``estaminet serve``: the HTTPS
    and the HTTP addresses, and the admin's sign-in path."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("nginx is not installed (CI must run this test)")
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    folder = tmp_path / "nginx"
    folder.mkdir()
    folder.chmod(0o755)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    http_port, https_port = free_port(), free_port()
    public = f"https://localhost:{https_port}"
    with served(
        tmp_path / "venue",
        ESTAMINET_DATABASE_URL=database_url,
        ESTAMINET_BASE_URL=public,
    ) as venue:
        app_port = int(venue.base.rsplit(":", 1)[1])
        (folder / "site.conf").write_text(_site(app_port, http_port, https_port, cert, key))
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / temp).mkdir(mode=0o777)
            (folder / temp).chmod(0o777)
        (folder / "nginx.conf").write_text(
            f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
            + ("user root root;\n" if os.geteuid() == 0 else "")
            + "events {}\nhttp {\n"
            + "".join(f"  {t}_temp_path {folder}/{t};\n" for t in ("proxy", "fastcgi", "uwsgi", "scgi"))
            + f"  client_body_temp_path {folder}/body;\n  include {folder}/site.conf;\n}}\n"
        )  # fmt: skip
        arguments = [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf")]
        check = subprocess.run([*arguments, "-t"], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
        log = folder / "nginx.out"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [*arguments, "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT
            )
        try:
            _wait_for(https_port, process, log)
            _wait_for(http_port, process, log)
            yield public, f"http://localhost:{http_port}", venue.admin_link
        finally:
            process.terminate()
            process.wait(timeout=10)


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
