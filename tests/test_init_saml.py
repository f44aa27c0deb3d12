"""The init job's SAML part (init_saml.py) against a real database and a real IdP's metadata.

Writes are counted with Django's query capture. SAMLProviderData is left out of the count
on purpose: Open edX's own metadata pull, which the job calls, refreshes its fetched_at on
every run (that is edx's behaviour, not ours).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .e2e.saml_idp.keys import key_pair, pem_body
from .e2e.saml_process import RunningIdp, idp_config, saml_idp
from .support.django_harness import LMS_SITE_ID
from .support.saml_plan import MARKER, init_code, saml_plan

LMS_URL = "http://local.openedx.io"
SLUG, IDP_SLUG = "lmsbridge", "uni"


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
def sp_keys() -> dict[str, str]:
    private, public = key_pair("sp")
    return {"private": pem_body(private), "public": pem_body(public)}


class Job:
    def __init__(self, capsys: pytest.CaptureFixture[str], keys: dict[str, str]) -> None:
        self.code = init_code()
        self.capsys = capsys
        self.keys = keys

    def run(self, plan: dict[str, Any]) -> tuple[list[str], list[str]]:
        """Output lines and the SQL writes (except SAMLProviderData's)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext, override_settings

        overrides = {
            "LMSBRIDGE_INIT_PLAN": plan,
            "SITE_ID": LMS_SITE_ID,
            "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY_DICT": {SLUG: self.keys["private"]},
            "SOCIAL_AUTH_SAML_SP_PUBLIC_CERT_DICT": {SLUG: self.keys["public"]},
        }
        self.capsys.readouterr()
        with override_settings(**overrides), CaptureQueriesContext(connection) as queries:
            exec(compile(self.code, "lmsbridge-init", "exec"), {"__name__": "lmsbridge_init"})  # noqa: S102
        writes = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")
            and "samlproviderdata" not in q["sql"].split("(", 1)[0].lower()
        ]
        return self.capsys.readouterr().out.splitlines(), writes


@pytest.fixture
def job(db: None, capsys: pytest.CaptureFixture[str], sp_keys: dict[str, str]) -> Job:
    return Job(capsys, sp_keys)


def plan_for(idp: RunningIdp) -> dict[str, Any]:
    return saml_plan(LMS_URL, SLUG, IDP_SLUG, idp.entity_id, idp.metadata_url)


def rows(model_name: str, **filters: Any) -> list[Any]:
    from django.apps import apps

    model = apps.get_model("third_party_auth", model_name)
    return list(model.objects.filter(**filters).order_by("change_date", "id"))


def test_creates_configurations_provider_and_pulls_metadata(job: Job, idp: RunningIdp) -> None:
    from django.apps import apps
    from django.test.utils import override_settings

    out, writes = job.run(plan_for(idp))
    assert "lmsbridge: SAML SAML configuration lmsbridge: created" in out
    assert "lmsbridge: SAML provider saml-uni: created" in out
    assert (
        "lmsbridge: SAML metadata: 1 fetched, 1 new, 0 failed, 0 of 1 providers skipped (disabled)"
        in out
    )
    (configuration,) = rows("SAMLConfiguration", slug=SLUG)
    assert configuration.site_id == LMS_SITE_ID
    assert configuration.entity_id == f"{LMS_URL}/saml"
    (provider,) = rows("SAMLProviderConfig", slug=IDP_SLUG)
    assert provider.provider_id == "saml-uni"
    assert provider.saml_configuration_id == configuration.pk
    assert provider.attr_email == "urn:oid:0.9.2342.19200300.100.1.3"
    assert MARKER in provider.other_settings
    (data,) = rows_data(idp.entity_id)
    assert data.sso_url == f"{idp.url}/sso/redirect"
    assert data.is_valid()
    # The IdP configuration edx's backend builds from those rows.
    conf = apps.get_model("third_party_auth", "SAMLProviderConfig").current(IDP_SLUG).get_config()
    assert conf.conf["x509certMulti"] == {"signing": [data.public_key]}
    with override_settings(SOCIAL_AUTH_SAML_SP_PRIVATE_KEY_DICT={SLUG: job.keys["private"]}):
        assert conf.saml_sp_configuration.get_setting("SP_PRIVATE_KEY") == job.keys["private"]
    assert writes


def rows_data(entity_id: str) -> list[Any]:
    from django.apps import apps

    return list(
        apps.get_model("third_party_auth", "SAMLProviderData").objects.filter(entity_id=entity_id)
    )


