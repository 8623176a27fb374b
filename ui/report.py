"""Report page: choose the saved runs, choose a format, draft and download. Nothing is refitted:
the draft reads the runs (report.draft), and a run whose data changed is flagged in it."""
import streamlit as st

import i18n
from i18n import N_, _
from mixed.themes import GROUPINGS
from report.draft import build_context
from report.layout import MIME_TYPES, render_context
from report.options import LANGUAGES, ReportOptions
from ui import state
from ui.run_picker import pick_runs

FORMATS = {"html": N_("HTML"), "docx": N_("Word (DOCX)"), "md": N_("Markdown")}
GROUPING_NAMES = {"case_type": N_("typical vs deviant (|r| > c)"), "outcome": N_("observed outcome"),
                  "tercile": N_("terciles of the fitted value")}
DRAFT_LANGUAGES = {"en": "English", "zh": "中文"}  # each named in its own language, as in the language switch

st.title(_("Report"))
st.caption(_("A draft from saved runs: each run named with its data fingerprint and date, the decoupling table "
             "of the three dimensions, per run the results table, the joint displays with your meta-inferences "
             "and the codes mapped to the dimension, the selected cases and the fieldwork worklist with quotes "
             "cited as document and paragraph. Nothing is refitted."))

chosen = pick_runs("report_runs")
left, mid, right = st.columns([2, 3, 2])
fmt = left.radio(_("Format"), list(FORMATS), format_func=lambda v: _(FORMATS[v]), key="report_format")
draft_language = left.selectbox(_("Draft language"), LANGUAGES, key="report_language",
                                index=LANGUAGES.index(i18n.language()) if i18n.language() in LANGUAGES else 0,
                                format_func=lambda v: DRAFT_LANGUAGES.get(v, v),
                                help=_("中文: the draft laid out as a Chinese paper (一、研究设计 … 六、结论与讨论, "
                                       "references in GB/T 7714-2015), whatever the interface language."))
grouping = mid.radio(_("Statistics-by-themes groups"), GROUPINGS,
                     format_func=lambda v: _(GROUPING_NAMES[v]) if v in GROUPING_NAMES else v,
                     key="report_grouping")
colour = right.toggle(_("Colour rows by meta-inference"), value=True, key="report_colour",
                      help=_("HTML and Word: confirmation green, expansion blue, discordance red."))
figures = right.toggle(_("Figures"), value=True, key="report_figures",
                       help=_("Coefficient plot, residual plots and maps of deviant pairs; rendering takes "
                              "seconds (the maps most). Markdown carries them as embedded images."))
signature = (tuple((d, r.info.id) for d, r in chosen.items()), fmt, grouping, colour, figures, draft_language,
             state.revision())

if st.button(_("Draft the report"), type="primary", key="report_draft", disabled=not chosen,
             help=None if chosen else _("Save a run first (Models page).")):
    options = ReportOptions(themes_grouping=grouping, colour_rows=colour, figures=figures, language=draft_language)
    with st.spinner(_("Drafting from the saved runs…")):
        context = state.attempt(state.read, build_context, chosen, options=options)
        if context:
            out = state.attempt(render_context, context, fmt)
            light = {**context, "figures": {**context["figures"], "all": [], "coefficients": None},
                     "dimensions": [{**d, "figures": []} for d in context["dimensions"]]}
            preview = state.attempt(render_context, light, "md")  # the preview without images
            if out is not None:
                st.session_state["report_file"] = {"signature": signature, "fmt": fmt, "data": out,
                                                   "preview": preview or ""}

drafted = st.session_state.get("report_file")
if drafted and drafted["signature"] == signature:
    format_name = FORMATS[drafted["fmt"]]
    st.download_button(_("Download {format}").format(format=_(format_name)), drafted["data"],
                       file_name=f"tandem-report.{drafted['fmt']}", mime=MIME_TYPES[drafted["fmt"]],
                       key="report_download", type="primary")
    with st.container(border=True):
        st.markdown(drafted["preview"])
elif drafted:
    st.info(_("The runs, format or settings changed since the last draft; draft again to download."))
