"""Per-epoch scalars in TensorBoard's event format, without the tensorboard package.

``tf.summary.scalar`` needs the ``tensorboard`` package; the core ``tf.summary.write``
op with the scalars plugin's metadata writes the same records.
"""

from __future__ import annotations

from pathlib import Path

from tfcompress.tfenv import tf


class ScalarLogger:
    """Writes ``{name: value}`` per step under ``log_dir`` (train/ and validation/ runs)."""

    def __init__(self, log_dir: Path) -> None:
        from tensorflow.core.framework import summary_pb2

        self._meta = summary_pb2.SummaryMetadata()
        self._meta.plugin_data.plugin_name = "scalars"
        self._writer = tf().summary.create_file_writer(str(log_dir))

    def write(self, step: int, scalars: dict[str, float]) -> None:
        """Record every scalar at ``step`` and flush."""
        T = tf()
        with self._writer.as_default():
            for name, value in scalars.items():
                T.summary.write(name, T.constant(float(value), T.float32), step=int(step), metadata=self._meta)
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
