"""Start and stop the OpenID Provider of the OIDC e2e tests (node `oidc-provider`), bounded in
time like the Django servers of process.py.

Installed by `npm ci --prefix tests/e2e/oidc_provider` (.ci/run does it). Without node or that
install the tests skip, naming the command, so that `make test` works on a machine without
Node; CI sets LMSBRIDGE_REQUIRE_NODE=1 to make that a failure instead.
"""

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .process import serve_until_ready

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
INSTALL = f"npm ci --prefix {PROVIDER_DIR.relative_to(PROVIDER_DIR.parents[2])}"


def missing(reason: str) -> None:
    if os.environ.get("LMSBRIDGE_REQUIRE_NODE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def require_node_provider() -> str:
    """The node binary, or a skip (a failure in CI) naming what to install."""
    node = shutil.which("node")
    if node is None:
        missing("node (>= 18) is not installed: the OIDC e2e tests run oidc-provider on it")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        missing(f"oidc-provider is not installed: run `{INSTALL}`")
    assert node is not None
    return node


@contextmanager
def oidc_provider(config: dict[str, Any], workdir: Path) -> Iterator[str]:
    """Serve an OpenID Provider for ``config`` (see server.js); yield its log path once it
    printed READY. Several can run in one workdir: files are named after the issuer."""
    node = require_node_provider()
    issuer = urlsplit(config["issuer"])
    name = f"oidc-provider-{issuer.hostname}-{issuer.port}"
    config_path = workdir / f"{name}.json"
    config_path.write_text(json.dumps(config))
    log_path = workdir / f"{name}.log"
    with serve_until_ready(name, [node, "server.js", str(config_path)], log_path, PROVIDER_DIR):
        yield str(log_path)
