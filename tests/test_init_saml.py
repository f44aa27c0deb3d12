"""The init job's SAML part (init_saml.py), as the real Tutor renders the init task, against a
real database and a real IdP's metadata, with the plan and the SP key the plugin computes from
a `saml` app's keys.

Writes are counted with Django's query capture. SAMLProviderData is left out of the count
on purpose: Open edX's own metadata pull, which the job calls, refreshes its fetched_at on
every run (edx-platform's create_or_update_bulk_saml_provider_data always does; its daily
Celery task does the same), so those writes are edx's, not the plugin's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .e2e.saml_process import RunningIdp, idp_config, saml_idp
from .support.django_harness import LMS_SITE_ID
from .support.lms_jobs import exit_status
from .support.saml_plan import MARKER, saml_app, saml_plan, sp_private_key
from .support.tutor_helpers import init_python, render_init_task

LMS_URL = "http://local.openedx.io"
APP = "uni"


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIdp]:
    workdir = tmp_path_factory.mktemp("idp")
    with saml_idp(
        idp_config(workdir, sp_metadata_url="http://127.0.0.1:9/unused"), workdir
    ) as running:
        yield running


@pytest.fixture
def db(django_ready: None) -> Iterator[None]:
    """A rolled-back transaction, and empty caches: current() rows cached by another test
    would outlive its rollback."""
    from django.core.cache import cache
    from django.db import transaction
    from edx_django_utils.cache import RequestCache

    cache.clear()
    RequestCache.clear_all_namespaces()

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def init_code(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Python the rendered init task feeds to `./manage.py lms shell`."""
    return init_python(render_init_task(tmp_path_factory.mktemp("task"), {}))


