"""Regenerate the speech fixtures for the crawl fixture product (tests/fixtures/sites/helio):
requests in words the crawler must learn from the product itself, plus out-of-domain speech.
Expected pages are URLs (the crawler chooses the ids). Run by hand, not by tests:
.venv/bin/python scripts/make_crawl_fixtures.py
"""

from __future__ import annotations

from pathlib import Path

from voicetour.bench.corpus import Phrase, build

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "helio-speech"
PHRASES = (
    Phrase("show me my contacts", "request", "/contacts.html"),
    Phrase("open the deals pipeline", "request", "/deals.html"),
    Phrase("go to the inbox", "request", "/inbox.html"),
    Phrase("open the calendar", "request", "/calendar.html?month=1"),
    Phrase("take me to the workspace settings", "request", "/settings/"),
    Phrase("how do I import contacts", "task", "/contacts.html"),
    Phrase("how do I invite a user", "task", "/settings/"),
    Phrase("where can I see billing", "task", "/settings/"),
    Phrase("I want to create a deal", "task", "/deals.html"),
    Phrase("compose a message", "task", "/inbox.html"),
    Phrase("what's the capital of France", "ood"),
    Phrase("order me a pizza", "ood"),
)

if __name__ == "__main__":
    items = build(OUT, PHRASES, ["piper", "espeak-us", "espeak-m3"], [], every_snr=True)
    print(f"wrote {len(items)} files to {OUT}")
