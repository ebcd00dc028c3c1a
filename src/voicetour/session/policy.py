"""When to act: the commit policy, pure functions of rankings.

Early commit (from a partial): the top target's score is at least ``early_score``, every candidate
on another page trails it by ``margin``, and the same page has stayed on top for ``stable_ms`` of
audio while speech goes on, or ``settled_ms`` once the speaker has paused for ``pause_ms``.
Final decision (after the endpoint): accept at ``accept_score``; between ``suggest_score``
and that, ask "did you mean ...?"; below, nothing matched.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicetour.intent.ranker import Ranked


@dataclass(frozen=True)
class PolicyConfig:
    early_score: float = 0.75
    margin: float = 0.2
    stable_ms: int = 120
    """60 ms flashed wrong pages (fixtures: 11 mispredictions, 1 out-of-domain navigate). 200 ms
    was the choice until pre-rendered frames made an early reveal free; on the quick bench corpus
    120 ms moved the median voice-to-action from +21 to -36 ms (the page is up before the speaker
    finishes), at the cost of 29 -> 35 corrected guesses and one more out-of-domain page flash in 24
    (cancelled by the final words: no wrong page is left standing)."""
    pause_ms: int = 40
    settled_ms: int = 60
    """...but once the speaker pauses for ``pause_ms``, the last word is no longer changing, and
    ``settled_ms`` of stability is enough."""
    ahead_ms: int = 120
    """A page whose name begins another page's name ("show me the basic": Basic, while "Basic
    Form Elements" is another page) is shown only after this much silence: a speaker's pause
    inside a name (piper, AdminBSB: 'Show me the Basic' heard in a pause of 60 ms) is shorter,
    and waiting costs only such requests. 200 ms until 2026-11-29: such requests ("show me the
    dashboard" on AdminLTE 3, which has Dashboard v2 and v3; "colors" and "Colored cards" on
    AdminBSB) were then most of the slowest 5%."""
    accept_score: float = 0.5
    suggest_score: float = 0.3
    early_needs_both: bool = True
    """Show the grammar's page early only once the verifier (whisper) names it too. The grammar
    alone, listening for 46 pages' words, turned "I'd like to see some charts" into "see 7 for"
    and "show me the data tables" into "show me the create" and showed those pages (sb-admin-2:
    a wrong page shown in 12 of 69 files; measured in docs/measuring.md)."""
    strong_words: float = 2.0
    """...unless the grammar names it in this many of the product's words, all its words the
    target's ("how do I export a report"), each counted by how few pages have it
    (``Ranker.words_named``: "drip coffee" on a menu of six coffees is 1.2): waiting for whisper
    there cost the quick bench p95 306 -> 396 ms, and the grammar's flashes on the real apps were
    one word ("show me the create") or a number ("see 7 for"), on real coffee orders two words
    other drinks have too ("drip coffee", "iced mocha")."""
    alike_score: float = 0.65
    """The grammar's page stands when the verifier's words name nothing but sound this much like
    the grammar's (``intent/sound.py``): both recognizers heard the same words, and only the
    verifier did not know them ("show me the Air Page" / "show me the error page"). Measured on
    the real apps' requests where the grammar named the right page and whisper named none (16),
    against real people's speech that is not a request, on the demo and on AdminLTE 3 (350 where
    the grammar named a page and whisper did not): 0.6 took 10 of 16 and 2 of 350 ("writes" /
    "Rate"); 0.65 the same 10 and 1 (a lone "off" heard as "F"); 0.7, 7 and 1."""
    early_unlike: bool = False
    """Also hold the grammar's early page while the verifier's last background words name nothing
    and sound nothing like the start of the grammar's (real coffee orders: "I'd like a single
    shot" against the grammar's "i'd like to an filter coffee"). Off: on the quick bench it held
    right pages the grammar had heard through noise whisper garbled ("I'll do it in my chat" for
    "how do I invite a teammate") until the pause, p95 237 -> 268 ms, 303 with a core busy."""
    min_page_speech_ms: int = 500
    """Speech (from its start to the last voiced frame, ``Turn.spoken_ms``) a turn needs before
    a page is gone to at a pause; below it, a page is gone to at the end only when the grammar
    and the verifier name it alike. Real people saying one word that is not a request
    (shared/realspeech speech_commands: p50 380 ms, p75 520 ms) were turned into pages by both
    recognizers ("up" -> "app", "bed" -> "an role"); our requests have p5 774 ms (fixtures; 665 ms
    in 10 dB noise), 880 ms (the real apps' requests)."""
    min_asked_speech_ms: int = 350
    """...unless the verifier heard it asked for in words, "show me X", "take me to X" (``Ranker.
    phrased``), which one word said alone does not become: then this much speech is enough at the
    turn's end (not at a pause: "Where is the Ed of", of "where is the editable table", showed
    AdminBSB's Editors page, and tabler's "Open the map as page" its Maps page). In
    10 dB noise the endpointer thins a short request's edges: piper's "show me billing" was 600
    ms of speech in quiet, 480 in noise (whisper: "Show me Bill.", the Billing page, never
    gone to). Of real people's one-word clips and wake words (169), whisper heard none so."""
    min_early_speech_ms: int = 800
    """...and before a page is shown while the person is still speaking (the grammar's word, or
    words heard in the background): on real wake words ("jarvis", "snowboy", "view glass", p50
    740 ms) both recognizers named a page mid-word that the pause's listen of the whole word then
    took back. Shorter requests are shown at their first pause, on the listen of all they said."""


def confident(ranked: list[Ranked], cfg: PolicyConfig) -> Ranked | None:
    """The top candidate if it clears the early-commit score and margin, else None."""
    if not ranked or ranked[0].score < cfg.early_score:
        return None
    top = ranked[0]
    for other in ranked[1:]:
        if other.target.url != top.target.url and top.score - other.score < cfg.margin:
            return None
    return top


def rival(ranked: list[Ranked], cfg: PolicyConfig) -> Ranked | None:
    """The page that ties with the top one, when the words name both equally well ("notification
    settings" on a product with an Account settings page and a Notifications page): the top
    clears ``accept_score`` and the best candidate on another page trails it by less than the
    margin ``decide`` asks for. The agent asks which one rather than guess."""
    verdict, top = decide(ranked, cfg)
    if verdict != "suggest" or top is None or top.score < cfg.accept_score:
        return None
    return next((r for r in ranked[1:] if r.target.url != top.target.url), None)


def decide(ranked: list[Ranked], cfg: PolicyConfig) -> tuple[str, Ranked | None]:
    """('accept' | 'suggest' | 'none', candidate) for a final transcript."""
    if not ranked or ranked[0].score < cfg.suggest_score:
        return "none", None
    top = ranked[0]
    rivals = [r for r in ranked[1:] if r.target.url != top.target.url]
    if top.score >= cfg.accept_score and (not rivals or top.score - rivals[0].score >= 0.05):
        return "accept", top
    return "suggest", top
