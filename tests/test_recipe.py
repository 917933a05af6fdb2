"""Recipe parsing and validation."""

from __future__ import annotations

import tomllib

import pytest
from click.testing import CliRunner

from tfcompress.cli import main
from tfcompress.errors import TfcError
from tfcompress.recipe import TEMPLATES, load_recipe, parse_m_by_n, parse_recipe, template_text


def _base() -> dict:
    return tomllib.loads(template_text("digits"))


@pytest.mark.parametrize("name", [*TEMPLATES, "default"])
def test_builtin_templates_parse(name: str) -> None:
    recipe = load_recipe(name)
    assert recipe.name
    assert recipe.dataset.source
    assert recipe.convert.modes


def test_stage_chain_and_params() -> None:
    recipe = load_recipe("digits")
    names = [s.name for s in recipe.compress]
    assert names == ["pruned", "clustered", "pcqat"]
    assert recipe.compress[1].source == "pruned"
    assert recipe.compress[0].params["target_sparsity"] == 0.75


def test_structured_sparsity_is_checked_in_the_recipe() -> None:
    data = _base()
    data["compress"][0]["structured"] = "2:4"
    assert parse_recipe(data).compress[0].params["structured"] == "2:4"
    assert parse_m_by_n("2:4") == (2, 4) and parse_m_by_n("1:16") == (1, 16)


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d: d.update(bogus=1), "unknown recipe key 'bogus'"),
        (lambda d: d["train"].update(epoch=3), "unknown recipe key 'train.epoch'"),
        (lambda d: d["train"].update(epochs="many"), "'train.epochs' must be int"),
        (lambda d: d["train"].update(epochs=0), "'train.epochs' must be > 0"),
        (lambda d: d.pop("model"), "missing 'model'"),
        (lambda d: d["compress"][0].update(method="shrink"), "'compress[0].method' has invalid value 'shrink'"),
        (lambda d: d["compress"][0].update(schedule="cubic"), "choose one of: constant, polynomial"),
        (lambda d: d["compress"][1].update({"from": "nowhere"}), "unknown stage 'nowhere'"),
        (lambda d: d["compress"][0].update(clusters=4), "unknown recipe key 'compress[0].clusters'"),
        (lambda d: d["compress"][0].update(structured="2x4"), "'compress[0].structured' must be M:N"),
        (lambda d: d["compress"][0].update(structured="4:2"), "'compress[0].structured' must be M:N"),
        (lambda d: d["compress"][0].update(structured="0:4"), "'compress[0].structured' must be M:N"),
        (lambda d: d["compress"][0].update(structured="2:4:8"), "'compress[0].structured' must be M:N"),
        (lambda d: d["compress"][0].update(structured="\u0662:4"), "'compress[0].structured' must be M:N"),
        (lambda d: d["convert"].update(modes=["int4"]), "unknown mode 'int4'"),
        (lambda d: d["board"].update(kernels="fast"), "'board.kernels' has invalid value"),
        (lambda d: d["board"].update(compress_weights="yes"), "'board.compress_weights' must be bool or list"),
        (lambda d: d["board"].update(compress_weights=[1]), "list of variant names"),
    ],
)
def test_validation_errors_name_the_key(mutate, fragment: str) -> None:
    data = _base()
    mutate(data)
    with pytest.raises(TfcError) as info:
        parse_recipe(data)
    assert fragment in info.value.line()


def test_compress_weights_per_variant() -> None:
    data = _base()
    assert not parse_recipe(data).board.compresses("int8")
    data["board"]["compress_weights"] = ["pruned-int8"]
    board = parse_recipe(data).board
    assert board.compresses("pruned-int8") and not board.compresses("int8")
    data["board"]["compress_weights"] = True
    assert parse_recipe(data).board.compresses("int8")


def test_missing_recipe_file_is_clear() -> None:
    with pytest.raises(TfcError, match="not found"):
        load_recipe("no/such/recipe.toml")


def test_invalid_toml(tmp_path) -> None:
    bad = tmp_path / "r.toml"
    bad.write_text("name = \n")
    with pytest.raises(TfcError, match="not valid TOML"):
        load_recipe(bad)


