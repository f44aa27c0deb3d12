"""MITxOnline's side of the hand-over, on the identity provider stand-in.

Two pieces of MITxOnline, reduced to what touches Open edX's login client:

- the data migration that creates the OAuth2 application ``edx-oauth-app`` from the .env
  (``OPENEDX_BASE_REDIRECT_URL`` + ``/auth/complete/<OPENEDX_OAUTH_PROVIDER>/``; FACTS.md §8);
- ``configure_instance``'s OAuth2 step (mitodl/mitxonline,
  main/management/commands/configure_instance.py): the same arguments, ``get_or_create`` by
  name, then the given ``--edx-oauth-client`` / ``--edx-oauth-secret`` saved on it. Its
  courses, superuser and learner steps are left out.

`python -m tests.e2e.idp_configure_instance CONFIG_JSON ARGS...` runs the command the way
`docker compose run --rm web ./manage.py configure_instance ARGS...` does in MITxOnline.
"""

import argparse
import os
import sys
from typing import Any
from urllib.parse import urljoin

APPLICATION_NAME = "edx-oauth-app"  # MITxOnline's OPENEDX_OAUTH_APP_NAME default


def create_from_env(env: dict[str, str]) -> None:
    """The data migration: the application, with the redirect URI the .env implies."""
    from oauth2_provider.models import Application

    Application.objects.get_or_create(
        name=APPLICATION_NAME,
        defaults={
            "redirect_uris": urljoin(
                env["OPENEDX_BASE_REDIRECT_URL"],
                f"/auth/complete/{env['OPENEDX_OAUTH_PROVIDER']}/",
            ),
            "client_type": "confidential",
            "authorization_grant_type": "authorization-code",
            "skip_authorization": True,
            "user": None,
        },
    )


def parser() -> argparse.ArgumentParser:
    """configure_instance's arguments, as MITxOnline declares them."""
    parsed = argparse.ArgumentParser(prog="configure_instance")
    parsed.add_argument("platform", choices=["none", "macos", "linux"], nargs="?", const="none")
    parsed.add_argument("--dont-enroll", "-D", action="store_true", dest="dont_enroll")
    parsed.add_argument("--dont-create-superuser", "-S", action="store_false", dest="superuser")
    parsed.add_argument("--edx-oauth-client", type=str, nargs="?")
    parsed.add_argument("--edx-oauth-secret", type=str, nargs="?")
    parsed.add_argument("--gateway", type=str, nargs="?")
    parsed.add_argument("--tutor", "-T", action="store_true", dest="tutor")
    parsed.add_argument("--tutor-dev", action="store_true", dest="tutordev")
    return parsed


def configure_instance(argv: list[str]) -> str:
    """The OAuth2 step; returns what the command prints about the application."""
    from oauth2_provider.models import Application

    options: Any = parser().parse_args(argv)
    if options.platform in (None, "none"):
        return "no OAuth2 application (platform none)"
    if options.platform == "linux" and options.gateway is None:
        sys.exit("Gateway required for platform type linux.")
    application, _ = Application.objects.get_or_create(
        name=APPLICATION_NAME,
        defaults={
            "client_type": "confidential",
            "authorization_grant_type": "authorization-code",
            "skip_authorization": True,
        },
    )
    if options.edx_oauth_client is not None:
        application.client_id = options.edx_oauth_client
    if options.edx_oauth_secret is not None:
        application.client_secret = options.edx_oauth_secret
    application.save()
    return (
        f"Created OAuth2 app {application.name} for edX. Your client ID is {application.client_id}"
    )


def main() -> None:
    config_path, argv = sys.argv[1], sys.argv[2:]
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.e2e.idp_settings"
    os.environ["LMSBRIDGE_E2E_CONFIG"] = config_path
    import django

    django.setup()
    print(configure_instance(argv))


if __name__ == "__main__":
    main()
