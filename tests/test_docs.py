"""Every command and option is documented in README.md, and the README's two commands are what CI runs."""

import re
from pathlib import Path

import click
import pytest

from provenance.cli import cli

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_each_command_and_option_is_in_the_readme(name):
    command = cli.commands[name]
    assert command.help, f"{name} has no help text"
    assert f"### provenance {name}" in README
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in param.opts:
                assert opt in README, f"{name} {opt} is not documented in README.md"
            assert param.help, f"{name} {param.opts[0]} has no help text"


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```bash\n(.+?)\n```", README)
    assert "provenance demo" in commands[0]
    assert "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
