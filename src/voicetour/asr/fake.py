"""A scripted recognizer for unit tests of the core (like httpx's MockTransport).

``ScriptedRecognizer({3: "show", 8: "show me billing"}, final="show me billing")`` returns the
scripted partial once the utterance has received that many frames.
"""

from __future__ import annotations

from voicetour.errors import UsageError


class ScriptedRecognizer:
    def __init__(self, partials: dict[int, str], final: str) -> None:
        self.partials = partials
        self.final = final
        self.frames = 0
        self.current = ""
        self.open = False
        self.utterances = 0

    def start(self) -> None:
        self.open, self.frames, self.current = True, 0, ""
        self.utterances += 1

    def feed(self, frame: bytes) -> str:
        if not self.open:
            raise UsageError("feed() before start()")
        self.frames += 1
        self.current = self.partials.get(self.frames, self.current)
        return self.current

    def finish(self) -> str:
        if not self.open:
            raise UsageError("finish() before start()")
        self.open = False
        return self.final
