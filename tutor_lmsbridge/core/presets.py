"""What each kind of connected application needs, as data rather than branches.

A preset says which directions an app uses (A: the app is the identity provider Open edX
logs in with; B: the app is a client of Open edX's OAuth2 provider and API), which social-auth
backends can talk to it, and where its OAuth2 redirect endpoints live. Other plugins add
presets through the ``LMSBRIDGE_PRESETS`` filter (``tutor_lmsbridge.hooks``); the core takes
the presets as an argument and never asks Tutor.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

# The plugin's own Open edX app (course-run sync, /richie/ redirect, the per-app OpenID
# Connect backends), copied into the image's build context and installed from there
# (source: tutor_lmsbridge/openedx_app).
OPENEDX_PLUGIN_PATH = "/openedx/lmsbridge/openedx_plugin"
# Where the per-app OpenID Connect backend classes live in the image: one class per backend
# name, because Open edX keys provider configurations on (Site, backend name).
OIDC_BACKEND_MODULE = "lmsbridge_openedx.oidc"
COMPANION_AUTH_REQUIREMENT = "openedx-companion-auth==1.3.0"


class Backend(NamedTuple):
    """A python-social-auth backend installable into the openedx image."""

    name: str  # the backend's ``name``: the provider id is "oa2-<name>"
    class_path: str
    requirement: str  # pip requirement line; pinned to a release that installs on Verawood


def oidc_backend(name: str) -> Backend:
    """The in-image OpenID Connect backend of one app (see openedx_app/.../oidc.py)."""
    class_name = "OIDC_" + name.replace("-", "_")
    return Backend(name, f"{OIDC_BACKEND_MODULE}.{class_name}", OPENEDX_PLUGIN_PATH)


# edx-platform's own SAML backend (in the image): every SAML identity provider goes through it,
# each as a SAMLProviderConfig row with its own slug (the provider id is "saml-<slug>").
SAML_BACKEND = Backend("tpa-saml", "common.djangoapps.third_party_auth.saml.SAMLAuthBackend", "")


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

# eduPerson / inetOrgPerson attribute names (OIDs), as Shibboleth and InCommon IdPs release
# them; ADFS and Entra ID send claim URIs instead (the README's recipes set those).
EPPN = "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"  # eduPersonPrincipalName: persistent, scoped
MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
GIVEN_NAME = "urn:oid:2.5.4.42"
SURNAME = "urn:oid:2.5.4.4"
# SAMLProviderConfig's attr_<field> columns the plugin always sets (each LMSBRIDGE_<APP>_ATTR_
# <FIELD>): edx-platform's own lookup of a blank one does not work with social-auth-core 4.8,
# which passes a tuple of candidate names where edx expects one.
SAML_ATTRIBUTES = (
    ("user_permanent_id", "the learner's permanent id (the account link)", EPPN),
    ("username", "Open edX's suggested username", EPPN),
    ("email", "the learner's email", MAIL),
    ("full_name", "the learner's full name", DISPLAY_NAME),
    ("first_name", "the learner's first name", GIVEN_NAME),
    ("last_name", "the learner's last name", SURNAME),
)

# OAuth2ProviderConfig's booleans the plugin manages, each LMSBRIDGE_<APP>_<FLAG>, defaulting
# to what the provider vouches for (keys.py _FLAG_DEFAULTS; the README's "Security" table).
# VISIBLE is separate: its default depends on the preset.
# The one list: the key catalog, the model, the plan and the init job all take it from here.
PROVIDER_FLAGS = (
    "skip_hinted_login_dialog",
    "skip_registration_form",
    "skip_email_verification",
    "sync_learner_profile_data",
    "enable_sso_id_verification",
)

# What a first login whose email belongs to an existing account may do (LMSBRIDGE_<APP>_
# LINK_BY_EMAIL; enforced in the image by openedx_app/.../account_link.py):
# - "never": stop, the learner signs in with the password and links from account settings;
# - "verified": link only when the provider says it verified the email (OIDC email_verified);
# - "trusted": link (edx-platform's associate_by_email_if_oauth as is).
LinkPolicy = Literal["never", "verified", "trusted"]
LINK_POLICIES: tuple[LinkPolicy, ...] = ("never", "verified", "trusted")
#: How Open edX logs in through the app: one module each in tutor_lmsbridge/protocols/
#: (registry: protocols.PROTOCOL_MODULES), which also holds each one's LINK_BY_EMAIL default.
#: - "endpoints": one of the preset's backends, fed AUTHORIZATION_URL, ACCESS_TOKEN_URL and
#:   API_ROOT (the MITx apps' ol-oauth2 / mitxpro-oauth2);
#: - "generic": any python-social-auth OAuth2 backend class the operator names;
#: - "oidc": OpenID Connect discovery, through the plugin's per-app backend class;
#: - "saml": a SAML 2.0 identity provider, through edx-platform's own tpa-saml backend.
Protocol = Literal["", "endpoints", "generic", "oidc", "saml"]

#: The handover profiles this plugin ships (output/handovers.py: what the app is given on its
#: side); other plugins add theirs through the LMSBRIDGE_HANDOVERS filter. Names only here,
#: so that the core checks a preset's choice without the output layer.
HANDOVER_NAMES = ("mitx", "richie", "edx-oauth2-client", "none")


class Preset(NamedTuple):
    name: str
    title: str  # default provider display name (<= 50 characters)
    identity_provider: bool  # direction A
    api_client: bool  # direction B
    protocol: Protocol = ""
    backends: tuple[str, ...] = ()  # "endpoints": allowed backends, the first is the default
    redirect_paths: tuple[str, ...] = ()  # direction-B redirect URIs, relative to the app URL
    login_redirect: bool = False  # anonymous learners are sent to this app by default
    login_button: bool = False  # the provider shows a button on Open edX's login page
    service_token: bool = True  # direction B: the app calls the API with a service token
    catalog: bool = False  # a course catalog (Richie): CORS, cross-domain CSRF, course sync
    optional_client: bool = False  # direction B only when LMSBRIDGE_<APP>_OAUTH2_CLIENT is true
    # Direction A: Open edX generates the login client's id and secret (from the secret seed)
    # and the app registers them, instead of the app inventing them and the operator copying
    # them back (MITxOnline's and MITxPro's configure_instance take --edx-oauth-client/-secret).
    generated_login_client: bool = False
    # The app's development docker compose project (its network is <project>_default), where
    # `configure_instance` registers the generated login client.
    compose_project: str = ""
    # The app also reads Open edX's Studio and course-page URLs: MITxOnline's main/settings.py
    # reads OPENEDX_STUDIO_API_BASE_URL (course creation through Studio's API) and
    # OPENEDX_COURSE_BASE_URL (links to course pages); MITxPro's mitxpro/settings.py reads
    # neither (mitodl/mitxonline and mitodl/mitxpro, August 2026).
    course_urls: bool = False
    authorize_path: str = "/oauth2/authorize/"
    token_path: str = "/oauth2/token/"  # noqa: S105 (a URL path, not a secret)
    # Where the app ends a learner's session (IDA_LOGOUT_URI_LIST); None: it keeps none.
    logout_path: str | None = "/logout"
    doc: str = ""  # one line for the README's preset table
    # What the app is given on its side (a handover profile's name, HANDOVER_NAMES or a
    # plugin's); "": edx-oauth2-client for a preset with an API client, else none.
    handover: str = ""

    @property
    def client(self) -> bool:
        """Direction B is possible (always, or when OAUTH2_CLIENT is on)."""
        return self.api_client or self.optional_client

    @property
    def handover_profile(self) -> str:
        if self.handover:
            return self.handover
        return "edx-oauth2-client" if self.client else "none"


BUILTIN_PRESETS: tuple[Preset, ...] = (
    Preset(
        name="mitxonline",
        title="MITx Online",
        identity_provider=True,
        api_client=True,
        protocol="endpoints",
        backends=("ol-oauth2", "mitxpro-oauth2"),
        # Current social-auth-app-django route first, then the legacy one MITxOnline
        # still serves.
        redirect_paths=("/_/auth/complete", "/login/_private/complete"),
        login_redirect=True,
        generated_login_client=True,
        compose_project="mitxonline",
        course_urls=True,
        handover="mitx",
        doc="MITx Online: logs learners into Open edX and calls its API",
    ),
    Preset(
        name="mitxpro",
        title="MITx Pro",
        identity_provider=True,
        api_client=True,
        protocol="endpoints",
        backends=("ol-oauth2", "mitxpro-oauth2"),
        redirect_paths=("/login/_private/complete",),
        login_redirect=True,
        generated_login_client=True,
        compose_project="mitxpro",
        handover="mitx",
        doc="MITx Pro (xPRO): logs learners into Open edX and calls its API",
    ),
    Preset(
        name="oidc",
        title="Single sign-on",
        identity_provider=True,
        api_client=False,
        protocol="oidc",
        # A button on the login page; LMSBRIDGE_LOGIN_REDIRECT=<app> makes it SSO only.
        login_button=True,
        handover="none",
        doc="any OpenID Connect provider (Keycloak, Entra ID, Okta, Google, Auth0): "
        "configured from its discovery document; backend name = app name",
    ),
    Preset(
        name="saml",
        title="University login",
        identity_provider=True,
        api_client=False,
        protocol="saml",
        login_button=True,
        handover="none",
        doc="any SAML 2.0 identity provider (Shibboleth/InCommon, ADFS, Entra ID): "
        "configured from its metadata (``URL`` and ``ENTITY_ID``), through edx-platform's "
        "``tpa-saml`` backend; eduPerson attributes",
    ),
    Preset(
        name="richie",
        title="Richie",
        identity_provider=False,
        api_client=False,
        # The EdXOAuth2 login of Richie 2.0.0-beta.15 to 2.14, when the operator turns it on:
        # its sandbox mounts social-auth under oauth/ (openfun/richie v2.14.1 sandbox/urls.py).
        redirect_paths=("/oauth/complete/edx-oauth2/",),
        service_token=False,
        catalog=True,
        optional_client=True,
        # Richie 2.15+ keeps no learner session (it shows the LMS's, RICHIE_AUTHENTICATION_
        # DELEGATION) and has no /logout; its sandbox's /<lang>/accounts/logout/ only ends an
        # editor's Django session. Nothing to add to IDA_LOGOUT_URI_LIST.
        logout_path=None,
        handover="richie",
        doc="the Richie catalog: cross-domain CSRF, course-run sync (API key on request)",
    ),
    Preset(
        name="client",
        title="Open edX login",
        identity_provider=False,
        api_client=True,
        # Any app that logs in with Open edX through python-social-auth's edx-oauth2.
        redirect_paths=("/complete/edx-oauth2/",),
        service_token=False,
        handover="edx-oauth2-client",
        doc="an app that logs in with Open edX (an OAuth2 application)",
    ),
    Preset(
        name="oauth2",
        title="Single sign-on",
        identity_provider=True,
        api_client=False,
        protocol="generic",
        # No redirect by default, so the login page button is the way in.
        login_button=True,
        handover="none",
        doc="any python-social-auth OAuth2 backend class (``BACKEND`` and ``BACKEND_CLASS`` "
        "required)",
    ),
)

PRESETS: dict[str, Preset] = {preset.name: preset for preset in BUILTIN_PRESETS}
