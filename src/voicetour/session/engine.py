"""Everything a session needs that depends only on the site: built once, shared by sessions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from voicetour.asr.base import StreamingRecognizer, Verifier
from voicetour.asr.grammar import Grammar, build_grammar, cmudict
from voicetour.intent.naming import Target, targets_of
from voicetour.intent.ranker import Ranker
from voicetour.intent.sound import Sounds
from voicetour.site.model import Site


@dataclass
class Engine:
    site: Site
    targets: list[Target]
    ranker: Ranker
    grammar: Grammar
    new_recognizer: Callable[[], StreamingRecognizer] = field(repr=False)
    verifier: Verifier | None = field(default=None, repr=False)
    sounds: Sounds = field(default_factory=lambda: Sounds(cmudict()), repr=False)

    @classmethod
    def for_site(cls, site: Site, verify: bool = True) -> Engine:
        """Build targets, ranker, grammar and a pocketsphinx model for a site; with ``verify``,
        also the whisper second opinion (loaded once, shared by every session)."""
        from voicetour.asr.sphinx import SphinxModel

        targets = targets_of(site)
        grammar = build_grammar(targets)
        model = SphinxModel(grammar)
        sounds = Sounds(cmudict())
        ranker = Ranker(targets, sounds)
        verifier: Verifier | None = None
        if verify:
            from voicetour.asr.whisper import WhisperVerifier

            verifier = WhisperVerifier(prompt=prompt_for(site), rewrites=ranker.rewrites)
        return cls(site, targets, ranker, grammar, model.recognizer, verifier, sounds)


def prompt_for(site: Site) -> str:
    """The product's own words, to bias the verifier towards them (page titles, element labels)."""
    names = dict.fromkeys([p.title for p in site.pages] + [e.label for p in site.pages for e in p.elements])
    # The control words too: a lone "stop" is otherwise heard as "star" (which fuzzily means "start").
    return "Stop. Scroll down. Scroll up. Go back. " + f"{site.name}: " + ", ".join(names) + "."
