"""Recipe files (TOML) → typed, validated configuration.

A recipe names the dataset, the model, training and distillation, the compression
stages, the conversion modes and the board. Every key is checked: an unknown key, a
wrong type or a value outside its allowed set is a :class:`TfcError` that names the
key (as a dotted path) and what is allowed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tfcompress.errors import TfcError, unknown
from tfcompress.recipe_board import BoardConfig, parse_board
from tfcompress.recipe_section import Section as _Section
from tfcompress.recipe_section import positive as _positive
from tfcompress.textsafe import PATH_COMPONENT_RULE, is_path_component, show

#: Built-in recipe templates shipped in ``tfcompress/recipes/``; "default" is an alias.
TEMPLATES = ("eye-gaze", "gaze-zones", "digits", "detection")
DEFAULT_TEMPLATE = "eye-gaze"

CONVERT_MODES = ("float32", "dynamic", "float16", "int8", "int16x8", "qat-int8")
COMPRESS_METHODS = ("prune", "channels", "cluster", "qat")

#: Per compression method: allowed keys → expected Python type(s) (besides name/method/from).
COMPRESS_KEYS: dict[str, dict[str, tuple[type, ...]]] = {
    "prune": {
        "target_sparsity": (float, int),
        "initial_sparsity": (float, int),
        "schedule": (str,),
        "begin_step": (int,),
        "end_step": (int,),
        "frequency": (int,),
        "epochs": (int,),
        "skip_first": (bool,),
        "skip_last": (bool,),
        "structured": (str,),
        "sweep": (str,),
    },
    "channels": {"fraction": (float, int), "epochs": (int,)},
    "cluster": {
        "clusters": (int, str),
        "init": (str,),
        "preserve_sparsity": (bool,),
        "epochs": (int,),
        "id_method": (str,),
    },
    "qat": {"scheme": (str,), "epochs": (int,)},
}
COMPRESS_CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "prune": {"schedule": ("constant", "polynomial")},
    "cluster": {"init": ("kmeans++", "linear", "density", "random"), "id_method": ("twonn", "pca")},
    "qat": {"scheme": ("qat", "pqat", "cqat", "pcqat")},
}


@dataclass(frozen=True)
class DatasetConfig:
    source: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelConfig:
    name: str
    width: float = 1.0
    drop_blocks: int = 0
    #: an ONNX file imported instead of building zoo model ``name`` (absolute, or relative to the recipe)
    onnx: str | None = None


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-3
    patience: int = 0


@dataclass(frozen=True)
class DistillConfig:
    """Train ``teacher`` first, then distil into a student derived from it."""

    teacher: ModelConfig
    student: str = "width"  # width | cut | both
    width_factor: float = 0.5
    drop_blocks: int = 1
    alpha: float = 0.1
    beta: float = 0.9
    temperature: float = 4.0
    kd_factor: float = 0.5
    teacher_epochs: int | None = None


@dataclass(frozen=True)
class StageConfig:
    """One compression stage; ``source`` is "baseline" or an earlier stage's name."""

    name: str
    method: str
    source: str = "baseline"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConvertConfig:
    modes: tuple[str, ...] = CONVERT_MODES
    representative_samples: int = 200


@dataclass(frozen=True)
class Recipe:
    name: str
    seed: int
    dataset: DatasetConfig
    model: ModelConfig
    train: TrainConfig
    distill: DistillConfig | None
    compress: tuple[StageConfig, ...]
    convert: ConvertConfig
    board: BoardConfig
    source_path: str | None = None
    source_text: str = ""  # the TOML as read (saved in the run directory)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (used for manifests and fingerprints)."""
        d = asdict(self)
        d.pop("source_path", None)
        d.pop("source_text", None)
        return d


# --------------------------------------------------------------------------- validation

def _folder_name(value: str, key: str) -> str:
    """``value``, a name that becomes a folder of the run directory (``runs/<name>``,
    ``stages/<stage>``, ``variants/<stage>-int8``, ``firmware/<board>/<stage>-int8``)."""
    if not is_path_component(value):
        raise TfcError(f"recipe key '{key}' = {show(value)} cannot be used as a folder name",
                       f"use {PATH_COMPONENT_RULE}")
    return value


