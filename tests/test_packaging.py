"""Tandem installs as a package (issue 14, part 1): a wheel built from the checkout, installed into
an empty folder, runs ``tandem --help``, ``tandem demo`` and ``tandem report`` from another
directory (templates, demo corpus, migrations and the Chinese catalogue are package data), and
``tandem workbench`` starts Streamlit with the same settings as ``.streamlit/config.toml``."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_workbench_flags_are_the_checkout_config():
    from commands.workbench_cmd import STREAMLIT_FLAGS

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    flat = {f"--{section}.{key}": str(value).lower() if isinstance(value, bool) else str(value)
            for section, values in config.items() for key, value in values.items()}
    given = dict(zip(STREAMLIT_FLAGS[::2], STREAMLIT_FLAGS[1::2]))
    assert given == flat
    assert given["--server.address"] == "127.0.0.1"  # never beyond this machine without a team server


def test_workbench_refuses_a_bad_port(tmp_path):
    import cli

    result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "workbench", "--project", str(tmp_path / "p.sqlite"),
                             "--port", "70000", "--print"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "between 1 and 65535" in result.stderr
    assert cli  # imported from the checkout


def test_workbench_refuses_a_missing_project_and_prints_the_project_it_opens(tmp_path):
    """A tester's `workbench --project typo.sqlite` created an empty project silently; every other
    command refuses a missing one. The printed command also carries the project now."""
    missing = tmp_path / "typo.sqlite"
    result = subprocess.run([sys.executable, str(ROOT / "cli.py"), "workbench", "--project", str(missing), "--print"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "does not exist; create it with" in result.stderr
    assert not missing.exists()
    made = subprocess.run([sys.executable, str(ROOT / "cli.py"), "new", "--project", str(missing)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    shown = subprocess.run([sys.executable, str(ROOT / "cli.py"), "workbench", "--project", str(missing), "--print"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert shown.returncode == 0 and shown.stdout.startswith(f"TANDEM_PROJECT={missing} ")


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    wheel_dir, site, source = tmp_path / "wheel", tmp_path / "site", tmp_path / "source"
    # built from a copy: setuptools writes build/ and *.egg-info beside the sources
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".ci-venv", "__pycache__", "build", "*.egg-info",
                                                                "tests", "bench", "screenshots", ".pytest_cache"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(source),
                            "-w", str(wheel_dir)], capture_output=True, text=True, cwd=tmp_path)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheel_dir.glob("tandem-*.whl")
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TANDEM_PROJECT")}
    env.update(PYTHONPATH=str(site), LANG="C.UTF-8", LC_ALL="C.UTF-8", LANGUAGE="")
    tandem = site / "bin" / "tandem"

    def run(*args):
        return subprocess.run([str(tandem), *args], capture_output=True, text=True, cwd=work, env=env, timeout=600)

    helped = run("--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: tandem"), helped.stderr
    where = subprocess.run([sys.executable, "-c", "import report.layout, cli; print(report.layout.TEMPLATES); print(cli.__file__)"],
                           capture_output=True, text=True, cwd=work, env=env)
    assert where.returncode == 0, where.stderr[-2000:]
    templates, cli_file = where.stdout.split()
    assert Path(cli_file).is_relative_to(site) and Path(templates).is_relative_to(site)  # not the checkout
    built = run("demo", "--project", "x.sqlite")
    assert built.returncode == 0, built.stderr
    assert "155 cities" in built.stdout and "8 documents" in built.stdout  # the demo corpus shipped as package data
    drafted = run("report", "--project", "x.sqlite", "--out", "draft.md")
    assert drafted.returncode == 0, drafted.stderr
    assert (work / "draft.md").read_text(encoding="utf-8").startswith("#")
    chinese = subprocess.run([str(tandem), "new", "--project", "x.sqlite"], capture_output=True, text=True, cwd=work,
                             env=dict(env, LANGUAGE="zh_CN"))
    assert chinese.returncode == 1 and "已存在" in chinese.stderr  # the compiled catalogue is package data
    shown = run("workbench", "--project", "x.sqlite", "--print")
    assert shown.returncode == 0 and str(site / "workbench.py") in shown.stdout
    missing = run("runs", "--project", "nothing-here.sqlite")
    assert missing.returncode == 1
    assert "create it with `tandem new --project nothing-here.sqlite`" in missing.stderr  # never `python cli.py`
    assert "cli.py" not in missing.stderr
    words = subprocess.run([sys.executable, "-c", "from applog.program import command_name; print(command_name())"],
                           capture_output=True, text=True, cwd=work, env=env)
    assert words.stdout.strip() == "tandem"  # what the workbench's pages say too (no console script in argv there)


def test_a_checkout_names_its_own_command():
    from applog.program import command_name

    assert (ROOT / "cli.py").is_file() and command_name() == "python cli.py"


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="on POSIX Streamlit replaces the command's process")
def test_stopping_the_workbench_command_stops_its_server(tmp_path):
    """A tester killed `tandem workbench` and its Streamlit server went on listening (re-parented
    to PID 1). Now the server is the command's own process: one signal stops both."""
    import signal
    import socket
    import time
    import urllib.request

    project = tmp_path / "p.sqlite"
    assert subprocess.run([sys.executable, str(ROOT / "cli.py"), "new", "--project", str(project)],
                          capture_output=True, cwd=tmp_path).returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "workbench", "--project", str(project),
                             "--port", str(port)], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    health = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(health, timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the workbench did not start")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        time.sleep(1)
        with pytest.raises(OSError):
            urllib.request.urlopen(health, timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
