"""Fit an imported model to a recipe's dataset: check its input/output shapes, add the ``probs`` head."""

from __future__ import annotations

from typing import Any

from tfcompress.errors import TfcError
from tfcompress.tfenv import keras


def _nchw(shape: tuple[int, ...]) -> str:
    h, w, c = shape
    return f"(1, {c}, {h}, {w})"


def fit_to_dataset(model: Any, ds: Any, source: str) -> Any:
    """``model`` ready for the pipeline on ``ds``: one NHWC input of the dataset's shape and one output of
    ``ds.num_outputs`` values; classification models end in a Softmax named ``probs`` (added to logits)."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise TfcError(f"the ONNX model '{source}' has {len(model.inputs)} inputs and {len(model.outputs)} outputs",
                       "recipes take models with one input and one output; export only the prediction")
    got = tuple(int(d) for d in model.input.shape[1:])
    want = tuple(ds.input_shape)
    if got != want:
        shown = _nchw(got) if len(got) == 3 else str(got)
        raise TfcError(f"the ONNX model '{source}' takes input {shown} (NCHW) but dataset '{ds.name}' gives "
                       f"{_nchw(want)}", f"export it with an example input of shape {_nchw(want)}")
    out = model.output
    if len(out.shape) != 2 or int(out.shape[1]) != ds.num_outputs:
        raise TfcError(f"the ONNX model '{source}' outputs shape {[None, *out.shape[1:]]} but dataset '{ds.name}' "
                       f"has {ds.num_outputs} {'classes' if ds.task == 'classification' else 'targets'}",
                       f"export a model whose output is (N, {ds.num_outputs})")
    if ds.task != "classification":
        return model
    last = model.layers[-1]
    if type(last).__name__ == "Softmax" and last.name == "probs":
        return model
    if type(last).__name__ == "Softmax":
        raise TfcError(f"the ONNX model '{source}' ends in a Softmax that is not its only output",
                       "export the logits or the softmax as the model's single output")
    probs = keras().layers.Softmax(name="probs")(out)
    return keras().Model(model.inputs, probs, name=model.name)
