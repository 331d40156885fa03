"""The closed value sets of the database's columns, as StrEnums. Nothing else is imported
here, so the layers above (the settings schema, the command line) can read them cheaply."""

from enum import StrEnum


class SessionKind(StrEnum):
    """What a session is for; `chinwag.app.config.schema` re-exports it as `Kind`."""

    PROJECT = "project"
    LEAD = "lead"
    CAMPAIGN = "campaign"
    GENERAL = "general"
