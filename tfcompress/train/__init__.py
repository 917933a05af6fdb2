"""Training, distillation and student derivation for the model zoo."""

from tfcompress.train.distill import DistillConfig
from tfcompress.train.evaluate import evaluate_model
from tfcompress.train.loop import train_model
from tfcompress.train.result import TrainResult
from tfcompress.train.student import derive_student, student_spec

__all__ = ["DistillConfig", "TrainResult", "derive_student", "evaluate_model", "student_spec", "train_model"]
