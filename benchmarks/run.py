"""Speed goals of tutor-contrib-lmsbridge, measured in one run (`make bench`).

Prints, all from this run:
- `tutor config save` with a plugin enabled / disabled (same config.yml), for ours (MITxOnline
  connected) and, for comparison, Tutor's own official plugins tutor-mfe and tutor-discovery:
  our goal is a ratio <= 1.03;
- `./manage.py` boots in the rendered init task for 1, 3, 10 apps: goal 1;
- database writes on an unchanged re-run of the init job: goal 0;
- init job time on the test database (SQLite) for 1, 3, 10 apps.

`tutor` runs as a subprocess (plugin state is process-global in Tutor) from the benchmark's own
environment (`--tutor`, by default `.venv-bench/bin/tutor`, which `make bench` creates with
this plugin, tutor-mfe and tutor-discovery installed), so that the test environment stays as
it is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.django_harness import setup_django  # noqa: E402
from tests.support.edx_settings import load_lms_settings  # noqa: E402
from tests.support.samples import MITXONLINE, PLATFORM, several_apps  # noqa: E402
from tests.support.tutor_helpers import (  # noqa: E402
    init_python,
    render_env,
    render_init_task,
    set_args,
)

SEED = {"LMSBRIDGE_SECRET_SEED": PLATFORM["LMSBRIDGE_SECRET_SEED"]}
APP_COUNTS = (1, 3, 10)
ROUNDS = 15
# Each plugin measured, with the `--set` arguments of its first `config save`.
PLUGINS: dict[str, Mapping[str, Any]] = {"lmsbridge": MITXONLINE, "mfe": {}, "discovery": {}}
BENCH_TUTOR = ROOT / ".venv-bench" / "bin" / "tutor"


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def byte_compile_plugin() -> None:
    """A regular `pip install` byte-compiles the plugin like Tutor (and like tutor-mfe and
    tutor-discovery here); an editable install under PYTHONDONTWRITEBYTECODE=1 would instead
    recompile its source on every `tutor` run, and the ratio would measure that rather than
    the plugin."""
    import compileall
    import re

    # Only the plugin's modules: openedx_app/ and templates/ are data, not imported by Tutor.
    skip = re.compile(r".*/(openedx_app|templates)/")
    compileall.compile_dir(str(ROOT / "tutor_lmsbridge"), quiet=1, rx=skip)


class Tutor:
    """The `tutor` command of one environment, run in a given root."""

    def __init__(self, executable: Path) -> None:
        if not executable.exists():
            raise SystemExit(f"{executable}: not found. Run `make bench`, which creates it.")
        self.executable = str(executable)

    def __call__(self, root: Path, *args: str) -> None:
        env = {
            **os.environ,
            "TUTOR_ROOT": str(root),
            "TUTOR_PLUGINS_ROOT": str(root / "yaml-plugins"),
        }
        result = subprocess.run(
            [self.executable, *args], env=env, capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise SystemExit(f"tutor {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def version(self, distribution: str) -> str:
        python = str(Path(self.executable).with_name("python"))
        code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
        return subprocess.run(
            [python, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()


def user_config(root: Path) -> dict[str, Any]:
    with open(root / "config.yml", encoding="utf-8") as config_file:
        config: dict[str, Any] = yaml.safe_load(config_file)
    return config


def prepare_roots(
    tutor: Tutor, work: Path, plugin: str, settings: Mapping[str, Any]
) -> dict[str, Path]:
    """Template roots for one plugin: enabled (after a first save), and the same root with the
    plugin disabled and the same config.yml apart from the list of enabled plugins."""
    on, off = work / plugin / "on", work / plugin / "off"
    tutor(on, "plugins", "enable", plugin)
    tutor(on, "config", "save", *set_args(settings))
    shutil.copytree(on, off)
    tutor(off, "plugins", "disable", plugin)
    # `plugins disable` also removes the plugin's CONFIG_OVERRIDES from config.yml
    # (tutor-discovery's ENABLE_PROGRAMS): put them back, so that both roots render the same
    # values and only the plugin differs.
    config = user_config(on)
    config["PLUGINS"] = [name for name in config["PLUGINS"] if name != plugin]
    with open(off / "config.yml", "w", encoding="utf-8") as config_file:
        yaml.safe_dump(config, config_file, default_flow_style=False)
    tutor(off, "config", "save")
    if user_config(off) != config:
        raise SystemExit(f"{plugin}: the disabled root's config.yml differs from the enabled one")
    roots = {"enabled": on, "disabled": off}
    if plugin == "lmsbridge":
        # A root that never had the plugin (no LMSBRIDGE_* keys at all).
        roots["bare"] = work / plugin / "bare"
        tutor(roots["bare"], "config", "save")
    return roots


def config_save_times(
    tutor: Tutor, work: Path, rounds: int = ROUNDS
) -> dict[str, dict[str, float]]:
    """Median `tutor config save` time per plugin and root, all runs interleaved, each in a
    fresh copy of its template root (copied untimed), so that every run sees the same files.

    Tutor renders every string value of config.yml through a fresh Jinja renderer whether a
    plugin reads it or not, so enabled/disabled (same config.yml) is what a plugin costs, and
    for ours disabled/bare what the operator's LMSBRIDGE_* keys cost Tutor."""
    byte_compile_plugin()
    templates = {
        plugin: prepare_roots(tutor, work, plugin, settings) for plugin, settings in PLUGINS.items()
    }
    times: dict[str, dict[str, list[float]]] = {
        plugin: {name: [] for name in roots} for plugin, roots in templates.items()
    }
    fresh = work / "run"
    for _ in range(rounds):
        for plugin, roots in templates.items():
            for name, template in roots.items():
                shutil.rmtree(fresh, ignore_errors=True)
                shutil.copytree(template, fresh)
                times[plugin][name].append(timed(partial(tutor, fresh, "config", "save")))
    return {
        plugin: {name: statistics.median(values) for name, values in by_root.items()}
        for plugin, by_root in times.items()
    }


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

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tutor", type=Path, default=BENCH_TUTOR, help="`tutor` to measure")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    tutor = Tutor(args.tutor)
    distributions = {
        "lmsbridge": "tutor-contrib-lmsbridge",
        "mfe": "tutor-mfe",
        "discovery": "tutor-discovery",
    }
    versions = {plugin: tutor.version(name) for plugin, name in distributions.items()}

    with tempfile.TemporaryDirectory(prefix="lmsbridge-bench-") as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        saves = config_save_times(tutor, work, args.rounds)
        elapsed = time.perf_counter() - start
        # The init job's own report lines, and the after-save notices of render_env.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            measures = init_measures(work)
    print(
        f"tutor config save, tutor {tutor.version('tutor')} (median of {args.rounds}, "
        f"interleaved, each in a fresh root; plugins byte-compiled as pip installs them; "
        f"{elapsed:.0f} s)"
    )
    print("  plugin                 enabled  disabled (same config.yml)   cost   ratio")
    for plugin, by_root in saves.items():
        on, off = by_root["enabled"], by_root["disabled"]
        label = f"{plugin} {versions[plugin]}"
        cost = f"{(on - off) * 1000:+.0f} ms"
        print(
            f"  {label:<21} {on * 1000:>5.0f} ms  {off * 1000:>23.0f} ms  {cost:>6}  {on / off:.3f}"
        )
    ours = saves["lmsbridge"]
    print("  disabled = a default root: Tutor enables mfe and indigo in a new root (mfe's own")
    print("  disabled root keeps indigo only); goal for lmsbridge: ratio <= 1.03")
    print(
        f"  lmsbridge vs a root without LMSBRIDGE_* keys ({ours['bare'] * 1000:.0f} ms): "
        f"{ours['enabled'] / ours['bare']:.3f}"
    )
    print("init job (SQLite test database)")
    print("  apps  manage.py boots  first run  unchanged re-run  writes on re-run")
    for count, boots, first, again, writes in measures:
        first_ms, again_ms = f"{first * 1000:.0f} ms", f"{again * 1000:.0f} ms"
        print(f"  {count:>4}  {boots:>15}  {first_ms:>9}  {again_ms:>16}  {writes:>16}")
    print("  goals: 1 manage.py boot whatever the number of apps; 0 writes on a re-run")


if __name__ == "__main__":
    main()
