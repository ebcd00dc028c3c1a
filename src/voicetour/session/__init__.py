"""The sans-I/O session core: audio frames and timestamps in, events out."""

from voicetour.session.core import Session, SessionConfig
from voicetour.session.engine import Engine

__all__ = ["Engine", "Session", "SessionConfig"]
