"""Limits a visitor cannot talk the server out of: how long a closed conversation is kept, and
how often one client address may open one (a sliding window per address, on the injected
clock). Every session holds a recognizer (about 13.5 MB) while it lives and a parked one for a
minute after; one address opening them in a loop must be told to wait, not served."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable

PARK_SECONDS = 60
"""A closed session is kept this long for its visitor to resume it (``voicetour serve --park-seconds``)."""
WINDOW_NS = 60 * 1_000_000_000
CONNECTS_PER_MINUTE = 60
"""Sockets one client address may open a minute (``voicetour serve --connects-per-minute``): the
embed snippet opens one per full page load, so a visitor clicking through the product stays far
under it; a loop of connect-and-close does not."""
MAX_ADDRESSES = 10_000
"""Addresses remembered at once (least recently seen forgotten first): the limiter's own memory is bounded."""


class Arrivals:
    """At most ``per_minute`` arrivals per address in any 60 s (0: no limit)."""

    def __init__(self, per_minute: int, clock: Callable[[], int]) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._seen: OrderedDict[str, deque[int]] = OrderedDict()

    def admit(self, address: str) -> bool:
        """Count an arrival from ``address`` and say whether it is within the limit (a refused one
        counts too: a client that keeps trying keeps waiting)."""
        if self.per_minute <= 0:
            return True
        now = self.clock()
        times = self._seen.pop(address, None) or deque()
        while times and now - times[0] >= WINDOW_NS:
            times.popleft()
        times.append(now)
        while len(times) > self.per_minute + 1:
            times.popleft()  # no need to remember more than one over the limit
        self._seen[address] = times
        while len(self._seen) > MAX_ADDRESSES:
            self._seen.popitem(last=False)
        return len(times) <= self.per_minute
