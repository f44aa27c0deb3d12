"""Render with the real Tutor, then load the files the way Open edX does and check the
effective settings (production.py for `tutor local`, development.py for `tutor dev`)."""

from __future__ import annotations

import io
import json
import tokenize
from pathlib import Path
from typing import Any

import pytest
import yaml

from tutor_lmsbridge.core import secret_store
from tutor_lmsbridge.core import value_types as kinds
from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.keys import APP_KEYS, GLOBAL_KEYS, Key
from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.core.plan import build_plan
from tutor_lmsbridge.core.presets import PRESETS
from tutor_lmsbridge.core.read_bridge import read_bridge

from .support.edx_settings import EDX_DEFAULT_BACKENDS, load_lms_settings
from .support.samples import (
    ADFS,
    KEYCLOAK,
    MITXONLINE,
    MITXPRO,
    OIDC,
    PLATFORM,
    RICHIE,
    SHIB,
    combine,
    saml_metadata,
    sp_private_key,
)
from .support.tutor_helpers import render_env

COMPANION_MIDDLEWARE = "openedx_companion_auth.middleware.RedirectAnonymousUsersToLoginMiddleware"


def settings_of(tmp_path: Path, config: dict[str, Any]) -> dict[str, Any]:
    env = render_env(tmp_path, config)
    return {mode: load_lms_settings(env, mode, tmp_path) for mode in ("production", "development")}


def test_mitxonline_effective_settings_in_production_and_development(tmp_path: Path) -> None:
    seed = {"LMSBRIDGE_SECRET_SEED": PLATFORM["LMSBRIDGE_SECRET_SEED"]}
    loaded = settings_of(tmp_path, {**MITXONLINE, **seed})
    expected_plan = plan_for({**PLATFORM, **MITXONLINE}).init_data()
    for mode, s in loaded.items():
        assert s["AUTHENTICATION_BACKENDS"] == [
            "ol_social_auth.backends.OLOAuth2",
            *EDX_DEFAULT_BACKENDS,
        ], mode
        assert s["SOCIAL_AUTH_OAUTH_SECRETS"] == {"ol-oauth2": "mitxonline-client-secret-value"}
        assert s["ENABLE_THIRD_PARTY_AUTH"] is True
        assert s["ALLOW_PUBLIC_ACCOUNT_CREATION"] is True
        assert s["SKIP_EMAIL_VALIDATION"] is True
        assert s["REGISTRATION_EXTRA_FIELDS"]["country"] == "hidden"
        assert s["REGISTRATION_EXTRA_FIELDS"]["terms_of_service"] == "hidden"  # Tutor's, kept
        assert "http://mitxonline.odl.local:8013/logout" in s["IDA_LOGOUT_URI_LIST"]
        assert s["MITX_REDIRECT_ENABLED"] is True
        assert s["MITX_REDIRECT_LOGIN_URL"] == "/auth/login/ol-oauth2/?auth_entry=login"
        assert (
            s["MITX_REDIRECT_ALLOW_RE_LIST"][0]
            == r"^/(admin|auth|login|logout|register|api|oauth2|user_api)"
        )
        assert s["MITX_REDIRECT_DENY_RE_LIST"] == []
        assert COMPANION_MIDDLEWARE in s["MIDDLEWARE"]
        assert s["ENABLE_AUTHN_MICROFRONTEND"] is False
        assert s["LMSBRIDGE_INIT_PLAN"] == expected_plan
    prod, dev = loaded["production"], loaded["development"]
    assert prod["LMS_ROOT_URL"] == "http://local.openedx.io"
    assert dev["LMS_ROOT_URL"] == "http://local.openedx.io:8000"
    assert "http://studio.local.openedx.io/logout/" in prod["IDA_LOGOUT_URI_LIST"]
    assert "http://studio.local.openedx.io:8001/logout/" in dev["IDA_LOGOUT_URI_LIST"]
    # The logout list gains the app once, whatever else is in it.
    assert prod["IDA_LOGOUT_URI_LIST"].count("http://mitxonline.odl.local:8013/logout") == 1


