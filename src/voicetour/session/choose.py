"""Which words to act on: the grammar's or the verifier's (a pure function of both).

The verifier's words win when they name a target or a control word. When they name nothing,
the grammar's page does not stand against them: on real people who were not asking for anything
the grammar made product words of everything ("snowboy" -> "seats now", "view glass" -> "view
plans") while the verifier heard what was said (and a misheard product word, "show me building",
is matched by the ranker's fuzzy step anyway);
the grammar's page stands too when the verifier's words name nothing but sound like the grammar's
(``intent/sound.py``: "show me the Air Page" for "show me the error page"; source ``alike``);
when neither names anything, a ``careful`` choice (at a pause's CAREFUL step and at the end)
asks for the verifier's slower, thorough listen, prompted with the grammar's page when it names
one, a page and not a control ("Show me the Calendar.": whisper's "Show me Macalander" became
"Show me the calendar.", while real people's "Snowboy" stayed "Snowboy"); failing that, the
verifier's words are the caption. ``listen(kind, hint)`` gives the verifier's words, or None
when they are not in yet (the caller has asked for them and will choose again when they are).
"""

from __future__ import annotations

from collections.abc import Callable

from voicetour.events import ListenKind, Source
from voicetour.intent.ranker import Ranked, Ranker
from voicetour.intent.sound import Sounds
from voicetour.intent.text import control_of, words
from voicetour.session.policy import PolicyConfig, decide

Choice = tuple[str, Source]

HINTED_ALIKE = 0.35
"""A careful listen prompted with the grammar's page counts only when it sounds at least this
much like the quick listen's words (onsets aside): real requests 0.40-0.91 ("Show me that I'll
come" / "Show me the icons."), whisper repeating its prompt over room noise or a wake word
0.10-0.17."""


def choose(
    grammar_text: str, listen: Callable[[ListenKind, str], str | None], ranker: Ranker, policy: PolicyConfig,
    careful: bool, sounds: Sounds, doubted: bool = False,
) -> Choice | None:
    """``doubted``: the quick words are an early answer not to be acted on as they are; a careful
    choice hears them again, carefully, before they may name a page."""
    heard = listen("quick", "")
    if heard is None:
        return None
    ranked = ranker.rank(heard, fuzzy=True)
    verdict, top = decide(ranked, policy)
    grammar_verdict, grammar_top = decide(ranker.rank(grammar_text), policy)
    if verdict == "accept" and grammar_verdict == "accept" and grammar_top and _written_tie(ranked, grammar_top):
        return grammar_text, "grammar"  # the same words, and the grammar heard how they were written
    if (
        verdict == "accept" and grammar_verdict == "accept" and top and grammar_top
        and top.target.url == grammar_top.target.url and grammar_top.target.is_element
        and not top.target.is_element
    ):
        return grammar_text, "grammar"  # same page; the grammar also knows which element
    if (verdict == "accept" and not doubted) or control_of(heard) is not None:
        return heard, "verifier"
    if (grammar_verdict == "accept" and not words(heard)) or _plausible_control(grammar_text, heard):
        return grammar_text, "grammar"  # the verifier heard nothing: the grammar is all there is
    if grammar_verdict == "accept" and sounds.alike(grammar_text, heard) >= policy.alike_score:
        return grammar_text, "alike"
    if careful:
        hint = careful_hint(grammar_text, ranker, policy)
        careful_text = listen("careful", hint)
        if careful_text is None:
            return None
        if hint and not hinted_alike(heard, careful_text, sounds):
            careful_text = ""
        careful_verdict, _ = decide(ranker.rank(careful_text, fuzzy=True), policy)
        if careful_verdict == "accept" or control_of(careful_text) is not None:
            return careful_text, "verifier"
    if verdict == "suggest" or words(heard):
        return heard, "verifier"  # what was said, even if it names nothing: the grammar's page does not stand
    return grammar_text, "grammar"

EARLY_HINTED_ALIKE = 0.25
"""...against words heard while the person spoke, of less of the speech: "Show me the National"
and the prompted "Show me the Dashboard" 0.29 (espeak-ng, AdminBSB), "I need the right content."
and "I need that Icons." 0.40; "Snowboy!" and "Show me the Integrations." 0.18, "Go back." and
"Show me the Team." 0.17."""


def careful_hint(grammar_text: str, ranker: Ranker, policy: PolicyConfig) -> str:
    """What a careful listen reads last: words that name the grammar's page, if it names one, a
    page and not a control (primed with "Show me the Team." for "how do I invite a teammate",
    whisper heard "Have you I invited to me?" and the early page was taken back)."""
    verdict, top = decide(ranker.rank(grammar_text), policy)
    page = top.target if verdict == "accept" and top is not None else None
    return f"Show me the {page.title}." if page is not None and not page.is_element else ""


def focus_names(texts: tuple[str, ...], ranker: Ranker, each: int = 5) -> tuple[str, ...]:
    """The names of the ``each`` likeliest targets of every one of ``texts`` (the grammar's words,
    the verifier's), for a careful listen that reads only those (``Transcribe.focus``)."""
    names = (r.target.label or r.target.title for text in texts if text
             for r in ranker.rank(text, limit=each, fuzzy=True))
    return tuple(dict.fromkeys(name for name in names if name))


def hinted_alike(heard: str, hinted: str, sounds: Sounds, least: float = HINTED_ALIKE) -> bool:
    """Whether a listen prompted with the grammar's page heard the speech rather than the prompt
    (``HINTED_ALIKE``): whisper on room noise said "Show me the Team." when prompted with it,
    where unprompted it had heard "Go back."."""
    return sounds.alike(heard, hinted, onset=False) >= least


def _written_tie(ranked: list[Ranked], grammar_top: Ranked) -> bool:
    """Whether the verifier's words name the grammar's page as well as their own but for how a
    word was written ("Where are my contact" for "contacts": Contact us, while the grammar heard
    "where are my contacts", the Contacts page; AdminLTE 3): the grammar, which can only say the
    product's words, heard the ending."""
    return ranked[0].target.url != grammar_top.target.url and any(
        r.unwritten and r.target.url == grammar_top.target.url for r in ranked)


def _plausible_control(grammar_text: str, heard: str) -> bool:
    """A control word from the grammar, unless the verifier heard a longer sentence: in noise the
    grammar's shortest path is often a lone "no" for words it could not match."""
    return control_of(grammar_text) is not None and len(words(heard)) <= len(words(grammar_text)) + 1
