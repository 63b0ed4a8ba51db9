"""Errors that a job reports as one line (and a non-zero exit), never a traceback."""


class InputError(Exception):
    """Bad input or arguments: the message names the file and column, and is printed as is."""


def shortened(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters for a one-line message (``...`` marks the cut)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
