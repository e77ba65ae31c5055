"""Every CLI command, and every subcommand of a group, has --help text."""
from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from cli.main import COMMANDS, cli


def _walk(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in group.commands.items():
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(_walk(command, (*prefix, name)))
    return paths


def test_every_registered_command_is_present() -> None:
    assert sorted(cli.commands) == sorted(command.name for command in COMMANDS)


@pytest.mark.parametrize("path", _walk(cli), ids=lambda p: " ".join(p))
def test_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command = cli
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
