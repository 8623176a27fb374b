"""How far to trust the assistant: leave-one-document-out evaluation on the project's own human
codings, reported as precision, recall and agreement with the human coders.

Protocol. The *coded documents* are the current documents holding at least one anchored human
coding (``Coding.origin == 'human'``); a document nobody coded says nothing about what should be
coded, so it is left out (as ``coding.agreement`` treats a coder's uncoded documents as missing).
For each chosen code ``c`` and each coded document ``d``: the scorer is given the other coded
documents as training documents and the units of ``d`` (stored sentences or paragraphs); each unit
gets a score; the assistant rates the unit 1 when ``score >= threshold`` (NaN counts as 0). The
human rating (gold) is 1 when a human coding of ``c`` by any coder overlaps the unit by at least
one character (``coding.agreement.units``' rule), else 0. Over all units of all coded documents,
with ``tp`` (both 1), ``fp`` (assistant only), ``fn`` (human only) and ``tn``:
precision ``tp / (tp + fp)``, recall ``tp / (tp + fn)``, and Cohen's kappa (Cohen 1960) and
Krippendorff's nominal alpha (Krippendorff 2011) between the two raters, computed by
``coding.agreement.coefficients`` from the 2x2 table. The pooled row stacks every (code, unit)
pair of every code.

Scorer protocol (the contract other scorers, e.g. an LLM's, implement)::

    scorer(session, code_id, train_document_ids, test_document_id, units) -> array (len(units),)

- ``session``: the project session (read only: a scorer must not write codings);
- ``code_id``: int, the code being evaluated;
- ``train_document_ids``: list of int, the other coded documents (the scorer may learn from the
  human codings of ``code_id`` in them, and must not look at codings of ``test_document_id``);
- ``test_document_id``: int;
- ``units``: DataFrame ``document_id, document, start, end, text`` (code points; the units of the
  test document in text order);
- returns float scores, higher meaning "the code applies"; they are compared with the threshold
  (an LLM scorer returning 0/1 votes works with any threshold in (0, 1]). A scorer may have
  attributes ``name`` (shown as the model) and ``threshold`` (a default threshold).

The default scorer, :class:`EncoderScorer`, scores a unit as ``assist.suggest`` does: the mean of
its ``NEIGHBOURS`` (3) highest cosines to the quotes of the human codings of the code in the
training documents (``assist.suggest.example_scores``), 0 when they hold none.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from assist import embed
from assist import encoder as encoder_module
from assist.errors import AssistError
from assist.spans import check_unit, codings_frame, document_ids, overlap_mask
from assist.suggest import NEIGHBOURS, example_scores, resolve_codes
from coding.agreement import POOLED, coefficients
from coding.tree import codebook
from i18n import N_, _

__all__ = ["EVAL_COLUMNS", "SWEEP", "EncoderScorer", "assist_eval", "kappa_table", "methods_sentence", "Scorer"]

Scorer = Callable[[Session, int, list, int, pd.DataFrame], np.ndarray]

EVAL_COLUMNS = ["code_id", "code", "documents", "units", "gold", "predicted", "tp", "fp", "fn", "tn", "precision",
                "recall", "pct_agreement", "kappa", "alpha"]

HEADERS = {"code": N_("Code"), "documents": N_("Documents"), "units": N_("Units"), "gold": N_("Human"),
           "predicted": N_("Assistant"), "tp": N_("Both"), "precision": N_("Precision"), "recall": N_("Recall"),
           "kappa": N_("Cohen's κ"), "alpha": N_("Krippendorff's α")}
#: The unit words of :func:`methods_sentence`, translated when the sentence is made.
UNIT_WORDS = {"sentence": N_("sentence"), "paragraph": N_("paragraph")}


class EncoderScorer:
    """Mean of the ``neighbours`` highest cosines between each unit and the quotes of the code's human
    codings in the training documents (0 when they hold none). Unit vectors come from ``assist.embed`` (embedded first
    when missing); a unit without a stored vector (too short to embed) scores 0.

    ``threshold`` (0.4), the default cut of :func:`assist_eval` for this scorer, was measured: the
    mean of the three nearest cosines of this encoder lies mostly between 0.3 and 0.6 for passages
    of the same code, so 0.5 predicts almost nothing. On the demo project (8 documents, 11 codes,
    202 sentences) pooled over codes: kappa -0.00 at 0.5, 0.34 at 0.4, 0.37 at 0.35 (precision
    0.48 and recall 0.29 at 0.4); ``attrs["sweep"]`` shows the neighbours of any cut."""

    threshold = 0.4

    def __init__(self, encoder: Any = None, unit: str = "sentence", neighbours: int = NEIGHBOURS):
        self._encoder = encoder
        self.unit = unit
        self.neighbours = neighbours
        self._vectors: dict[int, dict[tuple[int, int], np.ndarray]] = {}
        self._quotes: dict[str, np.ndarray] = {}
        self._examples: pd.DataFrame | None = None

    @property
    def encoder(self):
        if self._encoder is None:
            self._encoder = encoder_module.encoder()
        return self._encoder

    @property
    def name(self) -> str:
        return getattr(self.encoder, "model", None) or encoder_module.model_id()

    def _doc_vectors(self, session: Session, doc: int) -> dict[tuple[int, int], np.ndarray]:
        if doc not in self._vectors:
            embed.ensure(session, document_ids=[doc], unit=self.unit, encoder=self.encoder)
            refs, matrix = embed.vectors(session, unit=self.unit, document_ids=[doc])
            self._vectors[doc] = {(int(s), int(e)): matrix[i] for i, (s, e) in enumerate(zip(refs["start"], refs["end"]))}
        return self._vectors[doc]

    def __call__(self, session: Session, code_id: int, train_document_ids: list, test_document_id: int,
                 units: pd.DataFrame) -> np.ndarray:
        if self._examples is None:
            self._examples = codings_frame(session, human_only=True)
        ex = self._examples
        quotes = ex.loc[(ex["code_id"] == code_id) & ex["document_id"].isin(list(train_document_ids)), "quote"].tolist()
        if not quotes or units.empty:
            return np.zeros(len(units))
        new = sorted({q for q in quotes if q not in self._quotes})
        if new:
            self._quotes.update(zip(new, self.encoder.encode(new)))
        examples = np.stack([self._quotes[q] for q in quotes])
        vectors = self._doc_vectors(session, test_document_id)
        out = np.zeros(len(units))
        found = [(i, vectors.get((int(s), int(e)))) for i, (s, e) in enumerate(zip(units["start"], units["end"]))]
        found = [(i, v) for i, v in found if v is not None]
        if found:
            out[[i for i, _v in found]] = example_scores(np.stack([v for _i, v in found]), examples,
                                                         self.neighbours)[0]
        return out


def _units(session: Session, unit: str, docs: list[int]) -> pd.DataFrame:
    seg, d = store.Segment, store.Document
    rows = session.execute(select(seg.document_id, d.name, seg.start, seg.end)
                           .join(d, d.id == seg.document_id)
                           .where(seg.kind == unit, seg.document_id.in_(docs))
                           .order_by(seg.document_id, seg.start)).all()
    frame = pd.DataFrame(rows, columns=["document_id", "document", "start", "end"])
    texts = dict(session.execute(select(d.id, d.text).where(d.id.in_(docs))).all()) if docs else {}
    frame["text"] = [texts[i][s:e] for i, s, e in zip(frame["document_id"], frame["start"], frame["end"])]
    return frame


def _counts_row(cid, name, n_docs, tp, fp, fn, tn) -> list:
    ratings = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], dtype=float)  # (assistant, human)
    res = coefficients(ratings, np.array([tp, fp, fn, tn], dtype=float))
    nan = float("nan")
    precision = tp / (tp + fp) if tp + fp else nan
    recall = tp / (tp + fn) if tp + fn else nan
    return [cid, name, n_docs, tp + fp + fn + tn, tp + fn, tp + fp, tp, fp, fn, tn, precision, recall,
            res["pct_agreement"], res["cohen_kappa"], res["alpha"]]


#: Thresholds of the sweep reported beside the table (``attrs["sweep"]``).
SWEEP = tuple(round(0.25 + 0.05 * i, 2) for i in range(10))


def assist_eval(session: Session, codes: Any = None, unit: str = "sentence", threshold: float | None = None,
                scorer: Scorer | None = None, *, encoder: Any = None) -> pd.DataFrame:
    """Leave-one-document-out evaluation of a scorer against the human codings (module text).

    Parameters
    ----------
    codes : int, str or iterable, optional
        Code ids or names/paths; default every codable code whose human codings lie in at least
        two coded documents (one document leaves nothing to learn from when it is held out), in
        codebook order.
    unit : {"sentence", "paragraph"}
    threshold : float, optional
        A unit is predicted positive when its score is at least this. Default: the scorer's
        ``threshold`` attribute, else 0.5 (:class:`EncoderScorer` has 0.4, see its text).
    scorer : callable, optional
        See the scorer protocol in the module text; default :class:`EncoderScorer`.
    encoder : Encoder, optional
        For the default scorer.

    Returns
    -------
    DataFrame
        :data:`EVAL_COLUMNS`, one row per code (``code``: its name, or its path when another code
        has the same name) then the pooled row (``code_id`` missing, ``code`` =
        ``coding.agreement.POOLED``). ``units`` = units rated, ``gold``/``predicted`` =
        units the human(s)/the assistant rated 1; ``tp, fp, fn, tn`` the 2x2 table;
        ``precision``/``recall`` NaN when their denominator is 0; ``kappa``/``alpha`` NaN when
        undefined (both raters constant in one category). ``attrs``: ``unit``, ``threshold``,
        ``model``, ``documents`` (names), ``codes`` (names) and ``sweep``: a DataFrame of the
        pooled ``threshold, predicted, precision, recall, kappa, alpha`` at each of
        :data:`SWEEP` (the same scores, so the researcher sees how the choice of threshold
        matters; a threshold picked from it is tuned on these data, so its figures are
        optimistic).

    Raises
    ------
    AssistError
        Bad unit or threshold, an unknown code, fewer than two coded documents, no code to
        evaluate, no units stored, or a scorer returning the wrong number of scores.
    """
    unit = check_unit(unit)
    scorer = scorer if scorer is not None else EncoderScorer(encoder, unit)
    if threshold is None:
        threshold = getattr(scorer, "threshold", 0.5)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating)) or math.isnan(threshold):
        raise AssistError(_("Threshold {threshold!r} must be a number.").format(threshold=threshold))
    current = document_ids(session)
    human = codings_frame(session, current, human_only=True)
    docs = sorted(set(human["document_id"]))
    if len(docs) < 2:
        raise AssistError(_("Leave-one-document-out evaluation needs human codings in at least two documents; "
                            "{n} document(s) have some.").format(n=len(docs)))
    book = codebook(session)
    if codes is None:
        spread = human.groupby("code_id")["document_id"].nunique()
        chosen = [int(c) for c, ok in zip(book["id"], book["codable"]) if ok and spread.get(c, 0) >= 2]
        if not chosen:
            raise AssistError(_("No code has human codings in two or more documents; code more, or name the codes."))
    else:
        chosen = resolve_codes(session, codes)
    units = _units(session, unit, docs)
    if units.empty:
        raise AssistError(_("The coded documents have no {unit}s stored; segment them first.").format(unit=unit))
    counts = book["name"].value_counts()
    names = {int(i): (p if counts[n] > 1 else n) for i, n, p in zip(book["id"], book["name"], book["path"])}
    by_doc = {d: g.reset_index(drop=True) for d, g in units.groupby("document_id")}
    scored: list[tuple[int, np.ndarray, np.ndarray]] = []
    for cid in chosen:
        gold_spans = human[human["code_id"] == cid]
        all_scores, all_gold = [], []
        for d in docs:
            test = by_doc.get(d)
            if test is None:
                continue
            train = [x for x in docs if x != d]
            scores = np.asarray(scorer(session, cid, train, d, test), dtype=float).reshape(-1)
            if scores.shape[0] != len(test):
                raise AssistError(_("The scorer returned {got} scores for {n} units.").format(got=scores.shape[0],
                                                                                          n=len(test)))
            all_scores.append(np.nan_to_num(scores, nan=-np.inf))
            all_gold.append(overlap_mask(test, gold_spans[gold_spans["document_id"] == d]))
        scored.append((cid, np.concatenate(all_scores), np.concatenate(all_gold)))

    def table_at(cut: float) -> pd.DataFrame:
        rows, totals = [], np.zeros(4, dtype=np.int64)
        for cid, scores, gold in scored:
            pred = scores >= cut
            counts = np.array([np.sum(pred & gold), np.sum(pred & ~gold), np.sum(~pred & gold),
                               np.sum(~pred & ~gold)], dtype=np.int64)
            totals += counts
            rows.append(_counts_row(cid, names[cid], len(docs), *map(int, counts)))
        rows.append(_counts_row(pd.NA, POOLED, len(docs), *map(int, totals)))
        out = pd.DataFrame(rows, columns=EVAL_COLUMNS)
        out["code_id"] = out["code_id"].astype("Int64")
        return out

    frame = table_at(float(threshold))
    sweep = pd.DataFrame([[cut, *table_at(cut).iloc[-1][["predicted", "precision", "recall", "kappa", "alpha"]]]
                          for cut in SWEEP], columns=["threshold", "predicted", "precision", "recall", "kappa", "alpha"])
    doc_names = dict(session.execute(select(store.Document.id, store.Document.name)
                                     .where(store.Document.id.in_(docs))).all())
    frame.attrs.update(unit=unit, threshold=float(threshold),
                       model=str(getattr(scorer, "name", getattr(scorer, "__name__", type(scorer).__name__))),
                       documents=[doc_names[d] for d in docs], codes=[names[c] for c in chosen], sweep=sweep)
    return frame


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def kappa_table(table: pd.DataFrame) -> pd.DataFrame:
    """The evaluation table as people read it: headers translated at call time (``HEADERS`` are
    ``N_``-marked, e.g. Human -> 人工 under ``i18n.using("zh")``), numbers as text (3 decimals, "—"
    where undefined), the pooled row's label translated.

    Parameters
    ----------
    table : DataFrame
        From :func:`assist_eval`.

    Returns
    -------
    DataFrame
        Columns Code, Documents, Units, Human, Assistant, Both, Precision, Recall, Cohen's κ,
        Krippendorff's α (in the current language).
    """
    out = pd.DataFrame({
        "code": [_(POOLED) if pd.isna(i) else n for i, n in zip(table["code_id"], table["code"])],
        "documents": table["documents"].astype(int).astype(str), "units": table["units"].map("{:,}".format),
        "gold": table["gold"].astype(int).astype(str), "predicted": table["predicted"].astype(int).astype(str),
        "tp": table["tp"].astype(int).astype(str),
        **{k: [_fmt(v) for v in table[k]] for k in ("precision", "recall", "kappa", "alpha")},
    })
    return out.rename(columns={k: _(v) for k, v in HEADERS.items()})


def methods_sentence(table: pd.DataFrame) -> str:
    """One sentence for a report's methods section: how the assistant agreed with the humans.

    Uses the pooled row and ``table.attrs`` (from :func:`assist_eval`). The sentence (one template
    with named placeholders) and the unit word are translated when this is called, so a draft made
    under ``i18n.using("zh")`` reads in Chinese; the numbers are the same in every language."""
    pooled = table[table["code_id"].isna()].iloc[0]
    a = table.attrs
    return _("Suggestions from {model} were checked by leave-one-document-out evaluation against the human "
             "coding of {n_docs} documents ({n_codes} codes, unit: {unit}, score threshold {threshold}): "
             "precision {precision}, recall {recall}, Cohen's κ {kappa}, Krippendorff's α {alpha}.").format(
        model=a.get("model", "?"), n_docs=len(a.get("documents", [])), n_codes=len(a.get("codes", [])),
        unit=_(UNIT_WORDS.get(a.get("unit", "sentence"), a.get("unit", "sentence"))), threshold=f"{a.get('threshold', float('nan')):.2f}",
        precision=_fmt(pooled["precision"], 2), recall=_fmt(pooled["recall"], 2), kappa=_fmt(pooled["kappa"]),
        alpha=_fmt(pooled["alpha"]))
