"""The README's first command: `make demo` runs `python -m tutor_lmsbridge.demo`."""

import re
import subprocess
import sys


def test_demo_runs_without_docker_and_prints_no_secret() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tutor_lmsbridge.demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = result.stdout
    for heading in (
        "=== $ tutor lmsbridge status",
        "=== $ tutor lmsbridge check",
        "=== $ tutor lmsbridge credentials mitxonline",
        "=== env/build/openedx/lmsbridge/image/requirements.txt",
    ):
        assert heading in out
    assert "OPENEDX_SERVICE_WORKER_API_TOKEN=********" in out
    # One paste: the login client Open edX generated, registered by configure_instance.
    assert "--edx-oauth-client openedx-" in out
    assert "--edx-oauth-secret ********" in out
    # Generated secrets are 48 hex characters: none may appear.
    assert not re.search(r"\b[0-9a-f]{48}\b", out)
    assert "0 error(s), 0 warning(s)" in out
