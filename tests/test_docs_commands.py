"""Every command README.rst and docs/ show runs, as written, in the order of its page.

`tutor` commands run with the real Tutor and the plugin in a new root, with fake `docker` and
`kubectl` on PATH that record how Tutor calls them (as tests/test_tutor_cli.py does): `images
build`, `launch` and `do` run Tutor's and the plugin's code up to the container they would
start. A `set` of ``LMSBRIDGE_APPS`` starts a new root, as an operator following that section
would; the commands after it continue there. `make` targets are dry-run (the target and its
recipe exist; tests/test_demo.py runs the demo, CI the suite); `pip install -e .` is resolved
with pip's own dry run. Two commands are run elsewhere, and this test checks that they are:
`check --probe` reaches the app's hosts, so tests/e2e/test_sso.py runs it against a MITx
Online stand-in on loopback; the OIDC and SAML recipes are run by their own tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .support.doc_commands import PAGES, PROJECT, commands, page, recipes, stray_commands
from .support.tutor_helpers import enable_lmsbridge, fake_tools, run_tutor

# `tutor local launch` asks whether the platform is for production, then its hosts and
# settings: a test platform, every default.
LAUNCH_ANSWERS = "n\n" + "\n" * 20
RUN_ELSEWHERE: dict[tuple[str, ...], Path] = {
    ("tutor", "lmsbridge", "check", "--probe"): PROJECT / "tests/e2e/test_sso.py",
}


def is_recipe(words: list[str]) -> bool:
    """A `set` of an OIDC or SAML recipe: its own test runs it (and checks its result)."""
    runs = [*recipes("oidc").values(), *recipes("saml").values()]
    return words[:3] == ["tutor", "lmsbridge", "set"] and words[3:] in runs


def starts_a_root(words: list[str]) -> bool:
    return words[:3] == ["tutor", "lmsbridge", "set"] and any(
        word.startswith("LMSBRIDGE_APPS=") for word in words
    )


def new_root(base: Path, count: int) -> Path:
    root = base / f"root{count}"
    enable_lmsbridge(root)
    run_tutor(root, "config", "save")
    return root


def run_command(words: list[str], root: Path) -> None:
    if words[0] == "make":
        result = subprocess.run(
            ["make", "-n", *words[1:]],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    elif words[:3] == ["pip", "install", "-e"]:
        assert words[3:] == ["."]
        pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index"]
        result = subprocess.run(
            [*pip, "--no-build-isolation", "-e", str(PROJECT)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "Would install tutor-contrib-lmsbridge" in result.stdout, result.stderr
    else:
        assert words[0] == "tutor", words
        answers = LAUNCH_ANSWERS if words[-1] == "launch" else ""
        result = run_tutor(root, *words[1:], check=False, answers=answers)
        assert result.returncode == 0, f"{' '.join(words)}:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("name", PAGES)
def test_every_command_of_the_page_runs(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert stray_commands(page(name)) == [], "show commands in a `.. code-block:: bash` block"
    shown = commands(page(name))
    bin_dir, log, _ = fake_tools(tmp_path)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")
    roots = 0
    root: Path | None = None  # made when a command needs one
    for index, words in enumerate(shown):
        elsewhere = RUN_ELSEWHERE.get(tuple(words))
        if elsewhere is not None:
            source = elsewhere.read_text()
            assert ", ".join(f'"{word}"' for word in words[1:]) in source, elsewhere
            continue
        if starts_a_root(words):
            following = shown[index + 1 : index + 2]
            if is_recipe(words) and (not following or starts_a_root(following[0])):
                continue  # nothing here builds on it: the recipe's own test runs it
            root = None
        if root is None and words[0] == "tutor":
            roots += 1
            root = new_root(tmp_path, roots)
        run_command(words, root or tmp_path)
    if any(words[:2] == ["tutor", "local"] for words in shown):
        assert log.exists(), "Tutor never called docker: the commands ran nothing"


def test_the_pages_show_the_commands_the_tests_expect() -> None:
    """A page whose commands the collector misses would pass the test above for nothing."""
    counts = {name: len(commands(page(name))) for name in PAGES}
    assert counts["README.rst"] >= 9
    assert counts["docs/recipes.rst"] >= 19
    assert counts["docs/kubernetes.rst"] >= 3
    assert counts["docs/troubleshooting.rst"] >= 2
