"""A labelled corpus of real people ordering coffee in a full sentence, for the menu site
(tests/fixtures/sites/menu/site.json: one page per drink). The recordings stay where they are
(shared/realspeech/coffee, Picovoice, Apache-2.0); this writes OUT/index.json with links to them.

    python3 scripts/make_coffee_corpus.py ../shared/realspeech/coffee /tmp/coffee
    .venv/bin/voicetour evaluate --site tests/fixtures/sites/menu/site.json /tmp/coffee

An order for plain "coffee" names no one page of the menu (house, drip or iced coffee): those
files are left out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PAGES = {"espresso": "espresso", "americano": "americano", "cappuccino": "cappuccino", "latte": "latte",
         "mocha": "mocha", "iced mocha": "iced-mocha", "house coffee": "house-coffee",
         "drip coffee": "drip-coffee", "iced coffee": "iced-coffee"}


def main(source: Path, out: Path) -> int:
    labels = json.loads((source / "labels.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    items = []
    for name, label in sorted(labels.items()):
        page = PAGES.get(label["slots"].get("coffeeDrink", ""))
        if page is None:
            continue
        link = out / name
        if not link.exists():
            link.symlink_to((source / name).resolve())
        items.append({"file": name, "clean": name, "voice": "real", "snr_db": None,
                      "text": " ".join(str(v).strip() for v in label["slots"].values()), "kind": "request",
                      "page": page, "element": None, "control": None})
    (out / "index.json").write_text(json.dumps(items, indent=1) + "\n")
    print(f"{out}: {len(items)} orders of {len(labels)} (plain 'coffee' names no one page)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
