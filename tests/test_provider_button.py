"""The OIDC button's default text through the real `tutor`: the provider's own name reaches
the provider row the init job writes (status shows it)."""

from __future__ import annotations

from pathlib import Path

from .support.samples import OIDC
from .support.tutor_helpers import run_tutor, set_args


def test_an_entra_issuer_gives_a_microsoft_button(tmp_path: Path) -> None:
    run_tutor(tmp_path, "plugins", "enable", "lmsbridge")
    issuer = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
    run_tutor(tmp_path, "config", "save", *set_args({**OIDC, "LMSBRIDGE_SSO_URL": issuer}))
    status = run_tutor(tmp_path, "lmsbridge", "status").stdout
    assert "provider oa2-sso ('Microsoft', slug sso)" in status
