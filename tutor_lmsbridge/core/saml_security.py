"""Open edX's SAML security settings: the plugin's defaults and ``LMSBRIDGE_SAML_SECURITY``.

edx-platform builds python3-saml's settings in ``third_party_auth/saml.py``
(``SAMLAuthBackend.generate_saml_config``): ``strict`` is forced to True, and the
``SECURITY_CONFIG`` mapping of the SAMLConfiguration's ``other_config_str`` is merged over
its ``security`` dict; python3-saml then fills every key left out with its own default
(``onelogin/saml2/settings.py``, ``__add_default_values``). So the names allowed here are
python3-saml's security keys, each with the JSON type it reads.

What the defaults add to edx's: ``rejectDeprecatedAlgorithm`` (python3-saml accepts SHA-1
signatures and digests unless it is set) and no requested AuthnContext (ADFS and Entra ID
refuse a login made otherwise than with a password). A response with no signature at all is
already refused by python3-saml (``response.py``: "No Signature found"); requiring the
*assertion* to be signed (``wantAssertionsSigned``) would break the many IdPs that sign only
the response, so it stays the operator's choice.
"""

from __future__ import annotations

from typing import Any

from .errors import ConfigError, show_value

# python3-saml's constants (onelogin/saml2/constants.py): the algorithms it signs with and
# verifies, and those it calls deprecated (DEPRECATED_ALGORITHMS).
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
DSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#dsa-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
SIGNATURE_ALGORITHMS = (
    RSA_SHA1,
    DSA_SHA1,
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
)
DIGEST_ALGORITHMS = (
    SHA1,
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
)
DEPRECATED = frozenset({RSA_SHA1, DSA_SHA1, SHA1})
COMPARISONS = ("exact", "minimum", "maximum", "better")

BOOLEAN_SETTINGS = frozenset(
    {
        "nameIdEncrypted",
        "authnRequestsSigned",
        "logoutRequestSigned",
        "logoutResponseSigned",
        "signMetadata",  # a mapping of key files is also accepted upstream: not in the image
        "wantMessagesSigned",
        "wantAssertionsSigned",
        "wantNameId",
        "wantAssertionsEncrypted",
        "wantNameIdEncrypted",
        "rejectDeprecatedAlgorithm",
        "wantAttributeStatement",
        "allowRepeatAttributeName",
        "failOnAuthnContextMismatch",
        "allowSingleLabelDomains",
    }
)
# Every key python3-saml's security settings read (settings.py, response.py, auth.py).
SECURITY_SETTINGS = BOOLEAN_SETTINGS | {
    "metadataValidUntil",
    "metadataCacheDuration",
    "signatureAlgorithm",
    "digestAlgorithm",
    "requestedAuthnContext",
    "requestedAuthnContextComparison",
}

# The SAMLConfiguration's SECURITY_CONFIG without an override: edx-platform's model default
# (metadataCacheDuration, signMetadata), no requested AuthnContext, and SHA-1 refused.
SECURITY_DEFAULTS: dict[str, Any] = {
    "metadataCacheDuration": 604800,
    "signMetadata": False,
    "requestedAuthnContext": False,
    "rejectDeprecatedAlgorithm": True,
}

EXAMPLE = "{wantAssertionsSigned: true}"


def read_security(key: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The defaults with ``overrides`` merged over them, or a one-line ConfigError naming
    the first unknown name or wrongly typed value."""
    for name, value in overrides.items():
        _check(key, name, value)
    return dict(sorted({**SECURITY_DEFAULTS, **overrides}.items()))


def _check(key: str, name: str, value: Any) -> None:
    if name not in SECURITY_SETTINGS:
        raise ConfigError(
            key,
            f"{show_value(name)} is not a python3-saml security setting",
            "use one of " + ", ".join(sorted(SECURITY_SETTINGS)),
            EXAMPLE,
        )
    if name in BOOLEAN_SETTINGS:
        if not isinstance(value, bool):
            raise ConfigError(key, f"{name} must be true or false, got {show_value(value)}", "")
        return
    if name in ("signatureAlgorithm", "digestAlgorithm"):
        allowed = SIGNATURE_ALGORITHMS if name == "signatureAlgorithm" else DIGEST_ALGORITHMS
        if value not in allowed:
            raise ConfigError(
                key,
                f"{name} {show_value(value)} is not an algorithm URI python3-saml knows",
                "use one of " + ", ".join(allowed),
            )
        return
    if name == "requestedAuthnContextComparison":
        if value not in COMPARISONS:
            raise ConfigError(
                key, f"{name} must be one of {', '.join(COMPARISONS)}, got {show_value(value)}", ""
            )
        return
    if name == "requestedAuthnContext":
        if isinstance(value, bool) or (
            isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        ):
            return
        raise ConfigError(
            key,
            f"{name} must be true, false or a list of AuthnContextClassRef URIs, "
            f"got {show_value(value)}",
            "",
        )
    if name == "metadataCacheDuration":
        if (isinstance(value, int) and not isinstance(value, bool) and value > 0) or (
            isinstance(value, str) and value.startswith("P")
        ):
            return
        raise ConfigError(
            key,
            f"{name} must be seconds (a positive number) or an ISO 8601 duration such as "
            f"P7D, got {show_value(value)}",
            "",
        )
    # metadataValidUntil: an ISO 8601 time, or null for python3-saml's default.
    if value is not None and not isinstance(value, str):
        raise ConfigError(
            key, f"{name} must be an ISO 8601 time or null, got {show_value(value)}", ""
        )


def weakened(security: dict[str, Any]) -> list[str]:
    """What an override turned off or down, one phrase each (the caller warns)."""
    found = []
    if security.get("rejectDeprecatedAlgorithm") is False:
        found.append("rejectDeprecatedAlgorithm is false: responses signed with SHA-1 are accepted")
    for name in ("signatureAlgorithm", "digestAlgorithm"):
        if security.get(name) in DEPRECATED:
            found.append(f"{name} is SHA-1: Open edX signs its requests with a broken hash")
    return found


def expectations(security: dict[str, Any]) -> list[str]:
    """What the SP requires of the IdP, for its admin (`tutor lmsbridge credentials`)."""
    if security.get("rejectDeprecatedAlgorithm", False):
        hashes = "SHA-256 (or stronger) signatures and digests; SHA-1 is refused"
    else:
        hashes = "SHA-256 (or stronger) signatures and digests; SHA-1 is still accepted"
    if security.get("wantAssertionsSigned") and security.get("wantMessagesSigned"):
        signed = "sign both the Response and the Assertion"
    elif security.get("wantAssertionsSigned"):
        signed = "sign the Assertion (a signed Response alone is refused)"
    elif security.get("wantMessagesSigned"):
        signed = "sign the Response (a signed Assertion alone is refused)"
    else:
        signed = "sign the Response or the Assertion (an unsigned response is refused)"
    lines = [signed, hashes]
    if security.get("wantAssertionsEncrypted"):
        lines.append("encrypt the Assertion with the SP certificate (plain ones are refused)")
    if security.get("wantNameIdEncrypted"):
        lines.append("encrypt the NameID with the SP certificate")
    return lines
