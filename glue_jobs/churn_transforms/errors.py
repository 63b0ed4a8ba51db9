"""Errors that a job reports as one line (and a non-zero exit), never a traceback."""


class InputError(Exception):
    """Bad input or arguments: the message names the file and column, and is printed as is."""
