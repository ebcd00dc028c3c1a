"""Traces and metrics: what the shells record about the core's work (issue 3)."""
