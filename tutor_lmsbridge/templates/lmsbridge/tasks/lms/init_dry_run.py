# tutor-contrib-lmsbridge init job, dry run (`do lmsbridge-init --dry-run`): included after
# init_objects.py, whose run() it calls. Plain Python, no Jinja markers.
#
# The whole of run(), and whatever run() calls, happens inside one outer transaction that is
# then rolled back: the report is the real run's by construction (the same lines after a
# "dry run:" marker; kind, name and field names, never a value), and nothing is written.
#
# Caches are not transactional. run() reads rows from the database, never through
# ConfigurationModel.current(), and a save only deletes cache entries, so the rollback
# leaves no cached row behind. Code that run() calls later must keep it so (or clear what it
# cached), else the LMS could serve a rolled-back row from the cache until it expires.

from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:  # defined by init_objects.py, which comes first in the job
    from tutor_lmsbridge.templates.lmsbridge.tasks.lms.init_objects import Report, run

# The exit status of a dry run that found something to change (1 is left to crashes).
DRY_RUN_CHANGES_EXIT = 3


def dry_run(empty_plan: dict[str, Any]) -> None:
    Report.prefix = "lmsbridge: dry run: "
    Report.dry_run = True
    with transaction.atomic():
        report = run(empty_plan)
        transaction.set_rollback(True)
    pending = report.changes()
    if pending:
        print(
            f"lmsbridge: dry run: rolled back, nothing written; {pending} change(s) pending: "
            "run `tutor local|dev|k8s do lmsbridge-init` to apply them"
        )
        raise SystemExit(DRY_RUN_CHANGES_EXIT)
    print("lmsbridge: dry run: rolled back, nothing written; nothing would change")
