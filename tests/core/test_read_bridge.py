"""The typed model: presets, defaults derived from the URLs, and one-line errors."""

from __future__ import annotations

from typing import Any

import pytest

from tutor_lmsbridge.core.errors import ConfigError
from tutor_lmsbridge.core.plan import build_plan
from tutor_lmsbridge.core.read_bridge import read_bridge

from ..support.samples import (
    KEYCLOAK,
    MITXONLINE,
    MITXPRO,
    OIDC,
    PLATFORM,
    RICHIE,
    SHIB,
    combine,
    several_apps,
)


def bridge(**overrides: Any) -> Any:
    return read_bridge({**PLATFORM, **overrides})


def test_no_app_connected_changes_nothing() -> None:
    plan = build_plan(bridge())
    assert not plan.active
    assert plan.requirements == ()
    assert plan.init_data()["providers"] == []


def test_mitxonline_defaults_come_from_preset_and_urls() -> None:
    app = bridge(**MITXONLINE).apps[0]
    assert app.preset.name == "mitxonline"
    assert str(app.url) == "http://mitxonline.odl.local:8013"
    assert str(app.internal_url) == "http://172.22.0.1:8013"
    assert app.logout_url == "http://mitxonline.odl.local:8013/logout"
    provider = app.provider
    assert provider is not None
    assert provider.ready
    assert provider.backend.name == "ol-oauth2"
    assert provider.backend.class_path == "ol_social_auth.backends.OLOAuth2"
    # The browser reaches the authorization page; the LMS container calls the rest.
    assert provider.other_settings == {
        "AUTHORIZATION_URL": "http://mitxonline.odl.local:8013/oauth2/authorize/",
        "ACCESS_TOKEN_URL": "http://172.22.0.1:8013/oauth2/token/",
        "API_ROOT": "http://172.22.0.1:8013/",
    }
    client = app.client
    assert client is not None
    assert client.redirect_uris == (
        "http://mitxonline.odl.local:8013/_/auth/complete",
        "http://mitxonline.odl.local:8013/login/_private/complete",
    )
    assert client.service_username == "mitxonline_serviceworker"
    assert client.service_email == "mitxonline_serviceworker@local.openedx.io"


@pytest.mark.parametrize(
    ("lms_host", "email"),
    [
        ("lms.example.com", "mitxonline_serviceworker@lms.example.com"),
        ("127.0.0.2", "mitxonline_serviceworker@lmsbridge.invalid"),
        ("localhost", "mitxonline_serviceworker@lmsbridge.invalid"),
    ],
)
def test_service_email_default_is_a_valid_address(lms_host: str, email: str) -> None:
    client = bridge(**MITXONLINE, LMS_HOST=lms_host).apps[0].client
    assert client is not None
    assert client.service_email == email


def test_internal_url_defaults_to_url() -> None:
    config = {k: v for k, v in MITXONLINE.items() if not k.endswith("INTERNAL_URL")}
    provider = bridge(**config).apps[0].provider
    assert provider is not None
    assert (
        provider.other_settings["ACCESS_TOKEN_URL"]
        == "http://mitxonline.odl.local:8013/oauth2/token/"
    )


def test_mitxpro_with_legacy_backend() -> None:
    app = bridge(**MITXPRO).apps[0]
    assert app.provider is not None
    assert app.provider.backend.class_path == "social_auth_mitxpro.backends.MITxProOAuth2"
    assert app.provider.requirement == "social-auth-mitxpro==0.7.1"
    assert app.client is not None
    assert app.client.redirect_uris == ("http://xpro.odl.local:8053/login/_private/complete",)
    plan = build_plan(bridge(**MITXPRO))
    assert plan.lms.redirect.login_url == "/auth/login/mitxpro-oauth2/?auth_entry=login"


def test_generic_oauth2_preset_is_login_only_and_visible() -> None:
    app = bridge(**KEYCLOAK).apps[0]
    assert app.client is None
    assert app.provider is not None
    assert app.provider.visible
    assert app.provider.other_settings == {
        "AUTHORIZATION_URL": KEYCLOAK["LMSBRIDGE_KEYCLOAK_AUTHORIZATION_URL"],
        "ACCESS_TOKEN_URL": KEYCLOAK["LMSBRIDGE_KEYCLOAK_ACCESS_TOKEN_URL"],
        "PUBLIC_KEY": "MIIBIjANBgkq",
    }
    # Not a MITx preset: nobody is redirected there unless the operator says so.
    assert build_plan(bridge(**KEYCLOAK)).lms.redirect.enabled is False


