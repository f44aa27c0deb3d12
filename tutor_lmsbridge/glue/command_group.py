"""The `tutor lmsbridge` command group, as Tutor registers it on every `tutor` call.

Its commands (``cli.py``) are imported only when one of them runs or when help lists them:
building them costs every `tutor` call, `tutor config save` included, and most never use them.
"""

from __future__ import annotations

import click


class LazyGroup(click.Group):
    """A group whose commands come from ``cli.COMMANDS``, imported on first use."""

    @staticmethod
    def _commands() -> click.Group:
        from .cli import COMMANDS

        return COMMANDS

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._commands().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._commands().get_command(ctx, cmd_name)


lmsbridge = LazyGroup(
    name="lmsbridge", help="Apps connected to Open edX: status, credentials, checks."
)
