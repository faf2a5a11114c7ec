"""One runner for every background loop: the projection drain, the outbox delivery, the sweep.

A :class:`Loop` is a name, a *pass* (a function doing one round of work and answering whether more
is already waiting) and the seconds to wait between passes when none is. :func:`loop_run` is the
only ``while`` loop: before each pass it closes connections the database may have dropped (a
restart, an idle timeout), it logs a failed pass and goes on (the work stays in the database, so
the next pass retries it), it waits ``interval`` unless more work is waiting, it stops as soon as
its event is set, and on the way out it closes the connections of its thread (none is left open on
the server).

:func:`loops_run` runs several loops in one process (``aftercart worker``) until SIGTERM or SIGINT,
then stops them all and waits for each to finish its pass (up to a timeout: the loops' work is
at-least-once, so a pass cut short is redone by the next process). :func:`loops_start` runs some
beside other work (the demo's web server) until the caller stops them.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)

#: Seconds a stopping process waits for its loops to finish their pass.
JOIN_TIMEOUT = 30.0


@dataclass(frozen=True)
class Loop:
    """A named background loop: ``step`` does one pass and returns whether more work is waiting
    (then the next pass follows at once); otherwise the loop waits ``interval`` seconds."""

    name: str
    step: Callable[[], bool]
    interval: float


def loop_run(loop: Loop, *, stop: threading.Event) -> None:
    """Run ``loop``'s passes until ``stop`` is set (checked between passes; a pass is never cut)."""
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                more = loop.step()
            except Exception:
                logger.exception("%s pass failed; retrying in %ss", loop.name, loop.interval)
                more = False
            if not more:
                stop.wait(loop.interval)
    finally:
        connections.close_all()  # this thread's own connections


class RunningLoops:
    """Loops running in daemon threads of this process; :meth:`stop` ends them."""

    def __init__(self, loops: Iterable[Loop]) -> None:
        self.stop_event = threading.Event()
        self.threads = [
            threading.Thread(
                target=loop_run,
                args=(loop,),
                kwargs={"stop": self.stop_event},
                name=f"aftercart-{loop.name}",
                # Daemon: a loop that does not finish its pass within the timeout does not keep
                # the process alive (its work is redone by the next process).
                daemon=True,
            )
            for loop in loops
        ]
        for thread in self.threads:
            thread.start()

    def stop(self, timeout: float = JOIN_TIMEOUT) -> list[str]:
        """Tell every loop to stop and wait up to ``timeout`` seconds in all for them; the names of
        the threads still running (logged)."""
        self.stop_event.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [thread.name for thread in self.threads if thread.is_alive()]
        if alive:
            logger.warning("loops still running after %ss, abandoned: %s", timeout, ", ".join(alive))
        return alive


@contextmanager
def loops_start(loops: Iterable[Loop], *, timeout: float = JOIN_TIMEOUT) -> Iterator[RunningLoops]:
    """Run ``loops`` in threads for the duration of the block; stopped (and joined) on leaving."""
    running = RunningLoops(loops)
    try:
        yield running
    finally:
        running.stop(timeout)


def loops_run(
    loops: Iterable[Loop], *, timeout: float = JOIN_TIMEOUT, stop: threading.Event | None = None
) -> None:
    """Run ``loops`` until this process gets SIGTERM or SIGINT (or ``stop`` is set), then stop
    them all and wait up to ``timeout`` seconds for their passes to end. Call from the main
    thread (signal handlers can only be set there); the previous handlers are back on return, so a
    second Ctrl-C while the loops finish interrupts as usual."""
    stop = stop or threading.Event()
    loops = list(loops)
    signals = [signal.SIGTERM, signal.SIGINT]

    def handle(signum: int, frame: FrameType | None) -> None:
        logger.info("%s: stopping the loops", signal.Signals(signum).name)
        stop.set()

    previous: dict[int, Any] = {sig: signal.signal(sig, handle) for sig in signals}
    running: RunningLoops | None = None
    try:
        running = RunningLoops(loops)
        logger.info(
            "running loops: %s (SIGTERM or SIGINT stops them)", ", ".join(loop.name for loop in loops)
        )
        while not stop.wait(0.5):  # a timeout keeps the main thread responsive to signals
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if running is not None:
            running.stop(timeout)
