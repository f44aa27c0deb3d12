"""The README's `tutor lmsbridge set` recipes, as the tests run them."""

import json
import re
import shlex
from pathlib import Path
from typing import Any

from .tutor_helpers import run_tutor

README = (Path(__file__).parents[2] / "README.rst").read_text()


def recipes(preset: str) -> dict[str, list[str]]:
    """app name -> the `tutor lmsbridge set` arguments of each README recipe for ``preset``."""
    found = {}
    for block in re.findall(r"    (tutor lmsbridge set .*?)\n\n", README, re.DOTALL):
        words = shlex.split(block.replace("\\\n", " "))
        pattern = rf"LMSBRIDGE_[A-Z0-9]+_PRESET={preset}"
        chosen = [word for word in words if re.fullmatch(pattern, word)]
        if chosen:
            found[chosen[0].split("_")[1].lower()] = words[3:]
    return found


def apply_recipe(root: Path, app: str, words: list[str]) -> dict[str, Any]:
    """Run a recipe's `tutor lmsbridge set` in a new root, as an operator would after
    enabling the plugin; `check` must find nothing. Returns `credentials APP --format json`."""
    run_tutor(root, "plugins", "enable", "lmsbridge")
    run_tutor(root, "config", "save")
    run_tutor(root, "lmsbridge", "set", *words)
    check = run_tutor(root, "lmsbridge", "check")
    assert check.stdout.splitlines()[-1] == "0 error(s), 0 warning(s)"
    exported: dict[str, Any] = json.loads(
        run_tutor(root, "lmsbridge", "credentials", app, "--format", "json").stdout
    )
    return exported
