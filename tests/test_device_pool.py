"""The device pool: jobs on several emulator slots or farm boards, results in job order, lost boards
taken out and their jobs re-queued, clear errors (no device needed: the work is a function)."""

from __future__ import annotations

import threading
import time

import pytest

from tfcompress.errors import TfcError
from tfcompress.harness.pool import Device, emulator_slots, parse_farm, pick_devices, run_jobs
from tfcompress.harness.transport import LinkError

FARM = ["/dev/ttyACM0=stm32h747i-disco", "/dev/ttyACM1=stm32h747i-disco@0670FF3", "/dev/ttyACM2=stm32h747i-disco"]


def test_results_in_job_order_with_jobs_running_at_once():
    running, peak, order = [0], [0], []
    lock = threading.Lock()

    def work(job: int, dev: Device) -> tuple[int, int]:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02 * (6 - job))  # the first jobs take longest: they finish last
        with lock:
            running[0] -= 1
            order.append(job)
        return job * job, dev.slot

    out = run_jobs(list(range(6)), emulator_slots("mps2-an500", 2), work)
    assert [r for r, _ in out] == [j * j for j in range(6)]
    assert peak[0] == 2 and order != sorted(order)  # two at a time, finishing out of order
    assert {slot for _, slot in out} == {0, 1}


def test_lost_farm_board_is_taken_out_and_its_job_resumes_elsewhere(capsys):
    devices = parse_farm(FARM)
    ran: list[tuple[int, str | None]] = []

    def work(job: int, dev: Device) -> int:
        ran.append((job, dev.port))
        if dev.port == "/dev/ttyACM1":
            time.sleep(0.01)
            raise LinkError("no valid reply from /dev/ttyACM1 after 9 attempts", "reset it")
        time.sleep(0.03)
        return job

    assert run_jobs(list(range(5)), devices, work, label=lambda j: f"variant{j}") == list(range(5))
    lost = [j for j, p in ran if p == "/dev/ttyACM1"]
    assert len(lost) == 1  # the board got one job, then was out
    assert (lost[0], "/dev/ttyACM0") in ran or (lost[0], "/dev/ttyACM2") in ran  # done on another board
    err = capsys.readouterr().err
    assert "/dev/ttyACM1: taken out of the farm — no valid reply" in err and f"variant{lost[0]} goes to" in err


def test_every_board_lost_names_them_and_what_is_unfinished():
    def work(job: int, dev: Device) -> int:
        time.sleep(0.05)  # both boards are busy when the first one dies
        raise ConnectionError(f"{dev.port} unplugged")

    with pytest.raises(TfcError) as e:
        run_jobs([0, 1, 2], parse_farm(FARM[:2]), work, label=lambda j: f"v{j}")
    assert "every board stopped answering" in e.value.what
    assert "/dev/ttyACM0 (ConnectionError" in e.value.what and "/dev/ttyACM1 (" in e.value.what
    assert "unfinished: v0, v1, v2" in e.value.what and "rerun" in e.value.fix


def test_a_job_that_hangs_two_boards_is_not_given_a_third():
    def work(job: int, dev: Device) -> int:
        if job == 0:
            raise LinkError(f"no valid reply from {dev.port}", "reset it")
        time.sleep(0.05)
        return job

    with pytest.raises(TfcError) as e:
        run_jobs([0, 1], parse_farm(FARM), work, label=lambda j: f"v{j}")
    assert "v0 made 2 boards stop answering" in e.value.what and "hang" in e.value.fix


def test_a_failure_stops_new_jobs_and_is_raised_after_the_running_ones():
    started = []

    def work(job: int, dev: Device) -> int:
        started.append(job)
        if job == 1:
            raise TfcError("firmware does not fit: region RAM overflowed by 8 bytes", "compress more")
        time.sleep(0.05)
        return job

    with pytest.raises(TfcError) as e:
        run_jobs(list(range(8)), emulator_slots("mps2-an500", 2), work)
    assert "overflowed" in e.value.what and len(started) < 8


def test_emulator_link_errors_are_failures_not_lost_boards():
    """An emulated board is deterministic: a hang would repeat on every slot, so it is not re-queued."""
    calls = []

    def work(job: int, dev: Device) -> int:
        calls.append(job)
        raise LinkError("no valid reply from socket://127.0.0.1:1", "retry")

    with pytest.raises(LinkError):
        run_jobs([0], emulator_slots("mps2-an500", 3), work)
    assert calls == [0]


