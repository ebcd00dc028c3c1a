"""A session's settings: every number that tunes the core's behaviour, checked when built."""

from __future__ import annotations

from dataclasses import dataclass, field

from voicetour.audio.vad import VadConfig
from voicetour.errors import UsageError
from voicetour.session.listening import ListenConfig
from voicetour.session.policy import PolicyConfig


@dataclass(frozen=True)
class SessionConfig:
    vad: VadConfig = field(default_factory=VadConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    listen: ListenConfig = field(default_factory=ListenConfig)
    stall_ms: int = 600
    """Close an utterance when no audio has arrived for this long (wall time)."""
    max_prerender: int = 5
    """Distinct pages in a Prerender event: the tour page keeps that many hidden, pre-rendered frames."""
    max_text_chars: int = 500
    """A typed request is cut to this length."""

    def __post_init__(self) -> None:
        if self.stall_ms <= 0 or self.max_prerender <= 0 or self.max_text_chars <= 0:
            raise UsageError("SessionConfig: stall_ms, max_prerender and max_text_chars must be positive")
