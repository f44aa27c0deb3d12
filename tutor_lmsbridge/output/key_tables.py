"""The README's key tables, generated from the key catalog.

``python -m tutor_lmsbridge.output.key_tables README.rst`` rewrites the part of the README
between the two markers; a test fails when the README and the catalog disagree, either way.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ..core.keys import APP_KEYS, GLOBAL_KEYS, Derived, Key, Required
from ..core.presets import BUILTIN_PRESETS

BEGIN = ".. key tables: generated from tutor_lmsbridge/core/keys.py by `make readme`"
END = ".. end of the key tables"


def _default(key: Key) -> str:
    if isinstance(key.default, (Derived, Required)):
        return key.default.doc
    if key.default == "" or key.default is None:
        return "none"
    return f"``{json.dumps(key.default) if not isinstance(key.default, str) else key.default}``"


def _presets(key: Key) -> str:
    names = [preset.name for preset in BUILTIN_PRESETS if key.applies(preset)]
    return "all" if len(names) == len(BUILTIN_PRESETS) else ", ".join(names)


def _table(title: str, header: list[str], rows: list[list[str]], widths: str) -> list[str]:
    lines = [f".. list-table:: {title}", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return lines


def tables() -> str:
    global_rows = [[f"``{k.name()}``", k.kind.name, _default(k), k.doc] for k in GLOBAL_KEYS]
    app_rows = [
        [f"``{k.setting}``", k.kind.name, _presets(k), _default(k), k.doc] for k in APP_KEYS
    ]
    lines = [
        BEGIN,
        "",
        *_table("Global keys", ["key", "kind", "default", "meaning"], global_rows, "30 10 20 40"),
        "",
        *_table(
            "Per-app keys (``LMSBRIDGE_<APP>_<SETTING>``)",
            ["setting", "kind", "presets", "default", "meaning"],
            app_rows,
            "22 10 18 20 30",
        ),
        "",
        END,
    ]
    return "\n".join(lines)


def replace_in(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + tables() + text[end:]


def main(argv: list[str]) -> Any:
    path = argv[1]
    with open(path, encoding="utf-8") as readme:
        text = readme.read()
    with open(path, "w", encoding="utf-8") as readme:
        readme.write(replace_in(text))


if __name__ == "__main__":
    main(sys.argv)
