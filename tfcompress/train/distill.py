"""Knowledge distillation: the loss math and a Keras trainer that wraps a student.

Classification: ``alpha * CE(y, student) + beta * T^2 * KL(softmax(t/T) || softmax(s/T))``
on the logits (the input of the ``probs`` layer). Regression:
``kd_factor * MSE(teacher, student) + (1 - kd_factor) * task`` (MSE or Huber).
The teacher is frozen and runs in inference mode. Training without a teacher uses
the same trainer with only the task loss, so checkpoints look the same either way.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from tfcompress.errors import TfcError
from tfcompress.tfenv import keras, tf

REGRESSION_LOSSES = ("mse", "huber")


@dataclass(frozen=True)
class DistillConfig:
    """Weights of the distillation loss terms."""

    alpha: float = 0.5  # weight of the hard-label cross-entropy (classification)
    beta: float = 0.5  # weight of the soft-target KL term (classification)
    temperature: float = 4.0  # softmax temperature T
    kd_factor: float = 0.5  # share of the teacher-matching MSE (regression)

    def __post_init__(self) -> None:
        for name in ("alpha", "beta", "kd_factor"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise TfcError(f"distill {name}={value!r} is not a non-negative number",
                               f"set {name} >= 0 (e.g. {getattr(DistillConfig, name)})")
        if self.kd_factor > 1:
            raise TfcError(f"distill kd_factor={self.kd_factor} is above 1", "use 0 <= kd_factor <= 1")
        if not self.temperature > 0 or not math.isfinite(self.temperature):
            raise TfcError(f"distill temperature={self.temperature!r} must be positive", "e.g. temperature = 4")

    @classmethod
    def from_any(cls, value: DistillConfig | dict[str, Any] | None) -> DistillConfig:
        """Accept a config, a mapping with the same keys, or None (defaults)."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        unknown_keys = set(value) - set(cls.__dataclass_fields__)
        if unknown_keys:
            raise TfcError(f"unknown distill option(s): {', '.join(sorted(unknown_keys))}",
                           "use alpha, beta, temperature, kd_factor")
        return cls(**value)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def logits_model(model: Any) -> Any:
    """A model sharing ``model``'s layers that outputs the logits (input of ``probs``)."""
    try:
        probs = model.get_layer("probs")
    except ValueError as err:
        raise TfcError(f"model '{model.name}' has no 'probs' layer",
                       "classification models must end in a Softmax layer named 'probs'") from err
    return keras().Model(model.inputs, probs.input, name=f"{model.name}_logits")


def classification_task_loss(y: Any, student_logits: Any) -> Any:
    """Mean sparse cross-entropy of integer labels against logits."""
    y = tf().cast(tf().reshape(y, [-1]), tf().int64)
    ce = tf().nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=student_logits)
    return tf().reduce_mean(ce)


def soft_kl(teacher_logits: Any, student_logits: Any, temperature: float) -> Any:
    """Mean over the batch of KL(softmax(t/T) || softmax(s/T))."""
    T = tf()
    t = T.nn.log_softmax(T.cast(teacher_logits, T.float32) / temperature, axis=-1)
    s = T.nn.log_softmax(T.cast(student_logits, T.float32) / temperature, axis=-1)
    return T.reduce_mean(T.reduce_sum(T.exp(t) * (t - s), axis=-1))


def regression_task_loss(y: Any, pred: Any, kind: str = "mse") -> Any:
    """Mean squared error or Huber loss (delta 1, averaged over targets)."""
    T = tf()
    err = T.cast(pred, T.float32) - T.cast(y, T.float32)
    if kind == "mse":
        return T.reduce_mean(T.square(err))
    if kind == "huber":
        a = T.abs(err)
        return T.reduce_mean(T.where(a <= 1.0, 0.5 * T.square(err), a - 0.5))
    raise TfcError(f"unknown regression loss '{kind}'", "choose one of: " + ", ".join(REGRESSION_LOSSES))


def distillation_loss(task: str, y: Any, student_out: Any, teacher_out: Any | None,
                      config: DistillConfig, regression_loss: str = "mse") -> Any:
    """The total loss for one batch; ``*_out`` are logits (classification) or predictions.

    Without a teacher this is just the task loss.
    """
    T = tf()
    if task == "detection":
        from tfcompress.detect.loss import ssd_loss

        if teacher_out is not None:
            raise TfcError("distillation is not available for detection", "remove the recipe's [distill] section")
        return ssd_loss(y, student_out)
    if task == "classification":
        ce = classification_task_loss(y, student_out)
        if teacher_out is None:
            return ce
        kl = soft_kl(teacher_out, student_out, config.temperature)
        return config.alpha * ce + config.beta * config.temperature**2 * kl
    task_loss = regression_task_loss(y, student_out, regression_loss)
    if teacher_out is None:
        return task_loss
    kd = T.reduce_mean(T.square(T.cast(student_out, T.float32) - T.cast(teacher_out, T.float32)))
    return config.kd_factor * kd + (1.0 - config.kd_factor) * task_loss


def make_trainer(student: Any, task: str, *, teacher: Any = None, config: DistillConfig | None = None,
                 regression_loss: str = "mse") -> Any:
    """A Keras model whose ``fit`` trains ``student`` (distilling from ``teacher`` if given)."""
    k = keras()
    T = tf()
    cfg = config or DistillConfig()
    s_head = logits_model(student) if task == "classification" else student
    t_head = None
    if teacher is not None:
        teacher.trainable = False
        t_head = logits_model(teacher) if task == "classification" else teacher
        t_head.trainable = False

    class Trainer(k.Model):
        """Owns the custom train step; the student stays a plain functional model."""

        def __init__(self) -> None:
            super().__init__(name="trainer")
            self.student = student
            self.s_head = s_head
            self.t_head = t_head
            self.loss_tracker = k.metrics.Mean(name="loss")

        def call(self, x: Any, training: bool = False) -> Any:
            return self.student(x, training=training)

        @property
        def metrics(self) -> list[Any]:
            return [self.loss_tracker]

        def train_step(self, data: Any) -> dict[str, Any]:
            x, y = data
            teacher_out = None if self.t_head is None else self.t_head(x, training=False)
            with T.GradientTape() as tape:
                student_out = self.s_head(x, training=True)
                loss = distillation_loss(task, y, student_out, teacher_out, cfg, regression_loss)
                if self.student.losses:
                    loss = loss + T.add_n(self.student.losses)
            variables = self.student.trainable_variables
            grads = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(grads, variables, strict=True))
            self.loss_tracker.update_state(loss)
            return {"loss": self.loss_tracker.result()}

    return Trainer()
