"""`chinwag acp [--agent NAME] [--mode ask|bypass|readonly]`: Chinwag as an ACP agent on
stdin/stdout, for Zed, Toad or any Agent Client Protocol client (`chinwag.app.acp_agent`).

Bad settings (an unknown agent, a refused database) are one stderr line and exit 1 before
anything is served; after that the protocol carries every error.
"""

from __future__ import annotations

import click

from chinwag.app.cli import common
from chinwag.app.cli.base import Command, db_option
from chinwag.app.cli.exit_codes import ExitCode
from chinwag.app.config.schema import MODES


@click.command("acp", cls=Command)
@db_option
@click.option("--agent", "agent_name", metavar="NAME", default="",
              help="agent of the sessions it creates (default: as a new session in the TUI gets)")
@click.option("--mode", type=click.Choice(MODES), default=None,
              help="permission mode of the sessions it creates (default ask)")
def acp(*, agent_name: str, mode: str | None) -> int:
    """serve sessions as an ACP agent on stdio (Zed, Toad, any ACP client)"""
    import asyncio  # lazy: only the agent pays for asyncio and the ACP SDK

    from chinwag.app.acp_agent.stdio import log_to_file, serve  # lazy: the ACP SDK and the runner
    from chinwag.app.agents import profile_for  # lazy: the agent registry

    config = common.config()
    if agent_name:
        profile_for(agent_name, config)  # an unknown agent: one line, nothing served
    store = common.open_store()
    try:
        log_to_file()
        ended = asyncio.run(serve(store, config, agent_name=agent_name, mode=mode or ""))
    finally:
        store.close()
    return ExitCode.OK if ended else ExitCode.STOPPED
