"""Compression stages: pruning, channel pruning, clustering and QAT.

Every stage takes a plain tf_keras model, a dataset and parameters, and returns a
:class:`~tfcompress.compress.result.StageResult`.
"""

from tfcompress.compress.result import LayerRecord, StageResult, layer_report

__all__ = ["LayerRecord", "StageResult", "layer_report"]
