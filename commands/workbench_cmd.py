"""The ``workbench`` command: start the Streamlit workbench on a project from any directory.

``tandem workbench --project P [--port N] [--print]`` runs ``python -m streamlit run`` on the
installed ``workbench.py`` with ``TANDEM_PROJECT=P`` and the settings of the checkout's
``.streamlit/config.toml`` given as flags (an installed Tandem has no such file beside the user's
working directory): listening on 127.0.0.1 only, uploads up to 50 MB, no usage statistics,
Streamlit's own table download off (every export goes through Tandem's Excel-safe buttons). A
team server is configured as the README says, not with this command. ``--print`` prints the
command instead of running it.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from commands.common import CliError, project
from i18n import _

__all__ = ["register", "cmd_workbench", "streamlit_command", "STREAMLIT_FLAGS"]

#: The flags that stand for ``.streamlit/config.toml`` (kept equal by tests/test_packaging.py).
STREAMLIT_FLAGS = (
    "--server.address", "127.0.0.1",
    "--server.maxUploadSize", "50",
    "--browser.gatherUsageStats", "false",
    "--client.toolbarMode", "minimal",
    "--client.disableDataExport", "true",
)


def register(add) -> None:
    """Add the ``workbench`` command."""
    p = add("workbench", cmd_workbench, _("Start the workbench in the browser on this project (listening on this "
                                          "machine only)."))
    p.add_argument("--port", type=int, default=8501, help=_("port to listen on (default 8501)"))
    p.add_argument("--print", dest="print_only", action="store_true",
                   help=_("print the command instead of running it"))


def streamlit_command(port: int = 8501) -> list[str]:
    """The argument vector that runs the installed ``workbench.py`` with Streamlit.

    Raises
    ------
    CliError
        The port is outside 1–65535, or ``workbench.py`` is not installed beside ``cli.py``.
    """
    if not 0 < int(port) < 65536:
        raise CliError(_("The port must be between 1 and 65535, not {port}.").format(port=port))
    app = Path(__file__).resolve().parent.parent / "workbench.py"
    if not app.is_file():
        raise CliError(_("The workbench ({path}) is not installed beside the command line; reinstall Tandem.")
                       .format(path=app))
    return [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(int(port)), *STREAMLIT_FLAGS]


def cmd_workbench(args) -> str:
    """Run Streamlit in the foreground until it is stopped (Ctrl+C, or a signal to this process:
    on POSIX Streamlit replaces it, so no server outlives the command); returns nothing to print."""
    command = streamlit_command(args.port)
    with project(args.project):  # a missing or unreadable project is one sentence here, not a new empty file
        pass
    if args.print_only:
        return f"TANDEM_PROJECT={shlex.quote(str(args.project))} {shlex.join(command)}"
    env = dict(os.environ, TANDEM_PROJECT=str(args.project))
    if os.name == "posix":  # Streamlit takes this process's place: stopping `tandem` stops the server
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(command[0], command, env)
    try:
        subprocess.run(command, env=env, check=False)
    except KeyboardInterrupt:
        pass
    return ""
