"""edx-platform's Celery singleton, as ``openedx/core/lib/celery/__init__.py`` makes it (and
``cms/celery.py`` / ``cms/__init__.py`` load it when Studio starts): one app named 'proj',
configured from Django's settings with edx's old-style names (``CELERY_DEFAULT_QUEUE``,
``BROKER_URL``, ``CELERY_ALWAYS_EAGER``...), finding the tasks of every installed Django app.

The settings it reads are those of ``cms/envs/common.py`` (queues of the 'cms' variant) and
``cms/envs/production.py`` (``CELERY_ROUTES``), set by tests/support/django_harness.py; the
router is ``openedx/core/lib/celery/routers.py``'s ``route_task``, mirrored below."""

from typing import Any

from celery import Celery
from django.conf import settings

APP = Celery("proj")
APP.config_from_object("django.conf:settings")
APP.autodiscover_tasks()


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> Any:
    """openedx/core/lib/celery/routers.py: an explicit queue, else the alternate env's queue,
    else None (Celery's default routing: CELERY_DEFAULT_QUEUE)."""
    if name in settings.EXPLICIT_QUEUES:
        return settings.EXPLICIT_QUEUES[name]
    alternate_env = settings.ALTERNATE_ENV_TASKS.get(name, None)
    if alternate_env:
        queues = getattr(settings, "CELERY_QUEUES", None) or {}
        return next((queue for queue in queues if f".{alternate_env}." in queue), None)
    return None
