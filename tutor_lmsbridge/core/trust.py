"""What an identity provider vouches for, by protocol: the provider flags' defaults (keys.py),
the findings of `tutor lmsbridge check` (read_provider.py) and what `do lmsbridge-verify`
checks on the running LMS's rows (plan.py) all ask the protocol (``consumer``,
``verifies_email``: tutor_lmsbridge/protocols/), so they cannot disagree. This module says
which flags grant trust a provider cannot back.

- An OpenID Connect or generic OAuth2 provider may be anyone's (Google, a self-service
  sign-up, a multi-tenant app): a login through it proves an account there, not a person's
  identity, so it is "consumer" for edx-platform's SSO identity verification.
- A provider "verifies email" when the email it sends was confirmed before Open edX sees it:
  the MITx apps (a confirmation link at registration), a SAML IdP (an institution's directory),
  and an OpenID Provider whose logins are linked only on ``email_verified``
  (LINK_BY_EMAIL=verified: the operator chose to rely on that claim).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..protocols.base import LoginProtocol


def flag_findings(
    protocol: LoginProtocol,
    preset_name: str,
    link_by_email: str,
    flags: dict[str, bool],
    key_prefix: str,
    app: str,
) -> list[tuple[str, str]]:
    """A warning, with its fix, for each flag that grants trust the provider cannot back."""
    found = []
    if flags["enable_sso_id_verification"] and protocol.consumer:
        found.append(
            (
                f"{key_prefix}ENABLE_SSO_ID_VERIFICATION",
                f"true on an {preset_name} provider: every learner who logs in through {app} "
                "gets an approved identity verification; set it to false unless only your "
                "institution's directory, which checked each person's identity, signs in there",
            )
        )
    if flags["skip_email_verification"] and not protocol.verifies_email(link_by_email):
        fix = (
            f", or set {key_prefix}LINK_BY_EMAIL=verified if the provider sends email_verified"
            if protocol.email_verified_claim
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
