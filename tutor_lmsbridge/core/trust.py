"""What an identity provider vouches for, by protocol: the provider flags' defaults (keys.py),
the findings of `tutor lmsbridge check` (read_provider.py) and what `do lmsbridge-verify`
checks on the running LMS's rows (plan.py) all ask here, so they cannot disagree.

- An OpenID Connect or generic OAuth2 provider may be anyone's (Google, a self-service
  sign-up, a multi-tenant app): a login through it proves an account there, not a person's
  identity, so it is "consumer" for edx-platform's SSO identity verification.
- A provider "verifies email" when the email it sends was confirmed before Open edX sees it:
  the MITx apps (a confirmation link at registration), a SAML IdP (an institution's directory),
  and an OpenID Provider whose logins are linked only on ``email_verified``
  (LINK_BY_EMAIL=verified: the operator chose to rely on that claim).
"""

from __future__ import annotations

from .presets import Preset

CONSUMER_PROTOCOLS = ("oidc", "generic")
EMAIL_VERIFYING_PROTOCOLS = ("endpoints", "saml")


def consumer(preset: Preset) -> bool:
    """A login through the app proves an account there, not who the learner is."""
    return preset.protocol in CONSUMER_PROTOCOLS


def verifies_email(preset: Preset, link_by_email: str) -> bool:
    """The email the app sends was verified before Open edX sees it."""
    if preset.protocol == "oidc":
        return link_by_email == "verified"
    return preset.protocol in EMAIL_VERIFYING_PROTOCOLS


def flag_findings(
    preset: Preset, link_by_email: str, flags: dict[str, bool], key_prefix: str, app: str
) -> list[tuple[str, str]]:
    """A warning, with its fix, for each flag that grants trust the provider cannot back."""
    found = []
    if flags["enable_sso_id_verification"] and consumer(preset):
        found.append(
            (
                f"{key_prefix}ENABLE_SSO_ID_VERIFICATION",
                f"true on an {preset.name} provider: every learner who logs in through {app} "
                "gets an approved identity verification; set it to false unless only your "
                "institution's directory, which checked each person's identity, signs in there",
            )
        )
    if flags["skip_email_verification"] and not verifies_email(preset, link_by_email):
        fix = (
            f", or set {key_prefix}LINK_BY_EMAIL=verified if the provider sends email_verified"
            if preset.protocol == "oidc"
            else f" unless {app} confirms every email it sends"
        )
        found.append(
            (
                f"{key_prefix}SKIP_EMAIL_VERIFICATION",
                f"true, but {app} is not known to verify emails: a first login creates an active "
                f"account with an email nobody confirmed; set it to false{fix}",
            )
        )
    return found
