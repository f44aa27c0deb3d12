"""Speed goals of tutor-contrib-lmsbridge, measured in one run (`make bench`).

Prints, all from this run:
- `tutor config save` with a plugin enabled / disabled (same config.yml), for ours (MITxOnline
  connected) and, for comparison, Tutor's own official plugins tutor-mfe and tutor-discovery.
  Two measures: CPU time (the median of the per-round ratios) and instructions executed
  (valgrind's callgrind, one save each), which do not move from run to run when time does, in
  all and without those of pycryptodome's C modules (see bignum_instructions);
- the guard: the instructions of a save with our plugin enabled over those of the same root
  without any LMSBRIDGE_* key must stay <= GUARD; above it (or without valgrind, which counts
  them) the benchmark exits non-zero;
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
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

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
# What `tutor config save` may cost with the plugin, in instructions, against the bare root.
GUARD = 1.10
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

    def __call__(self, root: Path, *args: str, wrapper: tuple[str, ...] = ()) -> str:
        """Run `tutor ARGS` in ``root`` (under ``wrapper``, e.g. valgrind); its stderr."""
        env = {
            **os.environ,
            "TUTOR_ROOT": str(root),
            "TUTOR_PLUGINS_ROOT": str(root / "yaml-plugins"),
            # The same dict and set iteration order in every run, for instruction counts.
            "PYTHONHASHSEED": "0",
        }
        result = subprocess.run(
            [*wrapper, self.executable, *args], env=env, capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0:
            raise SystemExit(f"tutor {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stderr

    def cpu_time(self, root: Path, *args: str) -> float:
        """CPU seconds (user + system) of `tutor ARGS`: unlike wall time, this leaves out
        the time the machine gave to other jobs."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        self(root, *args)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    def instructions(self, root: Path, *args: str) -> Counted:
        """Instructions executed by `tutor ARGS`, counted by valgrind's callgrind."""
        out = root.parent / f"{root.name}.callgrind"
        valgrind = ("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}")
        stderr = self(root, *args, wrapper=valgrind)
        found = re.search(r"Collected : (\d+)", stderr)
        if found is None:
            raise SystemExit(f"valgrind printed no instruction count:\n{stderr}")
        return Counted(int(found.group(1)), bignum_instructions(out))

    def version(self, distribution: str) -> str:
        python = str(Path(self.executable).with_name("python"))
        code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
        return subprocess.run(
            [python, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()


class Counted(NamedTuple):
    """One run's instructions, and how many of them ran in pycryptodome's compiled modules."""

    total: int
    bignum: int | None  # None without callgrind_annotate

    @property
    def rest(self) -> int:
        return self.total - (self.bignum or 0)

    def ratios(self, other: Counted) -> tuple[float, float | None]:
        """This run over ``other``: in all, and without bignum (None if not counted)."""
        rest = None if self.bignum is None else self.rest / other.rest
        return self.total / other.total, rest


# A line of `callgrind_annotate`: "727,055,328 (15.29%)  file.c:function [/path/to/object.so]".
ANNOTATED_LINE = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s.*\[([^\]]+)\]\s*$", re.MULTILINE)


def bignum_instructions(callgrind_out: Path) -> int | None:
    """Instructions spent in pycryptodome's C modules: Tutor checks its RSA key (Miller-Rabin,
    i.e. modular exponentiations) on every load of the configuration, with or without any
    plugin. That code runs many more instructions per second than Python does, so a ratio of
    totals understates what a plugin's Python costs in time; the ratio without it does not
    (figures in benchmarks/README.rst)."""
    if shutil.which("callgrind_annotate") is None:
        return None
    annotated = subprocess.run(
        ["callgrind_annotate", "--threshold=100", str(callgrind_out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(
        int(count.replace(",", ""))
        for count, obj in ANNOTATED_LINE.findall(annotated)
        if f"{os.sep}Crypto{os.sep}" in obj
    )


def user_config(root: Path) -> dict[str, Any]:
    with open(root / "config.yml", encoding="utf-8") as config_file:
        config: dict[str, Any] = yaml.safe_load(config_file)
    return config


def save_with(tutor: Tutor, root: Path, config: dict[str, Any], what: str) -> None:
    """Write ``config`` as the root's config.yml and save, checking that Tutor kept it."""
    with open(root / "config.yml", "w", encoding="utf-8") as config_file:
        yaml.safe_dump(config, config_file, default_flow_style=False)
    tutor(root, "config", "save")
    if user_config(root) != config:
        raise SystemExit(f"{what}'s config.yml is not the one written")


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
    save_with(tutor, off, config, f"{plugin}: the disabled root")
    roots = {"enabled": on, "disabled": off}
    if plugin == "lmsbridge":
        # The disabled root without any LMSBRIDGE_* key, Tutor's own values kept: a root of
        # its own would have other generated keys, and checking Tutor's JWT key (done on
        # every save) costs more or less depending on the key.
        bare = roots["bare"] = work / plugin / "bare"
        shutil.copytree(off, bare)
        config = {k: v for k, v in user_config(off).items() if not k.startswith("LMSBRIDGE_")}
        save_with(tutor, bare, config, "lmsbridge: the bare root")
    return roots


def config_save_times(
    tutor: Tutor, templates: Mapping[str, Mapping[str, Path]], work: Path, rounds: int = ROUNDS
) -> dict[str, dict[str, list[float]]]:
    """CPU time of `tutor config save` per plugin and root, one value per round, all runs
    interleaved, each in a fresh copy of its template root (copied untimed), so that every run
    sees the same files.

    Tutor renders every string value of config.yml through a fresh Jinja renderer whether a
    plugin reads it or not, so enabled/disabled (same config.yml) is what a plugin costs, and
    for ours disabled/bare what the operator's LMSBRIDGE_* keys cost Tutor."""
    times: dict[str, dict[str, list[float]]] = {
        plugin: {name: [] for name in roots} for plugin, roots in templates.items()
    }
    fresh = work / "run"
    for _ in range(rounds):
        for plugin, roots in templates.items():
            for name, template in roots.items():
                shutil.rmtree(fresh, ignore_errors=True)
                shutil.copytree(template, fresh)
                times[plugin][name].append(tutor.cpu_time(fresh, "config", "save"))
    return times


def paired_ratio(numerators: list[float], denominators: list[float]) -> float:
    """The median of the per-round ratios: runs of one round are seconds apart, so a slower
    spell of the machine weighs on both sides of a ratio, and outliers do not move a median."""
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


def config_save_instructions(
    tutor: Tutor, templates: Mapping[str, Mapping[str, Path]], work: Path
) -> dict[str, dict[str, Counted]] | None:
    """Instructions of one `tutor config save` per plugin and root (None without valgrind),
    the runs spread over the machine's cores."""
    if shutil.which("valgrind") is None:
        return None
    runs = [
        (plugin, name, template)
        for plugin, roots in templates.items()
        for name, template in roots.items()
    ]

    def count(run: tuple[str, str, Path]) -> Counted:
        plugin, name, template = run
        fresh = work / "counted" / plugin / name
        shutil.copytree(template, fresh)
        return tutor.instructions(fresh, "config", "save")

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = list(pool.map(count, runs))
    result: dict[str, dict[str, Counted]] = {plugin: {} for plugin in templates}
    for (plugin, name, _), instructions in zip(runs, counts, strict=True):
        result[plugin][name] = instructions
    return result


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
        byte_compile_plugin()
        templates = {
            plugin: prepare_roots(tutor, work, plugin, settings)
            for plugin, settings in PLUGINS.items()
        }
        saves = config_save_times(tutor, templates, work, args.rounds)
        elapsed = time.perf_counter() - start
        counted = config_save_instructions(tutor, templates, work)
        # The init job's own report lines, and the after-save notices of render_env.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            measures = init_measures(work)
    print(
        f"tutor config save, tutor {tutor.version('tutor')}: CPU time (user + system), medians of "
        f"{args.rounds} interleaved rounds, each in a fresh root, ratio = median of the per-round "
        f"ratios; plugins byte-compiled as pip installs them ({elapsed:.0f} s). Instructions: "
        "one save each, counted by valgrind's callgrind"
    )
    print(
        "  plugin                 enabled  disabled (same config.yml)   cost   ratio  instructions"
        "         without bignum"
    )
    for plugin, by_root in saves.items():
        on, off = (statistics.median(by_root[name]) for name in ("enabled", "disabled"))
        label = f"{plugin} {versions[plugin]}"
        cost = f"{(on - off) * 1000:+.0f} ms"
        ratio = paired_ratio(by_root["enabled"], by_root["disabled"])
        instructions = "(valgrind not installed)"
        if counted is not None:
            count_on, count_off = counted[plugin]["enabled"], counted[plugin]["disabled"]
            total, rest = count_on.ratios(count_off)
            instructions = f"{total:.3f} ({(count_on.total - count_off.total) / 1e6:+,.0f} M)"
            if rest is not None:
                instructions = f"{instructions:<20} {rest:.3f}"
        print(
            f"  {label:<21} {on * 1000:>5.0f} ms  {off * 1000:>23.0f} ms  {cost:>6}  "
            f"{ratio:.3f}  {instructions}"
        )
    ours = saves["lmsbridge"]
    print("  disabled = a default root: Tutor enables mfe and indigo in a new root (mfe's own")
    print("  disabled root keeps indigo only). Without bignum: leaving out the instructions of")
    print("  pycryptodome's C modules (Tutor's RSA key check, see benchmarks/README.rst)")
    bare = f"{paired_ratio(ours['enabled'], ours['bare']):.3f}"
    if counted is not None:
        total, rest = counted["lmsbridge"]["enabled"].ratios(counted["lmsbridge"]["bare"])
        bare += f", instructions {total:.3f}"
        if rest is not None:
            bare += f" ({rest:.3f} without bignum)"
    bare_ms = statistics.median(ours["bare"]) * 1000
    print(f"  lmsbridge vs a root without LMSBRIDGE_* keys ({bare_ms:.0f} ms): {bare}")
    print("init job (SQLite test database)")
    print("  apps  manage.py boots  first run  unchanged re-run  writes on re-run")
    for count, boots, first, again, writes in measures:
        first_ms, again_ms = f"{first * 1000:.0f} ms", f"{again * 1000:.0f} ms"
        print(f"  {count:>4}  {boots:>15}  {first_ms:>9}  {again_ms:>16}  {writes:>16}")
    print("  goals: 1 manage.py boot whatever the number of apps; 0 writes on a re-run")
    sys.exit(guard(counted))


def guard(counted: Mapping[str, Mapping[str, Counted]] | None) -> int:
    """Print the guard's verdict; the exit status: 0 within it, 1 above, 2 when not counted."""
    if counted is None:
        print(f"guard: not checked: it counts instructions (<= {GUARD:.2f}); install valgrind")
        return 2
    total, _ = counted["lmsbridge"]["enabled"].ratios(counted["lmsbridge"]["bare"])
    verdict = "ok" if total <= GUARD else "FAILED"
    print(
        f"guard: lmsbridge vs a root without LMSBRIDGE_* keys, instructions {total:.3f} "
        f"(<= {GUARD:.2f}): {verdict}"
    )
    return 0 if total <= GUARD else 1


if __name__ == "__main__":
    main()
