"""A trained model's identity (a stage's output hash, which downstream stages and the shared stage
cache fingerprint on) is its content: the same training saved twice hashes the same, although
tf_keras writes the save time into model.keras."""

from __future__ import annotations

import time
import zipfile

import numpy as np

from tfcompress.rundir import RunDir, hash_tree


def _train(seed: int):
    from tfcompress.compress import finetune, toy
    from tfcompress.data import load_dataset
    from tfcompress.tfenv import keras, set_seed, tf

    keras().backend.clear_session()  # layer names as in a fresh process (input_1, ...): they are content
    set_seed(seed)
    tf().config.experimental.enable_op_determinism()
    ds = load_dataset("digits", seed=0)
    model = toy.small_cnn(ds.input_shape, ds.num_outputs, width=4, seed=seed)
    finetune.fit(model, ds, epochs=1, learning_rate=5e-3, seed=seed)
    return model


def test_same_training_saved_twice_has_one_output_hash(tmp_path) -> None:
    from tfcompress.modelio import save_model

    run = RunDir.open(tmp_path / "run", "r", "name = 'r'\n")
    hashes, files = [], []
    for k in range(2):
        stage = run.stage(f"baseline{k}", f"b{k}", {"epochs": 1})
        stage.begin()
        model = _train(seed=0)
        files.append(save_model(model, stage.dir / "model.keras"))
        stage.complete({}, ["model.keras"])
        hashes.append(stage.output_hash())
        if k == 0:
            time.sleep(1.1)  # another second: another date_saved
    metas = [zipfile.ZipFile(f).read("metadata.json") for f in files]
    assert metas[0] != metas[1]  # the files do differ by their save time ...
    assert hashes[0] == hashes[1]  # ... not the model they hold
    # and a different model is a different hash
    w = model.get_layer("logits").get_weights()
    w[0] = w[0] + np.float32(1e-3)
    model.get_layer("logits").set_weights(w)
    other = save_model(model, tmp_path / "other" / "model.keras")
    assert hash_tree([other]) != hashes[0]
