"""The real ``estaminet serve`` in a child process, its whole log captured in a file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from estaminet.settings import Settings
from tests.support.live_server import free_port


@dataclass
class Served:
    base: str
    settings: Settings
    admin_link: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def served(
    tmp: Path, host: str = "localhost", *, init: bool = True, **env: str
) -> Iterator[Served]:
    """Run ``estaminet serve`` on ``host`` (stdout and stderr both into ``server.log``).

    ``init=False`` serves a database another instance made (no admin link then)."""
    port = free_port()
    base = f"http://{host}:{port}"
    environment = {
        **os.environ,
        "ESTAMINET_DATA_DIR": str(tmp),
        "ESTAMINET_SECRET_KEY": "test-secret",
        "ESTAMINET_BASE_URL": base,
        "ESTAMINET_JANUS_AUTOSTART": "never",
        **env,
    }
    settings = Settings(data_dir=tmp, secret_key="test-secret", base_url=base)
    tmp.mkdir(parents=True, exist_ok=True)
    link = ""
    if init:
        made = subprocess.run(
            [sys.executable, "-m", "estaminet.cli", "init"],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        link = made.stdout.strip().rsplit(" ", 1)[1]
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "estaminet.cli", "serve", "--host", host, "--port", str(port)],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90  # a loaded 2-core machine imports slowly
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the server did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield Served(base, settings, link.removeprefix(base), process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
