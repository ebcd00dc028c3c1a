"""Sessions whose socket closed, kept a while for the same visitor to resume them."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Callable

from voicetour.events import Event
from voicetour.server.limits import PARK_SECONDS
from voicetour.server.protocol import render
from voicetour.session.core import Session
from voicetour.telemetry.trace import TurnRecorder

KEEP_TRACES = 50
"""Traces of this many most recent sessions stay available at /trace/{id}."""
RESUME_WAIT_S = 3.0
"""How long a resuming page waits for its old socket to finish closing."""
SESSIONS_PER_CORE = 1.5
"""Default cap on open sessions: this many per core of the machine. Measured on this 2-core
machine with prospects (speak, wait for the answer, look 4 s; `voicetour bench --quick
--sessions 1,2,3,4`): voice-to-action p95 108-150, 190-259, 122 and 386-560 ms at 1, 2, 3 and 4
sessions (two runs of each but 3), so 3 are admitted and the 4th is told the tour is busy
(with a cap of 2, six prospects: 4 refused at once, the 2 admitted p95 180 ms)."""
PARKED_PER_SESSION = 2
"""Parked sessions kept (each holds a recognizer, ~13.5 MB) per allowed open session; past it the
oldest is closed."""


class Sessions:
    """Sessions whose socket closed, kept ``PARK_SECONDS`` for the same visitor to resume (the
    embed snippet reconnects after each full page load with the secret ``resume`` token from its
    ``ready`` message); and the traces of recent sessions."""

    def __init__(self, traces: OrderedDict[str, TurnRecorder], clock: Callable[[], int],
                 max_open: int | None = None, words: bool = True, park_seconds: float = PARK_SECONDS,
                 full_open: int | None = None) -> None:
        self.clock = clock
        self.park_seconds = park_seconds
        self.traces = traces
        self.words = words
        """Whether traces keep what was said (``TurnRecorder.words``)."""
        self.max_open = max_open or max(1, int(SESSIONS_PER_CORE * (os.cpu_count() or 1)))
        self.full_open = full_open if full_open is not None else self.max_open
        """Past this many open sessions, turns are lean (``busy``)."""
        self.open = 0
        """Sessions admitted and not yet released."""
        self.freed = 0
        """Sessions released or expired since the heap was last trimmed (``trim_heap``)."""
        self.parked: dict[str, tuple[Session, TurnRecorder, list[Event], int]] = {}
        self.live: dict[str, asyncio.Event] = {}
        """Tokens whose socket is open or still closing; the event is set when it is parked."""

    def admit(self) -> bool:
        """Take one of the ``max_open`` places, if one is free (release it with ``release``)."""
        self.expire()
        if self.open >= self.max_open:
            return False
        self.open += 1
        return True

    def busy(self) -> bool:
        """Whether turns starting now are to be lean (``Session.lean``): more sessions are open
        than ``full_open``, the number the full pipeline serves in time."""
        return self.open > self.full_open

    def release(self) -> None:
        self.open -= 1
        self.freed += 1

    def new(self) -> tuple[str, TurnRecorder]:
        recorder = TurnRecorder(uuid.uuid4().hex[:10], words=self.words)
        self.traces[recorder.name] = recorder
        while len(self.traces) > KEEP_TRACES:
            self.traces.popitem(last=False)
        token = secrets.token_urlsafe(18)
        self.live[token] = asyncio.Event()
        return token, recorder

    def park(self, token: str, session: Session, recorder: TurnRecorder, events: list[Event]) -> None:
        self.expire()
        # Events the old socket could not deliver; those that reached the visitor's new page are
        # the ones after ``ready`` (a reply, the end of the turn).
        self.parked[token] = (session, recorder, [e for e in events if render(e) is not None],
                              self.clock())
        while len(self.parked) > PARKED_PER_SESSION * self.max_open:  # the oldest goes first
            oldest = next(iter(self.parked))
            self.parked.pop(oldest)[0].close(self.clock())
            self.freed += 1
        parked = self.live.pop(token, None)
        if parked is not None:
            parked.set()

    async def resume(self, token: str) -> tuple[str, Session, TurnRecorder, list[Event]] | None:
        """The parked session for ``token``, with a new token (the old one is spent: a token seen
        in a URL, a log or a proxy resumes nothing once its visitor has used it). The new page
        often connects before the old socket has finished closing (it may be finishing a
        transcription): wait for it, up to ``RESUME_WAIT_S``."""
        closing = self.live.get(token)
        if closing is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), RESUME_WAIT_S)
        self.expire()
        if token not in self.parked:
            return None
        session, recorder, events, _ = self.parked.pop(token)
        fresh = secrets.token_urlsafe(18)
        self.live[fresh] = asyncio.Event()
        return fresh, session, recorder, events

    def expire(self) -> int:
        """Close the sessions parked longer than ``park_seconds``; how many."""
        now, closed = self.clock(), 0
        for token, (session, _, _, since) in list(self.parked.items()):
            if now - since > self.park_seconds * 1e9:
                session.close(now)
                del self.parked[token]
                closed += 1
        self.freed += closed
        return closed


def trim_heap() -> None:
    """Give the C heap's free memory back to the system. A session's recognizer and whisper's
    buffers are freed when it ends, but glibc keeps the pages: in a 40 s soak the server stayed
    at 373 MB after every visitor had left, against 311 MB after its warm-up."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
