"""invoke entry point: the task collections live in mlpipe/tasks/ (``inv --list``)."""

from mlpipe.tasks import namespace

ns = namespace
