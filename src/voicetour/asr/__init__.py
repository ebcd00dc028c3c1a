"""Streaming speech recognition behind a small protocol (see base.py)."""