def test_farm_and_device_choice_errors():
    devices = parse_farm(FARM)
    assert [(d.port, d.board, d.probe, d.farm) for d in devices][1] == \
        ("/dev/ttyACM1", "stm32h747i-disco", "0670FF3", True)
    cases = {
        ("/dev/ttyACM0",): "is not PORT=BOARD",
        ("/dev/ttyACM0=mps2-an500",): "emulated board mps2-an500",
        ("/dev/ttyACM0=stm32h747i-disco", "/dev/ttyACM0=stm32h747i-disco"): "lists port /dev/ttyACM0 twice",
        ("/dev/ttyACM0=stm32h747i-disco", "/dev/ttyACM1=nucleo-h743zi"): "mixes boards",
        ("/dev/ttyACM0=no-such-board",): "no-such-board",
    }
    for entries, msg in cases.items():
        with pytest.raises(TfcError) as e:
            parse_farm(list(entries))
        assert msg in e.value.what, e.value.what
    with pytest.raises(TfcError) as e:
        pick_devices("nucleo-h743zi", farm=FARM)
    assert "of stm32h747i-disco boards" in e.value.what and "--board stm32h747i-disco" in e.value.fix
    with pytest.raises(TfcError) as e:
        pick_devices(None, port="/dev/ttyACM9", farm=FARM)
    assert "either --port" in e.value.what
    assert pick_devices(None, farm=FARM)[0] == "stm32h747i-disco"
    assert pick_devices("mps2-an500", jobs=3)[1] == emulator_slots("mps2-an500", 3)
    assert pick_devices("stm32h747i-disco", port="/dev/ttyACM0")[1] == [Device("stm32h747i-disco", "/dev/ttyACM0")]


def test_recipe_board_jobs_and_farm():
    import tomllib

    from tfcompress.pipeline.device_jobs import resolve_devices
    from tfcompress.recipe import parse_recipe, template_text

    data = tomllib.loads(template_text("digits"))
    data["board"].update(jobs=3)
    recipe = parse_recipe(data)
    assert recipe.board.jobs == 3 and len(resolve_devices(recipe, None)[1]) == 3
    assert len(resolve_devices(recipe, None, jobs=1)[1]) == 1  # --jobs wins
    data["board"].update(name="stm32h747i-disco", farm=FARM[:2])
    board, devices = resolve_devices(parse_recipe(data), None)
    assert board == "stm32h747i-disco" and [d.port for d in devices] == ["/dev/ttyACM0", "/dev/ttyACM1"]
    data["board"]["name"] = "nucleo-h743zi"
    with pytest.raises(TfcError) as e:
        resolve_devices(parse_recipe(data), None)
    assert "recipe key 'board.farm' is of stm32h747i-disco boards" in e.value.what
    for bad, msg in (({"jobs": 0}, "board.jobs"), ({"farm": ["/dev/ttyACM0"]}, "board.farm"),
                     ({"farm": "/dev/ttyACM0=x"}, "board.farm")):
        data["board"] = {"name": "mps2-an500", **bad}
        with pytest.raises(TfcError) as e:
            parse_recipe(data)
        assert msg in e.value.what


def test_flash_commands_pick_the_probe():
    from pathlib import Path

    from tfcompress.boards import load_board
    from tfcompress.project.flash import available_tools, flash_command

    board = load_board("stm32h747i-disco")
    for tool in available_tools(board):
        plain = flash_command(board, Path("fw.elf"), tool)
        picked = flash_command(board, Path("fw.elf"), tool, probe="0670FF3")
        assert "0670FF3" not in " ".join(plain) and "0670FF3" in " ".join(picked), tool
        assert len(picked) == len(plain) + 2


def test_a_spare_board_takes_over_when_there_are_fewer_jobs_than_boards():
    def work(job: int, dev: Device) -> str:
        if dev.port == "/dev/ttyACM0":
            raise LinkError("serial port /dev/ttyACM0 failed while reading (device disconnected)", "reconnect")
        time.sleep(0.3)
        return str(dev.port)

    out = run_jobs([0, 1], parse_farm(FARM), work)
    assert out[0] != out[1] and "/dev/ttyACM0" not in out  # the idle third board took the lost job at once
