"""Word-level normalisation shared by naming (site side) and ranking (speech side)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Words that carry the request but not its target: "show me the ... page please".
CARRIERS = frozenset(
    """a an the my our your me i i'd i'm we us you it this that to of for in on at with and or
    is are was be can could would will should do does did how where what which who why when
    show showing go going get take open see view look let's let bring find please page pages
    screen section tab want wanna need like just now up there here some thing things area part
    navigate switch jump head display visit check tell about okay ok um uh hey so then
    new voicetour""".split()
)

CONTROL_PHRASES: dict[str, str] = {
    "go back": "back", "back": "back", "take me back": "back", "previous page": "back",
    "stop": "stop", "cancel": "stop", "never mind": "stop", "nevermind": "stop",
    "yes": "yes", "yeah": "yes", "yes please": "yes", "sure": "yes", "correct": "yes",
    "no": "no", "nope": "no", "no thanks": "no",
    "scroll down": "scroll_down", "scroll up": "scroll_up",
}


def words(text: str) -> list[str]:
    """Lowercase words; '&' becomes 'and'; punctuation and symbols are dropped."""
    text = text.lower().replace("&", " and ").replace("’", "'")
    return _WORD.findall(text)


def stem(word: str) -> str:
    """A deliberately small stemmer: plural and -ing/-ed/-e endings, so invite/invites/inviting
    and bill/billing meet. Predictable beats clever here: both sides use the same function."""
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith("sses"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def content_stems(text: str) -> list[str]:
    """The stems of the words that can name a target (carrier words removed)."""
    return [stem(w) for w in words(text) if w not in CARRIERS]


def control_of(text: str) -> str | None:
    """The control command a whole utterance is, or None."""
    return CONTROL_PHRASES.get(" ".join(words(text)))
