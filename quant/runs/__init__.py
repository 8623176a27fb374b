"""Fitting from a project and keeping the fit: ``analysis`` (a dimension's model data and fit),
``analysis_fit`` (the options and the dispatcher for a prepared specification), ``specs``
(saved specifications), ``saved`` (runs: a fit the researcher keeps) and ``records`` (a run's
record), ``data`` and ``status``
(what a run stores and whether it still describes the data) and ``compare`` (runs side by side).

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'check_dimension': 'quant.runs.analysis',
    'clean_run_name': 'quant.runs.records',
    'compare_records': 'quant.runs.compare',
    'compare_runs': 'quant.runs.saved',
    'compare_wide': 'quant.runs.compare',
    'covariance_from_options': 'quant.runs.analysis_fit',
    'COVARIANCE_OPTIONS': 'quant.runs.analysis_fit',
    'default_spec': 'quant.runs.analysis',
    'delete_run': 'quant.runs.saved',
    'delete_spec': 'quant.runs.specs',
    'dimension_data': 'quant.runs.analysis',
    'fallback_terms': 'quant.runs.analysis',
    'fingerprint': 'quant.runs.saved',
    'fit_and_save': 'quant.runs.saved',
    'fit_dimension': 'quant.runs.analysis',
    'FIT_OPTIONS': 'quant.runs.saved',
    'fit_prepared': 'quant.runs.analysis_fit',
    'fit_spec': 'quant.runs.specs',
    'fit_with_options': 'quant.runs.analysis_fit',
    'forget_status': 'quant.runs.status',
    'format_cell': 'quant.runs.compare',
    'format_p': 'quant.runs.compare',
    'formula_names': 'quant.runs.data',
    'latest_runs': 'quant.runs.saved',
    'list_runs': 'quant.runs.saved',
    'list_specs': 'quant.runs.specs',
    'load_run': 'quant.runs.saved',
    'load_spec': 'quant.runs.specs',
    'model_data': 'quant.runs.analysis',
    'ModelData': 'quant.runs.analysis',
    'OPTION_KEYS': 'quant.runs.specs',
    'pack_units': 'quant.runs.data',
    'refit_run': 'quant.runs.saved',
    'rename_run': 'quant.runs.saved',
    'restore_run': 'quant.runs.saved',
    'result_from': 'quant.runs.data',
    'Run': 'quant.runs.records',
    'run_info': 'quant.runs.records',
    'run_model_data': 'quant.runs.saved',
    'run_row': 'quant.runs.records',
    'run_status': 'quant.runs.saved',
    'RunInfo': 'quant.runs.records',
    'save_run': 'quant.runs.saved',
    'save_spec': 'quant.runs.specs',
    'sparse_outcome_note': 'quant.runs.analysis_fit',
    'Spec': 'quant.runs.analysis',
    'spec_fit_kwargs': 'quant.runs.specs',
    'stars': 'quant.runs.compare',
    'STARS': 'quant.runs.compare',
    'tandem_version': 'quant.runs.records',
    'unit_key': 'quant.runs.records',
    'unpack_units': 'quant.runs.data',
    'used_columns': 'quant.runs.data',
    'vif_warnings': 'quant.runs.analysis_fit',
    'X_PREFIX': 'quant.runs.data',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
