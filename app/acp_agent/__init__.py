"""Chinwag as an ACP *agent*: any Agent Client Protocol client (Zed, Toad, Chinwag's own
client) opens, drives and reloads Chinwag sessions, over stdio (`chinwag acp`) or over HTTP
(`POST /api/acp`, served by `chinwag serve`). The client side, where Chinwag runs other
agents, is `chinwag.app.agents.acp`; the two never import each other.

    mapping.py  Chinwag rows and runner events as ACP updates (pure)
    agent.py    the protocol methods, on the store and the runner the TUI uses
    commands.py Chinwag's own slash commands offered to clients (/compact, /model, /status)
    rpc.py      JSON-RPC dispatch with one-line errors, shared by both transports
    stdio.py    `chinwag acp`: the connection on stdin/stdout

Imported only by `chinwag acp` and on the first `/api/acp` request: it loads the ACP SDK.
"""
