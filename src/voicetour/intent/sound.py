"""Whether two transcripts of the same speech sound alike: pure, a dictionary look-up per word.

The grammar recognizer can only say the product's words, the verifier (whisper tiny.en) can say
anything, and on unfamiliar voices it turns product words it does not know into everyday ones:
"Air Page" for "error page", "eye comes" for "icons", "dropbounds" for "dropdowns", "Honor
Utilities" for "other utilities" (the real apps' requests, espeak-ng voices). When the grammar
names a page and the verifier's words name nothing but *sound like* the grammar's, two
recognizers heard the same thing: that is evidence, where either alone is not (the grammar makes
product words of everything; real people's "snowboy" became "seats now", which sounds nothing
like "Snowboy").

Similarity = 1 - (weighted phone edit distance / phones of the longer side), over the words that
are not carriers ("show me the ... page"). A vowel for another vowel, or a consonant for its
voiced/unvoiced twin or a nasal for a nasal, costs half. The first phones must be alike (a word's
onset is what listeners and recognizers get right most often): "view glass" is not "view all apps".
"""

from __future__ import annotations

from collections.abc import Mapping

from voicetour.asr.pronounce import letter_rules
from voicetour.intent.text import CARRIERS, words

VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
NEAR = [frozenset(p.split()) for p in ("P B", "T D", "K G", "F V", "S Z", "SH ZH", "CH JH", "TH DH", "M N NG", "L R")]
HALF = frozenset((a, b) for group in NEAR for a in group for b in group if a != b)


class Sounds:
    """Phones of any word: the recognizer's dictionary, else spelling rules."""

    def __init__(self, dictionary: Mapping[str, list[str]]) -> None:
        self._dictionary = dictionary

    def phones(self, text: str) -> list[str]:
        """The phones of ``text``'s words that are not carriers."""
        out: list[str] = []
        for w in words(text):
            if w not in CARRIERS:
                variants = self._dictionary.get(w)
                out += (variants[0] if variants else letter_rules(w)).split()
        return out

    def alike(self, a: str, b: str, start: bool = False, onset: bool = True) -> float:
        """How alike ``a`` and ``b`` sound, 0 (nothing alike, or no words to compare) to 1. With
        ``start``, how alike ``b`` sounds to the start of ``a`` (as many phones as ``b`` has):
        words heard of the first part of the speech against words for more of it. Without
        ``onset``, the first phones need not be alike (one transcript joined words the other
        kept apart: "Macalander", "the calendar")."""
        pa, pb = self.phones(a), self.phones(b)
        if start:
            pa = pa[: len(pb)]
        return similarity(pa, pb, onset)


def similarity(pa: list[str], pb: list[str], onset: bool = True) -> float:
    """``Sounds.alike`` of two phone sequences."""
    if not pa or not pb or (onset and _substitution(pa[0], pb[0]) >= 1.0):
        return 0.0
    return 1.0 - distance(pa, pb) / max(len(pa), len(pb))


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if (a in VOWELS and b in VOWELS) or (a, b) in HALF:
        return 0.5
    return 1.0


def distance(a: list[str], b: list[str]) -> float:
    """Weighted edit distance between two phone sequences (insert or delete 1, substitute 0-1)."""
    previous = [float(j) for j in range(len(b) + 1)]
    for i, pa in enumerate(a, 1):
        current = [float(i)]
        for j, pb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + _substitution(pa, pb)))
        previous = current
    return previous[-1]
