"""C array bodies of the generated model: every element as _literal writes it, 24 to a line."""

from __future__ import annotations

import numpy as np
import pytest

from tfcompress.engine import emit


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
                                   np.float32, np.bool_])
def test_array_body_writes_each_element_as_its_literal(dtype) -> None:
    rng = np.random.default_rng(3)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, size=100, dtype=dtype, endpoint=True)
        a[:3] = [info.min, info.max, 0]
    else:
        a = rng.normal(size=100).astype(dtype)
    items = [emit._literal(v, a.dtype) for v in a]
    want = "\n".join("    " + ", ".join(items[i:i + 24]) + "," for i in range(0, 100, 24))
    assert emit._array_body(a.reshape(4, 25)) == want
    if dtype == np.int32:
        assert "(-2147483647 - 1)" in want and "-2147483648" not in want
