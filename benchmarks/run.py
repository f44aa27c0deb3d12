"""Speed goals of tutor-contrib-lmsbridge, measured in one run (`make bench`).

Prints, all from this run:
- `tutor config save` with the plugin enabled (MITxOnline connected) / disabled: goal <= 1.03;
- `./manage.py` boots in the rendered init task for 1, 3, 10 apps: goal 1;
- database writes on an unchanged re-run of the init job: goal 0;
- init job time on the test database (SQLite) for 1, 3, 10 apps.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.django_harness import setup_django  # noqa: E402
from tests.support.edx_settings import load_lms_settings  # noqa: E402
from tests.support.samples import MITXONLINE, PLATFORM, several_apps  # noqa: E402
from tests.support.tutor_helpers import (  # noqa: E402
    init_python,
    render_env,
    render_init_task,
    run_tutor,
    set_args,
)

SEED = {"LMSBRIDGE_SECRET_SEED": PLATFORM["LMSBRIDGE_SECRET_SEED"]}
APP_COUNTS = (1, 3, 10)


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def byte_compile_plugin() -> None:
    """A regular `pip install` byte-compiles the plugin like Tutor; an editable install under
    PYTHONDONTWRITEBYTECODE=1 would instead recompile its source on every `tutor` run, and
    the ratio would measure that rather than the plugin."""
    import compileall
    import re

    # Only the plugin's modules: openedx_app/ and templates/ are data, not imported by Tutor.
    skip = re.compile(r".*/(openedx_app|templates)/")
    compileall.compile_dir(str(ROOT / "tutor_lmsbridge"), quiet=1, rx=skip)


def config_save_times(work: Path, rounds: int = 15) -> dict[str, float]:
    """Median `tutor config save` time in three roots, runs interleaved:
    - on: plugin enabled, MITxOnline connected;
    - toggled: the same config.yml with the plugin disabled (`tutor plugins disable`);
    - bare: a root that never had the plugin (no LMSBRIDGE_* keys at all).
    Tutor renders every string value of config.yml through a fresh Jinja renderer whether a
    plugin reads it or not, so on/toggled is what the plugin costs and toggled/bare what the
    operator's LMSBRIDGE_* keys cost Tutor."""
    byte_compile_plugin()
    on, toggled, bare = work / "on", work / "toggled", work / "bare"
    run_tutor(on, "plugins", "enable", "lmsbridge")
    run_tutor(on, "config", "save", *set_args(MITXONLINE))
    shutil.copytree(on, toggled)
    run_tutor(toggled, "plugins", "disable", "lmsbridge")
    run_tutor(bare, "config", "save")
    times: dict[str, list[float]] = {"on": [], "toggled": [], "bare": []}
    for _ in range(rounds):
        for name, root in (("on", on), ("toggled", toggled), ("bare", bare)):
            times[name].append(timed(partial(run_tutor, root, "config", "save")))
    return {name: statistics.median(values) for name, values in times.items()}


def init_measures(work: Path) -> list[tuple[int, int, float, float, int]]:
    """(apps, manage.py boots, first run s, re-run s, writes on re-run) per app count."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext, override_settings

    setup_django(work / "bench.sqlite3")
    rows = []
    for count in APP_COUNTS:
        config = {**several_apps(count), **SEED}
        script = render_init_task(work / f"task{count}", config)
        code = compile(init_python(script), "lmsbridge-init", "exec")
        root = work / f"env{count}"
        settings = load_lms_settings(render_env(root, config), "production", root)
        overrides = {key: settings[key] for key in ("LMSBRIDGE_INIT_PLAN", "SITE_ID")}

        with override_settings(**overrides), transaction.atomic():
            first = timed(partial(exec, code, {"__name__": "lmsbridge_init"}))
            with CaptureQueriesContext(connection) as queries:
                again = timed(partial(exec, code, {"__name__": "lmsbridge_init"}))
            writes = sum(
                q["sql"].split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")
                for q in queries.captured_queries
            )
            transaction.set_rollback(True)
        rows.append((count, script.count("./manage.py"), first, again, writes))
    return rows


def main() -> None:
    import contextlib
    import io

    with tempfile.TemporaryDirectory(prefix="lmsbridge-bench-") as tmp:
        work = Path(tmp)
        saves = config_save_times(work)
        with contextlib.redirect_stdout(io.StringIO()):  # the init job's own report lines
            measures = init_measures(work)
    on, toggled, bare = saves["on"], saves["toggled"], saves["bare"]
    print("tutor config save (median of 15, interleaved; plugin byte-compiled as pip installs it)")
    print(
        f"  enabled {on * 1000:.0f} ms, same config.yml disabled {toggled * 1000:.0f} ms, "
        f"root without LMSBRIDGE_* keys {bare * 1000:.0f} ms"
    )
    print(f"  ratio enabled/disabled (same config.yml): {on / toggled:.3f}  (goal <= 1.03)")
    print(f"  ratio enabled/root without the keys:      {on / bare:.3f}")
    print("init job (SQLite test database)")
    print("  apps  manage.py boots  first run  unchanged re-run  writes on re-run")
    for count, boots, first, again, writes in measures:
        first_ms, again_ms = f"{first * 1000:.0f} ms", f"{again * 1000:.0f} ms"
        print(f"  {count:>4}  {boots:>15}  {first_ms:>9}  {again_ms:>16}  {writes:>16}")
    print("  goals: 1 manage.py boot whatever the number of apps; 0 writes on a re-run")


if __name__ == "__main__":
    main()