def parse_m_by_n(text: str) -> tuple[int, int]:
    """``"M:N"`` structured sparsity (M zeros in every N consecutive weights, 0 < M < N) -> (M, N).

    Raises ``ValueError`` when ``text`` is not of that form.
    """
    match = re.fullmatch(r"(\d+):(\d+)", text, re.ASCII)
    if not match or not 0 < int(match[1]) < int(match[2]):
        raise ValueError(f"{text!r} is not M:N with 0 < M < N")
    return int(match[1]), int(match[2])


def _onnx_model(sec: _Section, source_path: str | None) -> ModelConfig:
    """``[model] onnx = "file.onnx"``: an imported model (relative paths are relative to the recipe file)."""
    sec.check_unknown(["onnx", "name"])
    onnx = sec.get("onnx", (str,))
    path = Path(onnx).expanduser()
    if not path.is_absolute() and source_path and not source_path.startswith("<"):
        path = Path(source_path).resolve().parent / path
    return ModelConfig(name=sec.get("name", (str,), path.stem), onnx=str(path))


def _model(sec: _Section, source_path: str | None = None, allow_onnx: bool = False) -> ModelConfig:
    if allow_onnx and "onnx" in sec.data:
        return _onnx_model(sec, source_path)
    sec.check_unknown(["name", "width", "drop_blocks", *(["onnx"] if allow_onnx else [])])
    cfg = ModelConfig(
        name=sec.get("name", (str,)),
        width=sec.get("width", (float,), 1.0),
        drop_blocks=sec.get("drop_blocks", (int,), 0),
    )
    _positive(cfg.width, sec._key("width"))
    return cfg


def _stage(raw: Any, index: int, earlier: list[str]) -> StageConfig:
    sec = _Section(raw, f"compress[{index}]")
    method = sec.get("method", (str,), choices=COMPRESS_METHODS)
    keys = COMPRESS_KEYS[method]
    sec.check_unknown(["name", "method", "from", *keys])
    name = _folder_name(sec.get("name", (str,), method), sec._key("name"))
    if name in earlier or name == "baseline":
        raise TfcError(f"recipe stage name '{name}' is used twice", "give each [[compress]] stage a unique name")
    source = sec.get("from", (str,), "baseline")
    if source != "baseline" and source not in earlier:
        raise TfcError(
            f"recipe key '{sec._key('from')}' names unknown stage '{source}'",
            f"use 'baseline' or an earlier stage: {', '.join(earlier) or '(none yet)'}",
        )
    params = {}
    for key, types in keys.items():
        if key in sec.data:
            params[key] = sec.get(key, types, choices=COMPRESS_CHOICES.get(method, {}).get(key, ()))
    if "structured" in params:
        try:
            parse_m_by_n(params["structured"])
        except ValueError:
            raise TfcError(f"recipe key '{sec._key('structured')}' must be M:N (M zeros in every N weights, "
                           f"0 < M < N), got {params['structured']!r}", 'e.g. structured = "2:4"') from None
    return StageConfig(name=name, method=method, source=source, params=params)