def test_unchanged_rerun_writes_nothing(job: Job, idp: RunningIdp) -> None:
    job.run(plan_for(idp))
    out, writes = job.run(plan_for(idp))
    assert writes == []
    assert "lmsbridge: SAML SAML configuration lmsbridge: unchanged" in out
    assert "lmsbridge: SAML provider saml-uni: unchanged" in out
    assert (
        "lmsbridge: SAML metadata: 1 fetched, 0 new, 0 failed, 0 of 1 providers skipped (disabled)"
        in out
    )


def test_one_real_change_is_one_new_history_row(job: Job, idp: RunningIdp) -> None:
    job.run(plan_for(idp))
    plan = plan_for(idp)
    plan["saml_providers"][0]["attributes"]["attr_email"] = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"
    out, writes = job.run(plan)
    assert "lmsbridge: SAML provider saml-uni: updated (attr_email)" in out
    assert [w.split("(", 1)[0].strip() for w in writes] == [
        'INSERT INTO "third_party_auth_samlproviderconfig"'
    ]
    first, second = rows("SAMLProviderConfig", slug=IDP_SLUG)
    assert (first.attr_email, second.attr_email) == (
        "urn:oid:0.9.2342.19200300.100.1.3",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
    )
    # The operator's own edits to unmanaged fields survive (the row is copied).
    assert second.icon_class == first.icon_class


def test_key_rotation_touches_no_row_and_takes_effect(job: Job, idp: RunningIdp) -> None:
    from django.apps import apps
    from django.test.utils import override_settings

    job.run(plan_for(idp))
    rotated_private, rotated_public = key_pair("sp-rotated")
    job.keys = {"private": pem_body(rotated_private), "public": pem_body(rotated_public)}
    _, writes = job.run(plan_for(idp))
    assert writes == []
    configuration = apps.get_model("third_party_auth", "SAMLConfiguration")
    with override_settings(SOCIAL_AUTH_SAML_SP_PUBLIC_CERT_DICT={SLUG: job.keys["public"]}):
        current = configuration.current(LMS_SITE_ID, SLUG)
        assert current.get_setting("SP_PUBLIC_CERT") == pem_body(rotated_public)


def test_a_key_pasted_in_the_database_is_removed(job: Job, idp: RunningIdp) -> None:
    """One new configuration row, and one new provider row: the provider's foreign key
    names a configuration *row*, so it must follow the new one (edx would otherwise keep
    reading the old row, key included)."""
    job.run(plan_for(idp))
    (configuration,) = rows("SAMLConfiguration", slug=SLUG)
    configuration.private_key = job.keys["private"]  # an operator pasted it in Django admin
    configuration.save()
    out, writes = job.run(plan_for(idp))
    assert "lmsbridge: SAML SAML configuration lmsbridge: updated (private_key)" in out
    assert "lmsbridge: SAML provider saml-uni: updated (saml_configuration_id)" in out
    assert [w.split("(", 1)[0].strip() for w in writes] == [
        'INSERT INTO "third_party_auth_samlconfiguration"',
        'INSERT INTO "third_party_auth_samlproviderconfig"',
    ]
    newest = rows("SAMLConfiguration", slug=SLUG)[-1]
    assert newest.private_key == ""
    assert rows("SAMLProviderConfig", slug=IDP_SLUG)[-1].saml_configuration_id == newest.pk


def test_no_private_key_in_the_database(job: Job, idp: RunningIdp) -> None:
    from django.db import connection

    job.run(plan_for(idp))
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - our own table names
            for row in cursor.fetchall():
                text = " ".join(str(value) for value in row)
                assert job.keys["private"][:64] not in text, table
                assert "PRIVATE KEY" not in text, table


def test_removed_provider_is_disabled_and_unreachable_metadata_is_reported(
    job: Job, idp: RunningIdp
) -> None:
    job.run(plan_for(idp))
    plan = plan_for(idp)
    plan["saml_providers"] = []
    out, _ = job.run(plan)
    assert "lmsbridge: SAML provider saml-uni: disabled" in out
    assert rows("SAMLProviderConfig", slug=IDP_SLUG)[-1].enabled is False

    broken = plan_for(idp)
    broken["saml_providers"][0]["metadata_source"] = "http://127.0.0.1:9/metadata"
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
    assert configuration.is_enabled(site, SLUG) is False  # cached: an unsaved, disabled row
    out, _ = job.run(plan_for(idp))
    assert configuration.is_enabled(site, SLUG) is True
    assert (
        "lmsbridge: SAML metadata: 1 fetched, 1 new, 0 failed, 0 of 1 providers skipped (disabled)"
        in out
    )


def test_init_saml_has_no_jinja_markers() -> None:
    source = (
        Path(__file__).parent.parent / "tutor_lmsbridge/templates/lmsbridge/tasks/lms/init_saml.py"
    ).read_text()
    for marker in ("{{", "{%", "{#"):
        assert marker not in source
