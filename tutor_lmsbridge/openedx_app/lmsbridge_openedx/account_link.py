"""The account-linking guard: a social-auth pipeline step that decides, per identity provider,
whether a first login may be linked to an existing Open edX account because the emails match.

It guards edx-platform's common/djangoapps/third_party_auth/pipeline.py
``associate_by_email_if_oauth`` (and, for SAML, what ``associate_by_email_if_saml`` may have
linked for an enterprise learner just before): edx links every ``oa2-*`` login to the active
account with the same email, without asking whether the provider verified that email and
without sparing staff or superusers. edx-platform assigns the whole ``SOCIAL_AUTH_PIPELINE``
in third_party_auth's ``AppConfig.ready()`` (common/djangoapps/third_party_auth/settings.py
``apply_settings``), so a settings patch cannot add a step: ``insert_step`` does it from this
app's ``ready()``, which Django runs later (plugin apps are appended to INSTALLED_APPS after
the core apps: lms/envs/common.py ``INSTALLED_APPS.extend(get_plugin_apps(...))``).

The policy of each provider comes from the LMS setting ``LMSBRIDGE_LINK_BY_EMAIL``
({provider id: "never" | "verified" | "trusted"}, rendered by tutor-contrib-lmsbridge). A
provider not in it (one an operator made by hand) is left to edx-platform. Accounts stay keyed
on the provider's immutable id (social-core's ``social_user`` step, before this one); only
the first login of an identity reaches the question of linking.

Under every policy, never link to a staff or superuser account, to an inactive one, when
several accounts have the email, or to an account already linked to another identity at the
same provider: the login stops on a page that tells the learner what to do instead.

Imports only Django and social-core (this package runs in the image).
"""

import logging
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.http import HttpResponse
from django.utils.html import escape

log = logging.getLogger(__name__)

POLICY_SETTING = "LMSBRIDGE_LINK_BY_EMAIL"
THIS_STEP = "lmsbridge_openedx.account_link.guard_link_by_email"
# The step of edx-platform's pipeline.py this one is placed before, relative to the
# third_party_auth app (common.djangoapps.third_party_auth in edx-platform).
GUARDED_STEP = "pipeline.associate_by_email_if_oauth"
# edx-platform's provider id prefixes (models.py OAuth2ProviderConfig.prefix and
# SAMLProviderConfig.prefix) and its SAML backend's name.
OAUTH2_PREFIX = "oa2"
SAML_PREFIX = "saml"
SAML_BACKEND_NAME = "tpa-saml"


def guarded_step() -> str:
    """The dotted path of edx's associate_by_email_if_oauth in this LMS's pipeline."""
    return f"{django_apps.get_app_config('third_party_auth').name}.{GUARDED_STEP}"


def insert_step(django_settings: Any) -> bool:
    """Put the guard right before associate_by_email_if_oauth in SOCIAL_AUTH_PIPELINE (once).
    False when the pipeline has no such step (the CMS, or third-party auth off): nothing to
    guard there."""
    try:
        target = guarded_step()
    except LookupError:
        return False  # no third_party_auth app
    pipeline = list(getattr(django_settings, "SOCIAL_AUTH_PIPELINE", None) or ())
    if target not in pipeline:
        return False
    if THIS_STEP in pipeline:
        pipeline.remove(THIS_STEP)
    pipeline.insert(pipeline.index(target), THIS_STEP)
    django_settings.SOCIAL_AUTH_PIPELINE = pipeline
    return True


def provider_id(backend: Any, response: Any) -> str:
    """The id edx-platform's Registry.get_from_pipeline finds for this login: the provider
    whose is_active_for_pipeline() holds (models.py): an OAuth2ProviderConfig when its
    backend_name is the backend's ("oa2-<backend>"), a SAMLProviderConfig when the backend
    is its tpa-saml and its slug is the response's idp_name ("saml-<slug>")."""
    if backend.name == SAML_BACKEND_NAME:
        idp_name = response.get("idp_name", "") if isinstance(response, dict) else ""
        return f"{SAML_PREFIX}-{idp_name}"
    return f"{OAUTH2_PREFIX}-{backend.name}"


def email_verified(backend: Any, email: str, response: Any) -> bool:
    """The provider said it verified exactly this email: a source of claims (the user info
    response, then the validated id_token social-core keeps on OpenID Connect backends) whose
    ``email`` is this email and whose ``email_verified`` is true. A name or username claim
    used as the email (EMAIL_KEY) is vouched for only when it equals the verified ``email``.
    SAML responses carry no such claim, so they are never verified."""
    sources = [response, getattr(backend, "id_token", None)]
    for claims in sources:
        if not isinstance(claims, dict):
            continue
        claimed = claims.get("email")
        verified = claims.get("email_verified")
        # Some providers (AWS Cognito) send the boolean as the string "true".
        if isinstance(verified, str):
            verified = verified.strip().lower() == "true"
        same = isinstance(claimed, str) and claimed.strip().lower() == email.strip().lower()
        if same and verified is True:
            return True
    return False


