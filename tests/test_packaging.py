"""Building the package prints no warning, and ships every file of tutor_lmsbridge, no bytecode.

Built as ``pip install .`` and ``pip install git+URL`` build it (setuptools' PEP 517 backend,
in the source tree), and as a release is (the sdist), offline, from a copy of the project:
once as a fresh clone has it, once with the ``__pycache__`` folders a working tree grows.
setuptools reports what is wrong with our setup.py, MANIFEST.in or package layout (a data
folder outside the packages, a license classifier, a manifest pattern that matches nothing) as
warnings in this output; the build must print none.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

PROJECT = Path(__file__).parent.parent
PACKAGE = "tutor_lmsbridge"
TOP_FILES = ("setup.py", "pyproject.toml", "MANIFEST.in", "README.rst", "CHANGELOG.md")
# What setuptools adds to an sdist besides our files.
SDIST_METADATA = {
    "PKG-INFO",
    "setup.cfg",
    *(
        f"tutor_contrib_lmsbridge.egg-info/{name}"
        for name in (
            "PKG-INFO",
            "SOURCES.txt",
            "dependency_links.txt",
            "entry_points.txt",
            "requires.txt",
            "top_level.txt",
        )
    ),
}
BUILD = (
    "import sys\n"
    "from setuptools import build_meta as backend\n"
    "out = sys.argv[1]\n"  # each backend call rewrites sys.argv
    "backend.build_sdist(out)\n"
    "backend.build_wheel(out)\n"
)


def build_requirement(name: str) -> Requirement:
    """A requirement of pyproject.toml's [build-system] (read without tomllib: Python 3.10)."""
    text = (PROJECT / "pyproject.toml").read_text()
    block = re.search(r"^\[build-system\]\nrequires = \[(.*?)\]", text, re.MULTILINE | re.DOTALL)
    assert block is not None
    for item in re.findall(r'"([^"]+)"', block.group(1)):
        if Requirement(item).name == name:
            return Requirement(item)
    raise AssertionError(f"{name} is not a build requirement")


def copy_project(target: Path) -> list[str]:
    """The files a clone has that the build reads; returns the package's, relative."""
    for name in TOP_FILES:
        shutil.copy2(PROJECT / name, target / name)
    shutil.copytree(
        PROJECT / PACKAGE, target / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return sorted(
        path.relative_to(target).as_posix()
        for path in (target / PACKAGE).rglob("*")
        if path.is_file()
    )


@pytest.mark.parametrize("tree", ["fresh clone", "working tree"])
def test_the_package_builds_without_warnings_and_ships_all_its_files(
    tmp_path: Path, tree: str
) -> None:
    setuptools = build_requirement("setuptools")
    # An older setuptools knows fewer of the warnings: this test would pass for nothing.
    assert setuptools.specifier.contains(version("setuptools")), "run `make setup`"
    source, out = tmp_path / "src", tmp_path / "dist"
    source.mkdir()
    files = copy_project(source)
    # The wheel must hold these data files too, not only the modules.
    for data in (
        "py.typed",
        "patches/lms-env",
        "templates/lmsbridge/tasks/lms/init",
        "templates/lmsbridge/settings/lms-common",
    ):
        assert f"{PACKAGE}/{data}" in files
    assert f"{PACKAGE}/openedx_app/lmsbridge_openedx/apps.py" in files
    if tree == "working tree":
        for folder in ("core", "openedx_app/lmsbridge_openedx", "templates/lmsbridge/tasks/lms"):
            cache = source / PACKAGE / folder / "__pycache__"
            cache.mkdir()
            (cache / "module.cpython-311.pyc").write_bytes(b"\0")
    # Under PYTHONDONTWRITEBYTECODE distutils says "byte-compiling is disabled": that is
    # the environment speaking, not our files.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [sys.executable, "-c", BUILD, str(out)],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    warnings = [line for line in output.splitlines() if re.search("warn", line, re.IGNORECASE)]
    assert warnings == [], "\n".join(warnings)

    (wheel,) = out.glob("*.whl")
    shipped = sorted(name for name in zipfile.ZipFile(wheel).namelist() if name.startswith(PACKAGE))
    assert shipped == files
    (sdist,) = out.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile()}
    assert members == {*files, *TOP_FILES, *SDIST_METADATA}


def test_no_package_file_is_hidden_from_git() -> None:
    """A file .gitignore hides (the requirements template under templates/build/ once was)
    ships from a working tree, but from no clone, git URL or release."""
    if not (PROJECT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(
        ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--", PACKAGE],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    hidden = [
        path
        for path in result.stdout.splitlines()
        if "/__pycache__/" not in f"/{path}" and not path.endswith(".pyc")
    ]
    assert hidden == []
