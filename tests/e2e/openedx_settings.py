"""The Open edX stand-in: what an LMS built by the plugin would run, minus edx-platform.

- the settings the plugin rendered (development.py, executed against edx-platform's defaults
  by the test) arrive in CONFIG["plugin_settings"];
- the real openedx-companion-auth plugin settings are applied first, as edx-platform's plugin
  machinery does, then the plugin's values override them;
- python-social-auth resolves backend settings the way edx-platform's third_party_auth does
  (tests.e2e.openedx_strategy): the provider row first, then SOCIAL_AUTH_OAUTH_SECRETS;
- the database objects come from the plugin's rendered init script, run in seed().
"""

import json
import os
import sys
from typing import Any

from openedx_companion_auth.settings import common as companion_settings

with open(os.environ["LMSBRIDGE_E2E_CONFIG"], encoding="utf-8") as _config_file:
    CONFIG: dict[str, Any] = json.load(_config_file)

SECRET_KEY = "e2e-openedx"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "tests.e2e.openedx_urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "oauth2_provider",
    "social_django",
    "tests.edx_standin.third_party_auth",
    "tests.edx_standin.student",
    # edx-platform: INSTALLED_APPS.extend(get_plugin_apps(ProjectType.LMS)), after the core
    # apps (lms/envs/common.py).
    "lmsbridge_openedx",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": CONFIG["database"]}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Errors (with their tracebacks) go to the server's log file, which the tests read.
LOGGING = {
    "version": 1,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR"},
        # As edx-platform's console logging does: the account-linking guard's refusals.
        "lmsbridge_openedx": {"handlers": ["stderr"], "level": "INFO"},
    },
}
SESSION_COOKIE_NAME = "lms_sessionid"
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/dashboard"
SOCIAL_AUTH_STRATEGY = "tests.e2e.openedx_strategy.ConfigurationModelStrategy"
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_REDIRECT_IS_HTTPS = False
# SOCIAL_AUTH_PIPELINE is edx-platform's, assigned by the third_party_auth stand-in's ready()
# (tests/edx_standin/third_party_auth/settings.py apply_settings); the plugin's Open edX app,
# installed after it as edx-platform appends plugin apps, inserts its account-linking guard.
# edx-platform's lms/envs/common.py: the LMS's own URL, and automatic logout at the provider
# off unless the plugin turns it on (TPA_AUTOMATIC_LOGOUT_ENABLED).
LMS_ROOT_URL = f"http://{CONFIG['lms_host']}"
TPA_AUTOMATIC_LOGOUT_ENABLED = False
OAUTH2_PROVIDER = {"SCOPES": {"read": "Read", "write": "Write", "user_id": "User id"}}

# edx-platform's add_plugins(): openedx-companion-auth's settings (defaults + its middleware).
companion_settings.plugin_settings(sys.modules[__name__])
# Then what tutor-contrib-lmsbridge rendered (AUTHENTICATION_BACKENDS, SOCIAL_AUTH_OAUTH_SECRETS,
# MITX_REDIRECT_*, IDA_LOGOUT_URI_LIST, SITE_ID, LMSBRIDGE_INIT_PLAN...).
globals().update(CONFIG["plugin_settings"])


def seed(config: dict[str, Any]) -> None:
    """Tutor's LMS Site, then the plugin's init job, exactly as rendered."""
    from django.contrib.sites.models import Site
    from django.test.utils import override_settings

    # As on Tutor's platform: the LMS Site (SITE_ID; Django's migration created it as
    # example.com) and Django's default example.com Site 1.
    Site.objects.update_or_create(
        id=config["plugin_settings"]["SITE_ID"],
        defaults={"domain": config["lms_host"], "name": config["lms_host"]},
    )
    Site.objects.update_or_create(id=1, defaults={"domain": "example.com", "name": "example.com"})
    with override_settings(
        SITE_ID=config.get("init_site_id", config["plugin_settings"]["SITE_ID"])
    ):
        exec(compile(config["init_code"], "lmsbridge-init", "exec"), {"__name__": "lmsbridge_init"})  # noqa: S102