def linked_elsewhere(backend: Any, user: Any, provider: str) -> bool:
    """The account already has an identity at this provider (another uid: social_user found
    none for this one). As edx's match_social_auth: the backend's rows, and for SAML those
    whose uid starts with "<slug>:" (all SAML providers share tpa-saml)."""
    rows = backend.strategy.storage.user.get_social_auth_for_user(user, provider=backend.name)
    if backend.name != SAML_BACKEND_NAME:
        return bool(rows.exists())
    prefix = provider.removeprefix(f"{SAML_PREFIX}-") + ":"
    return any(str(row.uid).startswith(prefix) for row in rows)


def provider_name(backend: Any, provider: str) -> str:
    """The provider's display name (its newest row's ``name``), else its id."""
    key = provider.partition("-")[2]
    if backend.name == SAML_BACKEND_NAME:
        rows = django_apps.get_model("third_party_auth", "SAMLProviderConfig").objects.filter(
            slug=key
        )
    else:
        rows = django_apps.get_model("third_party_auth", "OAuth2ProviderConfig").objects.filter(
            backend_name=key
        )
    row = rows.order_by("-change_date").first()
    return str(row.name) if row is not None and row.name else provider


def refusal(
    strategy: Any, backend: Any, provider: str, policy: str, reason: str, users: list[Any]
) -> HttpResponse:
    """Stop the pipeline: social-core's run_pipeline returns a step's non-dict result, and
    do_complete returns it as the response. The page is the same whatever the reason, so it
    tells nobody more than that an account has this email; the log says why."""
    log.warning(
        "lmsbridge: login through %s not linked by email (policy %s): %s; account id(s) %s",
        provider,
        policy,
        reason,
        ", ".join(str(user.pk) for user in users),
    )
    name = provider_name(backend, provider)
    login_url = getattr(settings, "LOGIN_URL", "/login") or "/login"
    account_url = (
        getattr(settings, "ACCOUNT_MICROFRONTEND_URL", None) or "/account/settings"
    ).rstrip("/") + "/"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in with your password first</title></head>
<body><main>
<h1>Sign in with your password first</h1>
<p>An account on this site already uses the email address that {escape(name)} gave us, so
this login was not connected to it automatically.</p>
<p>If that account is yours: <a href="{escape(login_url)}">sign in with your password</a>,
then open your <a href="{escape(account_url)}">account settings</a> and link {escape(name)}
under "Linked accounts". From then on, {escape(name)} signs you in.</p>
<p>If it is not yours, contact the site's support team.</p>
</main></body></html>
"""
    return HttpResponse(page, status=200)


def guard_link_by_email(
    strategy: Any,
    backend: Any,
    details: dict[str, Any],
    response: Any = None,
    user: Any = None,
    social: Any = None,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """Placed before edx-platform's common/djangoapps/third_party_auth/pipeline.py
    ``associate_by_email_if_oauth``. Returns ``{"user": account}`` for a link it allows (edx's
    step then does nothing: social-core's associate_by_email returns early when the user is
    known), a page that ends the login for one it refuses, None otherwise."""
    if social is not None:
        return None  # a known identity: the account is the one linked to its id
    provider = provider_id(backend, response)
    policies = getattr(settings, POLICY_SETTING, None) or {}
    policy = policies.get(provider)
    if policy is None:
        return None  # not a provider of the plugin: edx-platform decides
    request_user: Any = getattr(strategy.request, "user", None)
    if user is not None:
        if getattr(request_user, "is_authenticated", False) and request_user.pk == user.pk:
            # A learner signed in with the password links the provider from account
            # settings: the link the refusal page asks for.
            return None
        # An earlier step (edx's associate_by_email_if_saml for enterprise learners, or
        # associate_by_email_if_login_api) matched the account by email.
        candidates = [user]
    else:
        email = (details or {}).get("email") or ""
        if not email:
            return None
        candidates = list(backend.strategy.storage.user.get_users_by_email(email))
        if not candidates:
            return None  # a new learner: edx creates the account
    email = (details or {}).get("email") or ""
    if len(candidates) > 1:
        return refusal(strategy, backend, provider, policy, "several accounts", candidates)
    (account,) = candidates
    if account.is_staff or account.is_superuser:
        return refusal(strategy, backend, provider, policy, "staff or superuser", candidates)
    if not account.is_active:
        return refusal(strategy, backend, provider, policy, "inactive account", candidates)
    if linked_elsewhere(backend, account, provider):
        return refusal(
            strategy, backend, provider, policy, "linked to another identity", candidates
        )
    if policy == "trusted":
        return {"user": account}
    if policy == "verified" and email_verified(backend, email, response):
        return {"user": account}
    reason = "email not verified by the provider" if policy == "verified" else "policy never"
    return refusal(strategy, backend, provider, policy, reason, candidates)
