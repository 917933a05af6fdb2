"""The distillation loss against a NumPy reference, and DistillConfig validation."""

from __future__ import annotations

import numpy as np
import pytest

from tfcompress.errors import TfcError
from tfcompress.train.distill import DistillConfig, distillation_loss


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _reference_classification(y, s, t, cfg: DistillConfig) -> float:
    ce = -np.mean(_log_softmax(s)[np.arange(len(y)), y])
    if t is None:
        return float(ce)
    p_t = np.exp(_log_softmax(t / cfg.temperature))
    kl = np.mean(np.sum(p_t * (_log_softmax(t / cfg.temperature) - _log_softmax(s / cfg.temperature)), axis=-1))
    return float(cfg.alpha * ce + cfg.beta * cfg.temperature**2 * kl)


def _reference_regression(y, s, t, cfg: DistillConfig, kind: str) -> float:
    e = s - y
    task = np.mean(e**2) if kind == "mse" else np.mean(np.where(np.abs(e) <= 1, 0.5 * e**2, np.abs(e) - 0.5))
    if t is None:
        return float(task)
    return float(cfg.kd_factor * np.mean((s - t) ** 2) + (1 - cfg.kd_factor) * task)


@pytest.mark.parametrize("temperature", [1.0, 2.5, 8.0])
@pytest.mark.parametrize("alpha,beta", [(0.5, 0.5), (0.1, 0.9), (1.0, 0.0)])
def test_classification_loss_matches_numpy(temperature: float, alpha: float, beta: float) -> None:
    rng = np.random.default_rng(int(temperature * 10 + alpha * 100))
    y = rng.integers(0, 5, 16)
    s = rng.normal(0, 3, (16, 5)).astype(np.float32)
    t = rng.normal(0, 3, (16, 5)).astype(np.float32)
    cfg = DistillConfig(alpha=alpha, beta=beta, temperature=temperature)
    got = float(distillation_loss("classification", y, s, t, cfg))
    assert got == pytest.approx(_reference_classification(y, s, t, cfg), rel=1e-5, abs=1e-6)
    alone = float(distillation_loss("classification", y, s, None, cfg))
    assert alone == pytest.approx(_reference_classification(y, s, None, cfg), rel=1e-5)


def test_kl_term_vanishes_when_student_equals_teacher() -> None:
    rng = np.random.default_rng(0)
    s = rng.normal(0, 2, (8, 4)).astype(np.float32)
    y = rng.integers(0, 4, 8)
    cfg = DistillConfig(alpha=0.0, beta=1.0, temperature=3.0)
    assert float(distillation_loss("classification", y, s, s, cfg)) == pytest.approx(0.0, abs=1e-6)
    assert float(distillation_loss("classification", y, s, s + 1.0, cfg)) == pytest.approx(0.0, abs=1e-5)


@pytest.mark.parametrize("kind", ["mse", "huber"])
@pytest.mark.parametrize("kd_factor", [0.0, 0.3, 1.0])
def test_regression_loss_matches_numpy(kind: str, kd_factor: float) -> None:
    rng = np.random.default_rng(7)
    y = rng.uniform(0, 1, (12, 2)).astype(np.float32)
    s = (y + rng.normal(0, 1.5, (12, 2))).astype(np.float32)  # some errors beyond the Huber delta
    t = (y + rng.normal(0, 0.1, (12, 2))).astype(np.float32)
    cfg = DistillConfig(kd_factor=kd_factor)
    got = float(distillation_loss("regression", y, s, t, cfg, kind))
    assert got == pytest.approx(_reference_regression(y, s, t, cfg, kind), rel=1e-5)
    alone = float(distillation_loss("regression", y, s, None, cfg, kind))
    assert alone == pytest.approx(_reference_regression(y, s, None, cfg, kind), rel=1e-5)


@pytest.mark.parametrize(
    "kwargs",
    [{"alpha": -1}, {"beta": float("nan")}, {"temperature": 0}, {"kd_factor": 1.5}, {"temperature": -2.0}],
)
def test_bad_config_is_a_user_error(kwargs: dict) -> None:
    with pytest.raises(TfcError):
        DistillConfig(**kwargs)


def test_config_from_mapping() -> None:
    assert DistillConfig.from_any({"temperature": 2}).temperature == 2
    assert DistillConfig.from_any(None) == DistillConfig()
    with pytest.raises(TfcError, match="unknown distill option"):
        DistillConfig.from_any({"temp": 2})


def test_unknown_regression_loss() -> None:
    with pytest.raises(TfcError, match="regression loss"):
        distillation_loss("regression", np.zeros((2, 2)), np.zeros((2, 2)), None, DistillConfig(), "l1")
