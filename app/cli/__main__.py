"""`python -m chinwag.app.cli`: the same as the `chinwag` command."""

from chinwag.app.cli.main import main

raise SystemExit(main())