class Job:
    def __init__(self, code: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.code = code
        self.capsys = capsys
        self.status = 0  # the last run's, as the LMS shell exits
        self.stderr = ""  # ... and what it wrote on stderr

    def run(
        self, config: dict[str, Any], key: str | None = None, status: int = 0
    ) -> tuple[list[str], list[str]]:
        """Run the job for ``config`` (SP key ``key``), which must exit ``status``: output
        lines and the SQL writes (except SAMLProviderData's, Open edX's own)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext, override_settings

        plan = saml_plan(config, key)
        overrides = {
            "LMSBRIDGE_INIT_PLAN": plan.init_data(),
            "SITE_ID": LMS_SITE_ID,
            "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY": plan.lms.saml_sp_private_key,
        }
        self.capsys.readouterr()
        before = len(connection.run_on_commit)
        self.status = 0
        with override_settings(**overrides), CaptureQueriesContext(connection) as queries:
            try:
                exec(compile(self.code, "lmsbridge-init", "exec"), {"__name__": "lmsbridge_init"})  # noqa: S102
            except SystemExit as stop:
                self.status = exit_status(stop)
            # The test's transaction never commits: run what the job left for its commit
            # (a job that exits non-zero does so after its commit).
            for _, callback, *_ in connection.run_on_commit[before:]:
                callback()
        writes = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")
            and "samlproviderdata" not in q["sql"].split("(", 1)[0].lower()
        ]
        captured = self.capsys.readouterr()
        self.stderr = captured.err
        assert self.status == status, captured.out
        return captured.out.splitlines(), writes


@pytest.fixture
def job(db: None, init_code: str, capsys: pytest.CaptureFixture[str]) -> Job:
    return Job(init_code, capsys)


def config_for(idp: RunningIdp, **settings: Any) -> dict[str, Any]:
    """The two keys an operator sets for an IdP that publishes its metadata, plus ``settings``."""
    return saml_app(APP, idp.entity_id, idp.metadata_url, **settings)


def rows(model_name: str, **filters: Any) -> list[Any]:
    from django.apps import apps

    model = apps.get_model("third_party_auth", model_name)
    return list(model.objects.filter(**filters).order_by("change_date", "id"))


def rows_data(entity_id: str) -> list[Any]:
    from django.apps import apps

    return list(
        apps.get_model("third_party_auth", "SAMLProviderData").objects.filter(entity_id=entity_id)
    )


def inserted(writes: list[str]) -> list[str]:
    return [w.split("(", 1)[0].strip() for w in writes]


PULLED_NEW = (
    "lmsbridge: SAML metadata: 1 fetched, 1 new, 0 failed, 0 of 1 providers skipped "
    "(disabled, or inline metadata)"
)
PULLED_SAME = PULLED_NEW.replace("1 new", "0 new")


def test_creates_configuration_provider_and_pulls_metadata(job: Job, idp: RunningIdp) -> None:
    from django.apps import apps
    from django.test.utils import override_settings

    out, writes = job.run(config_for(idp))
    assert "lmsbridge: SAML configuration default: created" in out
    assert "lmsbridge: SAML provider saml-uni: created" in out
    assert PULLED_NEW in out
    (configuration,) = rows("SAMLConfiguration", slug="default")
    assert configuration.site_id == LMS_SITE_ID
    assert configuration.enabled
    assert configuration.entity_id == f"{LMS_URL}/saml"
    plan = saml_plan(config_for(idp))
    assert configuration.public_key == plan.bridge.saml_sp.certificate  # type: ignore[union-attr]
    assert configuration.private_key == ""
    (provider,) = rows("SAMLProviderConfig", slug=APP)
    assert provider.provider_id == "saml-uni"
    assert provider.saml_configuration_id is None  # the Site's current "default", always
    assert provider.entity_id == idp.entity_id
    assert provider.metadata_source == idp.metadata_url
    assert provider.attr_user_permanent_id == "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
    assert provider.attr_email == "urn:oid:0.9.2342.19200300.100.1.3"
    assert MARKER in provider.other_settings
    (data,) = rows_data(idp.entity_id)
    assert data.sso_url == f"{idp.url}/sso/redirect"
    assert data.is_valid()
    # The IdP configuration edx's backend builds from those rows, with the SP key pair.
    conf = apps.get_model("third_party_auth", "SAMLProviderConfig").current(APP).get_config()
    assert conf.conf["x509certMulti"] == {"signing": [data.public_key]}
    sp = conf.saml_sp_configuration
    assert sp.pk == configuration.pk
    key = plan.lms.saml_sp_private_key
    with override_settings(SOCIAL_AUTH_SAML_SP_PRIVATE_KEY=key):
        assert sp.get_setting("SP_PRIVATE_KEY") == key
        assert sp.get_setting("SP_PUBLIC_CERT") == configuration.public_key
    assert writes


def test_unchanged_rerun_writes_nothing(job: Job, idp: RunningIdp) -> None:
    job.run(config_for(idp))
    out, writes = job.run(config_for(idp))
    assert writes == []
    assert "lmsbridge: SAML configuration default: unchanged" in out
    assert "lmsbridge: SAML provider saml-uni: unchanged" in out
    assert PULLED_SAME in out


def test_one_real_change_is_one_new_history_row(job: Job, idp: RunningIdp) -> None:
    job.run(config_for(idp))
    adfs_email = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
    out, writes = job.run(config_for(idp, ATTR_EMAIL=adfs_email))
    assert "lmsbridge: SAML provider saml-uni: updated (attr_email)" in out
    assert inserted(writes) == ['INSERT INTO "third_party_auth_samlproviderconfig"']
    first, second = rows("SAMLProviderConfig", slug=APP)
    assert (first.attr_email, second.attr_email) == (
        "urn:oid:0.9.2342.19200300.100.1.3",
        adfs_email,
    )
    # The operator's own edits to unmanaged fields survive (the row is copied).
    assert second.icon_class == first.icon_class


def test_an_sp_change_is_one_configuration_row_and_no_provider_row(
    job: Job, idp: RunningIdp
) -> None:
    job.run(config_for(idp))
    config = {**config_for(idp), "LMSBRIDGE_SP_ENTITY_ID": "https://lms.example.edu/shibboleth"}
    out, writes = job.run(config)
    assert "lmsbridge: SAML configuration default: updated (entity_id)" in out
    assert "lmsbridge: SAML provider saml-uni: unchanged" in out
    assert inserted(writes) == ['INSERT INTO "third_party_auth_samlconfiguration"']


def test_key_rotation_is_one_new_row_and_takes_effect(job: Job, idp: RunningIdp) -> None:
    from django.apps import apps
    from django.contrib.sites.models import Site
    from django.test.utils import override_settings

    job.run(config_for(idp))
    rotated = sp_private_key("rotated")
    out, writes = job.run(config_for(idp), key=rotated)
    assert "lmsbridge: SAML configuration default: updated (public_key)" in out
    assert inserted(writes) == ['INSERT INTO "third_party_auth_samlconfiguration"']
    plan = saml_plan(config_for(idp), rotated)
    configuration = apps.get_model("third_party_auth", "SAMLConfiguration")
    current = configuration.current(Site.objects.get(pk=LMS_SITE_ID), "default")
    with override_settings(SOCIAL_AUTH_SAML_SP_PRIVATE_KEY=plan.lms.saml_sp_private_key):
        assert current.get_setting("SP_PRIVATE_KEY") == plan.lms.saml_sp_private_key
    assert current.get_setting("SP_PUBLIC_CERT") == plan.bridge.saml_sp.certificate  # type: ignore[union-attr]
    # The provider follows without a row of its own: its configuration is the current one.
    provider = apps.get_model("third_party_auth", "SAMLProviderConfig").current(APP)
    assert provider.get_config().saml_sp_configuration.pk == current.pk


def test_a_key_pasted_in_the_database_is_removed(job: Job, idp: RunningIdp) -> None:
    job.run(config_for(idp))
    (configuration,) = rows("SAMLConfiguration", slug="default")
    configuration.private_key = "MIIEvQIBADANBgkq"  # an operator pasted one in Django admin
    configuration.save()
    out, writes = job.run(config_for(idp))
    assert "lmsbridge: SAML configuration default: updated (private_key)" in out
    assert inserted(writes) == ['INSERT INTO "third_party_auth_samlconfiguration"']
    assert rows("SAMLConfiguration", slug="default")[-1].private_key == ""


def test_a_provider_pointing_at_an_old_configuration_row_is_repointed(
    job: Job, idp: RunningIdp
) -> None:
    """An operator who chose a configuration row in Django admin pinned that *row*: after the
    next configuration change, edx would keep reading the old one."""
    job.run(config_for(idp))
    provider = rows("SAMLProviderConfig", slug=APP)[-1]
    provider.saml_configuration_id = rows("SAMLConfiguration", slug="default")[-1].pk
    provider.save()
    out, writes = job.run(config_for(idp))
    assert "lmsbridge: SAML provider saml-uni: updated (saml_configuration_id)" in out
    assert inserted(writes) == ['INSERT INTO "third_party_auth_samlproviderconfig"']
    assert rows("SAMLProviderConfig", slug=APP)[-1].saml_configuration_id is None


def test_no_private_key_in_the_database(job: Job, idp: RunningIdp) -> None:
    from django.db import connection

    job.run(config_for(idp))
    key = saml_plan(config_for(idp)).lms.saml_sp_private_key
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - our own table names
            for row in cursor.fetchall():
                text = " ".join(str(value) for value in row)
                assert key[:64] not in text, table
                assert key[-64:] not in text, table
                assert "PRIVATE KEY" not in text, table


def test_removed_provider_is_disabled_and_unreachable_metadata_is_reported(
    job: Job, idp: RunningIdp
) -> None:
    job.run(config_for(idp))
    out, _ = job.run({"LMSBRIDGE_APPS": []})
    assert "lmsbridge: SAML provider saml-uni: disabled" in out
    assert rows("SAMLProviderConfig", slug=APP)[-1].enabled is False

    broken = saml_app(APP, idp.entity_id, "http://127.0.0.1:9/metadata")
    out, _ = job.run(broken)
    assert any(
        line.startswith("lmsbridge: SAML metadata failed: ConnectionError") for line in out
    ), out


def test_a_stale_cached_configuration_does_not_hide_the_change(job: Job, idp: RunningIdp) -> None:
    """edx looks the configuration up by Site object; save() clears the key by site id."""
    from django.apps import apps
    from django.contrib.sites.models import Site

    configuration = apps.get_model("third_party_auth", "SAMLConfiguration")
    site = Site.objects.get(pk=LMS_SITE_ID)
    assert configuration.is_enabled(site, "default") is False  # cached: an unsaved row
    out, _ = job.run(config_for(idp))
    assert configuration.is_enabled(site, "default") is True
    assert PULLED_NEW in out


def test_inline_metadata_is_stored_by_edx_code_and_not_pulled(job: Job, idp: RunningIdp) -> None:
    import requests

    xml = requests.get(idp.metadata_url, timeout=5).text
    config = saml_app(APP, idp.entity_id, metadata_xml=xml)
    out, _ = job.run(config)
    assert "lmsbridge: SAML metadata of saml-uni (inline): new, 1 signing certificate(s)" in out
    assert (
        "lmsbridge: SAML metadata: 0 fetched, 0 new, 0 failed, 1 of 1 providers skipped "
        "(disabled, or inline metadata)"
    ) in out
    (provider,) = rows("SAMLProviderConfig", slug=APP)
    assert (provider.metadata_source, provider.automatic_refresh_enabled) == ("", False)
    (data,) = rows_data(idp.entity_id)
    assert data.sso_url == f"{idp.url}/sso/redirect"
    out, writes = job.run(config)
    assert writes == []
    assert (
        "lmsbridge: SAML metadata of saml-uni (inline): unchanged, 1 signing certificate(s)" in out
    )


def test_init_saml_has_no_jinja_markers() -> None:
    source = (
        Path(__file__).parent.parent / "tutor_lmsbridge/templates/lmsbridge/tasks/lms/init_saml.py"
    ).read_text()
    for marker in ("{{", "{%", "{#"):
        assert marker not in source


# ---- the refresh job (issue #24): the init job's SAML part, on a schedule ------------------


@pytest.fixture(scope="module")
def refresh_code(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Python of `do lmsbridge-refresh-saml` (and of its compose service and CronJob)."""
    from tutor_lmsbridge import plugin

    root = tmp_path_factory.mktemp("refresh-task")
    return init_python(render_init_task(root, {}, plugin.REFRESH_TASK))


def test_a_refresh_pulls_again_and_writes_nothing_else(
    job: Job, idp: RunningIdp, refresh_code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    job.run(config_for(idp))
    (before,) = rows_data(idp.entity_id)
    out, writes = Job(refresh_code, capsys).run(config_for(idp))
    assert writes == []  # SAMLProviderData's are Open edX's own pull's
    assert "lmsbridge: SAML configuration default: unchanged" in out
    assert "lmsbridge: SAML provider saml-uni: unchanged" in out
    assert PULLED_SAME in out
    assert out[-1] == "lmsbridge: done: 0 created, 0 updated, 2 unchanged, 0 disabled"
    (after,) = rows_data(idp.entity_id)
    assert after.fetched_at > before.fetched_at  # the last successful refresh, for verify


def test_a_refresh_without_a_saml_app_does_nothing(
    job: Job, refresh_code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.test.utils import override_settings

    capsys.readouterr()
    with override_settings(LMSBRIDGE_INIT_PLAN=None, SITE_ID=LMS_SITE_ID):
        exec(compile(refresh_code, "lmsbridge-refresh", "exec"), {"__name__": "refresh"})  # noqa: S102
    assert capsys.readouterr().out.splitlines() == [
        "lmsbridge: SAML refresh: no SAML app is connected, nothing to refresh"
    ]


def test_a_refresh_picks_up_a_new_idp_certificate_without_a_restart(
    job: Job,
    idp: RunningIdp,
    refresh_code: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The IdP publishes a new signing certificate: the next refresh stores it, and the
    configuration the running LMS builds (current(), cached) has it, with no restart."""
    import requests
    from django.apps import apps

    from .e2e.saml_idp.keys import key_pair

    job.run(config_for(idp))
    provider = apps.get_model("third_party_auth", "SAMLProviderConfig")
    (old,) = provider.current(APP).get_config().conf["x509certMulti"]["signing"]
    new = "".join(key_pair("rotated", 365, -1)[1].splitlines()[1:-1])
    published = requests.get(idp.metadata_url, timeout=10).text
    assert old in published
    rotated = published.replace(old, new)
    real_get = requests.get

    def idp_rotated(url: str, **kwargs: object) -> object:
        answer = real_get(url, **kwargs)  # type: ignore[arg-type]
        if url == idp.metadata_url:
            # Read whole (.content) or streamed (.iter_content, as the plugin's pull reads it).
            answer._content = rotated.encode()
            answer._content_consumed = True
        return answer

    monkeypatch.setattr(requests, "get", idp_rotated)
    out, writes = Job(refresh_code, capsys).run(config_for(idp))
    assert PULLED_NEW in out
    assert writes == []  # only Open edX's pull wrote (SAMLProviderData)
    signing = provider.current(APP).get_config().conf["x509certMulti"]["signing"]
    assert new in signing
