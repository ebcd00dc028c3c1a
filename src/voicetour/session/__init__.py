"""The sans-I/O session core: audio frames and timestamps in, events out."""

from voicetour.session.config import SessionConfig
from voicetour.session.core import Session
from voicetour.session.engine import Engine

__all__ = ["Engine", "Session", "SessionConfig"]
