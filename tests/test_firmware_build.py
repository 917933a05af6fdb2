"""Generated projects build with arm-none-eabi-gcc for every board, stand alone, and fail clearly."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import require_tool
from helpers.keras_models import to_int8_tflite

from tfcompress.boards import list_boards, load_board
from tfcompress.cli import main
from tfcompress.errors import TfcError
from tfcompress.project import build as build_mod
from tfcompress.project import build_project, generate_project

FIXTURE = Path(__file__).parent / "fixtures" / "firmware" / "model"
pytestmark = pytest.mark.toolchain


def _variant(tmp_path: Path, name: str, *, arena: int | None = None, flash_array: int | None = None) -> Path:
    """A copy of the fixture model with a bigger arena or an extra constant array."""
    d = tmp_path / name
    shutil.copytree(FIXTURE, d)
    if arena is not None:
        h = d / "model.h"
        h.write_text(re.sub(r"#define TFC_ARENA_BYTES \d+", f"#define TFC_ARENA_BYTES {arena}", h.read_text()))
    if flash_array is not None:
        c = d / "model.c"
        head = "int tfc_model_run(const void *const inputs[], void *const outputs[])\n{"
        text = c.read_text()
        assert head in text
        c.write_text(text.replace(head, f"static const volatile unsigned char big[{flash_array}] = {{1}};\n"
                                        + head + "\n    (void)big[0];"))
    return d


@pytest.mark.parametrize("name", list_boards())
def test_builds_for_every_board(name, tmp_path):
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    board = load_board(name)
    info = generate_project(FIXTURE, board, tmp_path / "fw")
    result = build_project(info.path)
    assert result.elf.is_file() and (info.path / "firmware.bin").is_file()
    assert set(result.regions) == {r.name for r in board.regions}
    text = result.regions[board.text_region]
    assert 0 < text["used"] < 16 * 1024 and text["size"] == board.region(board.text_region).length
    assert result.sections[".stack"] == board.stack_bytes
    assert "size table" in result.log
    readme = (info.path / "README.md").read_text()
    assert board.name in readme
    if board.renode:
        resc = (info.path / f"{board.name}.resc").read_text()
        assert "firmware.elf" in resc and board.renode["platform"] in resc
        assert "not exercised in this repo's CI" in readme


def test_project_is_self_contained(tmp_path):
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    info = generate_project(FIXTURE, load_board("netduinoplus2"), tmp_path / "a")
    moved = tmp_path / "elsewhere" / "b"
    shutil.copytree(info.path, moved)
    repo = str(Path(__file__).resolve().parents[1])
    for f in moved.rglob("*"):
        if f.is_file():
            assert repo not in f.read_text(errors="replace"), f
    assert build_project(moved).elf.is_file()


def test_never_overwrites_without_force(tmp_path):
    out = tmp_path / "fw"
    out.mkdir()
    (out / "mine.txt").write_text("user data")
    with pytest.raises(TfcError) as e:
        generate_project(FIXTURE, load_board("mps2-an500"), out)
    assert "--force" in e.value.fix
    assert (out / "mine.txt").read_text() == "user data"
    generate_project(FIXTURE, load_board("mps2-an500"), out, force=True)
    assert not (out / "mine.txt").exists() and (out / "Makefile").is_file()


def test_model_too_big_for_ram_is_caught_before_building(tmp_path):
    model = _variant(tmp_path, "bigram", arena=200_000)
    with pytest.raises(TfcError) as e:
        generate_project(model, load_board("netduinoplus2"), tmp_path / "fw")
    assert "region SRAM overflowed by" in e.value.what
    overflow = int(re.search(r"overflowed by (\d+) bytes", e.value.what).group(1))
    assert overflow > 200_000 - 128 * 1024
    assert not (tmp_path / "fw").exists()


def test_model_too_big_for_flash_fails_at_link_naming_region(tmp_path):
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    model = _variant(tmp_path, "bigflash", flash_array=600_000)
    info = generate_project(model, load_board("nucleo-f446re"), tmp_path / "fw")
    with pytest.raises(TfcError) as e:
        build_project(info.path)
    m = re.search(r"region FLASH overflowed by (\d+) bytes", e.value.what)
    assert m and int(m.group(1)) > 600_000 - 512 * 1024


def test_missing_toolchain_names_apt_package(monkeypatch, tmp_path):
    monkeypatch.setattr(build_mod.shutil, "which", lambda name: None)
    with pytest.raises(TfcError) as e:
        build_project(tmp_path)
    assert "arm-none-eabi-gcc" in e.value.what and "gcc-arm-none-eabi" in e.value.fix


def test_generate_cli_json_from_model_directory(tmp_path):
    r = CliRunner().invoke(main, ["generate", str(FIXTURE), "--board", "stm32h747i-disco",
                                  "--out", str(tmp_path / "p"), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["board"] == "stm32h747i-disco" and data["model_hash"] == "f1f2f3f4a5a6a7a8"
    again = CliRunner().invoke(main, ["generate", str(FIXTURE), "--board", "stm32h747i-disco",
                                      "--out", str(tmp_path / "p")])
    assert again.exit_code == 2 and "--force" in again.output
    config = (tmp_path / "p" / "board_config.h").read_text()
    assert "0x40011000u" in config and "#define TFC_CACHES 1" in config
    linker = (tmp_path / "p" / "linker.ld").read_text()
    assert "} > AXI_SRAM" in linker and "} > DTCM" in linker and "ORIGIN = 0x24000000" in linker


def test_build_cli_with_tflite(mlperf_models, tmp_path, monkeypatch):
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")
    model = mlperf_models / "kws_dscnn_int8.tflite"
    r = CliRunner().invoke(main, ["build", "--board", "stm32h747i-disco", "--model", str(model),
                                  "--out", str(tmp_path / "kws"), "--json"])
    assert r.exit_code == 0, r.output
    b = json.loads(r.stdout)["builds"]["kws_dscnn_int8"]
    assert b["regions"]["FLASH"]["used"] > 28_000 and b["regions"]["AXI_SRAM"]["used"] > 10_000
    assert Path(b["elf"]).is_file()
    # same model again: reuses the project; a different one needs --force
    again = CliRunner().invoke(main, ["build", "--board", "stm32h747i-disco", "--model", str(model),
                                      "--out", str(tmp_path / "kws")])
    assert again.exit_code == 0, again.output
    other = CliRunner().invoke(main, ["build", "--board", "stm32h747i-disco", "--model",
                                      str(mlperf_models / "ad_autoencoder_int8.tflite"), "--out", str(tmp_path / "kws")])
    assert other.exit_code == 2 and "--force" in other.output


def test_firmware_cache_regenerates_stale_projects(tmp_path, monkeypatch):
    """The firmware cache is ours: a project there from another engine setting (or an older
    tfcompress, whose tfcompress.json names no engine) is regenerated, not refused."""
    require_tool("arm-none-eabi-gcc", "gcc-arm-none-eabi")

    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.project.firmware import build_firmware
    from tfcompress.project.generate import firmware_sources_key
    from tfcompress.tfenv import keras

    monkeypatch.setenv("TFC_CACHE_DIR", str(tmp_path / "cache"))
    K = keras()
    inp = K.Input((4, 4, 1))
    tflite = to_int8_tflite(K.Model(inp, K.layers.Dense(3)(K.layers.Flatten()(inp))))
    board = load_board("mps2-an500")
    compiled = compile_tflite(tflite)
    first = build_firmware(compiled, board)
    meta_path = first.project.path / "tfcompress.json"
    meta = json.loads(meta_path.read_text())
    assert meta["engine"] == "reference"
    del meta["engine"]  # as written before engine keys existed
    meta_path.write_text(json.dumps(meta))
    again = build_firmware(compiled, board)
    assert again.project.path == first.project.path
    assert json.loads(meta_path.read_text())["engine"] == "reference"
    # firmware generated from other harness/board sources (another protocol version) is never reused:
    # regenerated in the cache, refused in the user's folder unless forced
    meta = json.loads(meta_path.read_text())
    meta["sources"] = "0123456789ab"
    meta_path.write_text(json.dumps(meta))
    again = build_firmware(compiled, board)
    assert again.project.path == first.project.path
    assert json.loads(meta_path.read_text())["sources"] == firmware_sources_key()
    mine = build_firmware(compiled, board, tmp_path / "mine")
    meta = json.loads((mine.project.path / "tfcompress.json").read_text())
    (mine.project.path / "tfcompress.json").write_text(json.dumps({**meta, "sources": "0123456789ab"}))
    with pytest.raises(TfcError) as e:
        build_firmware(compiled, board, tmp_path / "mine")
    assert "another version" in e.value.what and "--force" in e.value.fix
    assert build_firmware(compiled, board, tmp_path / "mine", force=True).elf.is_file()
