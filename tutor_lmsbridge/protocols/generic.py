"""``generic``: any python-social-auth OAuth2 backend class the operator names.

The class is checked with social-auth-core where it imports here (core/backend_classes.py):
that it is a backend, that its name is the app's BACKEND, and that every setting it reads
without a default is set. A class that only the image has is installed from PACKAGE.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError, show_value
from ..core.presets import Backend
from ..core.vocabulary import IMAGE_BACKEND_MODULES
from .base import OAUTH2_KEYS, LoginProtocol

if TYPE_CHECKING:
    from ..core.config_values import AppValues


class Generic(LoginProtocol):
    name = "generic"
    keys = OAUTH2_KEYS | {
        "BACKEND_CLASS",
        "PACKAGE",
        "AUTHORIZATION_URL",
        "ACCESS_TOKEN_URL",
        "API_ROOT",
        "DISCOVERY_URL",
    }
    # Anyone's provider (a self-service sign-up, a multi-tenant app) that says nothing about
    # verifying emails.
    consumer = True

    def read_backend(self, values: AppValues) -> tuple[Backend, str]:
        name: str = values.get("BACKEND")
        if not name:
            raise ConfigError(
                values.key("BACKEND"),
                f"the {values.preset.name} preset needs the backend's name",
                "",
                "github",
            )
        class_path: str = values.get("BACKEND_CLASS")
        requirement: str = values.get("PACKAGE")
        _check_class_kind(values, class_path, name)
        if not requirement and not class_path.startswith(IMAGE_BACKEND_MODULES):
            raise ConfigError(
                values.key("PACKAGE"),
                f"{show_value(class_path)} does not ship with Open edX, so the image needs its "
                "package",
                "name the pip requirement that provides it",
                "social-auth-acme==1.0",
            )
        return Backend(name, class_path, requirement), requirement

    def check_provider(
        self, values: AppValues, backend: Backend, other_settings: dict[str, Any]
    ) -> None:
        """The class serves as the provider Open edX will look up."""
        # Imported here: only this protocol needs it, and every `tutor` command reads apps.
        from ..core.backend_classes import inspect_backend

        found = inspect_backend(backend.class_path, backend.name)
        class_key = values.key("BACKEND_CLASS")
        if not found.importable:
            if backend.requirement:
                return  # it lives in the package the image installs: checked there
            raise ConfigError(
                class_key,
                f"{show_value(backend.class_path)} cannot be imported",
                "check the dotted path, or set PACKAGE to the requirement that provides it",
            )
        if found.problem:
            raise ConfigError(
                class_key,
                f"{backend.class_path} {found.problem}",
                f"name a class whose name is {values.key('BACKEND')} (for OpenID Connect, use "
                "the oidc preset: it gives each app its own backend)",
            )
        missing = [setting for setting in found.required_settings if setting not in other_settings]
        if missing:
            raise ConfigError(
                values.key("OTHER_SETTINGS"),
                f"{backend.class_path} reads {', '.join(missing)} without a default",
                f"set {', '.join(_setting_key(values, s) for s in missing)}",
            )


def _check_class_kind(values: AppValues, class_path: str, name: str) -> None:
    """What the dotted path names, when it imports here, is a backend class: otherwise its
    package is not what is missing (``os.system`` is not a backend at all)."""
    from ..core.backend_classes import inspect_backend  # see check_provider

    found = inspect_backend(class_path, name)
    if found.importable and found.kind_problem:
        raise ConfigError(
            values.key("BACKEND_CLASS"),
            f"{class_path} {found.kind_problem}",
            "name a python-social-auth OAuth2 backend class, e.g. "
            "social_core.backends.github.GithubOAuth2",
        )


def _setting_key(values: AppValues, setting: str) -> str:
    if setting in ("AUTHORIZATION_URL", "ACCESS_TOKEN_URL", "API_ROOT", "DISCOVERY_URL"):
        return values.key(setting)
    return f"{values.key('OTHER_SETTINGS')}={{{setting}: ...}}"


PROTOCOL = Generic()
