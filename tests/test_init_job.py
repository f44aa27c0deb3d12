"""The init job's rendered Python, run against a real database.

Each test renders the plugin's settings and init task with the real Tutor, takes the init
plan from the rendered production.py (as the LMS would), and executes the Python that the
task feeds to `./manage.py lms shell`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.output.masking import secret_values

from .support.django_harness import LMS_SITE_ID
from .support.edx_releases import oauth2_keyed_on_backend_name
from .support.edx_settings import load_lms_settings
from .support.samples import KEYCLOAK, MITXONLINE, PLATFORM, RICHIE, combine, several_apps
from .support.tutor_helpers import init_python, render_env, render_init_task

SEED = {"LMSBRIDGE_SECRET_SEED": PLATFORM["LMSBRIDGE_SECRET_SEED"]}


@pytest.fixture(scope="module")
def init_code(tmp_path_factory: pytest.TempPathFactory) -> str:
    script = render_init_task(tmp_path_factory.mktemp("task"), {**MITXONLINE, **SEED})
    return init_python(script)


class Lms:
    """Runs the init job the way `tutor local do lmsbridge-init` does, for one config."""

    def __init__(self, code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.code = code
        self.tmp_path = tmp_path
        self.capsys = capsys
        self.settings: dict[str, Any] = {}

    def configure(self, config: dict[str, Any]) -> None:
        root = self.tmp_path / f"root{len(list(self.tmp_path.iterdir()))}"
        root.mkdir()
        env = render_env(root, {**config, **SEED})
        self.settings = load_lms_settings(env, "production", root)

    def run(self) -> tuple[list[str], int]:
        """Output lines and the number of database writes."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext, override_settings

        overrides = {
            "LMSBRIDGE_INIT_PLAN": self.settings["LMSBRIDGE_INIT_PLAN"],
            "SOCIAL_AUTH_OAUTH_SECRETS": self.settings["SOCIAL_AUTH_OAUTH_SECRETS"],
            "SITE_ID": self.settings["SITE_ID"],
        }
        self.capsys.readouterr()
        with override_settings(**overrides), CaptureQueriesContext(connection) as queries:
            exec(compile(self.code, "lmsbridge-init", "exec"), {"__name__": "lmsbridge_init"})  # noqa: S102
        writes = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")
        ]
        return self.capsys.readouterr().out.splitlines(), len(writes)

    def setup(self, config: dict[str, Any]) -> list[str]:
        self.configure(config)
        return self.run()[0]


