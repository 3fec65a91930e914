"""A real nginx (the Debian package) running the deploy site on loopback ports, for tests."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.databases import IN_CI
from tests.support.live_server import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@dataclass
class Nginx:
    public: str
    """The HTTPS address (``https://localhost:PORT``)."""
    plain: str
    """The HTTP address (redirects to HTTPS)."""
    folder: Path
    process: subprocess.Popen[bytes]


def nginx_binary() -> str:
    """nginx's path; skips locally when it is missing, fails in CI."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        if IN_CI:
            pytest.fail("nginx is not installed (CI must run this test)")
        pytest.skip("nginx is not installed (apt-get install -y nginx)")
    return nginx


def deploy_site(
    app_ports: Sequence[int],
    http_port: int,
    https_port: int,
    cert: Path,
    key: Path,
    *,
    ws_extra: str = "",
) -> str:
    """The deploy site on loopback ports, its upstream made of ``app_ports`` (round-robin)."""
    site = (DEPLOY / "nginx" / "estaminet.conf").read_text()
    site = re.sub(r"^\s*listen \[::\]:.*\n", "", site, flags=re.MULTILINE)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    servers = "\n    ".join(f"server 127.0.0.1:{port};" for port in app_ports)
    assert "server 127.0.0.1:8000;" in site
    site = site.replace("server 127.0.0.1:8000;", servers)
    site = site.replace("/etc/letsencrypt/live/lab.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/lab.example.org/privkey.pem", str(key))
    if ws_extra:
        site = site.replace(
            "    location = /ws {\n", f"    location = /ws {{\n        {ws_extra}\n"
        )
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


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def running_nginx(folder: Path, site: str, http_port: int, https_port: int) -> Iterator[Nginx]:
    """nginx with ``site`` in ``folder`` (its own pid, log and temporary files), stopped after."""
    nginx = nginx_binary()
    (folder / "site.conf").write_text(site)
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
        process = subprocess.Popen([*arguments, "-g", "daemon off;"], stdout=out, stderr=out)
    try:
        _wait_for(https_port, process, log)
        _wait_for(http_port, process, log)
        yield Nginx(
            f"https://localhost:{https_port}", f"http://localhost:{http_port}", folder, process
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


def nginx_folder(tmp: Path) -> Path:
    folder = tmp / "nginx"
    folder.mkdir()
    folder.chmod(0o755)
    return folder


def ports() -> tuple[int, int]:
    """Two free loopback ports: HTTP and HTTPS."""
    return free_port(), free_port()
