"""A launcher like codex-acp's node script: starts the real agent (tests/fake_acp_agent.py)
as its child on the same stdio and waits for it; it forwards no signal, so signalling only
the launcher leaves the agent running. Appends `wrapper PID` to FAKE_ACP_PIDS."""

import os
import subprocess
import sys
from pathlib import Path

if os.environ.get("FAKE_ACP_PIDS"):
    with open(os.environ["FAKE_ACP_PIDS"], "a") as pids:
        pids.write(f"wrapper {os.getpid()}\n")
agent = subprocess.Popen([sys.executable, str(Path(__file__).with_name("fake_acp_agent.py")), *sys.argv[1:]])
sys.exit(agent.wait())
