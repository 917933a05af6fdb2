"""Results of a run: terminal/CSV tables, plots and one self-contained HTML report.

Input is ``RUN_DIR/results.json`` (schema in :mod:`tfcompress.report.schema`).
"""

from __future__ import annotations

from tfcompress.report.html import Report, build_report, is_tfcompress_report, write_report
from tfcompress.report.schema import load_results, validate_results
from tfcompress.report.table import best_variant, pareto_front, results_table, write_csv

__all__ = [
    "Report", "best_variant", "build_report", "is_tfcompress_report", "load_results", "pareto_front",
    "results_table", "validate_results", "write_csv", "write_report",
]
