"""What a python-social-auth backend class needs, asked of social-auth-core itself.

The ``oauth2`` preset takes any backend class. Open edX lists only OAuth2 backends
(``BaseOAuth2`` subclasses) among its OAuth2 providers, looks them up by ``name``, and feeds
them every setting but KEY and SECRET from the provider's ``other_settings``. So the class
must import, be an OAuth2 backend, carry the configured name, and find each setting it reads
without a default. The settings it needs are read off the class: the endpoint URLs it does
not define, and every ``self.setting("NAME")`` call without a default in its own methods
(social-auth-core's base classes give defaults for theirs).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from typing import Any, NamedTuple

# Settings edx-platform's provider configuration gives every backend (its key, secret).
_FROM_THE_ROW = frozenset({"KEY", "SECRET"})
# Modules whose self.setting() calls all have defaults or read KEY/SECRET.
_BASE_MODULES = frozenset({"social_core.backends.base", "social_core.backends.oauth"})


class BackendClass(NamedTuple):
    importable: bool  # False: only the image has it (PACKAGE installs it there)
    problem: str  # why the class cannot serve as an OAuth2 provider ("" when it can)
    required_settings: tuple[str, ...]  # settings it reads without a default
    # Why it is no OAuth2 backend class at all ("" when it is one; then ``problem`` may
    # still say it carries another name).
    kind_problem: str = ""


def load_class(class_path: str) -> Any:
    module_name, _, class_name = class_path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except Exception:
        return None
    return getattr(module, class_name, None)


def inspect_backend(class_path: str, backend_name: str) -> BackendClass:
    cls = load_class(class_path)
    if cls is None:
        return BackendClass(False, "", ())
    from social_core.backends.oauth import BaseOAuth2, OAuthAuth
    from social_core.backends.open_id_connect import OpenIdConnectAuth

    if not isinstance(cls, type) or not issubclass(cls, BaseOAuth2):
        kind = (
            "is not a python-social-auth backend class (not a class at all)"
            if not isinstance(cls, type)
            else "is not an OAuth2 backend (a BaseOAuth2 subclass)"
        )
        return BackendClass(True, kind, (), kind)
    if getattr(cls, "name", "") != backend_name:
        named = getattr(cls, "name", "")
        return BackendClass(True, f"is named {named!r}, not {backend_name!r}", ())
    required = []
    endpoints = (
        ("AUTHORIZATION_URL", "authorization_url"),
        ("ACCESS_TOKEN_URL", "access_token_url"),
    )
    for setting, method in endpoints:
        inherited = getattr(cls, method) is getattr(OAuthAuth, method)
        if inherited and not getattr(cls, setting, ""):
            required.append(setting)
    if issubclass(cls, OpenIdConnectAuth) and not getattr(cls, "OIDC_ENDPOINT", ""):
        required.append("OIDC_ENDPOINT")
    for klass in cls.__mro__:
        if klass.__module__ not in _BASE_MODULES and klass is not object:
            required.extend(_settings_without_default(klass))
    needed = tuple(dict.fromkeys(s for s in required if s not in _FROM_THE_ROW))
    return BackendClass(True, "", needed)


def _settings_without_default(klass: type) -> list[str]:
    try:
        source = textwrap.dedent(inspect.getsource(klass))
    except (OSError, TypeError):
        return []
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "setting"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "self"
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(node.args[0].value)
    return found
