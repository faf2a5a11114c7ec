"""Console output shared by the management commands."""

from __future__ import annotations

import io
from typing import TextIO

from django.core.management.base import OutputWrapper


class ConsoleStream(io.TextIOBase, TextIO):
    """Lets rich write through a command's stderr wrapper (so ``call_command(stderr=...)`` sees
    it) without Django appending newlines or colouring rich's own control sequences. A ``TextIO``
    too, for the type rich asks of its ``file``: ``io.TextIOBase`` comes first and does the work."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> int:
        self._wrapper.write(text, style_func=lambda s: s, ending="")
        return len(text)

    def flush(self) -> None:
        self._wrapper.flush()

    def isatty(self) -> bool:
        return self._wrapper.isatty()