@pytest.fixture
def lms(db: None, init_code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Lms:
    return Lms(init_code, tmp_path, capsys)


def providers(backend_name: str) -> list[Any]:
    from django.apps import apps

    model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    return list(model.objects.filter(backend_name=backend_name).order_by("change_date", "id"))


def verify_token(token: str, scopes: list[str]) -> tuple[bool, Any]:
    """Authenticate a request with a bearer token through django-oauth-toolkit."""
    from django.test import RequestFactory
    from oauth2_provider.oauth2_backends import OAuthLibCore

    request = RequestFactory().get("/api/enrollment/v1/", HTTP_AUTHORIZATION=f"Bearer {token}")
    valid, oauth_request = OAuthLibCore().verify_request(request, scopes=scopes)
    return valid, oauth_request


# ---- the rendered task --------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3, 10])
def test_rendered_task_boots_the_lms_once_and_holds_no_secret(count: int, tmp_path: Path) -> None:
    config = {**several_apps(count), **SEED}
    script = render_init_task(tmp_path, config)
    assert script.count("manage.py") == 1
    assert script.count("./manage.py lms shell") == 1
    plan = plan_for({**PLATFORM, **config})
    secrets = secret_values(plan)
    assert len(secrets) >= count
    for secret in secrets:
        assert secret not in script
    # The Python is the shipped file, verbatim (Jinja did not touch it), then one call whose
    # argument is the plan's empty plan (constants only).
    source = (
        Path(__file__).parent.parent
        / "tutor_lmsbridge/templates/lmsbridge/tasks/lms/init_objects.py"
    ).read_text()
    python = init_python(script)
    assert python.startswith(source)
    call = python[len(source) :].strip().splitlines()[-1]
    assert call == f"run({plan.empty_init_data()!r})"


def test_script_runs_in_a_posix_shell_heredoc(tmp_path: Path) -> None:
    """`sh -e -c '<script>'` with a fake manage.py receives the Python on stdin."""
    import subprocess

    script = render_init_task(tmp_path, {**MITXONLINE, **SEED})
    fake = tmp_path / "manage.py"
    fake.write_text(f'#!/bin/sh\necho "args: $*"\ncat > {tmp_path / "stdin.py"}\n')
    fake.chmod(0o755)
    result = subprocess.run(
        ["sh", "-e", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.strip() == "args: lms shell"
    assert (tmp_path / "stdin.py").read_text().strip() == init_python(script).strip()


# ---- the objects --------------------------------------------------------------------------


def test_creates_every_object_of_a_mitxonline_connection(lms: Lms) -> None:
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import AccessToken, Application

    out = lms.setup(MITXONLINE)
    assert out == [
        "lmsbridge: service user mitxonline_serviceworker: created",
        "lmsbridge: OAuth2 application lmsbridge-mitxonline: created",
        "lmsbridge: access token for mitxonline_serviceworker: created",
        "lmsbridge: provider oa2-ol-oauth2: created",
        "lmsbridge: done: 4 created, 0 updated, 0 unchanged, 0 disabled",
    ]
    user = get_user_model().objects.get(username="mitxonline_serviceworker")
    assert user.is_active
    assert user.is_staff
    assert not user.is_superuser
    assert not user.has_usable_password()
    assert user.email == "mitxonline_serviceworker@local.openedx.io"
    assert user.profile.name == "mitxonline_serviceworker"

    client = plan_for({**PLATFORM, **MITXONLINE}).bridge.apps[0].client
    assert client is not None
    app = Application.objects.get(name="lmsbridge-mitxonline")
    assert app.user == user
    assert app.client_id == "lmsbridge-mitxonline"
    assert app.client_secret == client.client_secret
    assert app.client_type == "confidential"
    assert app.authorization_grant_type == "authorization-code"
    assert app.skip_authorization is True
    assert app.redirect_uris.split() == [
        "http://mitxonline.odl.local:8013/_/auth/complete",
        "http://mitxonline.odl.local:8013/login/_private/complete",
    ]

    token = AccessToken.objects.get(user=user)
    assert token.token == client.token
    assert token.application == app
    assert token.scope == "read write"
    assert token.expires.year == 2099

    (row,) = providers("ol-oauth2")
    assert row.enabled
    assert row.site_id == LMS_SITE_ID
    assert row.name == "MITx Online"
    assert row.slug == "ol-oauth2"
    assert row.key == "mitxonline-client-id"
    assert row.secret == ""
    assert not row.visible
    assert row.skip_hinted_login_dialog
    assert row.skip_registration_form
    assert row.skip_email_verification
    assert row.sync_learner_profile_data
    assert not row.enable_sso_id_verification  # only when the operator sets it (issue #19)
    assert json.loads(row.other_settings) == {
        "AUTHORIZATION_URL": "http://mitxonline.odl.local:8013/oauth2/authorize/",
        "ACCESS_TOKEN_URL": "http://172.22.0.1:8013/oauth2/token/",
        "API_ROOT": "http://172.22.0.1:8013/",
        "lmsbridge_app": "mitxonline",
    }
    # The backend gets its secret the way edx-platform resolves it: settings, not the row.
    from django.test.utils import override_settings

    with override_settings(SOCIAL_AUTH_OAUTH_SECRETS=lms.settings["SOCIAL_AUTH_OAUTH_SECRETS"]):
        assert row.get_setting("SECRET") == "mitxonline-client-secret-value"
    assert row.get_setting("KEY") == "mitxonline-client-id"
    # And it is the current configuration as edx-platform looks it up: current() takes the
    # backend name and adds the current request's Site (SITE_ID's here).
    assert type(row).current("ol-oauth2").pk == row.pk


def test_unchanged_rerun_makes_no_write(lms: Lms) -> None:
    lms.setup(combine(MITXONLINE, KEYCLOAK))
    out, writes = lms.run()
    assert writes == 0
    assert out[-1] == "lmsbridge: done: 0 created, 0 updated, 5 unchanged, 0 disabled"
    assert all(line.endswith("unchanged") for line in out[:-1])


def test_scale_ten_apps_then_zero_writes(lms: Lms) -> None:
    lms.setup(several_apps(10))
    out, writes = lms.run()
    assert writes == 0
    assert out[-1] == "lmsbridge: done: 0 created, 0 updated, 24 unchanged, 0 disabled"


def test_one_new_provider_row_per_real_change(lms: Lms) -> None:
    lms.setup(MITXONLINE)
    lms.configure({**MITXONLINE, "LMSBRIDGE_MITXONLINE_PROVIDER_NAME": "MITx Online (staging)"})
    out, writes = lms.run()
    assert "lmsbridge: provider oa2-ol-oauth2: updated (name)" in out
    assert writes == 1
    rows = providers("ol-oauth2")
    assert [r.name for r in rows] == ["MITx Online", "MITx Online (staging)"]  # history kept
    assert lms.run()[1] == 0
    # The internal URL moves: other_settings changes, one more row.
    lms.configure(
        {
            **MITXONLINE,
            "LMSBRIDGE_MITXONLINE_PROVIDER_NAME": "MITx Online (staging)",
            "LMSBRIDGE_MITXONLINE_INTERNAL_URL": "http://host.docker.internal:8013",
        }
    )
    out, writes = lms.run()
    assert "lmsbridge: provider oa2-ol-oauth2: updated (other_settings)" in out
    assert writes == 1
    assert (
        json.loads(providers("ol-oauth2")[-1].other_settings)["API_ROOT"]
        == "http://host.docker.internal:8013/"
    )


def test_admin_edits_to_unmanaged_fields_survive(lms: Lms) -> None:
    lms.setup(MITXONLINE)
    # An admin saves the provider with a custom icon and session length (a new row).
    row = providers("ol-oauth2")[-1]
    row.pk = None
    row.icon_class = "fa-university"
    row.max_session_length = 3600
    row.save()
    assert lms.run()[1] == 0
    lms.configure({**MITXONLINE, "LMSBRIDGE_MITXONLINE_VISIBLE": True})
    out, _ = lms.run()
    assert "lmsbridge: provider oa2-ol-oauth2: updated (visible)" in out
    newest = providers("ol-oauth2")[-1]
    assert newest.visible
    assert newest.icon_class == "fa-university"
    assert newest.max_session_length == 3600


def test_admin_edit_to_a_managed_field_is_put_back(lms: Lms) -> None:
    lms.setup(MITXONLINE)
    row = providers("ol-oauth2")[-1]
    row.pk = None
    row.visible = True
    row.secret = "pasted-into-the-db"
    row.save()
    out, writes = lms.run()
    assert "lmsbridge: provider oa2-ol-oauth2: updated (visible, secret)" in out
    assert writes == 1
    newest = providers("ol-oauth2")[-1]
    assert newest.secret == ""
    assert not newest.visible


def test_provider_on_the_wrong_site_is_moved_back(
    lms: Lms, monkeypatch: pytest.MonkeyPatch
) -> None:
    """edx-platform releases that key providers by backend name only: a newer row an admin
    bound to another Site is the current one, and login breaks ("Can't fetch setting of a
    disabled backend/provider"). The init job binds it back to SITE_ID."""
    from django.apps import apps

    model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    oauth2_keyed_on_backend_name(monkeypatch)
    lms.setup(MITXONLINE)
    row = providers("ol-oauth2")[-1]
    row.pk = None
    row.site_id = 1
    row.save()
    out, writes = lms.run()
    assert "lmsbridge: provider oa2-ol-oauth2: updated (site_id)" in out
    assert writes == 1
    assert providers("ol-oauth2")[-1].site_id == LMS_SITE_ID
    assert model.current("ol-oauth2").site_id == LMS_SITE_ID


def test_token_rotation_stops_the_old_token(lms: Lms) -> None:
    lms.setup(MITXONLINE)
    client = plan_for({**PLATFORM, **MITXONLINE, **SEED}).bridge.apps[0].client
    assert client is not None
    assert client.token is not None
    old = client.token
    assert verify_token(old, ["read"])[0]
    lms.configure({**MITXONLINE, "LMSBRIDGE_MITXONLINE_SERVICE_TOKEN": "rotated-token-value"})
    out, _ = lms.run()
    assert "lmsbridge: access token for mitxonline_serviceworker: updated (rotated)" in out
    assert verify_token("rotated-token-value", ["read"])[0]
    assert not verify_token(old, ["read"])[0]
    assert lms.run()[1] == 0


def test_service_token_authenticates_through_django_oauth_toolkit(lms: Lms) -> None:
    lms.setup(MITXONLINE)
    client = plan_for({**PLATFORM, **MITXONLINE, **SEED}).bridge.apps[0].client
    assert client is not None
    assert client.token is not None
    valid, request = verify_token(client.token, ["read", "write"])
    assert valid
    assert request.user.username == "mitxonline_serviceworker"
    assert request.user.is_staff
    assert not verify_token("not-" + client.token, ["read"])[0]


def test_removed_app_gets_a_disabled_row_and_others_are_untouched(lms: Lms) -> None:
    from django.apps import apps
    from django.contrib.sites.models import Site

    model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    manual = model.objects.create(
        backend_name="google-oauth2",
        name="Google",
        slug="google",
        enabled=True,
        site=Site.objects.get(id=LMS_SITE_ID),
    )
    lms.setup(combine(MITXONLINE, KEYCLOAK))
    lms.configure(MITXONLINE)
    out, writes = lms.run()
    assert "lmsbridge: provider oa2-keycloak: disabled" in out
    assert writes == 1
    rows = providers("keycloak")
    assert [r.enabled for r in rows] == [True, False]  # a new row, nothing deleted
    assert providers("google-oauth2") == [manual]
    assert lms.run()[1] == 0


def test_existing_user_is_brought_to_state_without_losing_data(lms: Lms) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        "mitxonline_serviceworker",
        "old@example.com",
        "password",
        first_name="Keep",
        is_active=False,
    )
    out = lms.setup(MITXONLINE)
    assert (
        "lmsbridge: service user mitxonline_serviceworker: "
        "updated (email, is_active, is_staff, password)" in out
    )
    user.refresh_from_db()
    assert user.is_active
    assert user.is_staff
    assert not user.has_usable_password()
    assert user.first_name == "Keep"


def test_missing_site_is_a_clear_error(lms: Lms) -> None:
    from django.test.utils import override_settings

    lms.configure(MITXONLINE)
    lms.settings["SITE_ID"] = 99
    with (
        override_settings(SITE_ID=99),
        pytest.raises(RuntimeError, match=r"no Site with id 99 \(SITE_ID\)"),
    ):
        lms.run()


def test_nothing_configured_makes_no_write(lms: Lms, capsys: pytest.CaptureFixture[str]) -> None:
    lms.configure({})
    assert "LMSBRIDGE_INIT_PLAN" not in lms.settings
    lms.settings["LMSBRIDGE_INIT_PLAN"] = None  # the setting is absent from the LMS
    out, writes = lms.run()
    assert writes == 0
    assert out == ["lmsbridge: done: 0 created, 0 updated, 0 unchanged, 0 disabled"]


def test_richie_login_client_gets_an_application_and_no_token(lms: Lms) -> None:
    from oauth2_provider.models import AccessToken, Application

    out = lms.setup({**RICHIE, "LMSBRIDGE_RICHIE_OAUTH2_CLIENT": True})
    assert out[:2] == [
        "lmsbridge: service user richie_serviceworker: created",
        "lmsbridge: OAuth2 application lmsbridge-richie: created",
    ]
    app = Application.objects.get(name="lmsbridge-richie")
    assert app.redirect_uris == "https://richie.local.openedx.io/oauth/complete/edx-oauth2/"
    assert not AccessToken.objects.filter(application=app).exists()
    assert lms.run()[1] == 0
