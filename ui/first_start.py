"""First start: the demo project is built in the background while a first page shows its progress.

On a machine where the demo does not exist yet (and no project is named or remembered),
``workbench.py`` shows :func:`render_waiting` at once instead of blocking on the build
(about 15 s): a welcome with an ``st.status`` whose steps are those of
:data:`data.demo.build.STEPS`, refreshed every half second, and the workbench's pages as
soon as the demo is published. One build per server process (:func:`start` is idempotent;
every browser session watches the same one); builds by other processes wait on the demo's
lock file (:func:`data.demo.atomic.build_lock`), so nobody sees a half-built project.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

import applog
from applog.errors import TandemError
from data.demo.build import STEPS, default_demo_path, ensure_demo
from i18n import N_, _

STEP_LABELS = {
    "cities": N_("Cities: census facts, boundaries, simulated breadth"),
    "dyads": N_("City pairs: covariates and simulated connection and degree"),
    "documents": N_("Documents: the illustrative interviews and field notes"),
    "segmenting": N_("Segmenting the documents into sentences and sections"),
    "codings": N_("Codings: coded passages linked to cities and pairs, memos"),
}


@dataclass
class DemoBuild:
    """One background build of the demo at ``path``; read it through :meth:`snapshot`."""

    path: Path
    step: str | None = None
    detail: str = ""
    done: bool = False
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _progress(self, step: str, detail: str) -> None:
        with self._lock:
            self.step, self.detail = step, detail

    def run(self) -> None:
        try:
            ensure_demo(self.path, progress=self._progress)
        except Exception as exc:  # shown on the page as one sentence
            if not isinstance(exc, TandemError):  # a bug, not a refusal: its traceback goes to the log
                applog.log_unexpected(exc, "ui")
            with self._lock:
                self.error = f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        with self._lock:
            self.done, self.finished = True, time.monotonic()

    def snapshot(self) -> dict:
        """``{"step", "detail", "done", "error", "seconds"}`` at this moment (thread-safe)."""
        with self._lock:
            end = self.finished if self.finished is not None else time.monotonic()
            return {"step": self.step, "detail": self.detail, "done": self.done, "error": self.error,
                    "seconds": round(end - self.started, 1)}


_BUILDS: dict[Path, DemoBuild] = {}
_BUILDS_LOCK = threading.Lock()


def start(path: Path | None = None) -> DemoBuild:
    """The running (or finished) background build of the demo at ``path`` (default
    :func:`default_demo_path`), started now if there is none or the last one failed."""
    path = Path(path or default_demo_path())
    with _BUILDS_LOCK:
        build = _BUILDS.get(path)
        if build is None or (build.done and (build.error or not path.exists())):
            build = DemoBuild(path)
            _BUILDS[path] = build
            threading.Thread(target=build.run, name="tandem-demo-build", daemon=True).start()
        return build


def pending(path: Path | None = None) -> bool:
    """Whether the demo at ``path`` is not there yet (being built, or to be built)."""
    return not Path(path or default_demo_path()).exists()


def _steps_markdown(snap: dict) -> str:
    current = STEPS.index(snap["step"]) if snap["step"] in STEPS else -1
    lines = []
    for i, step in enumerate(STEPS):
        mark = (":material/check_circle:" if i < current or snap["done"]
                else ":material/hourglass_top:" if i == current else ":material/radio_button_unchecked:")
        extra = f" — {snap['detail']}" if i == current and step == "segmenting" and not snap["done"] else ""
        lines.append(f"{mark} {_(STEP_LABELS[step])}{extra}")
    return "  \n".join(lines)


def render_waiting() -> None:
    """The first page while the demo builds: a welcome, the build's steps, then the workbench."""
    build = start()
    st.title(_("Tandem"))
    st.markdown(_(
        "A mixed-methods workbench for inter-city collaboration: code interviews and field notes, fit "
        "models of breadth, connection and degree, and read coefficients beside coded evidence.\n\n"
        "This is the first start on this computer, so the **demo project** is being built "
        "(about 15 s). Its pages open by themselves when it is ready."
    ))

    @st.fragment(run_every=0.5)
    def _progress() -> None:
        snap = build.snapshot()
        if snap["done"] and not snap["error"]:
            st.rerun(scope="app")
        label = (_("The demo project could not be built.") if snap["error"]
                 else _("Building the demo project… {seconds:.0f} s").format(seconds=snap["seconds"]))
        with st.status(label, expanded=True, state="error" if snap["error"] else "running"):
            st.markdown(_steps_markdown(snap))
            if snap["error"]:
                st.error(snap["error"])
        if snap["error"] and st.button(_("Try again")):
            start()
            st.rerun(scope="app")

    _progress()
