"""Errors that reach the user as one line, never as a traceback."""


class UserError(Exception):
    """A mistake of the user's (bad argument, unreadable file): shown as one line, exit code 2."""

    exit_code = 2


class FatalError(Exception):
    """Something outside the user's input went wrong and the run cannot go on: exit code 1."""

    exit_code = 1
