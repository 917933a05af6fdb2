"""Sweep descriptions: grid expansion, dotted recipe paths, validation against the recipe schema,
the TOML each trial gets, the sampler's budget, and the shared stage cache's locking."""

from __future__ import annotations

import multiprocessing
import time
import tomllib
from pathlib import Path

import pytest

from tfcompress.errors import TfcError
from tfcompress.recipe import parse_recipe, template_text
from tfcompress.stagecache import StageCache
from tfcompress.sweep.search import Searcher, grid_points
from tfcompress.sweep.spec import apply, parse_spec, validate
from tfcompress.sweep.tomlout import dumps

DIGITS = tomllib.loads(template_text("digits"))


def _spec(params: dict, **extra):
    return parse_spec({"sweep": {"params": params, **extra}}, "grid.toml")


def test_grid_expands_in_order_and_nested_tables_are_dotted_paths() -> None:
    spec = _spec({"compress": {"pruned": {"target_sparsity": [0.3, 0.5]}},
                  "compress.clustered.clusters": [8, 16, 32]})
    points = grid_points(spec)
    assert len(points) == 6
    assert points[0] == {"compress.pruned.target_sparsity": 0.3, "compress.clustered.clusters": 8}
    assert points[-1] == {"compress.pruned.target_sparsity": 0.5, "compress.clustered.clusters": 32}
    assert Searcher(spec, 4).budget == 4 and Searcher(spec, None).budget == 6


def test_apply_addresses_stages_by_name_and_validates() -> None:
    spec = _spec({"compress.clustered.clusters": [8, 32], "train.epochs": [1, 2], "model.width": [0.5],
                  "board.kernels": ["reference"]})
    validate(spec, DIGITS)
    data = apply(DIGITS, {"compress.clustered.clusters": 8, "model.width": 0.5})
    recipe = parse_recipe(data)
    assert {s.name: s for s in recipe.compress}["clustered"].params["clusters"] == 8
    assert recipe.model.width == 0.5
    assert DIGITS["model"]["width"] == 1.0  # the base recipe is not changed


@pytest.mark.parametrize(("params", "words"), [
    ({"compress.prunned.target_sparsity": [0.5]}, ["no [[compress]] stage", "pruned, clustered"]),
    ({"compress.pruned.target_sparsity": ["high"]}, ["target_sparsity", "'high'", "float"]),
    ({"compress.clustered.init": ["nearest"]}, ["init", "choose one of"]),
    ({"model.widht": [0.5]}, ["model.widht", "allowed keys"]),
    ({"train.epochs": [0]}, ["train.epochs", "> 0"]),
    ({"board.kernels": ["fastest"]}, ["board.kernels", "choose one of"]),
    ({"model": {"low": 1, "high": 2}}, ["table, not a key"]),
    ({"name": ["x"]}, ["cannot be swept"]),
])
def test_bad_paths_and_values_fail_before_anything_runs(params: dict, words: list[str]) -> None:
    with pytest.raises(TfcError) as err:
        validate(parse_spec({"params": params, "search": "random", "max_trials": 2}, "grid.toml"), DIGITS)
    for w in words:
        assert w in err.value.line()


@pytest.mark.parametrize(("table", "words"), [
    ({"params": {}}, ["no parameters"]),
    ({"params": {"train.epochs": 3}}, ["list of values or a range"]),
    ({"params": {"train.epochs": {"low": 1, "high": 4}}}, ["grid needs lists"]),
    ({"params": {"train.epochs": [1]}, "search": "anneal"}, ["unknown search"]),
    ({"params": {"train.epochs": [1]}, "constraints": [{"flash": 1}]}, ["bad constraint 'flash"]),
    ({"params": {"train.epochs": [1]}, "colour": 1}, ["unknown sweep key 'colour'"]),
])
def test_bad_sweep_tables(table: dict, words: list[str]) -> None:
    with pytest.raises(TfcError) as err:
        parse_spec({"sweep": table}, "grid.toml")
    for w in words:
        assert w in err.value.line()


def test_recipe_with_a_sweep_table_is_still_a_recipe() -> None:
    data = {**DIGITS, "sweep": {"params": {"train.epochs": [1, 2]}}}
    assert parse_recipe(data).name == "digits"
    assert "sweep" not in apply(data, {"train.epochs": 1})


def test_trial_recipe_toml_round_trips() -> None:
    data = apply(DIGITS, {"compress.pruned.target_sparsity": 0.8, "convert.modes": ["int8"]})
    data["dataset"]["params"] = {"size": 8, "odd key": "a\"b"}
    assert tomllib.loads(dumps(data)) == data


def test_a_search_over_ranges_needs_a_budget() -> None:
    spec = _spec({"train.epochs": {"low": 1, "high": 4}}, search="tpe")
    with pytest.raises(TfcError, match="needs a budget"):
        Searcher(spec, None)
    assert Searcher(spec, 3).budget == 3


def test_random_search_asks_optuna_within_ranges() -> None:
    spec = _spec({"compress.pruned.target_sparsity": {"low": 0.3, "high": 0.9},
                  "compress.clustered.clusters": [8, 16]}, search="random", seed=3)
    s = Searcher(spec, 5)
    pts = [s.point(i, f"{i:03d}") for i in range(5)]
    assert all(0.3 <= p["compress.pruned.target_sparsity"] <= 0.9 for p in pts)
    assert {p["compress.clustered.clusters"] for p in pts} <= {8, 16}
    s.tell("000", pts[0], {"metric": 0.9, "higher_is_better": True})
    s.tell("001", pts[1], None)
    assert [t.state.name for t in s.study.trials[:2]] == ["COMPLETE", "FAIL"]
    assert s.study.trials[0].value == pytest.approx(-0.9)  # maximising accuracy = minimising its negative


def _take(root: str, hold: float, out: str) -> None:
    cache = StageCache(root)
    dest = Path(out)
    if cache.fetch("baseline", "fp", dest):
        dest.joinpath("who").write_text("copied")
        return
    dest.mkdir(parents=True)
    (dest / "manifest.json").write_text('{"status": "complete", "fingerprint": "fp"}')
    time.sleep(hold)
    (dest / "who").write_text("made")
    cache.publish("baseline", "fp", dest)


def test_stage_cache_makes_a_stage_once_across_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_take, args=(str(tmp_path / "cache"), 0.5, str(tmp_path / f"run{i}")))
             for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(20)
    whos = sorted((tmp_path / f"run{i}" / "who").read_text() for i in range(2))
    assert whos == ["copied", "made"]


def test_tpe_learns_feasibility_from_asked_and_resumed_trials() -> None:
    spec = _spec({"compress.pruned.target_sparsity": {"low": 0.3, "high": 0.9}}, search="tpe",
                 constraints=[{"name": "small", "flash_bytes": 1000}])
    s = Searcher(spec, 4)
    p = s.point(0, "000")
    s.tell("000", p, {"metric": 0.9, "higher_is_better": True, "flash_bytes": 1500})
    s.tell("001", {"compress.pruned.target_sparsity": 0.5},  # finished in an earlier session
           {"metric": 0.7, "higher_is_better": True, "flash_bytes": 100})
    s.tell("002", {"compress.pruned.target_sparsity": 0.6}, None)
    assert [t.system_attrs.get("constraints") for t in s.study.trials] == [(500.0,), (-900.0,), (1e30,)]
    assert [t.state.name for t in s.study.trials] == ["COMPLETE", "COMPLETE", "FAIL"]
    assert 0.3 <= s.point(3, "003")["compress.pruned.target_sparsity"] <= 0.9
