"""Small ONNX models built with the ``onnx`` package's helpers (NCHW, float32, random weights)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class OnnxBuilder:
    """Append nodes to a graph; weights become initializers; ``save`` writes a checked .onnx file."""

    def __init__(self, shape: list[int], seed: int = 0, input_name: str = "x") -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list = []
        self.inits: list = []
        self.input_name = input_name
        self.shape = shape
        self.count = 0

    def _name(self, op: str) -> str:
        self.count += 1
        return f"{op.lower()}{self.count}"

    def weight(self, *shape: int, scale: float = 0.5) -> str:
        from onnx import numpy_helper

        name = f"w{len(self.inits)}"
        value = self.rng.uniform(-scale, scale, size=shape).astype(np.float32)
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def const(self, value: np.ndarray) -> str:
        from onnx import numpy_helper

        name = f"c{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op: str, inputs: list[str], n_out: int = 1, **attrs) -> str:
        from onnx import helper

        name = self._name(op)
        outs = [f"{name}_out{i}" if i else f"{name}_out" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0]

    def conv(self, x: str, c_in: int, c_out: int, k: int, group: int = 1, bias: bool = True, **attrs) -> str:
        he = float(np.sqrt(6.0 / (c_in // group * k * k)))  # He-uniform: trainable from here
        ins = [x, self.weight(c_out, c_in // group, k, k, scale=he)] + ([self.weight(c_out, scale=0.1)] if bias else [])
        return self.op("Conv", ins, kernel_shape=[k, k], group=group, **attrs)

    def batch_norm(self, x: str, c: int) -> str:
        scale = self.const(self.rng.uniform(0.5, 1.5, c).astype(np.float32))
        bias = self.const(self.rng.uniform(-0.2, 0.2, c).astype(np.float32))
        mean = self.const(self.rng.uniform(-0.2, 0.2, c).astype(np.float32))
        var = self.const(self.rng.uniform(0.5, 1.5, c).astype(np.float32))
        return self.op("BatchNormalization", [x, scale, bias, mean, var], epsilon=1e-5)

    def gemm(self, x: str, k: int, m: int) -> str:
        w = self.weight(m, k, scale=float(np.sqrt(6.0 / k)))
        return self.op("Gemm", [x, w, self.weight(m, scale=0.1)], transB=1)

    def save(self, path: Path, out: str | list[str], out_shape: list[int] | list[list[int]]) -> Path:
        import onnx
        from onnx import TensorProto, helper

        outs = [out] if isinstance(out, str) else out
        shapes = [out_shape] if isinstance(out_shape[0], int) else out_shape
        graph = helper.make_graph(
            self.nodes, "test_graph",
            [helper.make_tensor_value_info(self.input_name, TensorProto.FLOAT, self.shape)],
            [helper.make_tensor_value_info(o, TensorProto.FLOAT, s) for o, s in zip(outs, shapes, strict=True)],
            self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, str(path))
        return path


def run_onnxruntime(path: Path, x_nchw: np.ndarray) -> list[np.ndarray]:
    """The reference outputs: onnxruntime when installed, else onnx's own reference evaluator."""
    try:
        import onnxruntime as ort
    except ImportError:
        from onnx.reference import ReferenceEvaluator

        return list(ReferenceEvaluator(str(path)).run(None, {"x": x_nchw}))
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return list(sess.run(None, {sess.get_inputs()[0].name: x_nchw}))
