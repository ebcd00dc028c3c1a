"""Rank targets for a (partial) transcript. Pure, fast (a few dict look-ups per word).

Score of a target = best over its phrases of the F-measure between
  coverage:    how much of the phrase the transcript says (weighted), and
  explanation: how much of the transcript's domain words the phrase accounts for.
Word weights are inverse page frequencies, so a word every page shares ("settings" in
"team settings") counts less than one only a single page has.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from voicetour.intent.naming import Target
from voicetour.intent.text import content_stems

ELEMENT_TIE_BREAK = 1.001  # an element that explains the words as well as its page wins: we can point at it


@dataclass(frozen=True, slots=True)
class Ranked:
    target: Target
    score: float


class Ranker:
    def __init__(self, targets: list[Target]) -> None:
        self.targets = targets
        self._phrases: list[list[frozenset[str]]] = []
        pages_of: dict[str, set[str]] = defaultdict(set)
        for t in targets:
            sets = [frozenset(content_stems(p)) for p in t.phrases]
            sets = [s for s in sets if s]
            self._phrases.append(sets)
            for s in sets:
                for w in s:
                    pages_of[w].add(t.page_id)
        self.weight = {w: 1.0 / len(pages) for w, pages in pages_of.items()}
        self.vocabulary = frozenset(self.weight)

    def rank(self, text: str, limit: int = 5) -> list[Ranked]:
        said = {w for w in content_stems(text) if w in self.weight}
        if not said:
            return []
        said_weight = sum(self.weight[w] for w in said)
        best: list[Ranked] = []
        for target, phrases in zip(self.targets, self._phrases, strict=True):
            score = 0.0
            for phrase in phrases:
                hit = phrase & said
                if not hit:
                    continue
                hit_w = sum(self.weight[w] for w in hit)
                coverage = hit_w / sum(self.weight[w] for w in phrase)
                explained = hit_w / said_weight
                score = max(score, 2 * coverage * explained / (coverage + explained))
            if score > 0:
                if target.is_element:
                    score = min(1.0, score * ELEMENT_TIE_BREAK)
                best.append(Ranked(target, round(score, 4)))
        best.sort(key=lambda r: (-r.score, r.target.is_element is False, r.target.id))
        return best[:limit]
