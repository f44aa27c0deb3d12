"""SAML federations at full size (`make bench-saml`, part of `make bench`).

Generates federation aggregates of 10, 50 and 100 MB (about 2,000 entities per 10 MB, each
as InCommon publishes a member; the configured IdP last, the worst case for a search) in a
temporary folder, serves each from loopback, and measures, each in a fresh process (peak
RSS from the kernel, wall time):

- ``tutor lmsbridge check --probe`` for a ``saml`` app whose URL is that aggregate (the whole
  command: Tutor, the plugin, the fetch and the streaming finder);
- the streaming finder alone, as the probe and the init job use it, on the file;
- a full parse of the same file with lxml, what edx-platform's own metadata pull does
  (``etree.fromstring(response.content)``), for the ratio.

Targets on a 2-core machine: ``check --probe`` on 100 MB in <= 5 s and <= 150 MB peak RSS.
Exit 1 when a target is missed. Nothing generated is kept.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.saml_idp.keys import key_pair  # noqa: E402
from tests.support.federation import pem_body, write_aggregate  # noqa: E402
from tests.support.tutor_helpers import set_args  # noqa: E402

SIZES_MB = (10, 50, 100)
TARGET = "https://idp.target.example.edu/idp/shibboleth"
TIME_TARGET_S = 5.0
RSS_TARGET_MB = 150.0

FINDER = """
import sys
from tutor_lmsbridge.core.metadata_tools import find_entity
with open(sys.argv[1], "rb") as f:
    found = find_entity(iter(lambda: f.read(1 << 16), b""), sys.argv[2])
assert found.entity is not None
"""
FULL_PARSE = """
import sys
from lxml import etree
with open(sys.argv[1], "rb") as f:
    root = etree.fromstring(f.read(), etree.XMLParser(remove_comments=True, huge_tree=True))
assert root.find(".//{urn:oasis:names:tc:SAML:2.0:metadata}EntityDescriptor[@entityID='%s']"
                 % sys.argv[2]) is not None
"""


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of ``command`` run in a fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=ROOT, text=True
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{command[:3]} exited {process.returncode}:\n{output[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, output


def tutor_root(root: Path, tutor: Path, url: str, env: dict[str, str]) -> None:
    config = {
        "LMSBRIDGE_APPS": ["fed"],
        "LMSBRIDGE_FED_PRESET": "saml",
        "LMSBRIDGE_FED_URL": url,
        "LMSBRIDGE_FED_ENTITY_ID": TARGET,
    }
    for args in (["plugins", "enable", "lmsbridge"], ["config", "save", *set_args(config)]):
        subprocess.run(
            [str(tutor), *args], env=env, check=True, capture_output=True, text=True, cwd=ROOT
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tutor", type=Path, default=ROOT / ".venv" / "bin" / "tutor")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES_MB))
    args = parser.parse_args()
    missed = False
    # A real certificate (2048-bit RSA), so that the probe's checks all pass; every member
    # publishes one, as in a real federation.
    certificate = pem_body(key_pair("member")[1])
    with tempfile.TemporaryDirectory(prefix="lmsbridge-federation-") as folder:
        work = Path(folder)
        handler = functools.partial(QuietHandler, directory=str(work))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = {**os.environ, "TUTOR_ROOT": str(work / "tutor"), "PYTHONPATH": str(ROOT)}
        try:
            print(
                "size    entities  check --probe        finder alone         "
                "full parse (lxml)    ratio (full / probe)"
            )
            for size in args.sizes:
                name = f"federation-{size}mb.xml"
                count = write_aggregate(work / name, size << 20, TARGET, certificate)
                url = f"http://127.0.0.1:{server.server_address[1]}/{name}"
                tutor_root(work / "tutor", args.tutor, url, env)
                probe = measure([str(args.tutor), "lmsbridge", "check", "--probe"], env)
                if f"answers SAML metadata for {TARGET}" not in probe[2]:
                    raise RuntimeError(f"check --probe did not find the entity:\n{probe[2]}")
                python = [sys.executable, "-c"]
                finder = measure([*python, FINDER, str(work / name), TARGET], env)
                full = measure([*python, FULL_PARSE, str(work / name), TARGET], env)
                print(
                    f"{size:>3} MB  {count:>8}  "
                    f"{probe[0]:5.2f} s {probe[1]:6.0f} MB  "
                    f"{finder[0]:5.2f} s {finder[1]:6.0f} MB  "
                    f"{full[0]:5.2f} s {full[1]:6.0f} MB  "
                    f"time x{full[0] / probe[0]:.2f}, RSS x{full[1] / probe[1]:.2f}"
                )
                (work / name).unlink()
                if size == max(args.sizes) and (
                    probe[0] > TIME_TARGET_S or probe[1] > RSS_TARGET_MB
                ):
                    missed = True
        finally:
            server.shutdown()
            server.server_close()
    verdict = "MISSED" if missed else "ok"
    print(
        f"targets at {max(args.sizes)} MB: check --probe <= {TIME_TARGET_S:g} s and "
        f"<= {RSS_TARGET_MB:g} MB peak RSS: {verdict}"
    )
    return 1 if missed else 0


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


if __name__ == "__main__":
    sys.exit(main())
