"""Dataset sources: synthetic eyes, gaze zones, digits, and user files (npz, folders, IDX, Keras).

``load_dataset("synthetic-eyes", seed=0, size=64)`` returns a :class:`Dataset` with
seeded train/val/test splits; ``list_sources()`` describes every source.
"""

from tfcompress.data.dataset import Dataset, load_saved_dataset, save_dataset
from tfcompress.data.registry import SOURCES, list_sources, load_dataset

__all__ = ["SOURCES", "Dataset", "list_sources", "load_dataset", "load_saved_dataset", "save_dataset"]
