"""The commands README.rst and docs/ show, as the tests run them.

A command is shown in a ``.. code-block:: bash`` block (one per line, ``\\`` continues it,
``&&`` chains two, ``#`` starts a comment) or after ``$ `` in a literal block (its output
follows). Nothing else in a literal block may look like a command: ``stray_commands`` finds
what would escape the tests.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

from .tutor_helpers import enable_lmsbridge, run_tutor

PROJECT = Path(__file__).parents[2]
PAGES = (
    "README.rst",
    "docs/index.rst",
    "docs/configuration.rst",
    "docs/recipes.rst",
    "docs/security.rst",
    "docs/openedx-changes.rst",
    "docs/kubernetes.rst",
    "docs/troubleshooting.rst",
)
# What starts a command line in a literal block.
COMMAND_WORDS = ("tutor ", "make ", "pip ", "kubectl ", "docker ", "./manage.py ")


def page(name: str) -> str:
    return (PROJECT / name).read_text(encoding="utf-8")


def _literal_blocks(text: str) -> list[tuple[bool, str]]:
    """(is a bash code block, its text, dedented) for each literal block of an RST page."""
    blocks: list[tuple[bool, str]] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        bash = line.strip() == ".. code-block:: bash"
        if bash or (line.rstrip().endswith("::") and not line.lstrip().startswith("..")):
            indent = len(line) - len(line.lstrip())
            body: list[str] = []
            index += 1
            while index < len(lines) and (
                not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent
            ):
                body.append(lines[index])
                index += 1
            content = [row for row in body]
            width = min((len(row) - len(row.lstrip()) for row in content if row.strip()), default=0)
            blocks.append((bash, "\n".join(row[width:] for row in content).strip("\n")))
            continue
        index += 1
    return blocks


def commands(text: str) -> list[list[str]]:
    """Each command a page shows, as words, in the order of the page."""
    found: list[list[str]] = []
    for bash, block in _literal_blocks(text):
        if bash:
            for line in block.replace("\\\n", " ").split("\n"):
                for part in line.split(" && "):
                    words = shlex.split(part, comments=True)
                    if words:
                        found.append(words)
        else:
            found += [shlex.split(row[2:]) for row in block.split("\n") if row.startswith("$ ")]
    return found


def stray_commands(text: str) -> list[str]:
    """Lines of plain literal blocks that look like a command but are not shown as one."""
    return [
        row
        for bash, block in _literal_blocks(text)
        if not bash
        for row in block.split("\n")
        if row.startswith(COMMAND_WORDS)
    ]


def recipes(preset: str) -> dict[str, list[str]]:
    """app name -> the `tutor lmsbridge set` arguments of each recipe for ``preset``."""
    found = {}
    for words in commands(page("docs/recipes.rst")):
        pattern = rf"LMSBRIDGE_[A-Z0-9]+_PRESET={preset}"
        chosen = [word for word in words if re.fullmatch(pattern, word)]
        if words[:3] == ["tutor", "lmsbridge", "set"] and chosen:
            found[chosen[0].split("_")[1].lower()] = words[3:]
    return found


def apply_recipe(root: Path, app: str, words: list[str]) -> dict[str, Any]:
    """Run a recipe's `tutor lmsbridge set` in a new root, as an operator would after
    enabling the plugin; `check` must find nothing. Returns `credentials APP --format json`."""
    enable_lmsbridge(root)
    run_tutor(root, "config", "save")
    run_tutor(root, "lmsbridge", "set", *words)
    check = run_tutor(root, "lmsbridge", "check")
    assert check.stdout.splitlines()[-1] == "0 error(s), 0 warning(s)"
    exported: dict[str, Any] = json.loads(
        run_tutor(root, "lmsbridge", "credentials", app, "--format", "json").stdout
    )
    return exported
