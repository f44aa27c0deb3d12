"""Run the real Tutor: in this process (rendering) or as the `tutor` command (CLI)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TUTOR = str(Path(sys.executable).with_name("tutor"))


def set_args(settings: Mapping[str, Any]) -> list[str]:
    """``--set KEY=VALUE`` arguments; Tutor parses each value as YAML (JSON is YAML)."""
    args: list[str] = []
    for key, value in settings.items():
        text = value if isinstance(value, str) else json.dumps(value)
        args += ["--set", f"{key}={text}"]
    return args


# The two RSA keys a new root's first `config save` generates (Tutor's JWT key, the plugin's
# SAML SP key): Tutor's rsa_private_key filter searches primes in pure Python, ~0.5 s of CPU
# per key, rendered twice before the first save, so ~2 s per new root, for ~150 roots a run.
# A test root starts with both already in config.yml, as an operator's existing root has them
# (Tutor keeps a config.yml value and generates only what is missing); the generation itself
# is tested where it matters (`seed_keys=False`, `make demo`).
SEEDED_KEYS = ("JWT_RSA_PRIVATE_KEY", "LMSBRIDGE_SP_PRIVATE_KEY")


def seed_generated_keys(root: Path, **extra: Any) -> None:
    from .samples import sp_private_key

    root.mkdir(parents=True, exist_ok=True)
    config = {**{key: sp_private_key(f"seeded {key}") for key in SEEDED_KEYS}, **extra}
    (root / "config.yml").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")


def enable_lmsbridge(root: Path) -> None:
    """`tutor plugins enable lmsbridge`, for a root whose next command is `tutor config save`.

    Tutor's `plugins enable` adds the plugin to PLUGINS in config.yml and renders the whole env
    (~1.4 s of CPU), which that save renders again. A new root therefore starts with PLUGINS
    (and the seeded keys) in its config.yml instead: the save then renders what it renders
    after a real `plugins enable`. `tests/test_tutor_cli.py` runs the real command."""
    if (root / "config.yml").exists():
        run_tutor(root, "plugins", "enable", "lmsbridge")
        return
    seed_generated_keys(root, PLUGINS=["lmsbridge"])


def run_tutor(
    root: Path, *args: str, check: bool = True, answers: str = "", seed_keys: bool = True
) -> subprocess.CompletedProcess[str]:
    """``answers``: what is typed at Tutor's interactive questions (`launch` asks some).
    ``seed_keys``: a new root starts with the two generated RSA keys (SEEDED_KEYS)."""
    if seed_keys and not (root / "config.yml").exists():
        seed_generated_keys(root)
    env = {**os.environ, "TUTOR_ROOT": str(root), "TUTOR_PLUGINS_ROOT": str(root / "yaml-plugins")}
    # Not check=True: this function raises its own error, with Tutor's output.
    result = subprocess.run(
        [TUTOR, *args], env=env, input=answers, capture_output=True, text=True, timeout=60
    )
    if check and result.returncode != 0:
        raise AssertionError(f"tutor {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def fake_cluster(monkeypatch: Any, bin_dir: Path) -> None:
    """`tutor k8s do` without a cluster: ``bin_dir`` (its fake kubectl) first on PATH, and a
    Kubernetes API client whose every Job is already done (Tutor polls it between sleeps)."""
    from types import SimpleNamespace

    from tutor.commands import k8s as tutor_k8s

    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    done = SimpleNamespace(status=SimpleNamespace(active=None, succeeded=1, failed=None))
    batch_api = SimpleNamespace(list_namespaced_job=lambda *a, **k: SimpleNamespace(items=[done]))
    monkeypatch.setattr(
        tutor_k8s.K8sClients, "instance", staticmethod(lambda: SimpleNamespace(batch_api=batch_api))
    )
    monkeypatch.setattr(tutor_k8s, "sleep", lambda _seconds: None)


def saved_root(path: Path, settings: Mapping[str, Any] | None = None) -> Path:
    """``path`` made a root with the plugin enabled and ``settings`` saved (`tutor config
    save --set ...`), as an operator's first commands leave it."""
    enable_lmsbridge(path)
    run_tutor(path, "config", "save", *set_args(settings or {}))
    return path


def copy_root(saved: Path, tmp_path: Path) -> Path:
    """A test's own copy of a root saved once per module: each `tutor plugins enable` and
    `config save` renders Tutor's whole env (seconds of CPU), which a test that only changes
    one key need not pay again. The copy has the saved root's config.yml, seed and env."""
    copy = tmp_path / "root"
    shutil.copytree(saved, copy)
    return copy


FAKE_TOOL = """#!{python}
import json, os, shutil, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[-3:] == ["ls", "--format", "json"]:  # docker compose ls
    print("[]")
if args[:1] == ["kustomize"]:  # kubectl kustomize: the Job definitions Tutor rendered
    print(open(os.path.join(args[1], "k8s", "jobs.yml")).read())
if args[:2] == ["apply", "-f"]:
    shutil.copy(args[2], {applied!r})
if "run" in args and os.environ.get("FAKE_JOB_FAILS"):  # the job's container fails
    sys.exit(1)
"""


def fake_tools(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Fake `docker` and `kubectl` on PATH that record how Tutor calls them."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log, applied = tmp_path / "calls.log", tmp_path / "applied-job.yml"
    for tool in ("docker", "kubectl"):
        path = bin_dir / tool
        path.write_text(FAKE_TOOL.format(python=sys.executable, log=str(log), applied=str(applied)))
        path.chmod(0o755)
    return bin_dir, log, applied


def load_plugin_in_process() -> None:
    """Load Tutor's CLI hooks and the lmsbridge plugin into this (test) process, once."""
    import tutor.commands.cli  # noqa: F401  (registers Tutor's core hooks)
    from tutor import hooks, plugins

    if not plugins.is_loaded("lmsbridge"):
        hooks.Actions.CORE_READY.do()  # discovers installed plugins, as `tutor` does
        plugins.load("lmsbridge")


def render_env(root: Path, settings: Mapping[str, Any]) -> Path:
    """Render Tutor's whole env for the default config plus ``settings``; return env/.

    Values are put into the loaded configuration as they are, after Tutor's own Jinja pass,
    so that what reaches the plugin's templates is exactly ``settings``.
    """
    from tutor import config as tutor_config
    from tutor import env as tutor_env

    load_plugin_in_process()
    config = tutor_config.load_full(str(root))
    config.update(settings)
    tutor_env.save(str(root), config)
    return root / "env"


INIT_HEREDOC_START = "<<'LMSBRIDGE_INIT_EOF'\n"
INIT_HEREDOC_END = "\nLMSBRIDGE_INIT_EOF"


def render_init_task(root: Path, settings: Mapping[str, Any], task: str | None = None) -> str:
    """The lms init task (or another of the plugin's task templates, ``task``) as Tutor
    renders it before running it in the lms-job container."""
    from tutor import config as tutor_config
    from tutor import env as tutor_env

    from tutor_lmsbridge import plugin

    load_plugin_in_process()
    config = tutor_config.load_full(str(root))
    config.update(settings)
    return tutor_env.render_str(config, plugin.INIT_TASK if task is None else task)


def init_python(script: str) -> str:
    """The Python the init task feeds to `./manage.py lms shell` on stdin."""
    start = script.index(INIT_HEREDOC_START) + len(INIT_HEREDOC_START)
    return script[start : script.index(INIT_HEREDOC_END, start)]
