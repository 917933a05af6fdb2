"""Opt-in (-m slow): a SqueezeNet-style PyTorch CNN trained on digits, exported with torch.onnx.export,
run through the pipeline from a recipe's [model] onnx: same accuracy as PyTorch, int8 bit-exact in the engine.

Needs ``pip install torch`` (CPU; not in any extra) and ``onnx``; the exporter torch uses by default
(dynamo=True) also needs ``onnxscript``. Skipped with a message when they are absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

RECIPE = """
name = "torch-digits"
seed = 0

[dataset]
source = "digits"

[model]
onnx = "squeezenet.onnx"

[convert]
modes = ["float32", "int8"]
representative_samples = 100

[board]
name = "mps2-an500"
"""


def _squeezenet(torch, classes: int = 10):
    nn = torch.nn

    class Fire(nn.Module):
        def __init__(self, c_in: int, squeeze: int, expand: int) -> None:
            super().__init__()
            self.squeeze = nn.Sequential(nn.Conv2d(c_in, squeeze, 1), nn.ReLU())
            self.e1 = nn.Sequential(nn.Conv2d(squeeze, expand, 1), nn.ReLU())
            self.e3 = nn.Sequential(nn.Conv2d(squeeze, expand, 3, padding=1), nn.ReLU())

        def forward(self, x):
            s = self.squeeze(x)
            return torch.cat([self.e1(s), self.e3(s)], 1)

    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        Fire(16, 8, 16), nn.MaxPool2d(2, 2),
        Fire(32, 8, 16), Fire(32, 12, 24),
        nn.Dropout(0.2), nn.Conv2d(48, classes, 1),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript-exporter", "dynamo-exporter"])
def test_pytorch_squeezenet_through_pipeline(tmp_path: Path, dynamo: bool) -> None:
    torch = pytest.importorskip("torch", reason="install PyTorch (CPU) to run: pip install torch")
    pytest.importorskip("onnx", reason="pip install tfcompress[onnx]")
    if dynamo:
        pytest.importorskip("onnxscript", reason="torch.onnx.export(dynamo=True) needs: pip install onnxscript")
    from tfcompress.data.registry import load_dataset
    from tfcompress.engine.validate import validate_model
    from tfcompress.pipeline.run import run_pipeline
    from tfcompress.recipe import load_recipe

    ds = load_dataset("digits", seed=0)  # the split the recipe's data stage makes (same source and seed)
    torch.manual_seed(0)
    torch.set_num_threads(1)  # tiny batches: more threads only contend
    net = _squeezenet(torch)
    opt = torch.optim.Adam(net.parameters(), lr=0.003)
    x = torch.from_numpy(ds.x_train.transpose(0, 3, 1, 2).copy())
    y = torch.from_numpy(ds.y_train)
    for _ in range(25):
        for i in torch.randperm(len(x)).split(64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[i]), y[i]).backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        logits = net(torch.from_numpy(ds.x_test.transpose(0, 3, 1, 2).copy())).numpy()
    torch_accuracy = float(np.mean(logits.argmax(1) == ds.y_test))
    assert torch_accuracy > 0.8

    torch.onnx.export(net, (torch.zeros(1, 1, 8, 8),), str(tmp_path / "squeezenet.onnx"), dynamo=dynamo,
                      input_names=["x"], output_names=["logits"], opset_version=17 if not dynamo else 18)
    (tmp_path / "recipe.toml").write_text(RECIPE)
    results = run_pipeline(load_recipe(tmp_path / "recipe.toml"), out=tmp_path / "run", until="convert")
    baseline = json.loads((tmp_path / "run" / "baseline" / "manifest.json").read_text())["metrics"]
    assert baseline["epochs_run"] == 0
    assert baseline["value"] == pytest.approx(torch_accuracy, abs=1 / len(ds.y_test) + 1e-9)
    rows = {v["variant"]: v for v in results["variants"]}
    assert rows["int8"]["metric_host"] > torch_accuracy - 0.05
    check = validate_model(tmp_path / "run" / "variants" / "int8" / "model.tflite", board="host", samples=8)
    assert check.mismatched_elements == 0
