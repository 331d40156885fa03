"""Chinwag's application layer: CLI, config, agents, the turn runner, compaction and the
Textual App. Everything that is not a widget and not storage lives here.
"""


def version() -> str:
    from importlib.metadata import PackageNotFoundError  # lazy: start-up (importlib.metadata: ~40 ms)
    from importlib.metadata import version as _version  # lazy: start-up

    try:
        return _version("chinwag")
    except PackageNotFoundError:  # running from a source tree without install
        return "0.0.0+source"
