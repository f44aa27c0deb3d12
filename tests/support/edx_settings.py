"""Execute Tutor's rendered LMS settings files the way edx-platform would load them.

The rendered ``production.py`` starts with ``from lms.envs.production import *`` and
``development.py`` with ``from lms.envs.devstack import *``. We cannot import edx-platform,
so this module installs stand-ins for those modules holding edx-platform's defaults for the
settings the plugin touches (lms/envs/common.py, Verawood), the YAML of the rendered
``lms.env.yml`` (production only: every top-level key becomes a setting and ENV_TOKENS), and
the plugin settings of the **real** openedx-companion-auth package applied the way
edx-platform's plugin machinery applies them. Every other name the file reads resolves to a
permissive placeholder, so the settings the plugin writes are evaluated for real.
"""

from __future__ import annotations

import builtins
import copy
import os
import sys
import types
from pathlib import Path
from typing import Any

import yaml
from openedx_companion_auth.settings import common as companion_common
from openedx_companion_auth.settings import production as companion_production

from tutor_lmsbridge.core import secret_store

EDX_CORE_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "openedx.core.djangoapps.oauth_dispatch.dot_overrides.backends."
    "EdxRateLimitedAllowAllUsersModelBackend",
    "bridgekeeper.backends.RulePermissionBackend",
]
# With ENABLE_THIRD_PARTY_AUTH, edx-platform puts THIRD_PARTY_AUTH_BACKENDS in front.
EDX_THIRD_PARTY_BACKENDS = [
    "social_core.backends.google.GoogleOAuth2",
    "social_core.backends.linkedin.LinkedinOAuth2",
    "social_core.backends.facebook.FacebookOAuth2",
    "social_core.backends.azuread.AzureADOAuth2",
    "common.djangoapps.third_party_auth.appleid.AppleIdAuth",
    "common.djangoapps.third_party_auth.identityserver3.IdentityServer3",
    "common.djangoapps.third_party_auth.saml.SAMLAuthBackend",
    "common.djangoapps.third_party_auth.lti.LTIAuthBackend",
]
EDX_DEFAULT_BACKENDS = EDX_THIRD_PARTY_BACKENDS + EDX_CORE_BACKENDS

EDX_DEFAULTS: dict[str, Any] = {
    "AUTHENTICATION_BACKENDS": EDX_DEFAULT_BACKENDS,
    "REGISTRATION_EXTRA_FIELDS": {
        "confirm_email": "hidden",
        "level_of_education": "optional",
        "gender": "optional",
        "year_of_birth": "optional",
        "mailing_address": "optional",
        "goals": "optional",
        "honor_code": "required",
        "terms_of_service": "hidden",
        "city": "hidden",
        "country": "required",
    },
    "IDA_LOGOUT_URI_LIST": [],
    "SOCIAL_AUTH_OAUTH_SECRETS": {},
    "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY": "",
    "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT": "",
    "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY_DICT": {},
    "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT_DICT": {},
    "CORS_ORIGIN_WHITELIST": [],
    "LOGIN_REDIRECT_WHITELIST": [],
    "CSRF_TRUSTED_ORIGINS": [],
    "MIDDLEWARE": ["django.middleware.common.CommonMiddleware"],
    "ENABLE_THIRD_PARTY_AUTH": False,
    "ALLOW_PUBLIC_ACCOUNT_CREATION": True,
    "SKIP_EMAIL_VALIDATION": False,
    "ENABLE_AUTHN_MICROFRONTEND": False,
    "ENABLE_CROSS_DOMAIN_CSRF_COOKIE": False,
    "CROSS_DOMAIN_CSRF_COOKIE_NAME": "",
    "CROSS_DOMAIN_CSRF_COOKIE_DOMAIN": "",
    "LMS_ROOT_URL": "https://localhost:18000",
    "SITE_ID": 1,
    "TPA_AUTOMATIC_LOGOUT_ENABLED": False,  # lms/envs/common.py
}


# The settings the plugin's LMS patch writes that the e2e Open edX stand-in takes over.
PLUGIN_SETTINGS = (
    "AUTHENTICATION_BACKENDS",
    "SOCIAL_AUTH_OAUTH_SECRETS",
    "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY",
    "ENABLE_THIRD_PARTY_AUTH",
    "MITX_REDIRECT_ENABLED",
    "MITX_REDIRECT_LOGIN_URL",
    "MITX_REDIRECT_ALLOW_RE_LIST",
    "MITX_REDIRECT_DENY_RE_LIST",
    "IDA_LOGOUT_URI_LIST",
    "SITE_ID",
    "LMSBRIDGE_INIT_PLAN",
    "LMSBRIDGE_LINK_BY_EMAIL",
    "TPA_AUTOMATIC_LOGOUT_ENABLED",
)


