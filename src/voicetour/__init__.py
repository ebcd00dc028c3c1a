"""voicetour: talk to a web app; the right page is on screen as you finish the sentence."""

__version__ = "0.1.0"
