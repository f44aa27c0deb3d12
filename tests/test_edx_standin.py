"""The edx-platform stand-ins cannot drift from the real code unnoticed.

EDX_API lists, with the source path each comes from, the signatures of the edx-platform
methods and the class attributes the stand-ins mirror, and which of them edx overrides
itself (an override missing from a stand-in lets a wrong call pass here and fail on a real
LMS: it happened with OAuth2ProviderConfig.current(), see CHANGELOG). The first test holds
the stand-ins to the list. When an edx-platform source tree is on disk (EDX_PLATFORM_ROOT,
default /root/edxbuild/edx-platform, built by /work/shared/tools/real-edx; CI has none and
skips it), another test holds the list to that source. The rest exercise the overrides with
the calls the plugin's jobs make."""

from __future__ import annotations

import ast
import inspect
import os
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from .support.django_harness import LMS_SITE_ID
from .support.lms_jobs import Lms, job_codes
from .support.samples import MITXONLINE

MODELS = "common/djangoapps/third_party_auth/models.py"
SAML = "common/djangoapps/third_party_auth/saml.py"
UTILS = "common/djangoapps/third_party_auth/utils.py"
TASKS = "common/djangoapps/third_party_auth/tasks.py"
STRATEGY = "common/djangoapps/third_party_auth/strategy.py"
PIPELINE = "common/djangoapps/third_party_auth/pipeline.py"
EDX_PLATFORM = Path(os.environ.get("EDX_PLATFORM_ROOT", "/root/edxbuild/edx-platform"))


class Api(NamedTuple):
    """One edx-platform method (or function): where the stand-in has it, its parameters as
    edx declares them (annotations left out), and where edx defines it."""

    standin: str  # "module:Class.method" or "module:function" under tests.edx_standin
    signature: str
    source: str
    # Why the stand-in's parameters differ, when they must ("" when they must not).
    deviation: str = ""


TPA = "tests.edx_standin.third_party_auth"
EDX_API = [
    # An override: edx adds the current request's Site itself; callers pass the backend name.
    Api(f"{TPA}.models:OAuth2ProviderConfig.current", "(cls, *args)", MODELS),
    Api(f"{TPA}.models:OAuth2ProviderConfig.get_setting", "(self, name)", MODELS),
    Api(f"{TPA}.models:SAMLConfiguration.get_setting", "(self, name)", MODELS),
    Api(f"{TPA}.models:SAMLProviderConfig.get_setting", "(self, name)", MODELS),
    Api(f"{TPA}.models:SAMLProviderConfig.save", "(self, *args, **kwargs)", MODELS),
    Api(
        f"{TPA}.models:SAMLProviderConfig.get_config",
        "(self)",
        MODELS,
        deviation="social-auth-core 4.8's SAMLIdentityProvider takes the backend first",
    ),
    Api(f"{TPA}.models:SAMLProviderData.is_valid", "(self)", MODELS),
    Api(f"{TPA}.models:SAMLProviderData.cache_key_name", "(cls, entity_id)", MODELS),
    Api(f"{TPA}.models:SAMLProviderData.current", "(cls, entity_id)", MODELS),
    Api(f"{TPA}.models:AuthNotConfigured.__init__", "(self, provider_name)", MODELS),
    Api(f"{TPA}.saml:SAMLAuthBackend.get_idp", "(self, idp_name)", SAML),
    Api(f"{TPA}.saml:SAMLAuthBackend.setting", "(self, name, default=None)", SAML),
    Api(f"{TPA}.saml:SAMLAuthBackend.get_idp_setting", "(self, idp, name, default=None)", SAML),
    Api(f"{TPA}.saml:SAMLAuthBackend.generate_saml_config", "(self, idp=None)", SAML),
    Api(f"{TPA}.saml:SAMLAuthBackend.generate_metadata_xml", "(self, idp_name=None)", SAML),
    Api(f"{TPA}.saml:SAMLAuthBackend.auth_url", "(self)", SAML),
    Api(f"{TPA}.saml:SAMLAuthBackend.auth_complete", "(self, *args, **kwargs)", SAML),
    Api(f"{TPA}.saml:SAMLAuthBackend._check_entitlements", "(self, idp, attributes)", SAML),
    Api(f"{TPA}.saml:EdXSAMLIdentityProvider.get_user_details", "(self, attributes)", SAML),
    Api(
        f"{TPA}.saml:EdXSAMLIdentityProvider.get_attr",
        "(self, attributes, conf_key, default_attribute)",
        SAML,
        deviation="social-auth-core 4.8 passes a tuple of default attributes, keyword-only "
        "validate_defaults",
    ),
    Api(f"{TPA}.utils:parse_metadata_xml", "(xml, entity_id)", UTILS),
    Api(
        f"{TPA}.utils:create_or_update_bulk_saml_provider_data",
        "(entity_id, public_keys, sso_url, expires_at)",
        UTILS,
    ),
    Api(f"{TPA}.tasks:fetch_saml_metadata", "()", TASKS),
    Api(f"{TPA}.pipeline:get", "(request)", PIPELINE),
    Api(f"{TPA}.pipeline:get_idp_logout_url_from_running_pipeline", "(request)", PIPELINE),
    # Studio's task router (cms/envs/production.py CELERY_ROUTES): the course-run delivery
    # task is in neither of its lists, so it goes to the default queue.
    Api(
        "tests.edx_standin.celery:route_task",
        "(name, args, kwargs, options, task=None, **kw)",
        "openedx/core/lib/celery/routers.py",
    ),
    Api(
        "tests.e2e.openedx_strategy:ConfigurationModelStrategy.setting",
        "(self, name, default=None, backend=None)",
        STRATEGY,
    ),
]
# Class attributes the plugin's jobs and the stand-ins rely on (models.py).
EDX_ATTRIBUTES = [
    ("OAuth2ProviderConfig", "KEY_FIELDS", ("site_id", "backend_name")),
    ("OAuth2ProviderConfig", "prefix", "oa2"),
    ("SAMLConfiguration", "KEY_FIELDS", ("site_id", "slug")),
    ("SAMLProviderConfig", "KEY_FIELDS", ("slug",)),  # ProviderConfig's, inherited
    ("SAMLProviderConfig", "prefix", "saml"),
    ("SAMLProviderData", "cache_timeout", 600),
]
# django-config-models' own current(): edx-platform does not override it for these.
NOT_OVERRIDDEN = [("SAMLConfiguration", "current"), ("SAMLProviderConfig", "current")]