def test_companion_redirect_follows_the_configured_backend(tmp_path: Path) -> None:
    prod = settings_of(tmp_path, MITXPRO)["production"]
    assert prod["MITX_REDIRECT_LOGIN_URL"] == "/auth/login/mitxpro-oauth2/?auth_entry=login"
    assert prod["AUTHENTICATION_BACKENDS"][0] == "social_auth_mitxpro.backends.MITxProOAuth2"
    # companion-auth's production settings read ENV_TOKENS: the YAML says the same.
    assert prod["ENV_TOKENS"]["MITX_REDIRECT_LOGIN_URL"] == prod["MITX_REDIRECT_LOGIN_URL"]


def test_two_providers_and_redirect_off(tmp_path: Path) -> None:
    config = {**combine(MITXONLINE, KEYCLOAK), "LMSBRIDGE_LOGIN_REDIRECT": "off"}
    dev = settings_of(tmp_path, config)["development"]
    assert dev["AUTHENTICATION_BACKENDS"][:2] == [
        "ol_social_auth.backends.OLOAuth2",
        "social_core.backends.keycloak.KeycloakOAuth2",
    ]
    assert dev["SOCIAL_AUTH_OAUTH_SECRETS"] == {
        "ol-oauth2": "mitxonline-client-secret-value",
        "keycloak": "keycloak-secret-value",
    }
    # companion-auth is installed, so "off" must be written explicitly (its default is on).
    assert dev["MITX_REDIRECT_ENABLED"] is False
    assert COMPANION_MIDDLEWARE in dev["MIDDLEWARE"]


def test_yaml_files_load_and_carry_the_redirect(tmp_path: Path) -> None:
    env = render_env(tmp_path, MITXONLINE)
    lms_env = yaml.safe_load((env / "apps/openedx/config/lms.env.yml").read_text())
    assert lms_env["MITX_REDIRECT_ENABLED"] is True
    assert lms_env["MITX_REDIRECT_LOGIN_URL"] == "/auth/login/ol-oauth2/?auth_entry=login"
    for path in env.rglob("*.yml"):
        list(yaml.safe_load_all(path.read_text()))


def test_requirements_file_and_dockerfile(tmp_path: Path) -> None:
    env = render_env(
        tmp_path, combine(MITXONLINE, MITXPRO | {"LMSBRIDGE_MITXPRO_BACKEND": "mitxpro-oauth2"})
    )
    requirements = (env / "build/openedx/lmsbridge/image/requirements.txt").read_text()
    lines = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    assert lines == [
        "ol-social-auth==0.3.0",
        "social-auth-mitxpro==0.7.1",
        "openedx-companion-auth==1.3.0",
        # The plugin's Open edX app, copied into the build context: the account-linking guard.
        "/openedx/lmsbridge/openedx_plugin",
    ]
    assert (
        env / "build/openedx/lmsbridge/image/openedx_plugin/lmsbridge_openedx/account_link.py"
    ).is_file()
    dockerfile = (env / "build/openedx/Dockerfile").read_text()
    assert "COPY lmsbridge/image/ /openedx/lmsbridge/" in dockerfile
    assert "install --no-deps -r /openedx/lmsbridge/requirements.txt" in dockerfile
    # Installed in the python-requirements stage, after edx-platform's own requirements.
    assert dockerfile.index("requirements/edx/base.txt") < dockerfile.index(
        "lmsbridge/requirements.txt"
    )


