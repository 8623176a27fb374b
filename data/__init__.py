"""Data shipped with Tandem (currently the embedded demo project, ``data.demo``)."""
