"""Typed access to the ``LMSBRIDGE_*`` values of one configuration, through the key catalog.

``ConfigValues`` reads a global key; ``AppValues`` reads an app's keys, filling derived
defaults on demand. Every value goes through its kind's parser and the key's rules, so a read
either returns the typed value or raises a one-line ConfigError naming the key. ``check_keys``
then looks at what is present but means nothing: a typo, a key the app's preset does not use,
or the leftovers of a disconnected app.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from ..protocols import login_protocol
from . import value_types as kinds
from .connected_apps import Platform
from .errors import Collector, ConfigError, show_value
from .keys import (
    APP_BY_SETTING,
    APP_KEYS,
    GLOBAL_BY_SETTING,
    GLOBAL_KEYS,
    PREFIX,
    RESERVED_APP_NAMES,
    Derived,
    Key,
    Required,
    key_parts,
)
from .presets import Preset
from .url_values import parse_base_url
from .vocabulary import APP_NAME_RE


def parse(name: str, spec: Key, raw: Any, allow_query: bool = False) -> Any:
    """``raw`` (what YAML produced, or a default) as the typed value of key ``name``."""
    if spec.kind in (kinds.URL, kinds.ENDPOINT):
        if kinds.is_unset(raw):
            return None
        url = kinds.text(name, raw, spec.rules).strip()
        base = parse_base_url(name, url, allow_query)
        return base if spec.kind is kinds.URL else url
    if spec.kind is kinds.INTEGER and kinds.is_unset(raw) and spec.default is None:
        return None  # an optional number (MAX_SESSION_LENGTH): unset means "not set"
    return kinds.PARSERS[spec.kind](name, raw, spec.rules)


class ConfigValues:
    """Reads one configuration mapping (Tutor's, after its own Jinja pass)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config

    def raw(self, name: str) -> Any:
        return self._config.get(name)

    def platform(self, name: str) -> Any:
        """A Tutor core value (LMS_HOST, ENABLE_HTTPS...), read without validation."""
        return self._config.get(name)

    def get(self, setting: str, platform: Platform | None = None) -> Any:
        """A global key's typed value; a derived default needs the ``platform``."""
        spec = GLOBAL_BY_SETTING[setting]
        name = spec.name()
        raw = self._config.get(name)
        if kinds.is_unset(raw):
            if isinstance(spec.default, Required):
                raise ConfigError(
                    name, "is not set", "run tutor config save, which generates it", None
                )
            if isinstance(spec.default, Derived):
                if platform is None:  # a programming error: the reader must pass it
                    raise KeyError(f"{setting} has a derived default: give the platform")
                raw = spec.default.compute(GlobalView(self, platform))
            else:
                raw = spec.default
        return parse(name, spec, raw)

    def app(self, name: str, preset: Preset, platform: Platform, seed: str) -> AppValues:
        return AppValues(self, name, preset, platform, seed)

    def check_keys(
        self,
        apps: Mapping[str, Preset],
        listed: Collection[str],
        presets: Collection[str],
        errors: Collector,
    ) -> list[tuple[str, str]]:
        """Collect an error for each key that cannot mean anything (a typo, a key in the
        wrong case, a key the app's preset does not use, a key of a mistyped app name);
        warn for keys of unlisted apps. ``listed``: every name in LMSBRIDGE_APPS (an app
        whose preset is invalid is in it but not in ``apps``: its PRESET key says why)."""
        warnings = []
        for name in sorted(self._config):
            if name != name.upper() and name.upper().startswith(PREFIX):
                errors.add(wrong_case(name))
                continue
            parts = key_parts(name)
            if parts is None:
                continue  # not ours
            app, setting = parts
            if app is None:
                continue  # a global key: read and checked by its reader
            if app in apps:
                preset = apps[app]
                spec = APP_BY_SETTING.get(setting)
                if spec is None:
                    errors.add(_unknown(name, [k.name(app) for k in APP_KEYS if k.applies(preset)]))
                elif not spec.applies(preset):
                    errors.add(
                        ConfigError(
                            name,
                            f"the {preset.name} preset does not use {setting}",
                            "remove it (see the per-app key table of docs/configuration.rst)",
                            "",
                        )
                    )
                continue
            if app in listed:
                continue
            known_setting = setting in APP_BY_SETTING
            if not known_setting or not re.fullmatch(APP_NAME_RE, app) or app in RESERVED_APP_NAMES:
                candidates = [k.name() for k in GLOBAL_KEYS]
                candidates += [k.name(a) for a in apps for k in APP_KEYS if k.applies(apps[a])]
                errors.add(_unknown(name, candidates))
                continue
            meant = _app_typo(app, [*listed, *presets])
            if meant is not None:
                errors.add(
                    ConfigError(
                        name,
                        f"no app in LMSBRIDGE_APPS, and no preset, is named {show_value(app)} "
                        f"(did you mean {APP_BY_SETTING[setting].name(meant)}?), so this key "
                        "would be ignored",
                        f"set {APP_BY_SETTING[setting].name(meant)} instead and remove this "
                        f"one (or, if {app} is a new app, list it in LMSBRIDGE_APPS)",
                        "",
                    )
                )
                continue
            # The keys of an app no longer listed (or not listed yet) are kept, unused.
            warnings.append((name, "not used by any connected app (LMSBRIDGE_APPS)"))
        return warnings


def wrong_case(name: str) -> ConfigError:
    """``lmsbridge_sso_url`` or ``LMSBRIDGE_Sso_URL``: Tutor's keys are case-sensitive, and
    the plugin would read neither."""
    return ConfigError(
        name,
        f"keys are case-sensitive and the plugin reads only {name.upper()}, so this one "
        "would be ignored",
        f"spell it {name.upper()} and remove this one",
        "",
    )


def _app_typo(app: str, names: list[str]) -> str | None:
    """The app or preset name ``app`` looks like a mistyped form of, if any. A name that
    differs only by its digits (``sso2`` next to ``sso``) is another app, not a typo."""
    import difflib  # on this path only: see _unknown

    def letters(text: str) -> str:
        return "".join(ch for ch in text if not ch.isdigit())

    candidates = [name for name in names if letters(name) != letters(app)]
    close = difflib.get_close_matches(app, candidates, n=1, cutoff=0.8)
    return close[0] if close else None


def _unknown(name: str, candidates: list[str]) -> ConfigError:
    # Imported on the error path only: a `tutor` command without a mistake has no use for
    # difflib (and heapq).
    import difflib

    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    if close:
        return ConfigError(name, f"no such key (did you mean {close[0]}?)", "rename it", None)
    return ConfigError(
        name, "no such key", "check the key tables of docs/configuration.rst, or remove it", ""
    )


class GlobalView:
    """What a global key's derived default may look at (the AppView protocol, with no app)."""

    name = ""
    seed = ""

    def __init__(self, values: ConfigValues, platform: Platform) -> None:
        from .presets import Preset

        self.values = values
        self.platform = platform
        self.preset = Preset("", "", identity_provider=False, api_client=False)

    def get(self, setting: str) -> Any:
        return self.values.get(setting, self.platform)


class AppValues:
    """The keys of one connected app, typed, with the catalog's defaults."""

    def __init__(
        self, values: ConfigValues, name: str, preset: Preset, platform: Platform, seed: str
    ) -> None:
        self.values = values
        self.name = name
        self.preset = preset
        self.platform = platform
        self.seed = seed
        self._cache: dict[str, Any] = {}
        protocol = login_protocol(preset)
        # Whether the app's URLs may carry a query string (a SAML metadata URL may).
        self.url_query = protocol is not None and protocol.url_query

    def key(self, setting: str) -> str:
        return APP_BY_SETTING[setting].name(self.name)

    def is_set(self, setting: str) -> bool:
        """The operator set the key (its default is not in use)."""
        return not kinds.is_unset(self.values.raw(self.key(setting)))

    def get(self, setting: str) -> Any:
        if setting in self._cache:
            return self._cache[setting]
        spec = APP_BY_SETTING[setting]
        if not spec.applies(self.preset):
            # A programming error, not the operator's: readers only ask for their keys.
            raise KeyError(f"{setting} is not a key of the {self.preset.name} preset")
        name = spec.name(self.name)
        raw = self.values.raw(name)
        if kinds.is_unset(raw):
            default = spec.default
            if isinstance(default, Required):
                if default.unless is None or not default.unless(self):
                    example = spec.rules.example or None
                    raise ConfigError(
                        name, f"app {show_value(self.name)} has no {setting}", "set it", example
                    )
                raw = None
            else:
                raw = default.compute(self) if isinstance(default, Derived) else default
        value = parse(name, spec, raw, allow_query=self.url_query)
        self._cache[setting] = value
        return value

    def secrets(self) -> list[str]:
        """The values of the secret keys read so far (masking keeps them out of output)."""
        found: list[str] = []
        for setting, value in self._cache.items():
            if APP_BY_SETTING[setting].kind.secret and value:
                found.extend(value if isinstance(value, tuple) else [value])
        return found

    def check_present(self, errors: Collector) -> bool:
        """Parse every key the operator set for this app, used or not (so that a value is
        never accepted today and refused the day it starts to matter); collect each invalid
        one. True when all are valid."""
        valid = True
        for spec in APP_KEYS:
            if spec.applies(self.preset) and self.values.raw(spec.name(self.name)) is not None:
                try:
                    self.get(spec.setting)
                except ConfigError as exc:
                    errors.add(exc)
                    valid = False
        return valid