def test_generated_secrets_are_stable_distinct_and_overridable() -> None:
    first = bridge(**MITXONLINE).apps[0].client
    again = bridge(**MITXONLINE).apps[0].client
    assert first is not None
    assert again is not None
    assert first.client_secret == again.client_secret
    assert first.token != first.client_secret
    assert len(first.token) == 48
    other_seed = read_bridge({**PLATFORM, **MITXONLINE, "LMSBRIDGE_SECRET_SEED": "x" * 40})
    assert other_seed.apps[0].client is not None
    assert other_seed.apps[0].client.token != first.token
    pinned = bridge(**MITXONLINE, LMSBRIDGE_MITXONLINE_SERVICE_TOKEN="my-own-token")
    assert pinned.apps[0].client is not None
    assert pinned.apps[0].client.token == "my-own-token"


def test_several_apps_get_separate_objects() -> None:
    plan = build_plan(
        bridge(**combine(MITXONLINE, MITXPRO | {"LMSBRIDGE_MITXPRO_BACKEND": "mitxpro-oauth2"}))
    )
    assert [u.username for u in plan.users] == ["mitxonline_serviceworker", "mitxpro_serviceworker"]
    assert [p.backend_name for p in plan.providers] == ["ol-oauth2", "mitxpro-oauth2"]
    assert len({t.token for t in plan.tokens}) == 2
    # The first MITx app is where anonymous learners go.
    assert plan.lms.redirect.login_url == "/auth/login/ol-oauth2/?auth_entry=login"
    assert plan.requirements == (
        "ol-social-auth==0.3.0",
        "social-auth-mitxpro==0.7.1",
        "openedx-companion-auth==1.3.0",
        # The plugin's Open edX app: the account-linking guard of every identity provider.
        "/openedx/lmsbridge/openedx_plugin",
    )


def test_pending_client_credentials_warn_and_keep_login_off() -> None:
    """A provider whose client the operator must register first (OpenID Connect)."""
    config = {k: v for k, v in OIDC.items() if "CLIENT_" not in k}
    result = bridge(**config)
    assert [key for key, _ in result.warnings] == ["LMSBRIDGE_SSO_CLIENT_ID"]
    plan = build_plan(result)
    assert plan.providers == ()
    assert plan.lms.redirect.enabled is False
    # The backend is installed for later.
    assert plan.lms.backend_classes == []
    assert "/openedx/lmsbridge/openedx_plugin" in plan.requirements


def test_mitx_login_clients_are_generated_until_set() -> None:
    """MITx apps register the client Open edX generates: no copy-back, login on at once."""
    config = {k: v for k, v in MITXONLINE.items() if "CLIENT_" not in k}
    result = bridge(**config)
    assert not result.warnings
    provider = result.apps[0].provider
    assert provider is not None
    assert provider.ready
    assert provider.generated
    assert provider.client_id.startswith("openedx-")
    assert len(provider.client_secret) == 48
    assert provider.client_id != provider.client_secret
    plan = build_plan(result)
    assert [p.key for p in plan.providers] == [provider.client_id]
    assert plan.lms.redirect.enabled is True
    # The API side is unchanged.
    assert len(plan.applications) == 1
    # Stable for one seed, different for another app or seed.
    assert bridge(**config).apps[0].provider == provider
    other = bridge(**config, LMSBRIDGE_SECRET_SEED="b" * 48).apps[0].provider
    assert other is not None
    assert other.client_id != provider.client_id
    # Values the operator set win, and they come as a pair.
    explicit = bridge(**MITXONLINE).apps[0].provider
    assert explicit is not None
    assert not explicit.generated
    assert explicit.client_id == MITXONLINE["LMSBRIDGE_MITXONLINE_CLIENT_ID"]
    for half in ("LMSBRIDGE_MITXONLINE_CLIENT_ID", "LMSBRIDGE_MITXONLINE_CLIENT_SECRET"):
        with pytest.raises(ConfigError) as caught:
            bridge(**config, **{half: "abc123"})
        other_half = (
            half.replace("_ID", "_SECRET")
            if half.endswith("_ID")
            else half.replace("_SECRET", "_ID")
        )
        assert caught.value.key == other_half
        assert "or neither to use the generated pair" in caught.value.line("lmsbridge-set")


def test_login_redirect_can_name_an_app_or_be_off() -> None:
    both = combine(MITXONLINE, KEYCLOAK)
    assert build_plan(
        bridge(**both, LMSBRIDGE_LOGIN_REDIRECT="keycloak")
    ).lms.redirect.login_url == ("/auth/login/keycloak/?auth_entry=login")
    for off_value in ("off", False):  # `--set ...=off` reaches us as YAML false
        off = build_plan(bridge(**both, LMSBRIDGE_LOGIN_REDIRECT=off_value))
        assert off.lms.redirect.enabled is False
        assert off.lms.authn_mfe_off is False


