"""edx-platform's account-association steps (common/djangoapps/third_party_auth/pipeline.py),
same names, signatures and decisions: get and get_idp_logout_url_from_running_pipeline,
parse_query_params, associate_by_email_if_login_api, associate_by_email_if_saml and
associate_by_email_if_oauth."""

from typing import Any

from social_core.exceptions import AuthException
from social_core.pipeline import partial

from .utils import get_associated_user_by_email_response, is_oauth_provider

AUTH_ENTRY_KEY = "auth_entry"
AUTH_ENTRY_LOGIN = "login"
AUTH_ENTRY_REGISTER = "register"
AUTH_ENTRY_ACCOUNT_SETTINGS = "account_settings"
AUTH_ENTRY_LOGIN_API = "login_api"
AUTH_ENTRY_REGISTER_API = "register_api"
_AUTH_ENTRY_CHOICES = frozenset(
    [
        AUTH_ENTRY_LOGIN,
        AUTH_ENTRY_REGISTER,
        AUTH_ENTRY_ACCOUNT_SETTINGS,
        AUTH_ENTRY_LOGIN_API,
        AUTH_ENTRY_REGISTER_API,
    ]
)


def _active_user_by_email(backend: Any, details: Any, user: Any, *args: Any, **kwargs: Any) -> Any:
    """The body edx writes out in both associate_by_email_if_login_api and _if_oauth: social's
    association by email (utils.get_associated_user_by_email_response), kept only when the
    account is active."""
    association_response, user_is_active = get_associated_user_by_email_response(
        backend, details, user, *args, **kwargs
    )
    return association_response if user_is_active else None


def get(request: Any) -> dict[str, Any] | None:
    """The running pipeline's data from the request: the partial kept in the session (as
    ``partial_pipeline_token_`` by ensure_user_information), its kwargs and backend."""
    from social_django.utils import load_strategy

    strategy = load_strategy(request)
    token = strategy.session_get("partial_pipeline_token")
    if not token:
        strategy.session_set(
            "partial_pipeline_token", strategy.session_get("partial_pipeline_token_")
        )
        token = strategy.session_get("partial_pipeline_token")
    partial_object = strategy.partial_load(token)
    if not partial_object:
        return None
    return {"kwargs": partial_object.kwargs, "backend": partial_object.backend}


def get_idp_logout_url_from_running_pipeline(request: Any) -> str | None:
    """The logout_url setting (get_setting: other_settings) of the running pipeline's
    provider (provider.Registry.get_from_pipeline); None when there is none. (edx first
    checks third_party_auth.is_enabled(); the stand-in LMS always has it on.)"""
    from .provider import Registry

    running_pipeline = get(request)
    if running_pipeline:
        tpa_provider = Registry.get_from_pipeline(running_pipeline)
        if tpa_provider:
            try:
                url: str = tpa_provider.get_setting("logout_url")
                return url
            except KeyError:
                return None
    return None


class AuthEntryError(AuthException):
    """edx's: an auth_entry outside _AUTH_ENTRY_CHOICES."""


def parse_query_params(strategy: Any, response: Any, *args: Any, **kwargs: Any) -> dict[str, str]:
    """The session's auth_entry (stored from ?auth_entry=, FIELDS_STORED_IN_SESSION), "login"
    when absent."""
    auth_entry = strategy.request.session.get(AUTH_ENTRY_KEY) or AUTH_ENTRY_LOGIN
    if auth_entry not in _AUTH_ENTRY_CHOICES:
        raise AuthEntryError(strategy.request.backend, "auth_entry invalid")
    return {"auth_entry": auth_entry}


@partial.partial  # type: ignore[untyped-decorator]
def associate_by_email_if_login_api(
    auth_entry: str,
    backend: Any,
    details: Any,
    user: Any,
    current_partial: Any = None,
    *args: Any,
    **kwargs: Any,
) -> Any:
    if auth_entry == AUTH_ENTRY_LOGIN_API:
        return _active_user_by_email(backend, details, user, *args, **kwargs)
    return None


@partial.partial  # type: ignore[untyped-decorator]
def associate_by_email_if_oauth(
    auth_entry: str, backend: Any, details: Any, user: Any, strategy: Any, *args: Any, **kwargs: Any
) -> Any:
    """Any login through an oa2-* provider: linked to the active account with the same
    email, whatever the provider says of that email and whoever the account is."""
    if is_oauth_provider(backend.name, **kwargs):
        return _active_user_by_email(backend, details, user, *args, **kwargs)
    return None


@partial.partial  # type: ignore[untyped-decorator]
def associate_by_email_if_saml(
    auth_entry: str, backend: Any, details: Any, user: Any, strategy: Any, *args: Any, **kwargs: Any
) -> Any:
    """edx links a SAML login by email only when the learner is an enterprise customer's
    learner of that IdP (enterprise_is_enabled(): ENABLE_ENTERPRISE_INTEGRATION, which
    Tutor leaves off, and openedx-enterprise's EnterpriseCustomerUser). Without enterprise
    the step does nothing, as here."""
    return None
