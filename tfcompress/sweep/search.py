"""Which trials to run: the grid in order, or points asked from an Optuna sampler (random, TPE).

Optuna is told each finished trial; with ``search = "tpe"`` and constraint sets, the first set
guides the sampler (``TPESampler(constraints_func=...)``: a value <= 0 means satisfied).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from tfcompress.errors import TfcError
from tfcompress.sweep.spec import Param, SweepSpec


def grid_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """Every combination of the parameters' values, the first parameter varying slowest."""
    names = [p.path for p in spec.params]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(p.values for p in spec.params))]


def _distribution(p: Param) -> Any:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if not p.is_range:
        return CategoricalDistribution(list(p.values))
    if all(isinstance(v, int) for v in (p.low, p.high)) and (p.step is None or isinstance(p.step, int)):
        return IntDistribution(int(p.low), int(p.high), log=p.log, step=int(p.step or 1))
    return FloatDistribution(float(p.low), float(p.high), log=p.log, step=p.step)


def loss(summary: dict[str, Any]) -> float | None:
    """The value Optuna minimises: the metric, negated when higher is better."""
    m = summary.get("metric")
    if m is None:
        return None
    return -float(m) if summary.get("higher_is_better", True) else float(m)


def best_trial(trials: list[dict[str, Any]], allows: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any] | None:
    """The finished trial with the best metric (among those ``allows`` accepts)."""
    ok = [t for t in trials if t["status"] == "done" and loss(t["summary"]) is not None
          and (allows is None or allows(t["summary"]))]
    return min(ok, key=lambda t: (loss(t["summary"]), t["id"])) if ok else None


class Searcher:
    """Hands out trial parameters and learns from finished trials."""

    def __init__(self, spec: SweepSpec, budget: int | None) -> None:
        self.spec = spec
        self.grid = grid_points(spec) if spec.search == "grid" else None
        self.budget = min(budget or len(self.grid), len(self.grid)) if self.grid is not None else budget
        if self.budget is None:
            raise TfcError(f"a {spec.search} search needs a budget", "set max_trials in [sweep] or pass --max-trials")
        self._asked: dict[str, Any] = {}
        self.study = None if self.grid is not None else self._study()
        self.dists = {p.path: _distribution(p) for p in spec.params} if self.study is not None else {}

    def _study(self) -> Any:
        try:
            import optuna
        except ImportError:
            raise TfcError(f"search '{self.spec.search}' needs Optuna", "pip install 'tfcompress[sweep]'") from None
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        first = self.spec.constraints[0] if self.spec.constraints else None
        if self.spec.search == "random":
            sampler = optuna.samplers.RandomSampler(seed=self.spec.seed)
        else:
            func = (lambda t: t.user_attrs.get("constraints", [1.0])) if first else None
            sampler = optuna.samplers.TPESampler(seed=self.spec.seed, constraints_func=func)
        return optuna.create_study(direction="minimize", sampler=sampler)

    def point(self, index: int, trial_id: str) -> dict[str, Any]:
        """Parameters of trial number ``index``."""
        if self.grid is not None:
            return self.grid[index]
        trial = self.study.ask(self.dists)
        self._asked[trial_id] = trial
        return dict(trial.params)

    def tell(self, trial_id: str, params: dict[str, Any], summary: dict[str, Any] | None) -> None:
        """Report a finished (``summary``) or failed (None) trial to the sampler."""
        if self.study is None:
            return
        import optuna
        from optuna.trial import TrialState

        value = loss(summary) if summary else None
        attrs: dict[str, Any] = {"trial": trial_id}
        if self.spec.constraints:
            first = self.spec.constraints[0]
            attrs["constraints"] = [float(summary[k] - v) if summary and summary.get(k) is not None else 1e30
                                    for k, v in first.bounds.items()]
        asked = self._asked.pop(trial_id, None)
        if asked is not None:
            for k, v in attrs.items():
                asked.set_user_attr(k, v)
            if value is None:
                self.study.tell(asked, state=TrialState.FAIL)
            else:
                self.study.tell(asked, value)
            return
        # from an earlier session: add what is known (the TPE sampler reads feasibility from system attrs)
        system = {"constraints": tuple(attrs["constraints"])} if "constraints" in attrs else {}
        if value is None:
            self.study.add_trial(optuna.trial.create_trial(params=params, distributions=self.dists,
                                                           state=TrialState.FAIL, user_attrs=attrs,
                                                           system_attrs=system))
        else:
            self.study.add_trial(optuna.trial.create_trial(params=params, distributions=self.dists, value=value,
                                                           user_attrs=attrs, system_attrs=system))