def test_saml_effective_settings_keep_the_private_key_out_of_the_init_plan(
    tmp_path: Path,
) -> None:
    key = sp_private_key()
    config = {**SHIB, "LMSBRIDGE_SP_PRIVATE_KEY": key, "LMSBRIDGE_LOGIN_REDIRECT": "shib"}
    plan = plan_for({**PLATFORM, **config})
    private_body = plan.lms.saml_sp_private_key
    for mode, s in settings_of(tmp_path, config).items():
        saml_backend = "common.djangoapps.third_party_auth.saml.SAMLAuthBackend"
        # First, once (edx-platform's default list has it too).
        assert s["AUTHENTICATION_BACKENDS"][0] == saml_backend, mode
        assert s["AUTHENTICATION_BACKENDS"].count(saml_backend) == 1
        assert s["ENABLE_THIRD_PARTY_AUTH"] is True
        # edx reads the "default" configuration's key from here (the row's stays empty).
        assert s["SOCIAL_AUTH_SAML_SP_PRIVATE_KEY"] == private_body
        assert s["SOCIAL_AUTH_OAUTH_SECRETS"] == {}
        assert s["MITX_REDIRECT_LOGIN_URL"] == "/auth/login/tpa-saml/?auth_entry=login&idp=shib"
        init_plan = s["LMSBRIDGE_INIT_PLAN"]
        assert init_plan == plan.init_data()
        assert private_body[40:100] not in repr(init_plan)
        (configuration,) = init_plan["saml_configurations"]
        assert configuration["slug"] == "default"
        assert configuration["public_key"] == plan.bridge.saml_sp.certificate  # type: ignore[union-attr]


def test_enabled_without_apps_changes_nothing(tmp_path: Path) -> None:
    env = render_env(tmp_path, {})
    for name in ("settings/lms/production.py", "settings/lms/development.py", "config/lms.env.yml"):
        assert "lmsbridge" not in (env / "apps/openedx" / name).read_text().lower()
    assert "lmsbridge" not in (env / "build/openedx/Dockerfile").read_text()


# ---- hostile values -------------------------------------------------------------------

