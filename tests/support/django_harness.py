"""An in-process Django with the real django-oauth-toolkit (edx-platform's 1.7.1),
django-config-models and django.contrib.sites, plus stand-ins for edx-platform's
third_party_auth and student apps, on a SQLite database. Configured once per process."""

from __future__ import annotations

import sys
from pathlib import Path

import django
from django.conf import settings
from django.core.management import call_command

LMS_SITE_ID = 2  # Tutor's SITE_ID
# The plugin's in-image Open edX app, imported from its template folder, as shipped.
OPENEDX_PLUGIN = Path(__file__).parents[2] / "tutor_lmsbridge" / "openedx_app"
if str(OPENEDX_PLUGIN) not in sys.path:
    sys.path.insert(0, str(OPENEDX_PLUGIN))


def setup_django(database: Path) -> None:
    if settings.configured:
        return
    settings.configure(
        SECRET_KEY="tests-only",
        USE_TZ=True,
        SITE_ID=LMS_SITE_ID,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sites",
            # As in edx-platform: a request's Site is looked up by its host first.
            "django_sites_extensions",
            "oauth2_provider",
            "tests.edx_standin.third_party_auth",
            "tests.edx_standin.student",
            "lmsbridge_openedx",
        ],
        ROOT_URLCONF="tests.support.lms_urls",
        ALLOWED_HOSTS=["*"],
        LANGUAGE_CODE="en",
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # As the plugin sets it: third_party_auth's ready() then assigns edx-platform's
        # SOCIAL_AUTH_PIPELINE, and lmsbridge_openedx's ready() inserts its guard.
        ENABLE_THIRD_PARTY_AUTH=True,
        # Celery as Studio configures it (edx-platform cms/envs/common.py, SERVICE_VARIANT
        # 'cms'; cms/envs/production.py CELERY_ROUTES), on Kombu's in-memory broker instead
        # of Redis. Tests that run tasks turn CELERY_ALWAYS_EAGER on themselves.
        CELERY_DEFAULT_EXCHANGE="edx.cms.core",
        CELERY_DEFAULT_QUEUE="edx.cms.core.default",
        CELERY_DEFAULT_ROUTING_KEY="edx.cms.core.default",
        CELERY_QUEUES={
            "edx.cms.core.high": {},
            "edx.cms.core.default": {},
            "edx.cms.core.low": {},
        },
        CELERY_CREATE_MISSING_QUEUES=True,
        CELERY_ALWAYS_EAGER=False,
        CELERY_IGNORE_RESULT=False,
        CELERY_ROUTES="tests.edx_standin.celery.route_task",
        EXPLICIT_QUEUES={},
        ALTERNATE_ENV_TASKS={},
        BROKER_URL="memory://",
    )
    django.setup()
    # Studio imports its Celery app when it starts (cms/__init__.py -> cms/celery.py).
    import tests.edx_standin.celery  # noqa: F401

    call_command("migrate", run_syncdb=True, verbosity=0)
    from django.contrib.sites.models import Site

    Site.objects.update_or_create(
        id=LMS_SITE_ID, defaults={"domain": "local.openedx.io", "name": "local.openedx.io"}
    )
