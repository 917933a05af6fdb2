"""The table of compression methods: in step with the recipe schema, and its parameter mapping."""

from __future__ import annotations

from dataclasses import fields

import pytest
from click.testing import CliRunner

from tfcompress.cli import main
from tfcompress.compress.methods import METHODS, get_method
from tfcompress.compress.prune import PruneParams
from tfcompress.errors import TfcError
from tfcompress.recipe import COMPRESS_KEYS, COMPRESS_METHODS

#: recipe keys that are not parameters of the method (read by the pipeline, or not at all)
NOT_PARAMS = {"prune": {"sweep"}}


def test_every_recipe_method_has_a_row():
    assert set(METHODS) == set(COMPRESS_METHODS)


@pytest.mark.parametrize("name", COMPRESS_METHODS)
def test_every_recipe_key_is_a_parameter(name):
    method = METHODS[name]
    params = {f.name for f in fields(method.params)}
    keys = set(COMPRESS_KEYS[name]) - NOT_PARAMS.get(name, set())
    assert {method.renames.get(k, k) for k in keys} <= params
    assert set(method.converters) <= params


def test_params_from_a_recipe_stage():
    p = METHODS["prune"].params_from({"target_sparsity": 0.6, "structured": "2:4", "epochs": 2}, batch_size=16)
    assert p == PruneParams(sparsity=0.6, m_by_n=(2, 4), epochs=2, batch_size=16)
    assert METHODS["qat"].params_from({"scheme": "pqat"}, batch_size=8, unrelated=1).batch_size == 8


def test_unknown_method():
    with pytest.raises(TfcError, match="unknown compression method 'shrink'"):
        get_method("shrink")


def test_cli_rejects_bad_structured(tmp_path):
    res = CliRunner().invoke(main, ["compress", str(tmp_path / "m.keras"), "--dataset", "digits", "--prune", "0.5",
                                    "--structured", "4:2", "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and "bad --structured '4:2'" in res.output
    assert not (tmp_path / "out").exists()
