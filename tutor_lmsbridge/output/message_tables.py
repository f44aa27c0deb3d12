"""docs/troubleshooting.rst's message tables, read from the plugin's own source.

Every error and warning the plugin prints is written at one place in the code: a
``ConfigError(key, problem, fix, example)``, a ``(key, text)`` warning of the configuration
readers, a ``("error" | "warning", text)`` finding of ``check --probe``, a
``findings.error/warning(subject, text, fix)`` of the verify job. The tables list each one,
found in the syntax tree (parts computed at run time show as ``…``), so that the
troubleshooting page cannot miss a message the code gains: ``make readme`` rewrites them and a
test fails when the page and the code disagree.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

PACKAGE = Path(__file__).resolve().parent.parent
BEGIN = ".. message tables: generated from the plugin's source by `make readme`"
END = ".. end of the message tables"
VALUE = "…"
LEVELS = {"error": "ERROR", "warning": "WARNING"}
#: Where each kind of message is written, relative to the package.
CONFIG_READERS = ("core", "protocols", "glue")
PROBES = ("output/probe.py", "output/oidc_probe.py", "output/saml_probe.py")
VERIFY_JOB = "templates/lmsbridge/tasks/lms/verify_objects.py"


class Message(NamedTuple):
    level: str  # ERROR or WARNING
    where: str  # the file, relative to the package
    text: str  # what it says, ``…`` for the parts computed at run time
    fix: str  # how it is fixed, when the code says it apart from the text


def words(node: ast.expr | None, names: dict[str, str] | None = None) -> str:
    """The literal text of a string expression; ``…`` for each computed part. ``names``: the
    module's string constants (a shared fix such as the verify job's INIT_FIX)."""
    names = names or {}
    if node is None:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.JoinedStr):
        return "".join(
            str(part.value)
            if isinstance(part, ast.Constant)
            else words(part.value, names)
            if isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name)
            else VALUE
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return words(node.left, names) + words(node.right, names)
    return VALUE


def constants(tree: ast.Module) -> dict[str, str]:
    """The module-level ``NAME = "text"`` assignments, in order (a later one may use one)."""
    found: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            text = words(statement.value, found)
            if isinstance(target, ast.Name) and target.id.isupper() and VALUE not in text:
                found[target.id] = text
    return found


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _level(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return LEVELS.get(node.value.lower(), "")
    return ""


def _config_error(call: ast.Call) -> tuple[str, str]:
    """ConfigError(key, problem, fix, example): the problem, and the fix as the line shows it
    (``fix: tutor lmsbridge set KEY=example``, or the unset command for an example of "")."""
    args = [*call.args, *(keyword.value for keyword in call.keywords)]
    problem, fix = words(args[1]), words(args[2]) if len(args) > 2 else ""
    if len(args) > 3:
        example = args[3]
        empty = isinstance(example, ast.Constant) and example.value == ""
        if not (isinstance(example, ast.Constant) and example.value is None):
            command = "tutor lmsbridge set --unset KEY" if empty else "tutor lmsbridge set KEY=…"
            fix = f"{fix}: {command}" if fix else command
    return problem, fix


def _messages_in(path: Path) -> Iterator[Message]:
    where = path.relative_to(PACKAGE).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = constants(tree)
    verify = where == VERIFY_JOB
    probe = where in PROBES
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = _name(node.func)
            if called == "ConfigError" and len(node.args) >= 2:
                yield Message("ERROR", where, *_config_error(node))
            elif called == "append" and _name(getattr(node.func, "value", node.func)) in (
                "warnings",
                "found",
            ):
                # The configuration readers' (key, text) warnings; the text says the fix.
                (item,) = node.args
                if isinstance(item, ast.Tuple) and not _level(item.elts[0]):
                    yield Message("WARNING", where, words(item.elts[1]), "")
            elif verify and called in ("error", "warning") and len(node.args) == 3:
                yield Message(
                    LEVELS[called], where, words(node.args[1], names), words(node.args[2], names)
                )
            elif probe and called == "Finding" and _level(node.args[0]):
                yield Message(_level(node.args[0]), where, words(node.args[2]), "")
        elif isinstance(node, ast.Tuple) and node.elts and _level(node.elts[0]):
            if verify and len(node.elts) == 3:  # ("ERROR", text, fix) of a provider check
                yield Message(
                    _level(node.elts[0]), where, *(words(e, names) for e in node.elts[1:])
                )
            elif probe and len(node.elts) == 2:  # ("error", text) of a probe
                yield Message(_level(node.elts[0]), where, words(node.elts[1]), "")


def messages(folder: str) -> list[Message]:
    """Every message written in a file of ``folder`` (or that one file), sorted and once."""
    base = PACKAGE / folder
    paths = [base] if base.is_file() else sorted(base.rglob("*.py"))
    found = {message for path in paths for message in _messages_in(path)}
    return sorted(found, key=lambda message: (message.where, *message))


def _cell(text: str) -> str:
    """Literal text in a table cell: backslashes and RST markup characters escaped."""
    text = " ".join(text.split()) or "-"
    for char in ("\\", "`", "*", "|", "_"):
        text = text.replace(char, "\\" + char)
    return text


def _table(title: str, rows: list[Message], with_fix: bool) -> list[str]:
    header = ["level", "file", "what it says", *(["fix"] if with_fix else [])]
    widths = "8 20 42 30" if with_fix else "8 20 72"
    lines = [f".. list-table:: {title}", "   :header-rows: 1", f"   :widths: {widths}", ""]
    lines += [f"   * - {header[0]}", *(f"     - {cell}" for cell in header[1:])]
    for message in rows:
        cells = [message.where, _cell(message.text), *([_cell(message.fix)] if with_fix else [])]
        lines += [f"   * - {message.level}", *(f"     - {cell}" for cell in cells)]
    return lines


def tables() -> str:
    config = [m for folder in CONFIG_READERS for m in messages(folder)]
    probe = [m for path in PROBES for m in messages(path)]
    lines = [
        BEGIN,
        "",
        *_table("Configuration: set, check, config save", config, with_fix=True),
        "",
        *_table("check --probe", probe, with_fix=False),
        "",
        *_table("do lmsbridge-verify", messages(VERIFY_JOB), with_fix=True),
        "",
        END,
    ]
    return "\n".join(lines)


def replace_in(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + tables() + text[end:]
