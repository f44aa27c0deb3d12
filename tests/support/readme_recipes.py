"""The README's `tutor lmsbridge set` recipes, as the tests run them."""

import re
import shlex
from pathlib import Path

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
