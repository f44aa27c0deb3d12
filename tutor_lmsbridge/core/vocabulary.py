"""What configured values may look like: the patterns and vocabularies the catalog checks."""

import re

APP_NAME_RE = r"[a-z][a-z0-9]{1,29}"
BACKEND_NAME_RE = r"[a-z0-9][a-z0-9_-]*"
# The in-image OpenID Connect class of a backend is named after it, "-" written as "_".
OIDC_BACKEND_NAME_RE = r"[a-z0-9][a-z0-9-]*"
# A JWT claim name (preferred_username, email, upn, https://example.com/claims/x...).
CLAIM_RE = r"[A-Za-z0-9_:/.-]{1,100}"
SLUG_RE = r"[a-z0-9][a-z0-9_-]*"
USERNAME_RE = r"[A-Za-z0-9_.@+-]{2,30}"
EMAIL_RE = r"[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|[^@\s]+@[A-Za-z0-9-]+"
CLASS_PATH_RE = r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+"
# Printable ASCII without spaces: what OAuth2 client ids, secrets and tokens are made of.
CREDENTIAL_RE = r"[\x21-\x7e]{1,255}"
# A language code as Open edX (es-419, pt_PT, zh-cn) and Richie/Django (zh-hans) write them.
LANGUAGE_CODE_RE = r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}"
# A pip requirement: name, optional extras, optional version specifiers (no URL, no marker).
REQUIREMENT_RE = (
    r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?"
    r"\s*((==|>=|<=|~=|!=|<|>)\s*[A-Za-z0-9.*+!-]+\s*,?\s*)*"
)
SCOPE_RE = r"[A-Za-z0-9_:.-]{1,64}"
# Modules whose backends edx-platform's image already has (python-social-auth core and
# edx-platform's own third_party_auth backends).
IMAGE_BACKEND_MODULES = ("social_core.backends.", "common.djangoapps.third_party_auth.")
REGISTRATION_FIELD_NAMES = frozenset(
    {
        "city",
        "confirm_email",
        "country",
        "gender",
        "goals",
        "honor_code",
        "level_of_education",
        "mailing_address",
        "state",
        "terms_of_service",
        "year_of_birth",
        "profession",
        "specialty",
        "marketing_emails_opt_in",
    }
)
REGISTRATION_FIELD_VALUES = ("required", "optional", "optional-exposed", "hidden")
# Paths anonymous learners may reach without being sent to the identity provider: the
# companion-auth default, plus health checks. "/admin" and "/login" (the break-glass local
# login) are part of the first one and can never be removed.
ALWAYS_ALLOWED_PATHS = (
    r"^/(admin|auth|login|logout|register|api|oauth2|user_api)",
    r"^/heartbeat",
)


def email_domain(lms_host: str) -> str:
    """LMS_HOST when it is a DNS name; an IP address or a bare host name would make an invalid
    address, so the reserved .invalid domain stands in (nothing is ever mailed to it)."""
    if re.fullmatch(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", lms_host):
        return lms_host
    return "lmsbridge.invalid"


def cookie_domain(lms_host: str) -> str:
    """The default cross-domain CSRF cookie domain: the LMS host's parent, for it and its
    sibling hosts (".example.com"); for an IP address, that address only (a cookie cannot
    be shared between addresses)."""
    if is_ip_literal(lms_host):
        return lms_host
    return "." + parent_domain(lms_host)


def is_ip_literal(host: str) -> bool:
    """An IPv4 address, or an IPv6 one (bare or in brackets, as URLs and LMS_HOST write it)."""
    if re.fullmatch(r"[0-9.]+", host):
        return True
    return bool(re.fullmatch(r"\[?[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]?", host))


def parent_domain(host: str) -> str:
    """The registrable-looking parent of a host: "lms.example.com" -> "example.com"; an IP
    address has none (its last labels are no domain): the address itself."""
    if is_ip_literal(host):
        return host
    labels = host.split(".")
    return ".".join(labels[1:]) if len(labels) > 2 else host
