"""The docs' generated tables: the key tables (docs/configuration.rst) and the trust defaults
(docs/security.rst) from the key catalog, the preset table (docs/configuration.rst) from the
presets, the message tables (docs/troubleshooting.rst) from the
plugin's source.

``python -m tutor_lmsbridge.output.key_tables FILE...`` (``make readme``) rewrites, in each
file, the part between each pair of markers it holds; a test fails when a page and the code
disagree, either way.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from ..core.connected_apps import Platform
from ..core.keys import APP_BY_SETTING, APP_KEYS, GLOBAL_KEYS, Derived, Key, Required
from ..core.presets import BUILTIN_PRESETS, LINK_POLICIES, PROVIDER_FLAGS, Preset
from . import message_tables

BEGIN = ".. key tables: generated from tutor_lmsbridge/core/keys.py by `make readme`"
END = ".. end of the key tables"
SECURITY_BEGIN = ".. security table: generated from tutor_lmsbridge/core/keys.py by `make readme`"
SECURITY_END = ".. end of the security table"
# docs/security.rst's table: what the operator of each built-in preset must decide (the
# defaults beside it come from the catalog).
DECISIONS = {
    "mitxonline": "``trusted`` while MITx Online confirms every email at registration (it does "
    "today); ``ENABLE_SSO_ID_VERIFICATION`` only if it checked its learners' identities",
    "mitxpro": "as ``mitxonline``, for MITx Pro",
    "oidc": "does the provider send ``email_verified`` (keep ``verified``) or not (``never``; "
    "``SKIP_EMAIL_VERIFICATION`` then follows, off)? ``trusted`` only for your own "
    "single-tenant directory",
    "saml": "``trusted`` only for your institution's IdP, whose mail attribute users cannot "
    "edit; ``ENABLE_SSO_ID_VERIFICATION`` only if it checked each person's identity",
    "oauth2": "whether the backend's provider confirms emails: until it does, "
    "``SKIP_EMAIL_VERIFICATION`` and linking stay off",
    "richie": "``API_KEY`` only for a Richie older than 2.0.0-beta.17 (it calls the LMS "
    "with ``X-Edx-Api-Key``)",
    "client": "nothing: the app logs in with Open edX; no identity comes in",
}
SECURITY_SETTINGS = ("LINK_BY_EMAIL", *(flag.upper() for flag in PROVIDER_FLAGS))
PRESETS_BEGIN = ".. preset table: generated from tutor_lmsbridge/core/presets.py by `make readme`"
PRESETS_END = ".. end of the preset table"


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


class PresetDefaults:
    """The AppView of an app that sets nothing but its preset (and, to show what depends on
    it, LINK_BY_EMAIL): each key's catalog default, as the readers compute it."""

    def __init__(self, preset: Preset, link_by_email: str | None = None) -> None:
        self.name = preset.name
        self.preset = preset
        self.platform = Platform("lms.example.com", https=True)
        self.seed = ""
        self.link_by_email = link_by_email

    def get(self, setting: str) -> Any:
        if setting == "LINK_BY_EMAIL" and self.link_by_email is not None:
            return self.link_by_email
        default = APP_BY_SETTING[setting].default
        return default.compute(self) if isinstance(default, Derived) else default


def _literal(value: Any) -> str:
    return f"``{json.dumps(value) if not isinstance(value, str) else value}``"


def security_cell(preset: Preset, setting: str) -> str:
    """The default of one key for one preset; a flag that follows LINK_BY_EMAIL says so."""
    plain = PresetDefaults(preset).get(setting)
    if setting == "LINK_BY_EMAIL":
        return _literal(plain)
    by_policy = {policy: PresetDefaults(preset, policy).get(setting) for policy in LINK_POLICIES}
    if len(set(by_policy.values())) == 1:
        return _literal(plain)
    when = " or ".join(f"``{policy}``" for policy, value in by_policy.items() if value == plain)
    return f"{_literal(plain)} (with {when}; else {_literal(not plain)})"


def security_table() -> str:
    """Per built-in preset: the link policy, each flag's default, what the operator decides."""
    header = ["preset", *(f"``{setting}``" for setting in SECURITY_SETTINGS), "you decide"]
    rows = []
    for preset in BUILTIN_PRESETS:
        if APP_BY_SETTING["LINK_BY_EMAIL"].applies(preset):
            cells = [security_cell(preset, setting) for setting in SECURITY_SETTINGS]
        else:
            cells = ["-" for _ in SECURITY_SETTINGS]
        rows.append([preset.name, *cells, DECISIONS.get(preset.name, "")])
    title = "Trust defaults by preset (``LMSBRIDGE_<APP>_<SETTING>``)"
    widths = " ".join(["10"] + ["9"] * len(SECURITY_SETTINGS) + ["26"])
    lines = [SECURITY_BEGIN, "", *_table(title, header, rows, widths), "", SECURITY_END]
    return "\n".join(lines)


def _directions(preset: Preset) -> str:
    parts = []
    if preset.identity_provider:
        parts.append("login into Open edX")
    if preset.api_client:
        parts.append("API client" + (" (service token)" if preset.service_token else ""))
    elif preset.optional_client:
        parts.append("API client with ``OAUTH2_CLIENT: true``")
    if preset.catalog:
        parts.append("catalog (CORS, cross-domain CSRF, course-run sync)")
    if preset.login_redirect:
        parts.append("anonymous learners redirected to it")
    if preset.login_button:
        parts.append("login button")
    return "; ".join(parts)


def _login(preset: Preset) -> str:
    if not preset.identity_provider:
        return "-"
    backends = " or ".join(f"``{name}``" for name in preset.backends)
    return f"``{preset.protocol}``" + (f" ({backends})" if backends else "")


def preset_table() -> str:
    """Per built-in preset: its directions, login protocol, redirect URIs, handover profile."""
    rows = [
        [
            f"``{preset.name}``",
            _directions(preset),
            _login(preset),
            " ".join(f"``<URL>{path}``" for path in preset.redirect_paths) or "-",
            f"``{preset.handover_profile}``",
            preset.doc,
        ]
        for preset in BUILTIN_PRESETS
    ]
    header = ["preset", "directions", "login protocol", "redirect URIs", "handover", "what"]
    lines = [
        PRESETS_BEGIN,
        "",
        *_table("Presets", header, rows, "10 22 14 18 12 24"),
        "",
        PRESETS_END,
    ]
    return "\n".join(lines)


def generated() -> list[tuple[str, str, Callable[[], str]]]:
    """Each generated part: its first and last marker lines, and what it is made of."""
    return [
        (BEGIN, END, tables),
        (SECURITY_BEGIN, SECURITY_END, security_table),
        (PRESETS_BEGIN, PRESETS_END, preset_table),
        (message_tables.BEGIN, message_tables.END, message_tables.tables),
    ]


def replace_in(text: str) -> str:
    """``text`` with each generated part it holds made anew."""
    for begin, end_marker, make in generated():
        if begin in text:
            start, end = text.index(begin), text.index(end_marker) + len(end_marker)
            text = text[:start] + make() + text[end:]
    return text


def main(argv: list[str]) -> Any:
    for path in argv[1:]:
        with open(path, encoding="utf-8") as page:
            text = page.read()
        with open(path, "w", encoding="utf-8") as page:
            page.write(replace_in(text))


if __name__ == "__main__":
    main(sys.argv)
