"""``endpoints``: the MITx apps' backends (ol-oauth2, mitxpro-oauth2), fed fixed endpoint URLs.

The preset lists the backends it allows (the first is the default) and the paths of the
app's authorization and token endpoints; Open edX gets AUTHORIZATION_URL (browser URL),
ACCESS_TOKEN_URL and API_ROOT (internal URL) in the provider's other_settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError, show_value
from ..core.presets import BACKENDS
from .base import OAUTH2_KEYS, LoginProtocol

if TYPE_CHECKING:
    from ..core.config_values import AppValues
    from ..core.keys import AppView
    from ..core.presets import Backend

# Where each endpoint default comes from: (the app's base URL key, the preset's path field).
ENDPOINT_DEFAULTS = {
    "AUTHORIZATION_URL": ("URL", "authorize_path"),
    "ACCESS_TOKEN_URL": ("INTERNAL_URL", "token_path"),
}


class Endpoints(LoginProtocol):
    name = "endpoints"
    keys = OAUTH2_KEYS | {
        "PACKAGE",
        "AUTHORIZATION_URL",
        "ACCESS_TOKEN_URL",
        "API_ROOT",
        "DISCOVERY_URL",
    }
    # The MITx apps confirm every email at registration and are the operator's own.
    link_default = "trusted"
    verifies_emails = True

    def default(self, app: AppView, setting: str) -> Any:
        if setting == "BACKEND":
            return app.preset.backends[0]
        if setting in ENDPOINT_DEFAULTS:
            base, path = ENDPOINT_DEFAULTS[setting]
            return str(app.get(base)) + str(getattr(app.preset, path))
        if setting == "API_ROOT":
            return str(app.get("INTERNAL_URL")) + "/"
        return super().default(app, setting)

    def read_backend(self, values: AppValues) -> tuple[Backend, str]:
        preset, name = values.preset, values.get("BACKEND")
        if name not in preset.backends:
            raise ConfigError(
                values.key("BACKEND"),
                f"{show_value(name)} is not a backend of the {preset.name} preset: use one of "
                f"{', '.join(preset.backends)}",
                "",
                preset.backends[0],
            )
        return BACKENDS[name], values.get("PACKAGE")


PROTOCOL = Endpoints()