# Each payload tries to end a literal and run code, add a key, or be evaluated by Jinja.
# PWNED must never become a name in Python or a key in YAML.
PAYLOADS = [
    "x'; PWNED = 1; '",
    'x"; PWNED = 1; "',
    "x\\'; PWNED = 1 #",
    "x\nPWNED = 1\n",
    "{{ PWNED }}{% if 1 %}PWNED{% endif %}",
    "x # PWNED",
    "x\nPWNED: 1",
    'x", "PWNED": "1',
    "PWNED''')\nimport os",
    # Without spaces, so that the credential keys (printable, no spaces) accept them too.
    "x';PWNED=1;'",
    'x";PWNED=1#',
    "x\\';PWNED=1#",
    "{{PWNED}}{#x#}",
    'x","PWNED":"1',
]
HOSTILE_METADATA_ENTITY = "http://adfs.example.com/adfs/services/trust"
HOSTILE_BASE = {
    **combine(MITXONLINE, KEYCLOAK, RICHIE, OIDC, SHIB, ADFS),
    "LMSBRIDGE_SP_PRIVATE_KEY": sp_private_key(),
    # Every optional string key, so that each one reaches the templates.
    "LMSBRIDGE_MITXONLINE_PROVIDER_NAME": "MITx Online",
    "LMSBRIDGE_MITXONLINE_APPLICATION_NAME": "mitxonline-app",
    "LMSBRIDGE_MITXONLINE_API_CLIENT_SECRET": "api-secret",
    "LMSBRIDGE_MITXONLINE_SERVICE_TOKEN": "service-token",
    "LMSBRIDGE_MITXONLINE_API_CLIENT_ID": "api-client",
    "LMSBRIDGE_MITXONLINE_SERVICE_USERNAME": "worker",
    "LMSBRIDGE_MITXONLINE_SERVICE_EMAIL": "worker@example.com",
    "LMSBRIDGE_MITXONLINE_SLUG": "mitx",
    "LMSBRIDGE_MITXONLINE_LOGOUT_URL": "http://mitxonline.odl.local:8013/logout",
    "LMSBRIDGE_MITXONLINE_REDIRECT_URIS": ["http://mitxonline.odl.local:8013/done"],
    "LMSBRIDGE_MITXONLINE_TOKEN_SCOPES": ["read"],
    "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES": "2099-01-01",
    "LMSBRIDGE_MITXONLINE_DISCOVERY_URL": "http://mitxonline.odl.local:8013/.well-known/openid-configuration",
    "LMSBRIDGE_MITXONLINE_PACKAGE": "ol-social-auth==0.3.0",
    "LMSBRIDGE_KEYCLOAK_API_ROOT": "https://sso.example.com/api",
    "LMSBRIDGE_KEYCLOAK_PACKAGE": "social-auth-core",
    "LMSBRIDGE_LOGIN_REDIRECT_ALLOW": ["^/courses/"],
    "LMSBRIDGE_REGISTRATION_FIELDS": {"country": "hidden"},
    "LMSBRIDGE_COMPANION_AUTH_REQUIREMENT": "openedx-companion-auth==1.3.0",
    "LMSBRIDGE_RICHIE_API_KEY": True,  # EDX_API_KEY renders only then
    "LMSBRIDGE_RICHIE_API_TOKEN": "edx-api-key",
    "LMSBRIDGE_RICHIE_SYNC_SECRETS": ["sync-secret"],
    "LMSBRIDGE_RICHIE_LANGUAGES": {"es-419": "es"},
    "LMSBRIDGE_RICHIE_CSRF_COOKIE_NAME": "edx_csrf_token",
    "LMSBRIDGE_RICHIE_CSRF_COOKIE_DOMAIN": ".openedx.io",
    "LMSBRIDGE_RICHIE_OAUTH2_CLIENT": True,
    "LMSBRIDGE_RICHIE_API_CLIENT_SECRET": "richie-client-secret",
    "LMSBRIDGE_RICHIE_REDIRECT_URIS": ["https://richie.local.openedx.io/complete/edx-oauth2/"],
    "LMSBRIDGE_SP_ENTITY_ID": "https://local.openedx.io/shibboleth",
    "LMSBRIDGE_SP_ORG_NAME": "Example University",
    "LMSBRIDGE_SP_ORG_URL": "https://www.example.edu",
    "LMSBRIDGE_SHIB_PROVIDER_NAME": "Example University",
    "LMSBRIDGE_SHIB_SLUG": "example",
    "LMSBRIDGE_SHIB_ATTR_USERNAME": "urn:oid:0.9.2342.19200300.100.1.1",
    "LMSBRIDGE_SHIB_OTHER_SETTINGS": {"requiredEntitlements": "urn:mace:example"},
}


# Kinds whose values are text somewhere (a string, list items, mapping values).
TEXT_KINDS = {kind for kind in kinds.PARSERS if kind not in (kinds.BOOLEAN, kinds.INTEGER)}
HOSTILE_APPS = {
    "mitxonline": "mitxonline",
    "keycloak": "oauth2",
    "richie": "richie",
    "sso": "oidc",
    "shib": "saml",
    "adfs": "saml",
}


def used_string_keys() -> list[str]:
    """Every text-holding key of the catalog, for every app of HOSTILE_BASE its preset uses."""
    keys = [key.name() for key in GLOBAL_KEYS if key.kind in TEXT_KINDS and key.setting != "APPS"]
    for app, preset in HOSTILE_APPS.items():
        keys += [
            key.name(app)
            for key in APP_KEYS
            if key.kind in TEXT_KINDS and key.applies(PRESETS[preset]) and key.setting != "PRESET"
        ]
    return sorted(keys)


def spec(name: str) -> Key:
    from tutor_lmsbridge.core.keys import spec_for

    found = spec_for(name)
    assert found is not None, name
    return found


