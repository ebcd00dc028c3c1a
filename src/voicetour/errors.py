"""The one exception root of voicetour.

    VoicetourError
    ├── UsageError            you called the API wrong (a bug in the caller, not in the input)
    └── InputError            something from outside was invalid; the message says what and how to fix it
        ├── SiteError         an invalid site file: names the field and what is wrong with it
        ├── AudioError        audio we cannot use: wrong format, odd byte count, unreadable WAV
        └── ProtocolError     a browser message we cannot accept: unknown type, oversized, bad JSON

Errors that reach a user carry a short machine ``code`` and a sentence for humans.
"""

from __future__ import annotations


class VoicetourError(Exception):
    """Root of every error voicetour raises on purpose."""

    code = "error"


class UsageError(VoicetourError):
    """The caller misused the API (e.g. fed audio after close())."""

    code = "usage"


class InputError(VoicetourError):
    """Something from outside the program was invalid."""

    code = "invalid_input"


class SiteError(InputError):
    """An invalid site file. The message names the field (e.g. ``pages[2].url``)."""

    code = "invalid_site"


class AudioError(InputError):
    """Audio that cannot be used as 16 kHz mono PCM16."""

    code = "invalid_audio"


class ProtocolError(InputError):
    """A client message that breaks docs/protocol.md."""

    code = "invalid_message"

    def __init__(self, message: str, code: str = "invalid_message") -> None:
        super().__init__(message)
        self.code = code
