"""derive_student: width-wise, layer-wise and both; weight initialisation from the teacher."""

from __future__ import annotations

import numpy as np
import pytest

from tfcompress.errors import TfcError
from tfcompress.models import ModelSpec
from tfcompress.train import derive_student, student_spec

TEACHER = {"name": "resnet8", "input_shape": [8, 8, 1], "num_outputs": 10, "task": "classification", "width": 1.0}


def test_modes_change_width_and_depth() -> None:
    assert student_spec(TEACHER, "width", width_factor=0.5).width == 0.5
    cut = student_spec(TEACHER, "cut", drop_blocks=1)
    assert cut.width == 1.0 and cut.drop_blocks == 1
    both = student_spec(ModelSpec.from_any(TEACHER), "both", width_factor=0.5, drop_blocks=2)
    assert (both.width, both.drop_blocks) == (0.5, 2)


def test_students_are_smaller() -> None:
    teacher = ModelSpec.from_any(TEACHER).build()
    for mode in ("width", "cut", "both"):
        student = derive_student(TEACHER, mode)
        assert student.count_params() < teacher.count_params(), mode
        assert student.output_shape == teacher.output_shape
        assert student.layers[-1].name == "probs"


def test_cut_student_starts_from_teacher_weights() -> None:
    teacher = ModelSpec.from_any(TEACHER).replace(seed=1).build()
    student = derive_student(TEACHER, "cut", drop_blocks=1, teacher=teacher, seed=2)
    for name in ("stem_conv", "block1_a_conv", "block2_b_conv", "block2_b_bn"):
        for a, b in zip(teacher.get_layer(name).get_weights(), student.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    names = {layer.name for layer in student.layers}
    assert "block3_a_conv" not in names
    # the head's input width changed: fresh weights, not the teacher's
    assert student.get_layer("logits").get_weights()[0].shape != teacher.get_layer("logits").get_weights()[0].shape


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"mode": "prune"}, "unknown student mode"),
        ({"mode": "width", "width_factor": 0.0}, "width_factor"),
        ({"mode": "width", "width_factor": 1.5}, "width_factor"),
        ({"mode": "cut", "drop_blocks": 3}, "cannot drop"),
        ({"mode": "both", "drop_blocks": 0}, "cannot drop"),
    ],
)
def test_bad_student_requests(kwargs: dict, fragment: str) -> None:
    with pytest.raises(TfcError, match=fragment):
        derive_student(TEACHER, **kwargs)
