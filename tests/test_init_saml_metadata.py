"""The init job's SAML metadata pull (init_saml.py) against a real database, with documents a
test changes between two runs: only the certificates an IdP publishes stay trusted; pinned
metadata is stored only when its signature verifies; an entity is found in a federation's
aggregate, or fetched from an MDQ service.

The job is the one the real Tutor renders (test_init_saml's Job); the metadata is served
from loopback by tests/support/federation.py, signed with python3-saml (xmlsec) as a
federation signs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .e2e.saml_idp.keys import key_pair
from .support.federation import (
    DS_NS,
    MD_NS,
    MetadataServer,
    aggregate,
    idp_entity,
    metadata_server,
    pem_body,
    sign,
)
from .support.saml_plan import saml_app
from .support.tutor_helpers import init_python, render_init_task, seed_generated_keys
from .test_init_saml import APP, Job

ENTITY = "https://idp.example.edu/idp/shibboleth"
SSO = "https://idp.example.edu/idp/profile/SAML2/Redirect/SSO"


@pytest.fixture(scope="module")
def keys() -> dict[str, tuple[str, str]]:
    """The IdP's old and new signing keys, the federation's metadata signing key, and
    another key (an impostor's)."""
    return {name: key_pair(name) for name in ("old", "new", "federation", "impostor")}


@pytest.fixture
def job(django_ready: None, init_code: str, capsys: pytest.CaptureFixture[str]) -> Iterator[Job]:
    """test_init_saml's job, in a rolled-back transaction with empty caches."""
    from django.core.cache import cache
    from django.db import transaction
    from edx_django_utils.cache import RequestCache

    cache.clear()
    RequestCache.clear_all_namespaces()
    with transaction.atomic():
        yield Job(init_code, capsys)
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def init_code(tmp_path_factory: pytest.TempPathFactory) -> str:
    return init_python(render_init_task(tmp_path_factory.mktemp("task"), {}))


@pytest.fixture(scope="module")
def server() -> Iterator[MetadataServer]:
    with metadata_server() as running:
        yield running


def certificates(entity_id: str = ENTITY) -> set[str]:
    from django.apps import apps

    model = apps.get_model("third_party_auth", "SAMLProviderData")
    return {pem_body(row.public_key) for row in model.objects.filter(entity_id=entity_id)}


def trusted(slug: str = APP) -> set[str]:
    """The certificates edx-platform's backend would check a response against."""
    from django.apps import apps

    provider = apps.get_model("third_party_auth", "SAMLProviderConfig").current(slug)
    return {pem_body(body) for body in provider.get_config().conf["x509certMulti"]["signing"]}


def data_writes(job: Job, config: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Run the job; its output and its DELETEs of SAMLProviderData."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        out, _ = job.run(config)
    deletes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("DELETE") and "samlproviderdata" in q["sql"].lower()
    ]
    return out, deletes


def test_a_certificate_the_idp_no_longer_publishes_is_no_longer_trusted(
    job: Job, server: MetadataServer, keys: dict[str, tuple[str, str]]
) -> None:
    old, new = pem_body(keys["old"][1]), pem_body(keys["new"][1])
    url = server.serve("/rotation", idp_entity(ENTITY, SSO, [old]))
    config = saml_app(APP, ENTITY, url)
    job.run(config)
    assert certificates() == {old}
    # The rotation: both published, both trusted (logins signed with either work).
    server.serve("/rotation", idp_entity(ENTITY, SSO, [old, new]))
    out, deletes = data_writes(job, config)
    assert certificates() == trusted() == {old, new}
    assert deletes == []
    assert "lmsbridge: SAML metadata of saml-uni (fetched): new, 2 signing certificate(s)" in out
    # The old one withdrawn: its row goes, the new one stays.
    server.serve("/rotation", idp_entity(ENTITY, SSO, [new]))
    out, deletes = data_writes(job, config)
    assert certificates() == trusted() == {new}
    assert len(deletes) == 1
    assert (
        "lmsbridge: SAML metadata of saml-uni (fetched): new, 1 signing certificate(s), "
        "1 no longer published removed"
    ) in out
    # Nothing changed: nothing deleted.
    out, deletes = data_writes(job, config)
    assert deletes == []
    assert "lmsbridge: SAML metadata of saml-uni (fetched): unchanged, 1 signing" in "\n".join(out)


def test_a_failed_pull_removes_nothing(
    job: Job, server: MetadataServer, keys: dict[str, tuple[str, str]]
) -> None:
    old = pem_body(keys["old"][1])
    url = server.serve("/flaky", idp_entity(ENTITY, SSO, [old]))
    job.run(saml_app(APP, ENTITY, url))
    server.serve("/flaky", "<html>maintenance</html>")
    out, deletes = data_writes(job, saml_app(APP, ENTITY, url))
    assert any("SAML metadata failed:" in line for line in out), out
    assert deletes == []
    assert certificates() == {old}


def test_inline_metadata_replaced_removes_the_old_certificate(
    job: Job, keys: dict[str, tuple[str, str]]
) -> None:
    old, new = pem_body(keys["old"][1]), pem_body(keys["new"][1])
    job.run(saml_app(APP, ENTITY, metadata_xml=idp_entity(ENTITY, SSO, [old])))
    out, _ = job.run(saml_app(APP, ENTITY, metadata_xml=idp_entity(ENTITY, SSO, [new])))
    assert certificates() == trusted() == {new}
    assert "1 no longer published removed" in "\n".join(out)


def pinned_config(url: str, keys: dict[str, tuple[str, str]]) -> dict[str, Any]:
    return saml_app(APP, ENTITY, url, METADATA_SIGNING_CERT=keys["federation"][1])


def test_pinned_metadata_is_stored_only_when_its_signature_verifies(
    job: Job, server: MetadataServer, keys: dict[str, tuple[str, str]]
) -> None:
    from django.apps import apps

    old, new = pem_body(keys["old"][1]), pem_body(keys["new"][1])
    federation_key, federation_cert = keys["federation"]
    good = sign(idp_entity(ENTITY, SSO, [old]), federation_key, federation_cert)
    url = server.serve("/pinned", good)
    out, _ = job.run(pinned_config(url, keys))
    assert (
        "lmsbridge: SAML metadata of saml-uni (pinned signature verified): new, 1 signing "
        "certificate(s)"
    ) in out
    assert certificates() == {old}
    # edx's own refresh, which verifies nothing, leaves this provider alone.
    provider = apps.get_model("third_party_auth", "SAMLProviderConfig").current(APP)
    assert provider.automatic_refresh_enabled is False

    attacker = idp_entity(ENTITY, SSO, [new])
    refused = {
        # The certificate swapped after signing.
        "tampered": good.replace(old.encode(), new.encode()),
        "unsigned": attacker.encode(),
        "signed by another key": sign(attacker, *keys["impostor"]),
        "wrapped": wrapped(good, attacker),
    }
    for name, document in refused.items():
        server.serve("/pinned", document)
        out, deletes = data_writes(job, pinned_config(url, keys))
        failed = [line for line in out if line.startswith("lmsbridge: SAML metadata failed:")]
        assert len(failed) == 1, (name, out)
        assert failed[0].startswith(
            "lmsbridge: SAML metadata failed: saml-uni (app uni): metadata from "
        ), failed
        assert "the last good metadata stays in use" in failed[0]
        assert deletes == [], name
        assert certificates() == trusted() == {old}, name


def wrapped(genuine_document: bytes, forged_document: str) -> bytes:
    """Signature wrapping: the genuine signed element moved into a forged root, which
    carries the genuine signature. The signature verifies (it covers the genuine element,
    by its ID), but the entity is read from the forged root."""
    from lxml import etree

    genuine = etree.fromstring(genuine_document)
    signature = genuine.find(f"{{{DS_NS}}}Signature")
    genuine.remove(signature)
    forged = etree.fromstring(forged_document.encode())
    forged.set("ID", "forged")
    forged.insert(0, signature)
    extensions = etree.Element(f"{{{MD_NS}}}Extensions")
    extensions.append(genuine)
    forged.insert(1, extensions)
    document: bytes = etree.tostring(forged)
    return document


def test_the_signature_is_checked_on_the_whole_aggregate(
    job: Job, server: MetadataServer, keys: dict[str, tuple[str, str]]
) -> None:
    old = pem_body(keys["old"][1])
    others = [
        idp_entity(
            f"https://idp{n}.example.org/idp", f"https://idp{n}.example.org/sso", [old], False
        )
        for n in range(20)
    ]
    entity = idp_entity(ENTITY, SSO, [old], root=False)
    document = sign(aggregate([*others[:10], entity, *others[10:]]), *keys["federation"])
    url = server.serve("/federation.xml", document)
    out, _ = job.run(pinned_config(url, keys))
    assert certificates() == {old}, out
    # One other member's metadata changed after signing: the whole document is refused.
    server.serve("/federation.xml", document.replace(b"idp3.example.org/sso", b"evil.example/sso"))
    out, _ = job.run(pinned_config(url, keys))
    assert any("signature does not verify" in line for line in out), out


def test_the_entity_is_found_in_an_aggregate_and_through_mdq(
    job: Job, server: MetadataServer, keys: dict[str, tuple[str, str]]
) -> None:
    from urllib.parse import quote

    old, new = pem_body(keys["old"][1]), pem_body(keys["new"][1])
    others = [
        idp_entity(
            f"https://idp{n}.example.org/idp", f"https://idp{n}.example.org/sso", [new], False
        )
        for n in range(50)
    ]
    entity = idp_entity(ENTITY, SSO, [old], root=False)
    url = server.serve("/aggregate.xml", aggregate([*others[:25], entity, *others[25:]]))
    out, _ = job.run(saml_app(APP, ENTITY, url))
    assert certificates() == {old}, out
    # MDQ: the entity's own document at <base>/entities/<percent-encoded entity id>.
    server.serve(f"/mdq/entities/{quote(ENTITY, safe='')}", idp_entity(ENTITY, SSO, [new]))
    out, _ = job.run(saml_app(APP, ENTITY, MDQ=f"{server.url}/mdq/"))
    assert certificates() == {new}, out
    from django.apps import apps

    provider = apps.get_model("third_party_auth", "SAMLProviderConfig").current(APP)
    assert provider.metadata_source == f"{server.url}/mdq/entities/{quote(ENTITY, safe='')}"


# ---- the refresh job's exit status: a scheduled refresh that could not pull an IdP's -------
# ---- metadata must fail where the operator looks (a CronJob's run, `tutor ... do`) ---------

METADATA_FIX = (
    "fix: check the IdP's metadata with `tutor lmsbridge check --probe`, then run "
    "`tutor local|dev|k8s do lmsbridge-refresh-saml`"
)
FAILED = "lmsbridge: SAML metadata failed: "


@pytest.fixture(scope="module")
def refresh_code(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Python of `do lmsbridge-refresh-saml` (and of its compose service and CronJob)."""
    from tutor_lmsbridge import plugin

    root = tmp_path_factory.mktemp("refresh-task")
    seed_generated_keys(root)  # Tutor's RSA keys already there: not generated again (~2 s)
    return init_python(render_init_task(root, {}, plugin.REFRESH_TASK))


def connected(*apps: dict[str, Any]) -> dict[str, Any]:
    """Several saml_app()s connected together."""
    config: dict[str, Any] = {}
    for app in apps:
        config.update(app)
    config["LMSBRIDGE_APPS"] = [name for app in apps for name in app["LMSBRIDGE_APPS"]]
    return config


def test_a_refresh_stores_what_it_can_then_exits_non_zero_naming_each_failure(
    job: Job,
    server: MetadataServer,
    keys: dict[str, tuple[str, str]],
    refresh_code: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One IdP answers, one answers 500, one is down, one's metadata is refused (pinned, not
    signed): the first is refreshed and committed, then the job exits 5 with one line for
    each of the others naming it, its URL and the fix; no traceback."""
    old, new = pem_body(keys["old"][1]), pem_body(keys["new"][1])
    good = server.serve("/refresh-good", idp_entity(ENTITY, SSO, [old]))
    server.serve("/refresh-500", idp_entity("https://idp.broken.example/idp", SSO, [old]))
    broken = server.fail("/refresh-500", 500)
    down = "http://127.0.0.1:9/metadata"  # the discard port: connection refused
    unsigned = server.serve(
        "/refresh-unsigned", idp_entity("https://idp.pinned.example/idp", SSO, [old])
    )
    config = connected(
        saml_app(APP, ENTITY, good),
        saml_app("broken", "https://idp.broken.example/idp", broken),
        saml_app("down", "https://idp.down.example/idp", down),
        saml_app(
            "pinned",
            "https://idp.pinned.example/idp",
            unsigned,
            METADATA_SIGNING_CERT=keys["federation"][1],
        ),
    )
    job.run(config)  # the init job: the good IdP's first metadata
    assert certificates() == {old}
    server.serve("/refresh-good", idp_entity(ENTITY, SSO, [new]))  # the IdP rotated

    refresh = Job(refresh_code, capsys)
    out, _ = refresh.run(config, status=5)
    assert certificates() == trusted() == {new}  # refreshed, and committed before the exit
    failed = {
        line.split(" (app ", 1)[0].rsplit(" ", 1)[-1]: line
        for line in out
        if line.startswith(FAILED)
    }
    assert sorted(failed) == ["saml-broken", "saml-down", "saml-pinned"], out
    assert failed["saml-broken"].startswith(f"{FAILED}HTTPError: 500 Server Error")
    assert failed["saml-down"].startswith(f"{FAILED}ConnectionError: ")
    assert failed["saml-pinned"].startswith(
        f"{FAILED}saml-pinned (app pinned): metadata from {unsigned} refused, is not signed"
    )
    for name, url in (("saml-broken", broken), ("saml-down", down), ("saml-pinned", unsigned)):
        line = failed[name]
        assert url in line
        assert line.endswith(f"the last good metadata stays in use; {METADATA_FIX}"), line
    assert out[-1] == (
        "lmsbridge: SAML refresh: not refreshed: saml-broken, saml-down, saml-pinned (the lines "
        "above say why, and the fix); everything else was refreshed"
    )
    assert refresh.stderr == ""  # the status is the exit's code: nothing printed, no traceback

    # The init job reports the same lines and exits 0: it is part of `launch`, which an IdP
    # that is down must not stop (the refresh, scheduled, is where a failure must show).
    out, _ = job.run(config, status=0)
    assert len([line for line in out if line.startswith(FAILED)]) == 3


def test_a_refresh_fails_on_a_provider_made_by_hand_too(
    job: Job,
    server: MetadataServer,
    keys: dict[str, tuple[str, str]],
    refresh_code: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Open edX's own pull refreshes the SAML providers an operator made in Django admin
    (nothing else does under Tutor): a failure there fails the refresh as well."""
    from django.apps import apps
    from django.contrib.sites.models import Site

    from .support.django_harness import LMS_SITE_ID

    old = pem_body(keys["old"][1])
    good = server.serve("/refresh-mine", idp_entity(ENTITY, SSO, [old]))
    hand_made = server.fail("/refresh-hand-made", 503)
    config = saml_app(APP, ENTITY, good)
    job.run(config)
    apps.get_model("third_party_auth", "SAMLProviderConfig").objects.create(
        slug="handmade",
        name="Hand made",
        site=Site.objects.get(pk=LMS_SITE_ID),
        enabled=True,
        backend_name="tpa-saml",
        entity_id="https://idp.hand-made.example/idp",
        metadata_source=hand_made,
        automatic_refresh_enabled=True,
    )
    refresh = Job(refresh_code, capsys)
    out, _ = refresh.run(config, status=5)
    assert certificates() == {old}
    (line,) = [line for line in out if line.startswith(FAILED)]
    assert line.startswith(f"{FAILED}HTTPError: 503 Server Error")
    assert f"Metadata Source: {hand_made}" in line
    assert "https://idp.hand-made.example/idp" in line
    assert line.endswith(
        "fix: correct the Metadata Source of the provider with that entity id in Django admin "
        "(Provider Configuration (SAML IdP)), then run "
        "`tutor local|dev|k8s do lmsbridge-refresh-saml`"
    )
    assert out[-1].startswith(
        "lmsbridge: SAML refresh: not refreshed: 1 metadata source(s) of Open edX's own pull"
    )
