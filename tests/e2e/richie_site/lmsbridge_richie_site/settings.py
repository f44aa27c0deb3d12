"""Settings of the test Richie site.

The site part follows Richie's sandbox (openfun/richie ``sandbox/settings.py``: its
INSTALLED_APPS, MIDDLEWARE and templates, without django-configurations, dockerflow, the demo
app and Elasticsearch). The Open edX part is exactly the file named by
``LMSBRIDGE_RICHIE_SETTINGS``: the block `tutor lmsbridge credentials <app>` printed, executed
here as an operator's settings module would paste or import it.
"""

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from richie.apps.courses.settings import *  # noqa: F403 (Richie's courses defaults, as its mixin applies them)

BASE_DIR = Path(__file__).resolve().parent
DEBUG = False
SECRET_KEY = "lmsbridge-richie-test-site"
ALLOWED_HOSTS = ["*"]
SITE_ID = 1
ROOT_URLCONF = "lmsbridge_richie_site.urls"
WSGI_APPLICATION = None  # Django builds its own handler (get_internal_wsgi_application)
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("RICHIE_SITE_DB", str(BASE_DIR.parent / "template.sqlite3")),
    }
}
STATIC_URL = "/static/"
MEDIA_URL = "/media/"
STATIC_ROOT = os.environ.get("RICHIE_SITE_DATA", "/tmp") + "/static"
MEDIA_ROOT = os.environ.get("RICHIE_SITE_DATA", "/tmp") + "/media"
LOGIN_URL = "login"
LOGOUT_URL = "logout"

# Richie's sandbox: "en" and "fr" as site languages; a course run's languages are checked
# against ALL_LANGUAGES (richie/apps/core/defaults.py: Django's global LANGUAGES by default).
LANGUAGE_CODE = "en"
LANGUAGES = (("en", _("English")), ("fr", _("French")))
CMS_LANGUAGES = {
    "default": {
        "public": True,
        "hide_untranslated": False,
        "redirect_on_fallback": True,
        "fallbacks": ["en", "fr"],
    },
    1: [
        {
            "public": True,
            "code": "en",
            "hide_untranslated": False,
            "name": _("English"),
            "fallbacks": ["fr"],
            "redirect_on_fallback": False,
        },
        {
            "public": True,
            "code": "fr",
            "hide_untranslated": False,
            "name": _("French"),
            "fallbacks": ["en"],
            "redirect_on_fallback": False,
        },
    ],
}
PARLER_LANGUAGES = CMS_LANGUAGES

# No Elasticsearch here: Richie's own switch keeps its publish signals from indexing
# (richie/apps/search/signals.py, RICHIE_KEEP_SEARCH_UPDATED).
RICHIE_KEEP_SEARCH_UPDATED = False
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "search": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "search"},
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.request",
                "django.template.context_processors.media",
                "django.template.context_processors.csrf",
                "django.template.context_processors.static",
                "sekizai.context_processors.sekizai",
                "cms.context_processors.cms_settings",
                "richie.apps.core.context_processors.site_metas",
            ],
            "loaders": [
                "django.template.loaders.filesystem.Loader",
                "django.template.loaders.app_directories.Loader",
            ],
        },
    }
]
MIDDLEWARE = (
    "cms.middleware.utils.ApphookReloadMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cms.middleware.user.CurrentUserMiddleware",
    "cms.middleware.page.CurrentPageMiddleware",
    "cms.middleware.toolbar.ToolbarMiddleware",
    "cms.middleware.language.LanguageCookieMiddleware",
)
INSTALLED_APPS = (
    "richie.apps.search",
    "richie.apps.courses",
    "richie.apps.core",
    "richie.plugins.glimpse",
    "richie.plugins.large_banner",
    "richie.plugins.nesteditem",
    "richie.plugins.plain_text",
    "richie.plugins.section",
    "richie.plugins.simple_picture",
    "richie.plugins.simple_text_ckeditor",
    "richie.plugins.slider",
    "richie.plugins.lti_consumer",
    "richie",
    "dj_pagination",
    "parler",
    "rest_framework",
    "djangocms_admin_style",
    "djangocms_googlemap",
    "djangocms_link",
    "djangocms_picture",
    "djangocms_text_ckeditor",
    "djangocms_video",
    "cms",
    "menus",
    "sekizai",
    "treebeard",
    "filer",
    "easy_thumbnails",
    "dal",
    "dal_select2",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.admin",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
    "django.contrib.messages",
    "django.contrib.humanize",
)
# Richie's sandbox DRF configuration (sandbox/settings.py, DRFMixin): URL path versioning,
# which the sync endpoint's <version> argument comes from.
REST_FRAMEWORK = {
    "ALLOWED_VERSIONS": ("1.0",),
    "DEFAULT_VERSION": "1.0",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# The Open edX side, as `tutor lmsbridge credentials <app>` printed it (nothing else sets
# RICHIE_LMS_BACKENDS, RICHIE_COURSE_RUN_SYNC_SECRETS or RICHIE_AUTHENTICATION_DELEGATION).
_bridge = os.environ.get("LMSBRIDGE_RICHIE_SETTINGS")
if _bridge:
    exec(compile(Path(_bridge).read_text(), _bridge, "exec"))  # noqa: S102