def parse_recipe(data: dict[str, Any], source_path: str | None = None, source_text: str = "") -> Recipe:
    """Validate a recipe dict (as read from TOML) into a :class:`Recipe`."""
    top = _Section(data, "")
    # [sweep] describes a design-space sweep over this recipe (tfcompress/sweep/spec.py); a run ignores it
    top.check_unknown(["name", "seed", "dataset", "model", "train", "distill", "compress", "convert", "board", "sweep"])

    ds = _Section(top.get("dataset", (dict,)), "dataset")
    ds.check_unknown(["source", "params"])
    dataset = DatasetConfig(source=ds.get("source", (str,)), params=dict(ds.get("params", (dict,), {})))

    model = _model(_Section(top.get("model", (dict,)), "model"), source_path, allow_onnx=True)

    tr = _Section(top.get("train", (dict,), {}), "train")
    tr.check_unknown(["epochs", "batch_size", "learning_rate", "patience"])
    # an imported model is already trained: it is used as is unless [train] epochs asks for fine-tuning
    train = TrainConfig(
        epochs=tr.get("epochs", (int,), 0 if model.onnx else TrainConfig.epochs),
        batch_size=tr.get("batch_size", (int,), TrainConfig.batch_size),
        learning_rate=tr.get("learning_rate", (float,), TrainConfig.learning_rate),
        patience=tr.get("patience", (int,), TrainConfig.patience),
    )
    for key in ("batch_size", "learning_rate") if model.onnx else ("epochs", "batch_size", "learning_rate"):
        _positive(getattr(train, key), f"train.{key}")
    if train.epochs < 0:
        raise TfcError(f"recipe key 'train.epochs' must be >= 0, got {train.epochs}", "fix its value")

    distill = None
    if "distill" in data and model.onnx:
        raise TfcError("recipe key 'distill' cannot be used with [model] onnx (the student is derived from a zoo "
                       "teacher)", "remove [distill], or fine-tune the imported model with [train] epochs")
    if "distill" in data:
        dsec = _Section(data["distill"], "distill")
        dsec.check_unknown(
            ["teacher", "student", "width_factor", "drop_blocks", "alpha", "beta", "temperature", "kd_factor", "teacher_epochs"]
        )
        distill = DistillConfig(
            teacher=_model(_Section(dsec.get("teacher", (dict,)), "distill.teacher")),
            student=dsec.get("student", (str,), "width", choices=("width", "cut", "both")),
            width_factor=dsec.get("width_factor", (float,), 0.5),
            drop_blocks=dsec.get("drop_blocks", (int,), 1),
            alpha=dsec.get("alpha", (float,), 0.1),
            beta=dsec.get("beta", (float,), 0.9),
            temperature=dsec.get("temperature", (float,), 4.0),
            kd_factor=dsec.get("kd_factor", (float,), 0.5),
            teacher_epochs=dsec.get("teacher_epochs", (int,), None),
        )
        _positive(distill.temperature, "distill.temperature")
        if not 0.0 <= distill.kd_factor <= 1.0:
            raise TfcError("recipe key 'distill.kd_factor' must be in [0, 1]", "fix its value")

    raw_stages = top.get("compress", (list,), [])
    stages: list[StageConfig] = []
    for i, raw in enumerate(raw_stages):
        stages.append(_stage(raw, i, [s.name for s in stages]))

    cv = _Section(top.get("convert", (dict,), {}), "convert")
    cv.check_unknown(["modes", "representative_samples"])
    modes = tuple(cv.get("modes", (list,), list(CONVERT_MODES)))
    for mode in modes:
        if mode not in CONVERT_MODES:
            raise TfcError(f"recipe key 'convert.modes' has unknown mode {mode!r}", f"choose from: {', '.join(CONVERT_MODES)}")
    convert = ConvertConfig(modes=modes, representative_samples=cv.get("representative_samples", (int,), 200))

    board = parse_board(_Section(top.get("board", (dict,), {}), "board"))

    return Recipe(
        name=_folder_name(top.get("name", (str,)), "name"),
        seed=top.get("seed", (int,), 0),
        dataset=dataset,
        model=model,
        train=train,
        distill=distill,
        compress=tuple(stages),
        convert=convert,
        board=board,
        source_path=source_path,
        source_text=source_text,
    )


def template_text(name: str) -> str:
    """The TOML text of a built-in recipe template."""
    if name == "default":
        name = DEFAULT_TEMPLATE
    if name not in TEMPLATES:
        raise unknown("recipe template", name, TEMPLATES, "or 'default'")
    return resources.files("tfcompress.recipes").joinpath(f"{name}.toml").read_text()


def load_recipe(spec: str | Path) -> Recipe:
    """Load a recipe from a TOML file path, or a built-in template name ('default', 'digits', ...)."""
    path = Path(spec)
    if path.is_file():
        text, origin = path.read_text(), str(path)
    elif str(spec) in (*TEMPLATES, "default"):
        text, origin = template_text(str(spec)), f"<built-in {spec}>"
    else:
        raise TfcError(
            f"recipe file '{spec}' not found",
            f"give a path to a .toml file, a built-in name ({', '.join(('default', *TEMPLATES))}), "
            "or create one with `tfcompress init --template eye-gaze`",
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise TfcError(f"recipe '{origin}' is not valid TOML: {err}", "fix the syntax at that line") from None
    return parse_recipe(data, origin, text)
