"""results.json schema validation and loading errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tfcompress.errors import TfcError
from tfcompress.report.schema import load_results, validate_results

FIXTURE = Path(__file__).parent / "fixtures" / "report"


@pytest.fixture()
def results() -> dict:
    return json.loads((FIXTURE / "results.json").read_text())


def test_fixture_is_valid(results):
    assert validate_results(results) is results
    assert load_results(FIXTURE)["recipe"] == "eye-gaze"


def test_missing_keys_are_named_with_their_path(results):
    bad = copy.deepcopy(results)
    del bad["board"]
    del bad["variants"][2]["flash_bytes"]
    del bad["stages"][1]["layers"][0]["unique"]
    with pytest.raises(TfcError) as info:
        validate_results(bad)
    msg = info.value.line()
    assert "missing keys" in msg
    assert "board" in msg
    assert "variants[2].flash_bytes" in msg
    assert "stages[1].layers[0].unique" in msg
    assert "tfcompress pipeline" in msg


def test_nullable_fields_accept_null_and_others_do_not(results):
    ok = copy.deepcopy(results)
    ok["variants"][0]["latency"] = None
    ok["variants"][3]["tflite_bytes"] = None  # a failed conversion
    ok["stages"][0]["metric"] = None
    ok["variants"][0]["extra_key"] = 1  # extra keys are ignored
    validate_results(ok)
    bad = copy.deepcopy(results)
    bad["variants"][0]["ram_bytes"] = 1.5
    bad["variants"][1]["deployable"] = "yes"
    bad["variants"][1]["agreement"] = True
    bad["task"] = "segmentation"
    with pytest.raises(TfcError) as info:
        validate_results(bad)
    msg = info.value.line()
    assert "variants[0].ram_bytes" in msg
    assert "variants[1].deployable" in msg
    assert "variants[1].agreement" in msg
    assert "segmentation" in msg


def test_optional_keys_may_be_absent(results):
    for key in ("sweep", "samples"):
        results.pop(key)
    validate_results(results)


def test_not_an_object():
    with pytest.raises(TfcError, match="not a JSON object"):
        validate_results([1, 2])  # type: ignore[arg-type]


def test_load_errors_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(TfcError) as info:
        load_results(tmp_path / "nope")
    assert "nope" in info.value.what and "tfcompress pipeline" in info.value.fix
    with pytest.raises(TfcError) as info:
        load_results(tmp_path)
    assert "results.json" in info.value.what and "tfcompress pipeline" in info.value.fix
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(TfcError) as info:
        load_results(tmp_path)
    assert str(tmp_path / "results.json") in info.value.what
    (tmp_path / "results.json").write_text('{"recipe": "x"}')
    with pytest.raises(TfcError) as info:
        load_results(tmp_path)
    assert str(tmp_path / "results.json") in info.value.what and "variants" in info.value.what
