"""When the SAML metadata refresh runs under Tutor (issue #24), as data for the templates.

Tutor 22 runs no Celery beat (the LMS worker's command has no ``--beat``, no beat service
exists in its compose or k8s templates), so edx-platform's periodic metadata pull never runs.
The plugin schedules its own refresh, one LMS boot doing the init job's SAML part, every
``LMSBRIDGE_SAML_REFRESH_HOURS``: a long-running compose service for ``tutor local``/``dev``
(a loop that sleeps between runs), a CronJob for ``tutor k8s``. 0 turns the schedule off (an
operator who runs ``tutor <context> do lmsbridge-refresh-saml`` from a scheduler of their own).
"""

from __future__ import annotations

from typing import NamedTuple

# The minute of the hour the CronJob starts at: not :00, when many clusters' jobs start.
CRON_MINUTE = 17
# The compose service waits this long after it starts before its first refresh: `tutor local
# launch` starts the services before its init job creates the tables the refresh reads.
FIRST_DELAY_SECONDS = 600


class SamlRefresh(NamedTuple):
    hours: int
    cron: str  # the CronJob's schedule
    seconds: int  # the compose loop's sleep between two refreshes
    first_delay: int = FIRST_DELAY_SECONDS


def saml_refresh(hours: int, saml_apps: int) -> SamlRefresh | None:
    """The schedule, or None without a SAML app or with ``hours`` 0. ``hours`` divides a
    day (read_saml.REFRESH_HOURS): a cron hour step restarts at midnight, so that is what
    keeps the interval the same all day."""
    if not saml_apps or hours <= 0:
        return None
    hour_field = "0" if hours == 24 else f"*/{hours}"
    return SamlRefresh(hours, f"{CRON_MINUTE} {hour_field} * * *", hours * 3600)