def with_payload(key: str, payload: str) -> Any:
    kind = spec(key).kind
    if kind is kinds.XML:
        # Inside a well-formed document (escaped as XML), so that it reaches the templates.
        return saml_metadata(
            HOSTILE_METADATA_ENTITY, "https://adfs.example.com/adfs/ls/", note=payload
        )
    if kind in (kinds.LIST, kinds.SECRET_LIST, kinds.REGEX_LIST):
        return [payload]
    if kind in (kinds.MAPPING, kinds.JSON_MAPPING):
        value = HOSTILE_BASE.get(key) or {"PAYLOAD": "x"}
        return {name: payload for name in value}
    return payload


def test_every_string_key_is_covered() -> None:
    """Each text-holding setting of the catalog reaches the templates through some app."""
    covered = {spec(key).setting for key in used_string_keys()}
    wanted = {k.setting for k in APP_KEYS if k.kind in TEXT_KINDS and k.setting != "PRESET"}
    assert wanted - covered == set()
    assert set(HOSTILE_BASE["LMSBRIDGE_APPS"]) == set(HOSTILE_APPS)


def assert_inert(env: Path, tmp_path: Path) -> list[Any]:
    loaded: list[Any] = []
    for service, mode in (
        ("cms", "production"),
        ("cms", "development"),
        ("lms", "production"),
        ("lms", "development"),
    ):
        source = (env / f"apps/openedx/settings/{service}/{mode}.py").read_text()
        names = {
            tok.string
            for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.NAME
        }
        assert "PWNED" not in names, (service, mode)
        settings = load_lms_settings(env, mode, tmp_path, service)
        assert "PWNED" not in settings
        if service == "lms":
            loaded.append(settings)
    for path in env.rglob("*.yml"):
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict):
                assert "PWNED" not in document, path
    return loaded


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_values_are_data_or_refused(payload: str, tmp_path: Path) -> None:
    accepted: dict[str, Any] = {}
    refused: list[tuple[str, ConfigError]] = []
    for key in used_string_keys():
        # With the payloads accepted so far: they are rendered together, and some values
        # must differ between apps (two apps' APPLICATION_NAME equal to the payload is
        # refused, on the second one).
        candidate = {**PLATFORM, **HOSTILE_BASE, **accepted, key: with_payload(key, payload)}
        try:
            read_bridge(candidate)
        except ConfigError as exc:
            refused.append((key, exc))
        else:
            accepted[key] = candidate[key]
    for key, error in refused:
        assert error.key == key
        assert "\n" not in str(error)
    assert "LMSBRIDGE_RICHIE_APPLICATION_NAME" in dict(refused)  # as mitxonline's, or invalid
    env = render_env(tmp_path, {**HOSTILE_BASE, **accepted})
    # The secrets file (issue #23): one line of JSON, each accepted secret as data in it.
    filed_text = env.joinpath(*secret_store.ENV_FILE).read_text()
    assert filed_text.rstrip("\n").count("\n") == 0
    filed = json.loads(filed_text)
    if "LMSBRIDGE_MITXONLINE_CLIENT_SECRET" in accepted:
        assert [["oauth_secrets", "ol-oauth2"], payload] in filed["lms"]
    if "LMSBRIDGE_RICHIE_API_TOKEN" in accepted:
        assert [["edx_api_key"], payload] in filed["lms"]
    for settings in assert_inert(env, tmp_path):
        plan = settings["LMSBRIDGE_INIT_PLAN"]
        # What was accepted arrives intact, as data.
        if "LMSBRIDGE_MITXONLINE_CLIENT_SECRET" in accepted:
            assert settings["SOCIAL_AUTH_OAUTH_SECRETS"]["ol-oauth2"] == payload
        if "LMSBRIDGE_MITXONLINE_PROVIDER_NAME" in accepted:
            assert plan["providers"][0]["fields"]["name"] == payload
        if "LMSBRIDGE_KEYCLOAK_OTHER_SETTINGS" in accepted:
            assert plan["providers"][1]["other_settings"]["PUBLIC_KEY"] == payload
        if "LMSBRIDGE_RICHIE_API_TOKEN" in accepted:
            assert settings["EDX_API_KEY"] == payload
        saml = {spec["app"]: spec for spec in plan["saml_providers"]}
        if "LMSBRIDGE_ADFS_METADATA" in accepted:
            assert saml["adfs"]["metadata_xml"] == accepted["LMSBRIDGE_ADFS_METADATA"]
        if "LMSBRIDGE_SHIB_ENTITY_ID" in accepted:
            assert saml["shib"]["fields"]["entity_id"] == payload
        if "LMSBRIDGE_SP_ORG_NAME" in accepted:
            org = plan["saml_configurations"][0]["org_info"]["en-US"]
            assert org["name"] == payload
    assert build_plan(read_bridge({**PLATFORM, **HOSTILE_BASE, **accepted})).active


