"""The SAML recipes of docs/recipes.rst work as written: each is run through the real `tutor
lmsbridge set`, then passes `check`, renders the SAML backend and the SP key into the LMS
settings, and `credentials` prints what the IdP's admin registers."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from tutor_lmsbridge.core.pipeline import plan_for

from .support.doc_commands import apply_recipe
from .support.doc_commands import recipes as doc_recipes
from .support.samples import PLATFORM

# The file the InCommon recipe reads its pinned certificate from (`"$(cat FILE)"`, which the
# operator's shell expands): a certificate of the tests' own takes the place of InCommon's.
PEM_FILE = "$(cat inc-md-cert-mdq.pem)"


def recipes() -> dict[str, list[str]]:
    return doc_recipes("saml")


def as_the_shell_runs_it(words: list[str]) -> list[str]:
    from .e2e.saml_idp.keys import key_pair

    certificate = key_pair("InCommon MDQ signer (test)")[1]
    return [word.replace(PEM_FILE, certificate) for word in words]


def test_the_recipes_page_has_the_saml_recipes() -> None:
    assert sorted(recipes()) == ["adfs", "entra", "incommon", "shib"]


def test_the_incommon_recipe_is_mdq_with_a_pinned_signature() -> None:
    arguments = dict(word.split("=", 1) for word in recipes()["incommon"])
    assert arguments["LMSBRIDGE_INCOMMON_MDQ"] == "https://mdq.incommon.org/"
    assert arguments["LMSBRIDGE_INCOMMON_METADATA_SIGNING_CERT"] == PEM_FILE
    assert "LMSBRIDGE_INCOMMON_URL" not in arguments


def test_the_shibboleth_recipe_is_the_two_keys() -> None:
    keys = {word.split("=", 1)[0] for word in recipes()["shib"]}
    assert keys == {
        "LMSBRIDGE_APPS",
        "LMSBRIDGE_SHIB_PRESET",
        "LMSBRIDGE_SHIB_URL",
        "LMSBRIDGE_SHIB_ENTITY_ID",
    }


@pytest.mark.parametrize("app", sorted(recipes()))
def test_recipe_renders_and_passes_check(app: str, tmp_path: Path) -> None:
    exported = apply_recipe(tmp_path, app, as_the_shell_runs_it(recipes()[app]))
    registration = exported["registration"]
    assert registration["sp_entity_id"] == "http://local.openedx.io/saml"
    assert registration["sp_metadata_url"] == "http://local.openedx.io/auth/saml/metadata.xml"
    assert registration["assertion_consumer_service_url"] == (
        "http://local.openedx.io/auth/complete/tpa-saml/"
    )
    assert registration["sp_certificate"].startswith("-----BEGIN CERTIFICATE-----\n")
    # What the recipe set arrives in the plan as given (Entra's ?appid= and trailing slash).
    arguments = dict(word.split("=", 1) for word in recipes()[app])
    import yaml

    saved = yaml.safe_load((tmp_path / "config.yml").read_text())
    (provider,) = plan_for({**PLATFORM, **saved}).saml_providers
    mdq = arguments.get(f"LMSBRIDGE_{app.upper()}_MDQ")
    assert provider.metadata_source == (
        f"{mdq.rstrip('/')}/entities/{quote(provider.entity_id, safe='')}"
        if mdq
        else arguments[f"LMSBRIDGE_{app.upper()}_URL"]
    )
    # A pinned certificate turns Open edX's own, unverified, refresh off.
    assert bool(provider.metadata_signing_cert) == (app == "incommon")
    assert provider.entity_id == arguments[f"LMSBRIDGE_{app.upper()}_ENTITY_ID"]
    for field, name in provider.attributes.items():
        given = arguments.get(f"LMSBRIDGE_{app.upper()}_{field.upper()}")
        assert given is None or given == name
    settings = (tmp_path / "env/apps/openedx/settings/lms/production.py").read_text()
    assert "common.djangoapps.third_party_auth.saml.SAMLAuthBackend" in settings
    assert "SOCIAL_AUTH_SAML_SP_PRIVATE_KEY = _lmsbridge" in settings


@pytest.mark.parametrize("app", ["adfs", "entra"])
def test_microsoft_recipes_require_a_signed_assertion(app: str) -> None:
    """ADFS and Entra ID sign the assertion by default: the recipe makes Open edX require it
    (issue #24), and nothing in it weakens the defaults."""
    arguments = dict(word.split("=", 1) for word in recipes()[app])
    assert arguments["LMSBRIDGE_SAML_SECURITY"] == "{wantAssertionsSigned: true}"
