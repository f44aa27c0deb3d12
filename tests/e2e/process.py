"""Start and stop the e2e servers (subprocesses), bounded in time."""

import json
import os
import select
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# The plugin's in-image Open edX app (lmsbridge_openedx), importable in the Open edX stand-in
# as it is in the image.
OPENEDX_APP = ROOT / "tutor_lmsbridge" / "openedx_app"
START_TIMEOUT = 60


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_until_ready(
    name: str, command: list[str], log_path: Path, cwd: Path, env: dict[str, str] | None = None
) -> Iterator[None]:
    """Run ``command`` until the block ends; enter the block once it printed READY on stdout
    (within START_TIMEOUT, or fail with its log). Stopped always: terminate, then kill."""
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=log, text=True
        )
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
            line = process.stdout.readline() if ready else ""
            if line.strip() != "READY":
                raise RuntimeError(f"{name} did not start:\n{log_path.read_text()}")
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def python_path(*extra: Path) -> dict[str, str]:
    """The environment of a server run as ``python -m tests...`` from the repository."""
    path = os.pathsep.join([str(ROOT), *map(str, extra), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


@contextmanager
def django_server(settings_module: str, config: dict[str, Any], workdir: Path) -> Iterator[str]:
    """Serve a Django project; yield its log path once it printed READY."""
    name = settings_module.rsplit(".", 1)[-1]
    config_path = workdir / f"{name}.json"
    config_path.write_text(json.dumps(config))
    log_path = workdir / f"{name}.log"
    command = [sys.executable, "-m", "tests.e2e.runner", settings_module, str(config_path)]
    with serve_until_ready(name, command, log_path, ROOT, python_path(OPENEDX_APP)):
        yield str(log_path)