# ---- URLs: credentials refused without being shown, IPv6 literals rendered -------------


def url_keys() -> list[str]:
    """Every key of HOSTILE_BASE's apps (and the globals) that takes URLs."""
    return [
        key
        for key in used_string_keys()
        if spec(key).kind in (kinds.URL, kinds.ENDPOINT) or spec(key).setting == "REDIRECT_URIS"
    ]


def test_every_url_key_refuses_credentials_without_showing_them() -> None:
    from tutor_lmsbridge.glue.tutor_input import install, read_assignment

    install()  # as loading the plugin does
    keys = url_keys()
    assert len(keys) >= 20
    for key in keys:
        value: Any = "https://admin:hunter2@idp.example.edu/path"
        if spec(key).setting == "REDIRECT_URIS":
            value = [value]
        with pytest.raises(ConfigError) as caught:
            read_bridge({**PLATFORM, **HOSTILE_BASE, key: value})
        assert caught.value.key == key
        assert "must not carry a user name or password" in str(caught.value)
        assert "hunter2" not in str(caught.value)
        typed = yaml.safe_dump(value, default_flow_style=True).strip()
        refused = read_assignment(f"{key}={typed}")  # `--set`: before config.yml is written
        assert isinstance(refused, ConfigError), key
        assert "hunter2" not in refused.line("config-save")


def test_ipv6_literals_in_every_url_key_render_as_data(tmp_path: Path) -> None:
    """Each URL key given an IPv6 literal is either used as it is (brackets kept) or refused
    for another reason than its host (plain http where https is needed, say)."""
    accepted: dict[str, Any] = {}
    problems: list[tuple[str, ConfigError]] = []
    for key in url_keys():
        value: Any = "https://[fd00::1]:8443/realms/edu"
        if spec(key).setting == "REDIRECT_URIS":
            value = [value + "/done/"]
        try:
            read_bridge({**PLATFORM, **HOSTILE_BASE, **accepted, key: value})
        except ConfigError as exc:
            # e.g. a SAML app's URL next to its inline METADATA: one source only.
            problems.append((key, exc))
            continue
        accepted[key] = value
    for key, error in problems:
        assert error.key != key or not any(
            words in error.problem for words in ("host", "valid URL", "IPv6")
        ), error
    assert len(accepted) >= 20
    env = render_env(tmp_path, {**HOSTILE_BASE, **accepted})
    (settings,) = assert_inert(env, tmp_path)[:1]
    plan = settings["LMSBRIDGE_INIT_PLAN"]
    keycloak = next(p for p in plan["providers"] if p["backend_name"] == "keycloak")
    assert keycloak["other_settings"]["ACCESS_TOKEN_URL"] == "https://[fd00::1]:8443/realms/edu"
    assert "https://[fd00::1]:8443" in settings["CORS_ORIGIN_WHITELIST"]
    assert "https://[fd00::1]:8443/realms/edu" in settings["IDA_LOGOUT_URI_LIST"]
