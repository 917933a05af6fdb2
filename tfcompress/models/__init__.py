"""The model zoo for microcontrollers (see :data:`tfcompress.models.registry.ZOO`)."""

from tfcompress.models.registry import ZOO, ZooEntry, build_model, get_entry, list_models
from tfcompress.models.size import int8_weight_bytes
from tfcompress.models.spec import ModelSpec

__all__ = ["ZOO", "ModelSpec", "ZooEntry", "build_model", "get_entry", "int8_weight_bytes",
           "list_models"]
