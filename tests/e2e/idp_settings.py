"""The identity provider, playing MITxOnline: a Django project with django-oauth-toolkit.

Browser endpoints (login form, /oauth2/authorize/) answer only on the browser address and
server-to-server ones (/oauth2/token/, /api/users/me) only on the internal address, so that
mixing up AUTHORIZATION_URL and ACCESS_TOKEN_URL / API_ROOT makes the round trip fail.
"""

import json
import os
from typing import Any

with open(os.environ["LMSBRIDGE_E2E_CONFIG"], encoding="utf-8") as _config_file:
    CONFIG: dict[str, Any] = json.load(_config_file)

SECRET_KEY = "e2e-identity-provider"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "tests.e2e.idp_urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "tests.e2e.idp_views.split_by_address",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": CONFIG["database"]}}
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
LOGIN_URL = "/login/"
SESSION_COOKIE_NAME = "idp_session"
CSRF_COOKIE_NAME = "idp_csrftoken"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Errors (with their tracebacks) go to the server's log file, which the tests read.
LOGGING = {
    "version": 1,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}
OAUTH2_PROVIDER = {"SCOPES": {"user:read": "Read your user", "read": "Read", "write": "Write"}}


def seed(config: dict[str, Any]) -> None:
    """The learner, and the OAuth2 client for Open edX: the one the MIT app created (and
    the operator copied into Open edX), or the application its migration creates."""
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import Application

    learner = config["learner"]
    user_model = get_user_model()
    user_model.objects.create_user(
        learner["username"], learner["email"], learner["password"], first_name=learner["name"]
    )
    if "mitxonline_env" in config:
        # MITxOnline started with the .env lines `credentials` printed: its migration made
        # the application; configure_instance registers the login client later.
        from .idp_configure_instance import create_from_env

        create_from_env(config["mitxonline_env"])
        return
    client = config["client_for_openedx"]
    Application.objects.create(
        name="Open edX",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        redirect_uris=client["redirect_uri"],
        client_type="confidential",
        authorization_grant_type="authorization-code",
        skip_authorization=True,
    )