def standin(path: str) -> Any:
    import importlib

    module_name, _, qualname = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        # vars(), not getattr: an inherited method would not be the override edx has.
        target = vars(target)[part]
    return target.__func__ if isinstance(target, classmethod | staticmethod) else target


def parameters(function: Any) -> str:
    """``function``'s parameters as source text would declare them, without annotations."""
    signature = inspect.signature(function)
    return str(
        signature.replace(
            parameters=[
                p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()
            ],
            return_annotation=inspect.Signature.empty,
        )
    )


@pytest.mark.parametrize("api", EDX_API, ids=lambda api: api.standin.partition(":")[2])
def test_standin_signatures_are_edx_platform_s(api: Api, django_ready: None) -> None:
    """Each listed method is defined by the stand-in class itself (an override, as in edx),
    with edx's parameters unless a deviation is written down."""
    function = standin(api.standin)
    if api.deviation:
        assert parameters(function) != api.signature, f"no deviation any more: {api}"
    else:
        assert parameters(function) == api.signature, api.source


@pytest.mark.parametrize(("name", "attribute", "value"), EDX_ATTRIBUTES)
def test_standin_class_attributes_are_edx_platform_s(
    name: str, attribute: str, value: Any, django_ready: None
) -> None:
    from django.apps import apps

    assert getattr(apps.get_model("third_party_auth", name), attribute) == value


@pytest.mark.parametrize(("name", "method"), NOT_OVERRIDDEN)
def test_standins_keep_django_config_models_current(
    name: str, method: str, django_ready: None
) -> None:
    from config_models.models import ConfigurationModel
    from django.apps import apps

    model = apps.get_model("third_party_auth", name)
    assert getattr(model, method).__func__ is getattr(ConfigurationModel, method).__func__


