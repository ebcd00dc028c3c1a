"""Generate the recognizer's grammar and pronunciation dictionary from a site's targets.

The grammar has three branches that compete acoustically:

    <utt> = <request> | <control> | <garbage>
    <request> = [<lead>] [<det>] <target phrase> [<tail>]     "show me the billing page"
    <control> = go back | stop | yes | no | scroll down | ...
    <garbage> = <common English word>+                          out-of-domain speech lands here

A forced-fit grammar would map "what's the weather like" onto some page; the garbage loop gives
such speech a better-fitting path made of words no target uses, and the ranker then finds nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from voicetour.asr.pronounce import pronounce
from voicetour.intent.naming import Target
from voicetour.intent.text import COMMON_WORDS, CONTROL_PHRASES

LEADS = [
    "show me", "show", "go to", "open", "open up", "take me to", "bring me to", "bring up",
    "navigate to", "switch to", "jump to", "i want to see", "i'd like to see", "let me see",
    "let's see", "let's go to", "can you show me", "could you show me", "please show me",
    "please open", "where is", "where are", "where can i find", "where do i find", "how do i",
    "how can i", "where can i", "where do i", "i want to", "i need to", "i'd like to", "help me",
    "let me", "can i", "i need", "i want", "find", "view", "see", "check", "what about",
    "take me to", "go", "show me how to", "can you take me to",
]
DETERMINERS = ["the", "my", "our", "a", "an", "all", "all the", "all my", "your"]
TAILS = ["page", "section", "tab", "screen", "settings", "please", "page please", "for me",
         "now", "again"]




MIN_GARBAGE_PHONES = 3
GARBAGE_WEIGHT = 1e-6
"""Prior of the garbage branch against a request: low, so in-domain speech in an unfamiliar voice
is not lost to it, yet out-of-domain speech still fits it better. Chosen on the fixtures."""


@dataclass(frozen=True)
class Grammar:
    jsgf: str
    dictionary: dict[str, list[str]]
    """word -> its ARPABET pronunciations (all CMU variants), only the words the grammar uses."""
    derived: dict[str, str] = field(default_factory=dict)
    """word -> source ('espeak' or 'letters') for words missing from the CMU dictionary."""


@functools.lru_cache(maxsize=1)
@functools.cache
def cmudict() -> dict[str, list[str]]:
    """The CMU dictionary bundled with pocketsphinx, with every pronunciation variant: dropping
    the variants (to: T UW / T IH / T AH) costs a lot of accuracy on function words. Read once
    per process (35 MB, 1.3 s here) and shared: do not change it."""
    from pocketsphinx import get_model_path

    entries: dict[str, list[str]] = {}
    with open(get_model_path("en-us/cmudict-en-us.dict"), encoding="utf-8") as fh:
        for line in fh:
            word, _, phones = line.strip().partition(" ")
            if "(" in word:
                word = word[: word.index("(")]
            entries.setdefault(word, []).append(phones)
    return entries


_TOKEN = re.compile(r"^[a-z0-9][a-z0-9']*$")


def _alts(phrases: list[str]) -> str:
    unique = sorted({p for p in phrases if p})
    return " | ".join(unique)


def build_grammar(targets: list[Target], garbage_weight: float = GARBAGE_WEIGHT) -> Grammar:
    phrases = sorted({p for t in targets for p in t.phrases if all(_TOKEN.match(w) for w in p.split())})
    domain_words = {w for p in phrases for w in p.split()}
    carrier_words = {w for p in LEADS + DETERMINERS + TAILS + list(CONTROL_PHRASES) for w in p.split()}
    known = cmudict()
    # One- and two-phone words align to almost anything and would swallow real requests.
    garbage = sorted(
        w for w in set(COMMON_WORDS) - domain_words - carrier_words
        if w in known and len(known[w][0].split()) >= MIN_GARBAGE_PHONES
    )
    jsgf = "\n".join(
        [
            "#JSGF V1.0;",
            "grammar voicetour;",
            f"public <utt> = /1/ <request> | /1/ <control> | /{garbage_weight:g}/ <garbage>;",
            "<request> = [<lead>] [<det>] <target> [<tail>];",
            f"<lead> = {_alts(LEADS)};",
            f"<det> = {_alts(DETERMINERS)};",
            f"<target> = {_alts(phrases)};",
            f"<tail> = {_alts(TAILS)};",
            f"<control> = {_alts(list(CONTROL_PHRASES))};",
            f"<garbage> = ({_alts(garbage)})+;",
            "",
        ]
    )
    words = domain_words | carrier_words | set(garbage)
    dictionary: dict[str, list[str]] = {}
    derived: dict[str, str] = {}
    for w in sorted(words):
        if w in known:
            dictionary[w] = known[w]
            continue
        phones, source = pronounce(w, {})
        dictionary[w] = [phones]
        derived[w] = source
    return Grammar(jsgf=jsgf, dictionary=dictionary, derived=derived)
