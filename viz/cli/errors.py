"""The command line's error type and exit statuses, shared by its commands."""

from __future__ import annotations

#: Exit statuses.
EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class CLIError(Exception):
    """A problem with what the user asked for; shown as one line, exit 2."""