class Anything:
    """Stands for an edx-platform setting the tests do not model: any use succeeds."""

    def __getattr__(self, name: str) -> Anything:
        return Anything()

    def __getitem__(self, key: object) -> Anything:
        return Anything()

    def __setitem__(self, key: object, value: object) -> None:
        pass

    def __call__(self, *args: object, **kwargs: object) -> Anything:
        return Anything()

    def __add__(self, other: object) -> Anything:
        return self

    def __radd__(self, other: object) -> Anything:
        return self

    def __iter__(self) -> Any:
        return iter(())


class FeaturesProxy(dict[str, Any]):
    """edx-platform's FEATURES compatibility proxy (Verawood): FEATURES["X"] = v sets the flat
    setting X in the settings module it was created for."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        super().__init__()
        self.namespace = namespace

    def __setitem__(self, key: str, value: Any) -> None:
        self.namespace[key] = value

    def __getitem__(self, key: str) -> Any:
        return self.namespace[key]


class SettingsNamespace(dict[str, Any]):
    """Module namespace whose unknown names are placeholders (builtins still resolve)."""

    def __missing__(self, key: str) -> Any:
        if hasattr(builtins, key):
            raise KeyError(key)
        return Anything()


def _settings_module(name: str, values: dict[str, Any]) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(values)
    return module


def _apply_companion(values: dict[str, Any], production: bool) -> None:
    """What edx-platform's add_plugins does for openedx-companion-auth."""
    holder = types.SimpleNamespace(**values)
    companion_common.plugin_settings(holder)
    if production:
        companion_production.plugin_settings(holder)
    values.update(vars(holder))


def load_lms_settings(
    env_root: Path, mode: str, tmp_dir: Path, service: str = "lms"
) -> SettingsNamespace:
    """Execute ``env/apps/openedx/settings/<service>/<mode>.py``; return its namespace."""
    settings_dir = env_root / "apps" / "openedx" / "settings" / service
    values = copy.deepcopy(EDX_DEFAULTS)
    for folder in ("DATA_DIR", "LOG_DIR", "MEDIA_ROOT", "STATIC_ROOT", "ORA2_FILEUPLOAD_ROOT"):
        values[folder] = str(tmp_dir / folder.lower())
    production = mode == "production"
    if production:
        env_tokens = yaml.safe_load(
            (env_root / "apps" / "openedx" / "config" / "lms.env.yml").read_text()
        )
        values.update(env_tokens)
        values["ENV_TOKENS"] = env_tokens
    else:
        values["LMS_ROOT_URL"] = "http://localhost:18000"
    if service == "lms":
        _apply_companion(values, production)
    module_name = f"{service}.envs.production" if production else f"{service}.envs.devstack"
    stand_ins = {
        service: _settings_module(service, {}),
        f"{service}.envs": _settings_module(f"{service}.envs", {}),
        module_name: _settings_module(module_name, values),
        "xmodule": _settings_module("xmodule", {}),
        "xmodule.modulestore": _settings_module("xmodule.modulestore", {}),
        "xmodule.modulestore.modulestore_settings": _settings_module(
            "xmodule.modulestore.modulestore_settings",
            {"update_module_store_settings": lambda *args, **kwargs: None},
        ),
        "openedx": _settings_module("openedx", {}),
        "openedx.core": _settings_module("openedx.core", {}),
        "openedx.core.lib": _settings_module("openedx.core.lib", {}),
        "openedx.core.lib.features_setting_proxy": _settings_module(
            "openedx.core.lib.features_setting_proxy", {"FeaturesProxy": FeaturesProxy}
        ),
        "codejail": _settings_module("codejail", {"jail_code": Anything()}),
        "codejail.jail_code": _settings_module("codejail.jail_code", {"configure": Anything()}),
    }
    saved = {name: sys.modules.get(name) for name in stand_ins}
    sys.modules.update(stand_ins)
    # The settings read the plugin's secrets at start-up from its secrets file, mounted at a
    # fixed path in the containers; outside them, this variable names the rendered file.
    saved_path = os.environ.get(secret_store.PATH_VARIABLE)
    os.environ[secret_store.PATH_VARIABLE] = str(env_root.joinpath(*secret_store.ENV_FILE))
    try:
        path = settings_dir / f"{mode}.py"
        code = compile(path.read_text(), str(path), "exec")
        # One namespace for globals and locals, as for a real module (comprehensions in the
        # settings see module names through globals).
        namespace = SettingsNamespace(__name__=f"{service}_settings", __builtins__=builtins)
        exec(code, namespace)  # noqa: S102
    finally:
        if saved_path is None:
            os.environ.pop(secret_store.PATH_VARIABLE, None)
        else:
            os.environ[secret_store.PATH_VARIABLE] = saved_path
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return namespace