def edx_function(source: Path, qualname: str) -> ast.FunctionDef:
    tree = ast.parse(source.read_text())
    scope: list[ast.stmt] = tree.body
    *classes, name = qualname.split(".")
    for class_name in classes:
        scope = next(n.body for n in scope if isinstance(n, ast.ClassDef) and n.name == class_name)
    return next(n for n in scope if isinstance(n, ast.FunctionDef) and n.name == name)


def declared(function: ast.FunctionDef) -> str:
    """The parameters of a def as "(a, b=None, *args, **kwargs)" (annotations left out)."""
    args = function.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    defaults = [ast.unparse(d) for d in args.defaults]
    texts = positional[: len(positional) - len(defaults)] + [
        f"{name}={default}"
        for name, default in zip(
            positional[len(positional) - len(defaults) :], defaults, strict=True
        )
    ]
    if args.vararg:
        texts.append(f"*{args.vararg.arg}")
    if args.kwarg:
        texts.append(f"**{args.kwarg.arg}")
    return f"({', '.join(texts)})"


@pytest.mark.skipif(
    not (EDX_PLATFORM / MODELS).exists(),
    reason="no edx-platform source tree (EDX_PLATFORM_ROOT); CI has none",
)
@pytest.mark.parametrize("api", EDX_API, ids=lambda api: api.standin.partition(":")[2])
def test_signature_list_is_edx_platform_s(api: Api) -> None:
    """The list above, against the edx-platform source on disk (a development check)."""
    qualname = api.standin.partition(":")[2]
    assert declared(edx_function(EDX_PLATFORM / api.source, qualname)) == api.signature


@pytest.fixture(scope="module")
def codes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return job_codes(tmp_path_factory, ["init", "verify"])


def provider_row(site_id: int, **fields: Any) -> Any:
    from django.apps import apps

    model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    row = model(site_id=site_id, backend_name="ol-oauth2", enabled=True, **fields)
    row.save()
    return row


def test_oauth2_current_takes_the_backend_name_only(db: None) -> None:
    """As on a real LMS: current(backend_name) is the current request's Site's row (SITE_ID's
    without a request, as in `./manage.py lms shell`); current(site_id, backend_name), the
    call the first verify job made, raises django-config-models' TypeError."""
    import crum
    from django.apps import apps
    from django.contrib.sites.models import Site
    from django.test import RequestFactory
    from edx_django_utils.cache import TieredCache

    TieredCache.dangerous_clear_all_tiers()
    Site.objects.update_or_create(pk=1, defaults={"domain": "example.com", "name": "example"})
    ours = provider_row(LMS_SITE_ID, name="ours")
    other = provider_row(1, name="other")
    model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    assert crum.get_current_request() is None
    assert model.current("ol-oauth2").pk == ours.pk
    assert model.current("ol-oauth2").provider_id == "oa2-ol-oauth2"
    with pytest.raises(TypeError, match=r"takes exactly 2 arguments \(3 given\)"):
        model.current(LMS_SITE_ID, "ol-oauth2")
    # A request for Site 1's host: the row of Site 1 (crum holds the request, as edx's
    # CurrentRequestUserMiddleware makes it).
    crum.set_current_request(RequestFactory().get("/", HTTP_HOST="example.com"))
    try:
        assert model.current("ol-oauth2").pk == other.pk
        assert model.current("ol-oauth2").enabled_for_current_site
        assert not ours.enabled_for_current_site
    finally:
        crum.set_current_request(None)
        TieredCache.dangerous_clear_all_tiers()


def test_verify_reads_the_provider_through_edx_s_current(lms: Lms) -> None:
    """The verify job looks the OAuth2 provider up as the LMS does (current(), whose cache it
    fills under the Site and backend name) and reports it; with the site id passed as well,
    the job dies with TypeError, on this stand-in as on a real LMS."""
    from edx_django_utils.cache import TieredCache

    lms.configure(MITXONLINE)
    assert lms.run("init").status == 0
    result = lms.run("verify")
    assert result.status == 0, result.lines
    assert (
        "lmsbridge: OK provider oa2-ol-oauth2: enabled and current for Site 2 "
        "(local.openedx.io), secret set"
    ) in result.lines
    cached = TieredCache.get_cached_response(
        f"configuration/OAuth2ProviderConfig/current/{LMS_SITE_ID},ol-oauth2"
    )
    assert cached.is_found
    assert cached.value.backend_name == "ol-oauth2"
