"""`make demo`: a MITxOnline connection rendered by the real Tutor, without Docker.

Creates a throwaway Tutor root, enables the plugin, saves a sample configuration with
`tutor config save --set ...` exactly as an operator would, then shows what Open edX gets:
the settings the plugin added, the requirements baked into the image, and what the init job
will create. Secrets are masked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from .core.pipeline import plan_for
from .output.masking import mask, secret_values

# The MITxOnline example of the README (the seed procedure's hosts and ports). Open edX
# generates the login client, so these two URLs are all there is to set.
DEMO_SETTINGS: dict[str, Any] = {
    "LMSBRIDGE_APPS": ["mitxonline"],
    "LMSBRIDGE_MITXONLINE_URL": "http://mitxonline.odl.local:8013",
    "LMSBRIDGE_MITXONLINE_INTERNAL_URL": "http://172.22.0.1:8013",
}


def tutor_command() -> str:
    beside = Path(sys.executable).with_name("tutor")
    return str(beside) if beside.exists() else shutil.which("tutor") or "tutor"


def tutor(root: Path, *args: str) -> str:
    env = {**os.environ, "TUTOR_ROOT": str(root), "TUTOR_PLUGINS_ROOT": str(root / "yaml-plugins")}
    result = subprocess.run(
        [tutor_command(), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"tutor {args[0]} failed:\n{result.stderr}")
    return result.stdout


def section(title: str) -> None:
    print(f"\n=== {title}")


def plugin_part(text: str, start_marker: str, prefixes: tuple[str, ...] = ()) -> str:
    """The lines the plugin added to a rendered file: from its first comment to Tutor's
    "End of" marker, or (with ``prefixes``) while lines start with one of them."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if start_marker in line)
    end = first + 1
    while end < len(lines) and not lines[end].startswith("######## End"):
        if prefixes and not lines[end].startswith(prefixes):
            break
        end += 1
    return "\n".join(lines[first:end]).strip()


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="lmsbridge-demo-"))
    try:
        sets: list[str] = []
        for key, value in DEMO_SETTINGS.items():
            sets += ["--set", f"{key}={value if isinstance(value, str) else json.dumps(value)}"]
        section("$ tutor plugins enable lmsbridge && tutor config save --set ...")
        tutor(root, "plugins", "enable", "lmsbridge")
        tutor(root, "config", "save", *sets)
        config = yaml.safe_load((root / "config.yml").read_text())
        plan = plan_for({"LMS_HOST": "local.openedx.io", **config})
        secrets = secret_values(plan)
        for key, value in DEMO_SETTINGS.items():
            print(f"  {key} = {mask(json.dumps(value), secrets)}")

        section("$ tutor lmsbridge status")
        print(tutor(root, "lmsbridge", "status").rstrip())
        section("$ tutor lmsbridge check")
        print(tutor(root, "lmsbridge", "check").rstrip())
        section("$ tutor lmsbridge credentials mitxonline  (masked here; the command shows them)")
        print(mask(tutor(root, "lmsbridge", "credentials", "mitxonline"), secrets).rstrip())

        env = root / "env"
        section("env/apps/openedx/settings/lms/production.py: the plugin's part (secrets masked)")
        production = (env / "apps/openedx/settings/lms/production.py").read_text()
        print(mask(plugin_part(production, "tutor-contrib-lmsbridge: single sign-on"), secrets))
        section("env/apps/openedx/config/lms.env.yml: what the plugin added")
        lms_env = (env / "apps/openedx/config/lms.env.yml").read_text()
        print(plugin_part(lms_env, "tutor-contrib-lmsbridge", prefixes=("MITX_",)))
        section("env/build/openedx/lmsbridge/image/requirements.txt (`tutor images build openedx`)")
        print((env / "build/openedx/lmsbridge/image/requirements.txt").read_text().strip())
        print(f"\nDemo root {root} is deleted now. No Docker was used.")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
