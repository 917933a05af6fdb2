"""The CLI group itself: help, version, error formatting."""

from __future__ import annotations

from click.testing import CliRunner

from tfcompress.cli import COMMANDS, main
from tfcompress.errors import TfcError, unknown


def test_help_lists_available_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "tfcompress" in result.output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert "0.1.0" in result.output


def test_every_available_command_has_help() -> None:
    runner = CliRunner()
    for name in main.list_commands(None):  # type: ignore[arg-type]
        assert name in COMMANDS
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)


def test_unknown_error_names_valid_choices() -> None:
    err = unknown("dataset", "foo", ["b", "a"], hint="see `tfcompress datasets`")
    assert err.line() == "unknown dataset 'foo' — choose one of: a, b (see `tfcompress datasets`)"
    assert isinstance(err, TfcError)
    assert err.exit_code == 2