def test_init_writes_and_refuses_overwrite(tmp_path) -> None:
    runner = CliRunner()
    out = tmp_path / "r.toml"
    result = runner.invoke(main, ["init", "--template", "eye-gaze", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load_recipe(out).dataset.source == "synthetic-eyes"
    result = runner.invoke(main, ["init", "--template", "digits", "--out", str(out)])
    assert result.exit_code == 2
    assert "already exists" in result.output and "--force" in result.output
    assert load_recipe(out).dataset.source == "synthetic-eyes"
    result = runner.invoke(main, ["init", "--template", "digits", "--out", str(out), "--force"])
    assert result.exit_code == 0
    assert load_recipe(out).dataset.source == "digits"


def test_cli_rejects_unknown_names_before_any_work(tmp_path) -> None:
    runner = CliRunner()
    text = template_text("digits")
    cases = {
        "source = \"digits\"": ("source = \"digitz\"", "unknown dataset source 'digitz'"),
        "name = \"tiny-cnn\"": ("name = \"tiny-cnnn\"", "unknown model 'tiny-cnnn'"),
        "name = \"mps2-an500\"": ("name = \"mps2\"", "unknown board 'mps2'"),
    }
    for old, (new, message) in cases.items():
        path = tmp_path / "bad.toml"
        path.write_text(text.replace(old, new))
        out = tmp_path / "run"
        result = runner.invoke(main, ["pipeline", "--recipe", str(path), "--out", str(out)])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
        assert not out.exists()


@pytest.mark.parametrize("bad", ["../../escape", "/tmp/abs", "a/b", "a\\b", ".hidden", "..", "", "x\ny", "-rf",
                                 "sp ace", "caf\u00e9", "x" * 65])
@pytest.mark.parametrize("key", ["name", "compress[0].name", "compress[1].name"])
def test_names_that_become_folders_are_checked(key: str, bad: str) -> None:
    """The recipe name is runs/<name>, stage names are stages/<name>, variants/<name>-int8 and firmware
    folders: a separator, '..' or a hidden name would put a run's files (or its --force clean-up)
    somewhere else."""
    data = _base()
    target = data if key == "name" else data["compress"][int(key[9])]
    target["name"] = bad
    with pytest.raises(TfcError) as info:
        parse_recipe(data)
    line = info.value.line()
    assert f"recipe key '{key}'" in line and "cannot be used as a folder name" in line
    assert "letters, digits, '-', '_' and '.'" in line and "\n" not in line


def test_folder_names_that_are_fine() -> None:
    data = _base()
    data["name"] = "digits_v2.1-final"
    data["compress"][0]["name"] = "pruned.75"
    data["compress"][1]["from"] = "pruned.75"
    recipe = parse_recipe(data)
    assert recipe.name == "digits_v2.1-final" and recipe.compress[0].name == "pruned.75"


def test_escaping_recipe_name_creates_nothing(tmp_path, monkeypatch) -> None:
    """The reported case: name = "../../escape" wrote its run two levels above runs/."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a" / "b").mkdir(parents=True)
    path = tmp_path / "a" / "b" / "evil.toml"
    path.write_text(template_text("digits").replace('name = "digits"', 'name = "../../escape"', 1))
    monkeypatch.chdir(tmp_path / "a" / "b")
    result = CliRunner().invoke(main, ["pipeline", "--recipe", str(path), "--until", "train"])
    assert result.exit_code == 2, result.output
    assert "recipe key 'name'" in result.output and "folder name" in result.output
    assert not any(p.name == "escape" for p in tmp_path.rglob("*")) and not (tmp_path / "a" / "b" / "runs").exists()


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_use_the_measured_training_defaults(name: str) -> None:
    from tfcompress.train.defaults import DEFAULTS

    recipe, want = load_recipe(name), DEFAULTS[name]
    assert recipe.dataset.source == want["dataset"]
    assert recipe.train.epochs == want["epochs"]
    assert recipe.train.batch_size == want["batch_size"]
    assert recipe.train.learning_rate == pytest.approx(want["learning_rate"])
    assert recipe.train.patience == want["patience"]
    if recipe.distill is None:
        assert (recipe.model.name, recipe.model.width) == (want["model"], want["width"])
    else:  # the distilled student is derived from the teacher
        assert recipe.distill.teacher.name == want["model"]


def test_board_output_names_the_metric_output() -> None:
    for value in ("probs", "StatefulPartitionedCall:1", 0, 2):
        data = _base()
        data.setdefault("board", {})["output"] = value
        assert parse_recipe(data).board.output == value
    assert parse_recipe(_base()).board.output == 0
    for bad, words in ((-1, "must be an output index"), ("", "must be an output index"), (True, "must be str or int"),
                       (1.5, "must be str or int"), (["a"], "must be str or int")):
        data = _base()
        data.setdefault("board", {})["output"] = bad
        with pytest.raises(TfcError) as info:
            parse_recipe(data)
        assert "recipe key 'board.output'" in info.value.what and words in info.value.what, info.value.line()


def test_board_profile_switch() -> None:
    assert parse_recipe(_base()).board.profile is False
    data = _base()
    data.setdefault("board", {})["profile"] = True
    assert parse_recipe(data).board.profile is True
    data["board"]["profile"] = "yes"
    with pytest.raises(TfcError) as info:
        parse_recipe(data)
    assert "recipe key 'board.profile' must be bool" in info.value.what


def test_model_onnx_is_resolved_and_used_as_is_by_default(tmp_path) -> None:
    """[model] onnx: path relative to the recipe file; an imported model is trained already (epochs 0)."""
    text = '[dataset]\nsource = "digits"\n[model]\nonnx = "nets/net.onnx"\n'
    (tmp_path / "r.toml").write_text(f'name = "x"\n{text}')
    recipe = load_recipe(tmp_path / "r.toml")
    assert recipe.model.onnx == str(tmp_path / "nets" / "net.onnx") and recipe.model.name == "net"
    assert recipe.train.epochs == 0
    (tmp_path / "r.toml").write_text(f'name = "x"\n{text}[train]\nepochs = 3\n')
    assert load_recipe(tmp_path / "r.toml").train.epochs == 3  # fine-tuning when asked
    data = _base()
    data["train"]["epochs"] = 0
    with pytest.raises(TfcError, match=r"train\.epochs' must be > 0"):  # zoo models must train
        parse_recipe(data)


@pytest.mark.parametrize("model, extra, message", [
    ({"onnx": "a.onnx", "width": 0.5}, {}, r"unknown recipe key 'model\.width'.*allowed keys in \[model\]: onnx, name"),
    ({"onnx": "a.onnx"}, {"distill": {"teacher": {"name": "tiny-cnn"}}}, r"'distill' cannot be used with \[model\] onnx"),
    ({"onnx": 3}, {}, r"'model\.onnx' must be str"),
])
def test_model_onnx_errors(model: dict, extra: dict, message: str) -> None:
    data = {"name": "x", "dataset": {"source": "digits"}, "model": model, **extra}
    with pytest.raises(TfcError, match=message):
        parse_recipe(data)