def test_redirect_allow_list_always_keeps_admin_and_local_login() -> None:
    plan = build_plan(bridge(**MITXONLINE, LMSBRIDGE_LOGIN_REDIRECT_ALLOW=["^/courses/"]))
    allow = plan.lms.redirect.allow
    assert allow[0] == r"^/(admin|auth|login|logout|register|api|oauth2|user_api)"
    assert allow[-1] == "^/courses/"


def test_scale_ten_apps() -> None:
    plan = build_plan(bridge(**several_apps(10)))
    assert len(plan.bridge.apps) == 10
    assert len(plan.users) == len(plan.applications) == len(plan.tokens) == 6
    assert len(plan.providers) == 6


# One case per invalid configuration: (overrides, key the message must name, words in it).
INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"LMSBRIDGE_APPS": ["Bad-Name"]}, "LMSBRIDGE_APPS", "not a usable app name"),
    ({"LMSBRIDGE_APPS": ["login"]}, "LMSBRIDGE_APPS", "not a usable app name"),
    ({"LMSBRIDGE_APPS": ["mitxonline", "mitxonline"]}, "LMSBRIDGE_APPS", "listed twice"),
    ({"LMSBRIDGE_APPS": "x: 1"}, "LMSBRIDGE_APPS", "not a usable app name"),
    ({"LMSBRIDGE_APPS": "richie,mitxonline"}, "LMSBRIDGE_APPS", "several apps in one string"),
    ({"LMSBRIDGE_APPS": ["myidp"]}, "LMSBRIDGE_MYIDP_PRESET", "needs a preset"),
    (
        {"LMSBRIDGE_APPS": ["myidp"], "LMSBRIDGE_MYIDP_PRESET": "cas"},
        "LMSBRIDGE_MYIDP_PRESET",
        "unknown preset",
    ),
    ({"LMSBRIDGE_APPS": ["mitxonline"]}, "LMSBRIDGE_MITXONLINE_URL", "has no URL"),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_URL": "ftp://x.example.com"},
        "LMSBRIDGE_MITXONLINE_URL",
        "http",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_URL": "mitxonline.local"},
        "LMSBRIDGE_MITXONLINE_URL",
        "http",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_INTERNAL_URL": "http://a b"},
        "LMSBRIDGE_MITXONLINE_INTERNAL_URL",
        "spaces",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_URL": "http://x.example.com/?a=1"},
        "LMSBRIDGE_MITXONLINE_URL",
        "query",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_BACKEND": "google-oauth2"},
        "LMSBRIDGE_MITXONLINE_BACKEND",
        "not a backend",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_CLIENT_SECRET": ""},
        "LMSBRIDGE_MITXONLINE_CLIENT_SECRET",
        "together",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_SLUG": "x" * 31},
        "LMSBRIDGE_MITXONLINE_SLUG",
        "at most 30 are accepted",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_PROVIDER_NAME": "n" * 51},
        "LMSBRIDGE_MITXONLINE_PROVIDER_NAME",
        "at most 50 are accepted",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_VISIBLE": "yes"},
        "LMSBRIDGE_MITXONLINE_VISIBLE",
        "true or false",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_SERVICE_USERNAME": "a b"},
        "LMSBRIDGE_MITXONLINE_SERVICE_USERNAME",
        "not allowed",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_SERVICE_EMAIL": "nobody"},
        "LMSBRIDGE_MITXONLINE_SERVICE_EMAIL",
        "not allowed",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES": "soon"},
        "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES",
        "is not a date",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_TOKEN_SCOPES": ["read write"]},
        "LMSBRIDGE_MITXONLINE_TOKEN_SCOPES",
        "scope",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_REDIRECT_URIS": ["/relative"]},
        "LMSBRIDGE_MITXONLINE_REDIRECT_URIS",
        "http",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_PACKAGE": "ol-social-auth; rm -rf /"},
        "LMSBRIDGE_MITXONLINE_PACKAGE",
        "not allowed",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_CLIENTID": "x"},
        "LMSBRIDGE_MITXONLINE_CLIENTID",
        "did you mean LMSBRIDGE_MITXONLINE_CLIENT_ID?",
    ),
    (
        {**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_SERVICE_TOKEN": "x"},
        "LMSBRIDGE_KEYCLOAK_SERVICE_TOKEN",
        "the oauth2 preset does not use SERVICE_TOKEN",
    ),
    (
        {**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS": ""},
        "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS",
        "has no BACKEND_CLASS",
    ),
    (
        {**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS": "os.system('x')"},
        "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS",
        "not allowed",
    ),
    (
        {**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_OTHER_SETTINGS": {"bad key": "x"}},
        "LMSBRIDGE_KEYCLOAK_OTHER_SETTINGS",
        "setting name",
    ),
    (
        {**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_OTHER_SETTINGS": ["x"]},
        "LMSBRIDGE_KEYCLOAK_OTHER_SETTINGS",
        "mapping",
    ),
    (
        {**combine(MITXONLINE, MITXPRO), "LMSBRIDGE_MITXPRO_BACKEND": "ol-oauth2"},
        "LMSBRIDGE_MITXPRO_BACKEND",
        "already used",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_LOGIN_REDIRECT": "nosuchapp"},
        "LMSBRIDGE_LOGIN_REDIRECT",
        "not a connected app",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_LOGIN_REDIRECT_ALLOW": ["^/(unclosed"]},
        "LMSBRIDGE_LOGIN_REDIRECT_ALLOW",
        "regular expression",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_REGISTRATION_FIELDS": {"shoe_size": "hidden"}},
        "LMSBRIDGE_REGISTRATION_FIELDS",
        "not a registration field",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_REGISTRATION_FIELDS": {"country": "secret"}},
        "LMSBRIDGE_REGISTRATION_FIELDS",
        "state",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_AUTHN_MFE_BYPASS": "no"},
        "LMSBRIDGE_AUTHN_MFE_BYPASS",
        "true or false",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_CLIENT_ID": "has space"},
        "LMSBRIDGE_MITXONLINE_CLIENT_ID",
        "not allowed",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_PROVIDER_NAME": "two\nlines"},
        "LMSBRIDGE_MITXONLINE_PROVIDER_NAME",
        "line break",
    ),
    ({**MITXONLINE, "ENABLE_HTTPS": True}, "LMSBRIDGE_MITXONLINE_URL", "plain-http login"),
    ({**RICHIE, "LMSBRIDGE_RICHIE_SYNC_TIMEOUT": 0}, "LMSBRIDGE_RICHIE_SYNC_TIMEOUT", "1 to 60"),
    (
        {**RICHIE, "LMSBRIDGE_RICHIE_SYNC_RETRY_HOURS": 0},
        "LMSBRIDGE_RICHIE_SYNC_RETRY_HOURS",
        "1 to 168",
    ),
    (
        {**RICHIE, "LMSBRIDGE_RICHIE_SYNC_RETRY_HOURS": "a day"},
        "LMSBRIDGE_RICHIE_SYNC_RETRY_HOURS",
        "got 'a day'",
    ),
    (
        {**RICHIE, "LMSBRIDGE_RICHIE_SYNC_SECRETS": ["a b"]},
        "LMSBRIDGE_RICHIE_SYNC_SECRETS",
        "not allowed",
    ),
    (
        {**RICHIE, "LMSBRIDGE_RICHIE_CSRF_COOKIE_DOMAIN": "*.x"},
        "LMSBRIDGE_RICHIE_CSRF_COOKIE_DOMAIN",
        "not allowed",
    ),
    (
        {**RICHIE, "LMSBRIDGE_RICHIE_OAUTH2_CLIENT": "yes"},
        "LMSBRIDGE_RICHIE_OAUTH2_CLIENT",
        "true or false",
    ),
    (
        {**RICHIE, "LMSBRIDGE_RICHIE_TOKEN_SCOPES": ["read"]},
        "LMSBRIDGE_RICHIE_TOKEN_SCOPES",
        "the richie preset does not use TOKEN_SCOPES",
    ),
    (
        {
            **RICHIE,
            "LMSBRIDGE_APPS": ["richie", "catalog"],
            "LMSBRIDGE_CATALOG_PRESET": "richie",
            "LMSBRIDGE_CATALOG_URL": "https://catalog.local.openedx.io",
            "LMSBRIDGE_RICHIE_API_KEY": True,
            "LMSBRIDGE_CATALOG_API_KEY": True,
            "LMSBRIDGE_CATALOG_API_TOKEN": "another-key",
        },
        "LMSBRIDGE_CATALOG_API_TOKEN",
        "only one",
    ),
    (
        {**RICHIE, "LMSBRIDGE_RICHIE_API_KEY": "yes"},
        "LMSBRIDGE_RICHIE_API_KEY",
        "true or false",
    ),
    (
        {**RICHIE, "LMSBRIDGE_RICHIE_API_KEY": "off "},
        "LMSBRIDGE_RICHIE_API_KEY",
        "true or false",
    ),
    (
        {
            **RICHIE,
            "LMSBRIDGE_APPS": ["richie", "catalog"],
            "LMSBRIDGE_CATALOG_PRESET": "richie",
            "LMSBRIDGE_CATALOG_URL": "https://catalog.local.openedx.io",
            "LMSBRIDGE_CATALOG_API_KEY": True,
        },
        "LMSBRIDGE_CATALOG_API_KEY",
        "one EDX_API_KEY",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_API_KEY": True},
        "LMSBRIDGE_MITXONLINE_API_KEY",
        "the mitxonline preset does not use API_KEY",
    ),
    (
        {**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS": "acme_sso.backends.Acme"},
        "LMSBRIDGE_KEYCLOAK_PACKAGE",
        "does not ship",
    ),
    # Issue #24: the SAML security mapping and the refresh period.
    (
        {**SHIB, "LMSBRIDGE_SAML_SECURITY": {"wantAssertionSigned": True}},
        "LMSBRIDGE_SAML_SECURITY",
        "'wantAssertionSigned' is not a python3-saml security setting",
    ),
    (
        {**SHIB, "LMSBRIDGE_SAML_SECURITY": {"rejectDeprecatedAlgorithm": "no"}},
        "LMSBRIDGE_SAML_SECURITY",
        "rejectDeprecatedAlgorithm must be true or false",
    ),
    (
        {**SHIB, "LMSBRIDGE_SAML_REFRESH_HOURS": 5},
        "LMSBRIDGE_SAML_REFRESH_HOURS",
        "5 hours does not divide a day",
    ),
]
# Issue #20: values that used to be accepted and broke deploy or login later (through the
# real `tutor`: tests/test_operator_refusals.py).
REFUSED_SINCE_ISSUE_20: list[tuple[dict[str, Any], str, str]] = [
    (
        {**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS": "os.system"},
        "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS",
        "os.system is not a python-social-auth backend class",
    ),
    (
        {
            **combine(MITXONLINE, RICHIE),
            "LMSBRIDGE_RICHIE_OAUTH2_CLIENT": True,
            "LMSBRIDGE_RICHIE_API_CLIENT_ID": "lmsbridge-mitxonline",
        },
        "LMSBRIDGE_RICHIE_API_CLIENT_ID",
        "is also the API_CLIENT_ID of app 'mitxonline'",
    ),
    (
        {
            **combine(MITXONLINE, RICHIE),
            "LMSBRIDGE_RICHIE_OAUTH2_CLIENT": True,
            "LMSBRIDGE_RICHIE_APPLICATION_NAME": "lmsbridge-mitxonline",
        },
        "LMSBRIDGE_RICHIE_APPLICATION_NAME",
        "is also the APPLICATION_NAME of app 'mitxonline'",
    ),
    ({**OIDC, "LMSBRIDGE_SSO_SCOPES": []}, "LMSBRIDGE_SSO_SCOPES", "does not include openid"),
    (
        {**OIDC, "LMSBRIDGE_SSO_SCOPES": ["email", "profile"]},
        "LMSBRIDGE_SSO_SCOPES",
        "'LMSBRIDGE_SSO_SCOPES=[openid, email, profile]'",
    ),
    (
        {
            **OIDC,
            "LMSBRIDGE_SSO_URL": "https://sso.example.edu/realms/learn/.well-known/openid-configuration",
        },
        "LMSBRIDGE_SSO_URL",
        "tutor lmsbridge set LMSBRIDGE_SSO_URL=https://sso.example.edu/realms/learn",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES": "2020-01-31"},
        "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES",
        "2020-01-31 is not in the future",
    ),
    (
        {**RICHIE, "LMSBRIDGE_RICHIE_SYNC_SECRETS": []},
        "LMSBRIDGE_RICHIE_SYNC_SECRETS",
        "SYNC=false): tutor lmsbridge set --unset LMSBRIDGE_RICHIE_SYNC_SECRETS",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLNE_URL": "http://mitxonline.odl.local:8013"},
        "LMSBRIDGE_MITXONLNE_URL",
        "did you mean LMSBRIDGE_MITXONLINE_URL?",
    ),
    (
        {"LMSBRIDGE_RICHI_URL": "https://richie.example.com"},
        "LMSBRIDGE_RICHI_URL",
        "did you mean LMSBRIDGE_RICHIE_URL?",  # a preset's name, though not listed
    ),
    (
        {**MITXONLINE, "lmsbridge_mitxonline_url": "http://mitxonline.odl.local:8013"},
        "lmsbridge_mitxonline_url",
        "spell it LMSBRIDGE_MITXONLINE_URL",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MitxOnline_INTERNAL_URL": "http://172.22.0.1:8013"},
        "LMSBRIDGE_MitxOnline_INTERNAL_URL",
        "spell it LMSBRIDGE_MITXONLINE_INTERNAL_URL",
    ),
    (
        {**MITXONLINE, "LMSBRIDGE_MITXONLINE_INTERNAL_URL": "http://admin:hunter2@example.com"},
        "LMSBRIDGE_MITXONLINE_INTERNAL_URL",
        "must not carry a user name or password",
    ),
]


@pytest.mark.parametrize(("overrides", "key", "words"), INVALID + REFUSED_SINCE_ISSUE_20)
def test_invalid_configuration_gives_one_line_naming_the_key(
    overrides: dict[str, Any], key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        bridge(**overrides)
    message = str(caught.value)
    assert caught.value.key == key
    assert message.startswith(f"{key}: ")
    assert words in message
    assert "Fix: " in message
    assert "\n" not in message
    assert "hunter2" not in message


def test_messages_never_show_a_secret() -> None:
    secret = "super-secret value\nwith a break"
    with pytest.raises(ConfigError) as caught:
        bridge(**{**MITXONLINE, "LMSBRIDGE_MITXONLINE_CLIENT_SECRET": secret})
    assert "super-secret" not in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        bridge(**MITXONLINE, LMSBRIDGE_MITXONLINE_SERVICE_TOKEN="tok en-hidden")
    assert "en-hidden" not in str(caught.value)


def test_keys_of_a_disconnected_app_only_warn() -> None:
    result = bridge(**MITXONLINE, LMSBRIDGE_OLDAPP_URL="https://old.example.com")
    assert result.warnings == (
        ("LMSBRIDGE_OLDAPP_URL", "not used by any connected app (LMSBRIDGE_APPS)"),
    )


def test_oidc_preset_from_three_keys_and_the_client() -> None:
    config = {**OIDC, "LMSBRIDGE_SSO_INTERNAL_URL": "http://keycloak:8080/realms/learn"}
    plan = build_plan(bridge(**config))
    (provider,) = plan.providers
    assert provider.provider_id == "oa2-sso"
    assert provider.visible
    assert provider.other_settings == {
        "EMAIL_KEY": "email",
        "FULLNAME_KEY": "name",
        "ID_TOKEN_ISSUER": "https://sso.example.edu/realms/learn",
        "INTERNAL_ENDPOINT": "http://keycloak:8080/realms/learn",
        "OIDC_ENDPOINT": "https://sso.example.edu/realms/learn",
        "SCOPE": ["openid", "email", "profile"],
        "USERNAME_KEY": "preferred_username",
        "lmsbridge_app": "sso",
    }
    assert plan.lms.backend_classes == ["lmsbridge_openedx.oidc.OIDC_sso"]
    assert plan.lms.oauth_secrets == {"sso": "oidc-secret-value"}
    # The backends live in the plugin's Open edX app, which the image then installs.
    assert "/openedx/lmsbridge/openedx_plugin" in plan.requirements


def test_oidc_issuer_is_pinned_exactly_as_given() -> None:
    app = bridge(**{**OIDC, "LMSBRIDGE_SSO_URL": "https://tenant.eu.auth0.com/"}).apps[0]
    assert app.provider is not None
    assert app.provider.other_settings["ID_TOKEN_ISSUER"] == "https://tenant.eu.auth0.com/"
    assert app.provider.other_settings["OIDC_ENDPOINT"] == "https://tenant.eu.auth0.com"
    assert "INTERNAL_ENDPOINT" not in app.provider.other_settings


def test_two_oidc_providers_get_distinct_stable_backends() -> None:
    two = {
        **OIDC,
        "LMSBRIDGE_APPS": ["sso", "google"],
        "LMSBRIDGE_GOOGLE_PRESET": "oidc",
        "LMSBRIDGE_GOOGLE_URL": "https://accounts.google.com",
        "LMSBRIDGE_GOOGLE_CLIENT_ID": "g",
        "LMSBRIDGE_GOOGLE_CLIENT_SECRET": "gs",
    }
    plan = build_plan(bridge(**two))
    assert [p.provider_id for p in plan.providers] == ["oa2-sso", "oa2-google"]
    assert plan.lms.backend_classes == [
        "lmsbridge_openedx.oidc.OIDC_sso",
        "lmsbridge_openedx.oidc.OIDC_google",
    ]
    # Same names on the next save: the rows the init job made stay the current ones.
    assert build_plan(bridge(**two)).providers == plan.providers


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        ({"LMSBRIDGE_SSO_BACKEND": "my_sso"}, "LMSBRIDGE_SSO_BACKEND", "cannot name an OpenID"),
        ({"LMSBRIDGE_SSO_BACKEND_CLASS": "x.Y"}, "LMSBRIDGE_SSO_BACKEND_CLASS", "does not use"),
        ({"LMSBRIDGE_SSO_SCOPES": [1]}, "LMSBRIDGE_SSO_SCOPES", "quote it"),
        ({"LMSBRIDGE_SSO_USERNAME_CLAIM": "a b"}, "LMSBRIDGE_SSO_USERNAME_CLAIM", "claim name"),
        ({"LMSBRIDGE_SSO_URL": "sso.example.edu"}, "LMSBRIDGE_SSO_URL", "http"),
    ],
)
def test_oidc_errors_name_the_key(overrides: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        bridge(**{**OIDC, **overrides})
    assert caught.value.key == key
    assert words in str(caught.value)


def test_generic_backend_class_is_checked_with_social_auth_core() -> None:
    missing = {k: v for k, v in KEYCLOAK.items() if not k.endswith("OTHER_SETTINGS")}
    with pytest.raises(ConfigError) as caught:
        bridge(**missing)
    assert caught.value.key == "LMSBRIDGE_KEYCLOAK_OTHER_SETTINGS"
    assert "reads PUBLIC_KEY without a default" in str(caught.value)
    with pytest.raises(ConfigError) as named:
        bridge(**{**KEYCLOAK, "LMSBRIDGE_KEYCLOAK_BACKEND": "sso"})
    assert "is named 'keycloak', not 'sso'" in str(named.value)
    with pytest.raises(ConfigError) as not_oauth2:
        bridge(
            **{
                **KEYCLOAK,
                "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS": "social_core.backends.twitter.TwitterOAuth",
            }
        )
    assert "is not an OAuth2 backend" in str(not_oauth2.value)
    # A class only the image has is accepted when PACKAGE says where it comes from.
    image_only = bridge(
        **{
            **KEYCLOAK,
            "LMSBRIDGE_KEYCLOAK_BACKEND_CLASS": "acme_auth.backends.AcmeOAuth2",
            "LMSBRIDGE_KEYCLOAK_PACKAGE": "acme-auth==1.0",
        }
    )
    assert image_only.apps[0].provider is not None


def test_link_policy_defaults_by_preset_keyed_on_provider_ids() -> None:
    """MITx apps verify email at registration (trusted); OpenID Connect says whether it did
    (verified); a generic OAuth2 backend says nothing (never). Provider ids as edx builds
    them: oa2-<backend>."""
    result = bridge(**combine(MITXONLINE, OIDC, KEYCLOAK))
    assert build_plan(result).lms.link_by_email == {
        "oa2-ol-oauth2": "trusted",
        "oa2-sso": "verified",
        "oa2-keycloak": "never",
    }
    assert not [key for key, _ in result.warnings if key.endswith("LINK_BY_EMAIL")]


def test_trusted_on_an_app_that_does_not_verify_emails_warns() -> None:
    result = bridge(**OIDC, LMSBRIDGE_SSO_LINK_BY_EMAIL="trusted")
    (warning,) = [text for key, text in result.warnings if key == "LMSBRIDGE_SSO_LINK_BY_EMAIL"]
    assert warning.startswith("trusted links a first login to the account with the same email")
    assert "Use verified" in warning
    assert build_plan(result).lms.link_by_email == {"oa2-sso": "trusted"}


def test_every_invalid_key_is_named_at_once() -> None:
    """Issue #21 (item 5): one reading names every invalid key, one error each."""
    config = {
        **combine(MITXONLINE, OIDC),
        "LMSBRIDGE_MITXONLINE_SLUG": "Not A Slug",
        "LMSBRIDGE_MITXONLINE_VISIBLE": "yes",
        "LMSBRIDGE_SSO_SCOPES": ["email"],
        "LMSBRIDGE_MITXONLNE_URL": "http://x.example.com",
        "LMSBRIDGE_AUTHN_MFE_BYPASS": "no",
    }
    with pytest.raises(ConfigError) as caught:
        bridge(**config)
    assert [error.key for error in caught.value.each()] == [
        "LMSBRIDGE_MITXONLNE_URL",
        "LMSBRIDGE_MITXONLINE_SLUG",
        "LMSBRIDGE_MITXONLINE_VISIBLE",
        "LMSBRIDGE_SSO_SCOPES",
        "LMSBRIDGE_AUTHN_MFE_BYPASS",
    ]
    lines = caught.value.text("config-save", "lmsbridge: ").splitlines()
    assert len(lines) == 5
    assert all(line.startswith("lmsbridge: LMSBRIDGE_") and ". Fix: " in line for line in lines)


def test_a_token_that_expires_soon_warns() -> None:
    import datetime

    today = datetime.date(2027, 3, 1)
    soon = {**MITXONLINE, "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES": "2027-03-20"}
    warned = read_bridge({**PLATFORM, **soon}, today=today)
    assert warned.warnings == (
        (
            "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES",
            "the service token expires on 2027-03-20, in less than 30 days: then every call "
            "mitxonline makes to Open edX fails; set a later date and run the init job",
        ),
    )
    later = {**MITXONLINE, "LMSBRIDGE_MITXONLINE_TOKEN_EXPIRES": "2027-04-01"}
    assert read_bridge({**PLATFORM, **later}, today=today).warnings == ()
    with pytest.raises(ConfigError) as caught:
        read_bridge({**PLATFORM, **soon}, today=datetime.date(2027, 3, 20))
    assert "is not in the future" in str(caught.value)
    assert caught.value.example == "2028-03-19"


def test_app_names_that_differ_by_digits_are_other_apps_not_typos() -> None:
    """sso2's keys, set before sso2 is listed (or left after it was removed), only warn."""
    result = bridge(**OIDC, LMSBRIDGE_SSO2_URL="https://sso2.example.edu")
    assert result.warnings == (
        ("LMSBRIDGE_SSO2_URL", "not used by any connected app (LMSBRIDGE_APPS)"),
    )
    # Leftovers of a disconnected preset-named app only warn too.
    assert bridge(LMSBRIDGE_MITXPRO_URL="https://xpro.example.com").warnings == (
        ("LMSBRIDGE_MITXPRO_URL", "not used by any connected app (LMSBRIDGE_APPS)"),
    )


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://[fd00::1]:8013", "fd00::1"),
        ("http://[FD00:0:0::1]:8013/", "fd00::1"),
        ("https://[2001:db8::5]", "2001:db8::5"),
    ],
)
def test_ipv6_literals_are_urls(url: str, address: str) -> None:
    app = bridge(**{**MITXONLINE, "LMSBRIDGE_MITXONLINE_INTERNAL_URL": url}).apps[0]
    assert app.internal_url.host == f"[{address}]"
    assert app.provider is not None
    token_url = app.provider.other_settings["ACCESS_TOKEN_URL"]
    assert token_url == f"{app.internal_url.origin}/oauth2/token/"
    from urllib.parse import urlsplit

    assert urlsplit(token_url).hostname == address


def test_ipv6_catalog_and_ip_lms_hosts_give_valid_derived_values() -> None:
    """A catalog on an IPv6 address: CORS origin and redirect host keep the brackets. An
    LMS_HOST that is an IP address: no parent domain, an .invalid email, an escaped regex."""
    import re

    from tutor_lmsbridge.core.richie_routing import course_regex

    catalog = {**RICHIE, "LMSBRIDGE_RICHIE_URL": "http://[fd00::2]:8070"}
    plan = build_plan(bridge(**catalog))
    assert plan.lms.catalog_origins == ["http://[fd00::2]:8070"]
    assert plan.lms.login_redirect_hosts == ["[fd00::2]:8070"]
    for lms_host, domain in (("127.0.0.2", "127.0.0.2"), ("[fd00::1]", "[fd00::1]")):
        result = bridge(**combine(MITXONLINE, RICHIE), LMS_HOST=lms_host)
        catalog_side = result.apps[1].catalog
        assert catalog_side is not None
        assert catalog_side.csrf_cookie_domain == domain
        client = result.apps[0].client
        assert client is not None
        assert client.service_email == "mitxonline_serviceworker@lmsbridge.invalid"
        lms = result.platform.lms_url()
        regex = course_regex(lms)
        assert re.match(regex, f"{lms}/courses/course-v1:edX+DemoX+Demo/course/")
        assert not re.match(regex, "http://x/courses/course-v1:edX+DemoX+Demo/course/")


def test_several_apps_in_one_string_get_the_list_they_meant() -> None:
    """`--set LMSBRIDGE_APPS=richie,mitxonline` reaches us as one string: the fix lists both
    (and keeps the other apps), rather than a fixed example that drops what was typed."""
    with pytest.raises(ConfigError) as caught:
        bridge(LMSBRIDGE_APPS=["keycloak", "richie,mitxonline"])
    assert caught.value.fix_text("config-save") == (
        "list them: tutor config save --set 'LMSBRIDGE_APPS=[keycloak, richie, mitxonline]'"
    )
