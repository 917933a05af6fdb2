"""The ``tfcompress`` command-line interface.

Commands are thin: parse options, call the library, print. Each command lives in
``tfcompress/commands/<name>.py`` and is registered in :data:`COMMANDS`; modules
load only when their command runs, so ``--help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import click

from tfcompress import __version__
from tfcompress.console import set_quiet
from tfcompress.errors import TfcError

#: command name -> "module:attribute" of its click command, in help order.
COMMANDS: dict[str, str] = {
    "init": "tfcompress.commands.init:init_cmd",
    "datasets": "tfcompress.commands.datasets:datasets_cmd",
    "models": "tfcompress.commands.models:models_cmd",
    "import": "tfcompress.commands.import_onnx:import_cmd",
    "train": "tfcompress.commands.train:train_cmd",
    "compress": "tfcompress.commands.compress:compress_cmd",
    "convert": "tfcompress.commands.convert:convert_cmd",
    "inspect": "tfcompress.commands.inspect:inspect_cmd",
    "ops": "tfcompress.commands.ops:ops_cmd",
    "validate": "tfcompress.commands.validate:validate_cmd",
    "boards": "tfcompress.commands.boards:boards_cmd",
    "generate": "tfcompress.commands.generate:generate_cmd",
    "build": "tfcompress.commands.build:build_cmd",
    "evaluate": "tfcompress.commands.evaluate:evaluate_cmd",
    "flash": "tfcompress.commands.flash:flash_cmd",
    "pipeline": "tfcompress.commands.pipeline:pipeline_cmd",
    "sweep": "tfcompress.commands.sweep:sweep_cmd",
    "report": "tfcompress.commands.report:report_cmd",
}

_SHORT_HELP: dict[str, str] = {
    "init": "Write an example recipe.",
    "datasets": "List dataset sources.",
    "models": "List the model zoo.",
    "import": "Convert an ONNX model (e.g. from PyTorch) to a Keras model.",
    "train": "Train the recipe's model (with distillation if configured).",
    "compress": "Prune, cluster or quantization-aware-train a model.",
    "convert": "Convert a model to TFLite variants and evaluate them on the host.",
    "inspect": "Show a .tflite model's ops, tensors, quantisation and memory plan.",
    "validate": "Check the C engine is bit-exact with TFLite Micro.",
    "boards": "List the supported boards.",
    "generate": "Generate a firmware project for a board.",
    "build": "Generate and compile firmware for a board.",
    "evaluate": "Run the test split on a (possibly emulated) board.",
    "flash": "Flash built firmware onto a board.",
    "pipeline": "Run a recipe end to end: train → compress → convert → build → evaluate.",
    "sweep": "Run a design-space sweep over a recipe (local pool or Ray).",
    "report": "Write the HTML report of a run directory.",
}


def _available(name: str) -> bool:
    module = COMMANDS[name].split(":")[0]
    return importlib.util.find_spec(module) is not None


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n in COMMANDS if _available(n)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or not _available(cmd_name):
            return None
        module_name, attr = COMMANDS[cmd_name].split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, _SHORT_HELP.get(n, "")) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except TfcError as err:
            click.echo(f"error: {err.line()}", err=True)
            sys.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted — rerun the same command to resume", err=True)
            sys.exit(130)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tfcompress")
@click.option("--quiet", "-q", is_flag=True, help="Only print results and errors.")
def main(quiet: bool) -> None:
    """tfcompress — from a Keras model to measured numbers on a microcontroller.

    Train (with distillation), compress (pruning, clustering, QAT), convert to
    TFLite, compile the model ahead of time to C, build firmware for a board and
    measure accuracy, flash, RAM and latency on the device (or on an emulator).
    """
    set_quiet(quiet)


if __name__ == "__main__":  # pragma: no cover
    main()
