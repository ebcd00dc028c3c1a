"""Everything a session needs that depends only on the site: built once, shared by sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from voicetour.asr.base import StreamingRecognizer
from voicetour.asr.grammar import Grammar, build_grammar
from voicetour.intent.naming import Target, targets_of
from voicetour.intent.ranker import Ranker
from voicetour.site.model import Site


@dataclass
class Engine:
    site: Site
    targets: list[Target]
    ranker: Ranker
    grammar: Grammar
    new_recognizer: Callable[[], StreamingRecognizer] = field(repr=False)

    @classmethod
    def for_site(cls, site: Site) -> Engine:
        """Build targets, ranker, grammar and a pocketsphinx model for a site."""
        from voicetour.asr.sphinx import SphinxModel

        targets = targets_of(site)
        grammar = build_grammar(targets)
        model = SphinxModel(grammar)
        return cls(site, targets, Ranker(targets), grammar, model.recognizer)
