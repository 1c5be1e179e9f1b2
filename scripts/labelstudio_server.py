"""Run a command against a throwaway Label Studio server on loopback.

Usage: python scripts/labelstudio_server.py COMMAND [ARG ...]

Installs ``label-studio`` in its own venv (``.ls-venv/``) when missing, starts it on a free port
of 127.0.0.1 with a temporary data dir and a random API token, waits for ``/health``, runs
COMMAND with ``LABEL_STUDIO_URL`` and ``LABEL_STUDIO_API_KEY`` set, then stops the server by its
PID (SIGTERM, then SIGKILL) whatever happened, and exits with COMMAND's exit code. Needs only the
standard library.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import BinaryIO

LABEL_STUDIO = "label-studio==1.23.2"
VENV = Path(__file__).resolve().parent.parent / ".ls-venv"
#: The server's whole environment, pinned: a new release of one of its dependencies can break it
#: (sentry-sdk 3.0 refuses an option that Label Studio 1.23.2 passes at start-up).
CONSTRAINTS = Path(__file__).resolve().parent / "labelstudio-constraints.txt"
#: Written after a complete install, so that an interrupted one is redone; it names the pins, so
#: that a change of them reinstalls.
STAMP = VENV / (
    f".installed-{LABEL_STUDIO}-{hashlib.sha256(CONSTRAINTS.read_bytes()).hexdigest()[:12]}"
)
START_TIMEOUT_S = 300
STOP_TIMEOUT_S = 15
LOG_TAIL_CHARS = 4000


def say(message: str) -> None:
    """Print a progress line on stderr."""
    print(f"labelstudio-server: {message}", file=sys.stderr, flush=True)


def install() -> None:
    """Create ``.ls-venv`` with Label Studio unless a complete install is there."""
    if STAMP.exists():
        return
    began = time.monotonic()
    say(f"installing {LABEL_STUDIO} into {VENV} (about 1 GB)")
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "-c", str(CONSTRAINTS), LABEL_STUDIO], check=True)
    STAMP.touch()
    say(f"installed in {time.monotonic() - began:.0f} s")


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    """Whether the server answers ``/health`` with 200."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return response.status == 200
    except OSError:  # refused, reset, timed out, or an HTTP error status
        return False


def launch(data_dir: Path, token: str, port: int, log: BinaryIO) -> subprocess.Popen:
    """Start the server with a fresh data dir and a known API token; output goes to ``log``."""
    env = os.environ | {
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": "admin@example.com",
        "LABEL_STUDIO_PASSWORD": secrets.token_urlsafe(16),
        "LABEL_STUDIO_USER_TOKEN": token,
        # The legacy token must be allowed at the first start, or the API refuses it.
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "COLLECT_ANALYTICS": "false",
        "LATEST_VERSION_CHECK": "false",
    }
    command = [str(VENV / "bin" / "label-studio"), "start", "--no-browser"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    # A session of its own, so a Ctrl-C reaches only the command; the server is stopped after it.
    return subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_healthy(process: subprocess.Popen, url: str) -> None:
    """Poll ``/health`` until it answers 200.

    Raises:
        RuntimeError: The server exited or did not become healthy in time.
    """
    began = time.monotonic()
    while not healthy(url):
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        if time.monotonic() - began > START_TIMEOUT_S:
            raise RuntimeError(f"no healthy answer from {url} after {START_TIMEOUT_S} s")
        time.sleep(1)
    say(f"server {process.pid} healthy at {url} after {time.monotonic() - began:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """Stop the server by its PID: SIGTERM, wait, then SIGKILL if it is still running."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        say(f"server {process.pid} ignored SIGTERM; sending SIGKILL")
        process.kill()
        process.wait()
    say(f"server {process.pid} stopped")


def _raise_exit(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)


def main(command: list[str]) -> int:
    """Run ``command`` against a fresh server and return its exit code."""
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _raise_exit)  # so that the server is stopped on SIGTERM too
    install()
    data_dir = Path(tempfile.mkdtemp(prefix="migbench-ls-"))
    token = secrets.token_hex(20)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        with (data_dir / "server.log").open("wb") as log:
            process = launch(data_dir, token, port, log)
            try:
                wait_healthy(process, url)
                env = os.environ | {"LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": token}
                return subprocess.run(command, env=env).returncode
            except RuntimeError as exc:
                tail = (data_dir / "server.log").read_text(errors="replace")[-LOG_TAIL_CHARS:]
                say(f"{exc}; the end of its log:\n{tail}")
                return 1
            finally:
                stop(process)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
