"""Rank targets for a (partial) transcript. Pure, fast (a few dict look-ups per word).

Score of a target = best over its phrases of the F-measure between
  coverage:    how much of the phrase the transcript says (weighted), and
  explanation: how much of the transcript's domain words the phrase accounts for.
Word weights are inverse page frequencies, so a word every page shares ("settings" in
"team settings") counts less than one only a single page has.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher

from voicetour.intent.naming import ERROR_NAMES, ORDINALS, Target
from voicetour.intent.sound import Sounds, similarity
from voicetour.intent.text import (
    CARRIERS,
    COMMON_WORDS,
    NUMBER_WORDS,
    compounds,
    content_stems,
    control_of,
    spoken_numbers,
    stem,
    words,
)

FUZZY_RATIO = 0.8
FUZZY_PENALTY = 0.85
"""A word we do not know that looks like one we do ("building" ~ "billing", "voices" ~ "invoices")
counts as that word, at a discount. Only for free transcripts, never for grammar output."""

SOUND_RATIO = 0.75
"""In a request to see something that names nothing of the product (``_asks_to_see``), words we do
not know, neither written like ones we do, that each *sound* like one of the product's words
(``sound.similarity`` of their phones, first phones alike; no other word of the product sounding
nearly as much like it, ``SOUND_MARGIN``), alone or two of them said one after the other ("End
Voice": invoice), count as those words, at the fuzzy discount; all of them or none ("show me the
bell tower" is not billing).
whisper tiny.en writes product words it does not know as everyday words that sound like them:
"Reading" for rating, "Forum Baker" for form picker, "savings" for settings, "story" for store
(espeak-ng voices, the real products' requests)."""
SOUND_MARGIN = 0.05
SOUND_MIN_LETTERS = 4

REWRITES = 10
"""At most this many ways of saying a request in the product's words (``Ranker.rewrites``), the
names that sound most like what was heard, for the verifier to weigh against what it heard."""
REWRITE_SOUND = 0.3
"""A name that sounds less like what was heard than this (``sound.similarity``, first phones
free) is no rewrite of it."""
REWRITE_BELOW = 0.3
"""...and what was heard names nothing above this (``PolicyConfig.suggest_score``: nothing the agent
would act on or ask about; "Show me the more of his charts" named every chart page a little)."""

LONG_WORD = 9
"""A long word may be misheard at its start too ("logifications" for "notifications", quick bench
fixtures), as long as the rest is the same."""
HALF_COVERED = 0.5
"""A name of several words that what was said covers only this much of (by weight) or less is a
guess, not a match: "show me the data" is not "download data" (sb-admin-2, where a pause after
"data" showed the dashboard before "tables" was said). Its score is scaled by its coverage, which
puts it at "did you mean" at most."""

QUESTION_WORDS = frozenset("what what's whats where where's when why who who's which is are was were it's there's "
                           "you your we they there with will would".split())
ALONE = 0.45
"""A control named by one word ("Today" on the calendar) in a sentence whose other words the product
does not know ("what's the weather like today") is a guess: its score is scaled to "did you mean"."""

CROWD = 4
"""...and so is a target of which one word of a longer name is said among words the product does
not know ("Brew a triple shot ...", real coffee orders, is not "Brewed coffee", whose other word,
on three pages, weighs little); and so is any control named by one word among this many the
product does not know ("I want a 20-ounce medium roles triple shot coffee with almond milk": real
coffee orders, the Roles control on the Team page; but "open pagination and red crumbs" is still
the pagination page). Not a page named whole: on a menu site "I want a medium mocha with whole
milk and sweetener" is the Mocha page (real coffee orders: 88% right, and 48% while such pages
were guesses too)."""

PART_CROWD = 2
"""...of which two make "among words the product does not know" for a name said in part: whisper's
"Have you I invited to me?" for "how do I invite a teammate" (one unknown word) stays a "did you
mean"."""

EVERYDAY = frozenset(stem(w) for w in COMMON_WORDS)
"""A name of several words said in part, only by everyday words and not its last (its head noun:
"weather" of "Weather Icon"), is a guess: its score is scaled by ``ALONE`` ("what's the weather
like today" went to Stisla's Weather Icon page)."""

ERROR_STEMS = frozenset(w for meanings in ERROR_NAMES.values() for m in meanings for w in content_stems(m))

NUMBER_STEMS = frozenset(stem(w) for w in (*NUMBER_WORDS, *ORDINALS) if w)

JOIN_KNOWN = 4
"""Two words the product knows apart are joined when each has this many letters or more."""

ACRONYM = re.compile(r"^[A-Z]{2,5}s?$")
"""A word a product writes in capitals ("RTL mode", "FAQs", "API keys"): people say its letters
("R T L") or what they stand for ("switch to right to left mode", tabler's RTL page, heard
exactly and not understood)."""

ELEMENT_TIE_BREAK = 1.001  # an element that explains the words as well as its page wins: we can point at it
OTHER_PAGE_ELEMENT = 0.9
"""A control's label that matches no better than another page's own name loses to that page: "show
me the button" is the Buttons page, not a "Button" control on the input-groups page (sneat)."""


# A target named in part while another page is named whole by the same words is scaled by how
# much of its name was said: "Brew a medium roast ice mocha" names Iced mocha whole and "Brewed
# coffee" by one word, which weighed more (it is on one page, "mocha" on two).

MOST = 0.65
"""``says_most``: the share of a name's weight said."""

AS_WRITTEN_TIE = 0.05
AS_WRITTEN = 0.9
"""Pages within ``AS_WRITTEN_TIE`` of the top (a tie for ``policy.decide``) that were not said as
written, when one was, are scaled by this (``Ranker._as_written``)."""


@dataclass(frozen=True, slots=True)
class Ranked:
    target: Target
    score: float
    unwritten: bool = False
    """Scaled by ``AS_WRITTEN``: tied on stems with a page whose name was said as written."""


def _acronyms(name: str) -> list[str]:
    """The words ``name`` writes in capitals as an acronym: beside words that are not ("RTL mode",
    "Export PDF"), or without a vowel ("VPN"); not a label in capitals ("SAVE", AdminBSB's buttons)."""
    tokens = [t.strip(",.:;!?()") for t in name.split()]
    capitals = [t for t in tokens if ACRONYM.match(t)]
    mixed = any(c.islower() for c in name)
    return [t for t in capitals if mixed or not set(t.lower()) & set("aeiouy")]


class Ranker:
    def __init__(self, targets: list[Target], sounds: Sounds | None = None) -> None:
        """``sounds``: phones of words, for words that sound like the product's (``SOUND_RATIO``)."""
        self.targets = targets
        self._phrases: list[list[frozenset[str]]] = []
        self._heads: dict[frozenset[str], str] = {}  # a phrase's last word (an English name's head noun)
        pages_of: dict[str, set[str]] = defaultdict(set)
        for t in targets:
            sets = []
            for p in t.phrases:
                if stems := content_stems(p):
                    sets.append(frozenset(stems))
                    self._heads.setdefault(frozenset(stems), stems[-1])
            self._phrases.append(sets)
            for s in sets:
                for w in s:
                    pages_of[w].add(t.page_id)
        self.weight = {w: 1.0 / len(pages) for w, pages in pages_of.items()}
        self._forms = {w: stem(w) for t in targets for p in t.phrases for w in words(p) if stem(w) in pages_of}
        self._acronyms = {token.rstrip("s").lower(): stem(token.lower()) for t in targets
                          for name in (t.title, t.label) for token in _acronyms(name)
                          if stem(token.lower()) in pages_of}
        """An acronym's letters -> its stem, for ``_spelled``."""
        self._sounds = sounds
        self._phones = {form: sounds.phones(form) for form in self._forms
                        if len(form) >= SOUND_MIN_LETTERS} if sounds is not None else {}
        self._sounded: dict[str, str | None] = {}
        self._phrase_phones: dict[str, list[str]] = {}
        """A phrase's phones, for ``rewrites`` (looked up once)."""
        self.vocabulary = frozenset(self.weight)
        self._phrases_of = {t.id: sets for t, sets in zip(targets, self._phrases, strict=True)}

    def _nearest(self, word: str) -> str | None:
        """The stem of the known word that ``word`` looks most like, if close enough. Not for
        words under 6 letters: one edit away from too much ("Star" for "stop" was taken for
        "start", a name of the dashboard; real people's "smart mirror" too)."""
        if len(word) < 6 or word in COMMON_WORDS or word in CARRIERS:
            return None
        best, best_ratio = None, FUZZY_RATIO
        for form, form_stem in self._forms.items():
            if abs(len(form) - len(word)) > 3:
                continue
            other_start = form[0] != word[0] and not form.endswith(word)  # "in voices" may be "invoices"
            if other_start and len(word) < LONG_WORD:
                continue
            ratio = SequenceMatcher(None, word, form).ratio()
            if ratio >= best_ratio + (0.04 if other_start else 0.0):
                best, best_ratio = form_stem, ratio
        return best

    def _sounds_near(self, *heard: str) -> str | None:
        """The stem of the product's word that the ``heard`` words, said one after the other,
        sound most like (``SOUND_RATIO``), if no other stem sounds nearly as much like them."""
        if self._sounds is None or any(w in COMMON_WORDS or w in CARRIERS for w in heard) or (
                len(heard) == 1 and len(heard[0]) < SOUND_MIN_LETTERS):
            return None
        key = " ".join(heard)
        if key in self._sounded:
            return self._sounded[key]
        phones = [p for w in heard for p in self._sounds.phones(w)]
        best: dict[str, float] = {}
        for form, known in self._phones.items():
            score = similarity(known, phones)
            form_stem = self._forms[form]
            if score > best.get(form_stem, 0.0):
                best[form_stem] = score
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        near = None
        if ranked and ranked[0][1] >= SOUND_RATIO and (len(ranked) < 2 or ranked[0][1] - ranked[1][1] >= SOUND_MARGIN):
            near = ranked[0][0]
        if len(self._sounded) < 10_000:
            self._sounded[key] = near
        return near

    def _sounded_out(self, said: list[str], strangers: set[str]) -> set[str] | None:
        """The stems ``strangers`` sound like, each alone or two said one after the other
        ("End Voice": invoice), or None unless every one of them sounds like one."""
        def named(word: str | None) -> bool:
            return word is not None and word in strangers and word not in COMMON_WORDS  # "than": no name

        out: set[str] = set()
        i = 0
        while i < len(said):
            if not named(said[i]):
                i += 1
                continue
            after = said[i + 1] if i + 1 < len(said) else None
            pair = self._sounds_near(said[i], after) if after is not None and named(after) else None
            near = pair or self._sounds_near(said[i])
            if near is None:
                return None
            out.add(near)
            i += 2 if pair else 1
        return out

    def _spelled(self, said: list[str]) -> list[str]:
        """Words that spell one of the product's acronyms, as the acronym: its letters ("r t l"),
        or, for three letters or more, words whose first letters are its letters, neither the
        first nor the last a carrier ("right to left" -> "rtl"; not "the team list")."""
        if not self._acronyms:
            return said
        out: list[str] = []
        i = 0
        while i < len(said):
            for n in range(5, 1, -1):
                run = said[i : i + n]
                initials = "".join(w[0] for w in run)
                if len(run) < n or initials not in self._acronyms:
                    continue
                letters = all(len(w) == 1 for w in run)
                if letters or (n >= 3 and run[0] not in CARRIERS and run[-1] not in CARRIERS):
                    out.append(self._acronyms[initials])
                    i += n
                    break
            else:
                out.append(said[i])
                i += 1
        return out

    def _joined(self, said: list[str]) -> list[str]:
        """Two words said apart that the product writes as one ("nav bar" -> "navbar"; "data
        tables" -> "Datatables", though "data" is a word of the product too); an acronym said
        in letters or in full (``_spelled``); a number said in words (``text.spoken_numbers``)."""
        out: list[str] = []
        for word in compounds(self._spelled(spoken_numbers(said, self.weight))):
            if out and stem(out[-1] + word) in self.weight and (
                    stem(out[-1]) not in self.weight or min(len(out[-1]), len(word)) >= JOIN_KNOWN):
                out[-1] += word
            else:
                out.append(word)
        return out

    def _lead(self, after: list[str]) -> bool:
        """Whether "help" followed by ``after`` is a lead-in rather than a request for the help
        page: "help me ..." or "help us ..." with more after it, or words after it that the product
        does not know ("Help, be agile": whisper's words for "tell me a joke" in 10 dB of noise)."""
        if after[:1] in (["me"], ["us"]) and len(after) > 1:
            return True
        return any(stem(w) not in self.weight for w in after if w not in CARRIERS)

    def words_named(self, text: str, target: Target) -> float:
        """How many of the product's words in ``text`` one name of ``target`` holds, every known
        word said belonging to it (0 otherwise), each counted by how few pages have it (1 for a
        word of one page, 1/2 for a word of two): "how do I export a report" names the export
        control in 2, "show me the create" the register page in 1, "drip coffee" on a menu of six
        coffees in 1.2 (real coffee orders: the grammar's "drip coffee", "iced mocha" said inside
        other orders were 13 of 18 files showing a wrong page). A number is not counted: the
        grammar makes numbers of noise ("show me our blue 10": the "BLUE 10+" badge, AdminBSB)
        and hears one number for another ("show me infobox two" before "... three"). Nor is a word
        of what an error code means that the name does not write (``naming.ERROR_NAMES``): the
        grammar heard tabler's "not found" in espeak-ng's "show me the carousel"."""
        said = self._known(text)
        if not any(said <= phrase for phrase in self._phrases_of[target.id]):
            return 0.0
        written = set(content_stems(f"{target.title} {target.label}")) if said & ERROR_STEMS else set()
        return sum(self.weight[w] for w in said if not _number(w) and (w not in ERROR_STEMS or w in written))

    def says_whole(self, text: str, target: Target) -> bool:
        """Whether ``text`` says one of ``target``'s names whole ("request new password", not
        "request"; a word that looks like one of the name's counts, as in ``rank(fuzzy=True)``)."""
        said = self._said_near(text)
        return any(phrase <= said for phrase in self._phrases_of[target.id])

    def says_most(self, text: str, target: Target) -> bool:
        """Whether ``text`` says most of one of ``target``'s names (``MOST`` of it, each word
        counted by how few pages have it, as in ``words_named``): "the Datatables" of "Jquery
        Datatables" ("jquery" names two pages); not "add" of "Add webhook". A number said does not
        count, as in ``words_named``: "Show me two tips." (espeak-ng pausing inside "tooltips")
        is not most of "Infobox 2", whose other word is on four pages."""
        said = {w for w in self._said_near(text) if not _number(w)}
        for phrase in self._phrases_of[target.id]:
            total = sum(self.weight[w] for w in phrase)
            if total and sum(self.weight[w] for w in phrase & said) >= MOST * total:
                return True
        return False

    def _said_near(self, text: str) -> set[str]:
        """The product's words in ``text``, and those its other words look like (``_nearest``)."""
        said = self._known(text)
        return said | {near for w in words(text) if stem(w) not in said and (near := self._nearest(w)) is not None}

    def _known(self, text: str) -> set[str]:
        """The product's words in ``text`` (stems)."""
        return {w for w in content_stems(" ".join(self._joined(words(text)))) if w in self.weight}

    def continues(self, text: str, target: Target) -> bool:
        """Whether what ``text`` says of the product is the start of another page's name too
        ("open the form" for General, alias Forms, while "form wizard" and "form validation" are
        names of other pages): said so far, it may yet become that one."""
        said = self._known(text)
        if not said:
            return False
        return any(said < phrase for other, phrases in zip(self.targets, self._phrases, strict=True)
                   if other.url != target.url for phrase in phrases)

    def rank(self, text: str, limit: int = 5, fuzzy: bool = False) -> list[Ranked]:
        """Targets for ``text``, best first. With ``fuzzy``, unknown words may stand for a
        similar-looking known word (scores then carry FUZZY_PENALTY)."""
        said: set[str] = set()
        guessed = False
        strangers: set[str] = set()  # words the product does not know
        said_words = self._joined(words(text))
        for i, word in enumerate(said_words):
            if word in CARRIERS or word in QUESTION_WORDS:
                continue
            if word == "help" and self._lead(said_words[i + 1 :]):
                continue  # "help me find billing", "help me a job", "help, be agile": a lead, not the help page
            w = stem(word)
            if w in self.weight:
                said.add(w)
            elif fuzzy and (near := self._nearest(word)) is not None:
                said.add(near)
                guessed = True
            elif len(word) > 2:
                strangers.add(word)
        if not said and fuzzy and strangers and _asks_to_see(said_words):
            sounded = self._sounded_out(said_words, strangers)
            if sounded:  # every word of it: "the bell tower" is not billing
                said, strangers, guessed = sounded, set(), True
        if not said:
            return []
        said_weight = sum(self.weight[w] for w in said)
        best: list[Ranked] = []
        named: dict[str, frozenset[str]] = {}  # target id -> the words its best phrase matched
        part: dict[str, float] = {}  # target id -> its best phrase's coverage, when not said whole
        for target, phrases in zip(self.targets, self._phrases, strict=True):
            score, whole, covered = 0.0, False, 0.0
            for phrase in phrases:
                hit = phrase & said
                if not hit:
                    continue
                hit_w = sum(self.weight[w] for w in hit)
                coverage = hit_w / sum(self.weight[w] for w in phrase)
                explained = hit_w / said_weight
                f = 2 * coverage * explained / (coverage + explained)
                f = f * coverage if coverage <= HALF_COVERED and len(phrase) > 1 else f
                if hit != phrase and hit <= EVERYDAY and self._heads.get(phrase) not in hit:
                    f *= ALONE  # "what's the weather like today": not Weather Icon
                if f > score:
                    score, named[target.id], whole, covered = f, hit, hit == phrase, coverage
            if score > 0:
                if guessed:
                    score *= FUZZY_PENALTY
                crowded = len(strangers) >= CROWD or all(len(p) == 1 for p in phrases)
                if len(said) == 1 and strangers and (
                        (not whole and len(strangers) >= PART_CROWD) or (target.is_element and crowded)):
                    score *= ALONE
                if target.is_element:
                    score = min(1.0, score * ELEMENT_TIE_BREAK)
                if not whole:
                    part[target.id] = covered
                best.append(Ranked(target, round(score, 4)))
        said_whole = {r.target.url for r in best if r.target.id not in part}
        best = [Ranked(r.target, round(r.score * part[r.target.id], 4))
                if r.target.id in part and said_whole - {r.target.url} else r for r in best]
        pages = {r.target.url: r.score for r in best if not r.target.is_element}
        best = [Ranked(r.target, round(r.score * OTHER_PAGE_ELEMENT, 4))
                if r.target.is_element and any(u != r.target.url and v * ELEMENT_TIE_BREAK >= r.score
                                               for u, v in pages.items()) else r for r in best]
        best = self._as_written(best, set(said_words), named)
        best = _at_home(best, named, pages)
        best = self._all_said(best, said)
        best.sort(key=lambda r: (-r.score, r.target.is_element is False, r.target.id))
        return best[:limit]

    def rewrites(self, text: str, limit: int = REWRITES) -> list[str]:
        """``text`` said in the product's words: when it asks to see something ("show me",
        "open", "go") and names nothing of the product, the lead-in words followed by each of
        the names whose phones are nearest to the rest ("Go Phone": "go home"; "Open the month's
        page": "open the buttons page"), nearest first. Whisper then weighs each against what it
        heard, on the same audio (``asr.whisper``): a rewrite is only as good as the audio says."""
        said = words(text)
        if self._sounds is None or not _asks_to_see(said) or control_of(text) is not None:
            return []  # "go back" is a command, not a name misheard
        named = self.rank(text, limit=1, fuzzy=True)
        if named and named[0].score >= REWRITE_BELOW:
            return []
        lead = 0
        while lead < len(said) and (said[lead] in CARRIERS or said[lead] in SEEING) and said[lead] not in TAIL:
            lead += 1
        end = len(said)
        while end > lead and said[end - 1] in TAIL:
            end -= 1
        rest = said[lead:end]
        if not rest or all(w in CARRIERS for w in rest):
            return []
        phones = self._sounds.phones(" ".join(rest))
        near: dict[str, tuple[float, int, str]] = {}  # url -> its name nearest to the rest: score, length, name
        for target in self.targets:
            for phrase in target.phrases:
                if phrase not in self._phrase_phones:
                    self._phrase_phones[phrase] = self._sounds.phones(phrase)
                known = self._phrase_phones[phrase]
                if min(len(known), len(phones)) < REWRITE_SOUND * max(len(known), len(phones)):
                    continue  # each phone one has and the other lacks costs 1: too far already
                score = similarity(known, phones, onset=False)
                if score >= REWRITE_SOUND and (score, len(phrase)) > near.get(target.url, (0.0, 0, ""))[:2]:
                    near[target.url] = (score, len(phrase), phrase)  # of two alike, the longer: "sign in"
        best = list(dict.fromkeys(phrase for _, _, phrase in sorted(near.values(), key=lambda n: (-n[0], n[2]))))
        return [" ".join([*said[:lead], phrase, *said[end:]]) for phrase in best[:limit]]

    def _all_said(self, best: list[Ranked], said: set[str]) -> list[Ranked]:
        """Pages tied at the top, of which some have a name that holds every word said and others
        do not: those win ("open the bootstrap table" on Stisla, with a Table page under Bootstrap
        and another under Components: "bootstrap", a word of 21 pages, weighed too little to
        break the tie). Pages that all hold, or all miss, a word said stay tied: the agent asks."""
        tied = _tied(best, elements=False)
        whole = {r.target.url for r in tied if any(said <= phrase for phrase in self._phrases_of[r.target.id])}
        return _prefer(best, tied, whole)

    @staticmethod
    def _as_written(best: list[Ranked], said: set[str], named: dict[str, frozenset[str]]) -> list[Ranked]:
        """Pages whose names are the same words once stemmed ("Contacts", "Contact us": "contact")
        tie on every request for either. The one whose name was said as written wins: "where are
        my contacts" is Contacts, "how can I contact you" is Contact us. Pages that tie on other
        words ("notification settings": Notifications, Settings) stay tied: the agent asks."""
        tied = _tied(best, elements=False)
        if len({named[r.target.id] for r in tied}) != 1:
            return best
        written = {r.target.url for r in tied
                   if set(w for w in words(r.target.title) if w not in CARRIERS) <= said}
        if len({r.target.url for r in tied}) < 2 or len(written) != 1:
            return best
        return _prefer(best, _tied(best), written, unwritten=True)  # controls in the tie too


def _at_home(best: list[Ranked], named: dict[str, frozenset[str]], pages: dict[str, float]) -> list[Ranked]:
    """Controls on different pages that tie on the same words ("Create a deal" on Home, "Create
    deal" on Deals: "I want to create a deal") are told apart by their pages: the one on a page
    the words also name wins, and the agent does not ask a question whose two answers read alike
    (helio: "Which one: Create deal, or Create a deal?" in 3 of 3 voices). Controls tied with none
    of their pages named, or all of them, stay tied."""
    tied = _tied(best, elements=True)
    if len({named[r.target.id] for r in tied}) != 1:
        return best
    return _prefer(best, tied, {r.target.url for r in tied if pages.get(r.target.url, 0.0) > 0.0})


def _tied(best: list[Ranked], elements: bool | None = None) -> list[Ranked]:
    """The candidates within ``AS_WRITTEN_TIE`` of the top: pages only, controls only, or all."""
    top = max((r.score for r in best), default=0.0)
    return [r for r in best if top - r.score < AS_WRITTEN_TIE and elements in (None, r.target.is_element)]


def _prefer(best: list[Ranked], tied: list[Ranked], winners: set[str], unwritten: bool = False) -> list[Ranked]:
    """``tied`` candidates on other pages than ``winners`` scaled by ``AS_WRITTEN``; unchanged
    unless the tie is between two pages or more and some but not all of them win."""
    urls = {r.target.url for r in tied}
    if len(urls) < 2 or not winners or urls <= winners:
        return best
    return [Ranked(r.target, round(r.score * AS_WRITTEN, 4), unwritten or r.unwritten)
            if r in tied and r.target.url not in winners else r for r in best]


TAIL = frozenset("page pages screen section tab please now".split())
"""Words that end a request to see something, not part of what it names ("the buttons page")."""
SEEING = frozenset("show open go take see view where find bring display visit navigate".split())


def phrased(text: str) -> bool:
    """Whether ``text`` asks for something in words: a verb of seeing, a carrier word, then words
    that are not all carriers ("show me Bill", "take me to the store"; not "Go Snow Boy", "Go")."""
    said = words(text)
    return len(said) >= 3 and said[0] in SEEING and said[1] in CARRIERS and any(w not in CARRIERS for w in said[2:])


def _asks_to_see(said: list[str]) -> bool:
    """Whether the words start as a request to see something ("show me", "open", "where are"):
    the only words that ``Ranker._sounds_near`` reads ("Place some music" is no request)."""
    return any(w in SEEING for w in said[:3])


def _number(word: str) -> bool:
    """Whether a stem is a number, in digits or in words."""
    return word.isdigit() or word in NUMBER_STEMS
