"""The engine on every committed corpus model an oracle runs (tests/fixtures/corpus): it compiles
the model and matches the oracle (TFLite Micro, or TFLite's reference kernels where TFLM cannot run
it) element for element, with the reference and the optimised kernels — or the model is listed in
PENDING with the op (or feature) the engine's error names. A listed model that compiles, or whose
error no longer names its entry, fails: the list is kept exact, so it shrinks as ops land."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.corpus.measure import ranged_inputs
from tfcompress.engine.compiler import compile_tflite
from tfcompress.engine.validate import validate_model
from tfcompress.errors import TfcError

CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["models"]

#: models the engine does not compile yet -> text its error must contain (the op or feature)
PENDING: dict[str, str] = {
    "shape_flatten_dynamic_batch_int16x8": "RESHAPE",
    "shape_flatten_dynamic_batch_int8": "RESHAPE",
}


#: models whose TFLM result reads uninitialised memory (TFLM's SPACE_TO_BATCH_ND never sets its
#: pad value, so padded elements hold whatever its persistent buffer held): TFLite's reference
#: kernels are their oracle
TFLM_UNDEFINED: dict[str, str] = {
    "op_space_batch_roundtrip_int8": "SPACE_TO_BATCH_ND pads with an uninitialised value in TFLM",
}


#: models only TFLite's reference kernels run (TFLM lacks a kernel for one of their ops) in which another
#: op follows TFLM's arithmetic, which TFLite's reference kernel rounds differently by one step:
#: name -> (largest difference allowed: one step of the integer tensor behind the output, why)
REF_ONE_STEP: dict[str, tuple[float, str]] = {
    "op_embedding_lookup_int16x8": (2.0588e-05, "int16 FULLY_CONNECTED (TFLM's rounding) differs by one step from "
                                                "TFLite's; TFLM has no int16 GATHER to be the oracle"),
}


def _runnable() -> list[str]:
    return sorted(name for name, rec in MANIFEST.items()
                  if rec["tflm"]["runs"] or rec.get("tflite_ref", {}).get("runs"))


def _check_against_tflite_reference(name: str, data: bytes, samples: int) -> None:
    from tfcompress.engine.host import HostModel
    from tfcompress.engine.validate import random_inputs
    from tfcompress.tflm import TfliteRefModel

    for kernels in ("reference", "optimized"):
        model = compile_tflite(data, kernels=kernels)
        ours, ref = HostModel(model), TfliteRefModel(data)
        for x in random_inputs(model, samples, 0):
            for a, b in zip(ours.invoke(x), ref.invoke(x), strict=True):
                assert np.array_equal(a, np.asarray(b).reshape(a.shape)), f"{name} ({kernels}) differs from TFLite"


#: models whose host builds take longest (an unrolled GRU: hundreds of ops in one model.c): run with -m slow
SLOW = {"arch_kws_gru_unrolled_int8", "arch_kws_gru_unrolled_int16x8",
        "arch_ssd_multiscale_postprocess_int8"}  # two host builds of a whole SSD; the op alone: op_detection_*


def _params() -> list:
    """One parameter per runnable model; its id says what the test expects of it (``pending-NAME``
    for a PENDING model, ``exact-NAME`` otherwise), so ``-k pending`` selects the pending models only."""
    return [pytest.param(n, id=f"{'pending' if n in PENDING else 'exact'}-{n}",
                         marks=[pytest.mark.slow] if n in SLOW else []) for n in _runnable()]


@pytest.mark.parametrize("name", _params())
def test_corpus_model(name: str, tmp_path: Path) -> None:
    """Bit-exact with its oracle, or (a PENDING model) rejected with the error its entry names."""
    rec = MANIFEST[name]
    data = (CORPUS / rec["file"]).read_bytes()
    samples = max(3, int(rec.get("invocations", 1)))
    inputs = ranged_inputs(data, rec.get("input_ranges"), samples, str(tmp_path))
    if name in TFLM_UNDEFINED:
        _check_against_tflite_reference(name, data, samples)
        return
    for kernels in ("reference", "optimized"):
        if kernels == "optimized" and _same_build(data):
            continue  # no kernel of the optimised set applies: its build is the reference build
        try:
            res = validate_model(data, samples=samples, kernels=kernels, data=inputs)
        except TfcError as err:
            assert name in PENDING, f"{name} ({kernels}): {err.line()}"
            assert PENDING[name] in err.line(), f"{name}: the error no longer names {PENDING[name]}: {err.line()}"
            return
        assert name not in PENDING, f"{name} now compiles: remove it from PENDING"
        if name in REF_ONE_STEP:
            assert res.oracle == "tflite-reference", f"{name}: TFLM runs it now: remove it from REF_ONE_STEP"
            assert res.max_abs_diff <= REF_ONE_STEP[name][0], f"{name} ({kernels}): differs by {res.max_abs_diff}"
            continue
        assert res.mismatched_elements == 0, f"{name} ({kernels}): {res.mismatched_elements} elements differ"


def _same_build(data: bytes) -> bool:
    """Whether the optimised set generates the same code from the same kernel files as the
    reference set (none of its kernels applies to the model's ops)."""
    try:
        ref, opt = compile_tflite(data), compile_tflite(data, kernels="optimized")
    except TfcError:
        return False  # the reference pass has reported it
    return ref.sources() == opt.sources() and ref.kernel_sources() == opt.kernel_sources()


def test_same_build_is_false_where_optimised_kernels_apply() -> None:
    data = (CORPUS / MANIFEST["arch_fd_mobilenet_tiny_int8"]["file"]).read_bytes()
    assert not _same_build(data)  # int8 CONV_2D / DEPTHWISE_CONV_2D: optimised kernels
    assert _same_build((CORPUS / MANIFEST["op_reduce_all_int8"]["file"]).read_bytes())


def test_pending_entries_are_corpus_models() -> None:
    assert set(PENDING) <= set(_runnable()) and SLOW <= set(_runnable())


def test_k_pending_selects_only_the_pending_models() -> None:
    """``pytest -k pending`` means the pending models: no other corpus test's id mentions it."""
    ids = [p.id for p in _params()]
    assert sorted(i for i in ids if "pending" in i) == sorted(f"pending-{n}" for n in PENDING)
    assert "pending" not in test_corpus_model.__name__
