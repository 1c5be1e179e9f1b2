"""Exceptions that the CLI turns into clear messages and exit codes."""


class MigbenchError(Exception):
    """Invalid data or input: reported without a traceback, exit code 1."""
