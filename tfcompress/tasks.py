"""The learning tasks tfcompress handles, named once for data, models and reports."""

from __future__ import annotations

#: a dataset's, a model head's and a run's task
TASKS = ("classification", "regression", "detection")
