"""A real `lookbook serve` over the session's tiny bundle, and Debian's headless Chromium.

Without a browser these tests skip, except where LOOKBOOK_REQUIRE_BROWSER=1 (CI, after
.ci/browser.sh), where a missing browser is a failure: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CHROMIUM = Path(os.environ.get("LOOKBOOK_CHROMIUM", "/usr/bin/chromium"))
# Headless, no sandbox (CI runs as root in a container), and no background traffic: the
# machines have no network, and a test must not wait on one.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-proxy-server"]
START_TIMEOUT_S = 120  # loading the bundle and its CNN on a busy 2-core machine


@dataclass(frozen=True)
class Server:
    url: str
    images: Path
    log: Path


def _need_browser(reason: str) -> None:
    if os.environ.get("LOOKBOOK_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (LOOKBOOK_REQUIRE_BROWSER=1: run .ci/browser.sh first)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    with httpx.Client(trust_env=False, timeout=5) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"lookbook serve exited with {process.returncode}:\n"
                                   f"{log.read_text()[-3000:]}")
            try:
                if client.get(f"{url}/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.5)
    raise RuntimeError(f"lookbook serve not ready after {START_TIMEOUT_S} s:\n"
                       f"{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def server(pipeline, tmp_path_factory):
    """`lookbook serve` in its own process, on a free loopback port, with the catalog's
    images; stopped (SIGTERM, then SIGKILL) at the end of the session."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    port = _free_port()
    env = {**os.environ, "LOOKBOOK_IMAGES_DIR": str(pipeline.data / "images"),
           "OMP_WAIT_POLICY": "PASSIVE"}
    command = [sys.executable, "-m", "app.cli", "serve", "--artifacts", str(pipeline.bundle),
               "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield Server(url=url, images=pipeline.data / "images", log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.is_file():
        _need_browser(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need_browser("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        # launch() gives each run a fresh temporary profile, removed on close
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


SCREENSHOTS = pytest.StashKey[list[Path]]()


@pytest.fixture
def screenshot_path(request, tmp_path) -> Path:
    """Where a test saves its screenshot; the path is listed at the end of the run."""
    path = tmp_path / f"{request.node.name}.png"
    request.config.stash.setdefault(SCREENSHOTS, []).append(path)
    return path


def pytest_terminal_summary(terminalreporter, config) -> None:
    saved = [path for path in config.stash.get(SCREENSHOTS, []) if path.is_file()]
    if saved:
        terminalreporter.section("browser screenshots")
        for path in saved:
            terminalreporter.write_line(str(path))


@pytest.fixture
def api(server):
    with httpx.Client(base_url=server.url, trust_env=False, timeout=60) as client:
        yield client
