"""What each kind of connected application needs, as data rather than branches.

A preset says which directions an app uses (A: the app is the identity provider Open edX
logs in with; B: the app is a client of Open edX's OAuth2 provider and API), which social-auth
backends can talk to it, and where its OAuth2 redirect endpoints live.
"""

from typing import NamedTuple


class Backend(NamedTuple):
    """A python-social-auth backend installable into the openedx image."""

    name: str  # the backend's ``name``: the provider id is "oa2-<name>"
    class_path: str
    requirement: str  # pip requirement line; pinned to a release that installs on Verawood
    # The three endpoint settings ol-oauth2 and mitxpro-oauth2 read from other_settings.
    reads_endpoint_settings: bool = True


BACKENDS: dict[str, Backend] = {
    backend.name: backend
    for backend in (
        Backend("ol-oauth2", "ol_social_auth.backends.OLOAuth2", "ol-social-auth==0.3.0"),
        # Deprecated upstream, still what older MITxPro deployments use.
        Backend(
            "mitxpro-oauth2",
            "social_auth_mitxpro.backends.MITxProOAuth2",
            "social-auth-mitxpro==0.7.1",
        ),
    )
}

COMPANION_AUTH_REQUIREMENT = "openedx-companion-auth==1.3.0"

# OAuth2ProviderConfig's booleans the plugin manages, each LMSBRIDGE_<APP>_<FLAG> (true by
# default, as in the manual procedure). VISIBLE is separate: its default depends on the preset.
PROVIDER_FLAGS = (
    "skip_hinted_login_dialog",
    "skip_registration_form",
    "skip_email_verification",
    "sync_learner_profile_data",
    "enable_sso_id_verification",
)


class Preset(NamedTuple):
    name: str
    title: str  # default provider display name (<= 50 characters)
    identity_provider: bool  # direction A
    api_client: bool  # direction B
    backends: tuple[str, ...] = ()  # allowed backends, the first is the default; () = any
    redirect_paths: tuple[str, ...] = ()  # direction-B redirect URIs, relative to the app URL
    login_redirect: bool = False  # anonymous learners are sent to this app by default
    login_button: bool = False  # the provider shows a button on Open edX's login page
    service_token: bool = True  # direction B: the app calls the API with a service token
    catalog: bool = False  # a course catalog (Richie): CORS, cross-domain CSRF, course sync
    optional_client: bool = False  # direction B only when LMSBRIDGE_<APP>_OAUTH2_CLIENT is true
    authorize_path: str = "/oauth2/authorize/"
    token_path: str = "/oauth2/token/"  # noqa: S105 (a URL path, not a secret)
    logout_path: str = "/logout"


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="mitxonline",
            title="MITx Online",
            identity_provider=True,
            api_client=True,
            backends=("ol-oauth2", "mitxpro-oauth2"),
            # Current social-auth-app-django route first, then the legacy one MITxOnline
            # still serves.
            redirect_paths=("/_/auth/complete", "/login/_private/complete"),
            login_redirect=True,
        ),
        Preset(
            name="mitxpro",
            title="MITx Pro",
            identity_provider=True,
            api_client=True,
            backends=("ol-oauth2", "mitxpro-oauth2"),
            redirect_paths=("/login/_private/complete",),
            login_redirect=True,
        ),
        Preset(
            name="richie",
            title="Richie",
            identity_provider=False,
            api_client=False,
            # Richie's EdXOAuth2 login, when the operator turns it on.
            redirect_paths=("/complete/edx-oauth2/",),
            service_token=False,
            catalog=True,
            optional_client=True,
        ),
        Preset(
            name="client",
            title="Open edX login",
            identity_provider=False,
            api_client=True,
            # Any app that logs in with Open edX through python-social-auth's edx-oauth2.
            redirect_paths=("/complete/edx-oauth2/",),
            service_token=False,
        ),
        Preset(
            name="oauth2",
            title="Single sign-on",
            identity_provider=True,
            api_client=False,
            # No redirect by default, so the login page button is the way in.
            login_button=True,
        ),
    )
}
