"""The core, the protocols and the output stage are pure: importing them loads neither Tutor
nor Jinja (nor Django)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tutor_lmsbridge

PACKAGE = Path(tutor_lmsbridge.__file__).parent


def test_pure_modules_import_neither_tutor_nor_jinja() -> None:
    modules = [
        f"tutor_lmsbridge.{folder}.{path.stem}"
        for folder in ("core", "protocols", "output")
        for path in sorted((PACKAGE / folder).glob("*.py"))
        if path.stem != "__init__"
    ]
    assert len(modules) > 20
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "loaded = sorted(\n"
        "    m for m in sys.modules if m.split('.')[0] in ('tutor', 'jinja2', 'django')\n"
        ")\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_plugin_py_only_registers_hooks() -> None:
    source = (PACKAGE / "plugin.py").read_text()
    assert "def " not in source
    assert "class " not in source
