"""The action layer: where the visitor is, and every action the agent takes there.

Every navigation, correction, command and reply of a session goes through its ``Tour``: the
current page, the history that "go back" walks, the suggestion awaiting a yes or no, and the
question between two pages awaiting the name of one ("Account, or Notifications?"). The
core decides *when* to act; the tour decides *what* that means on the page. Control words are a
table (``COMMANDS``): a new command is one function and one row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from voicetour.events import Back, Cancel, Event, Highlight, Navigate, Rejected, Say, Scroll, State, Stop
from voicetour.intent.naming import Target
from voicetour.intent.ranker import Ranker
from voicetour.intent.text import control_of, words
from voicetour.session import reply
from voicetour.session.policy import PolicyConfig, decide, rival

At = tuple[int, int]
"""(turn, audio_ms): the stamp of the events an action returns."""


class Tour:
    def __init__(self, site_name: str, ranker: Ranker, policy: PolicyConfig, start_url: str | None) -> None:
        self.site_name = site_name
        self.ranker = ranker
        self.policy = policy
        self.url = start_url
        self.history: list[str | None] = []
        self.pending: Target | None = None
        """A suggestion ("Did you mean ...?") awaiting yes or no."""
        self.choices: tuple[Target, Target] | None = None
        """The two pages of a question ("Account, or Notifications?") awaiting the name of one."""
        self._choice_ranker: tuple[tuple[Target, Target], Ranker] | None = None
        self.mispredictions = 0

    def pick(self, text: str) -> Target | None:
        """The choice of the question asked that ``text`` answers with: the name of one, said in
        its words ("notifications", "the account page"), or "the first" / "the second". Words
        that name another page of the product are a new request, not an answer."""
        if self.choices is None:
            return None
        said = words(text)
        for word, index in ORDINALS.items():
            if word in said:
                return self.choices[index]
        if self._choice_ranker is None or self._choice_ranker[0] != self.choices:
            answers = [dataclasses.replace(c, phrases=(*c.phrases, " ".join(words(c.title)))) if c.selector else c
                       for c in self.choices]  # a control by its page too, as the question names it
            self._choice_ranker = (self.choices, Ranker(answers))  # asked for on every background answer
        verdict, top = decide(self._choice_ranker[1].rank(text, fuzzy=True), self.policy)
        if verdict != "accept" or top is None:
            return None
        other, elsewhere = decide(self.ranker.rank(text, fuzzy=True), self.policy)
        if other == "accept" and elsewhere is not None and elsewhere.target.url not in {c.url for c in self.choices}:
            return None
        return top.target

    def go(self, at: At, target: Target, early: bool) -> list[Event]:
        events: list[Event] = [State(*at, "acting")]
        if target.url != self.url:
            self.history.append(self.url)
            self.url = target.url
        events.append(Navigate(*at, target.url, target.id, early))
        if target.selector:
            events.append(Highlight(*at, target.selector, target.label))
        return events

    def undo(self, before: str | None) -> None:
        """Forget an early navigation the final words contradicted (counted as a misprediction)."""
        self.mispredictions += 1
        self.url = before
        if self.history:
            self.history.pop()

    def cancel(self, at: At, before: str | None, reason: str) -> Cancel:
        self.undo(before)
        return Cancel(*at, before, reason)

    def command(self, at: At, name: str, done: bool = True) -> list[Event]:
        """Carry out a control word; ``done``: the turn is over (say so with State 'listening')."""
        events = COMMANDS.get(name, _ok)(self, at)
        return [*events, State(*at, "listening")] if done else events

    def resolve(self, at: At, text: str, committed: Target | None, before: str | None, fuzzy: bool,
                pages: bool = True) -> list[Event]:
        """Act on a final transcript, given what the turn went to early. ``fuzzy`` lets unknown
        words match similar known ones: right for typed or verifier text, wrong for grammar output
        (whose words are all known). Without ``pages``, the words may be a command but not a page
        (too little evidence that they were a request at all). An answer to the question asked
        picks its page whatever its length: the question asked for one word."""
        picked = self.pick(text)
        if picked is not None:
            self.choices = None
            return self.resolve_to(at, picked, committed, before)
        command = control_of(text)
        if command not in ("yes", "no"):
            self.choices = None  # not an answer: the question is dropped
        if command is not None:
            if committed is not None:  # "scroll down" misheard as a page while it was being said
                return [self.cancel(at, before, "it was a command, not a page"), *self.command(at, command)]
            return self.command(at, command)
        ranked = self.ranker.rank(text, fuzzy=fuzzy) if pages else []
        verdict, top = decide(ranked, self.policy)
        events: list[Event] = []
        if verdict == "accept" and top is not None:
            return self.resolve_to(at, top.target, committed, before)
        if committed is not None:  # the early guess did not survive the final words
            events.append(self.cancel(at, before, "the final words did not confirm it"))
        other = rival(ranked, self.policy)
        if other is not None and top is not None:
            self.choices, self.pending = (top.target, other.target), None
            events.append(Say(*at, reply.question(*self.choices)))
        elif verdict == "suggest" and top is not None:
            self.pending = top.target
            events.append(Say(*at, reply.suggestion(top.target)))
        else:
            events += [Rejected(*at, text, "no page of this product matches"),
                       Say(*at, reply.out_of_domain(self.site_name))]
        return [*events, State(*at, "listening")]

    def resolve_to(self, at: At, target: Target, committed: Target | None, before: str | None) -> list[Event]:
        """Go to ``target`` as the turn's outcome, given what the turn went to early."""
        events: list[Event] = []
        if committed is None or committed.url != target.url:
            if committed is not None:
                self.undo(before)
            events += self.go(at, target, early=False)
        elif target.selector and target.selector != committed.selector:
            events.append(Highlight(*at, target.selector, target.label))
        return [*events, Say(*at, reply.reply_for(target)), State(*at, "listening")]


ORDINALS = {"first": 0, "former": 0, "second": 1, "latter": 1}
"""Words that answer a question between two pages by position."""


def _back(tour: Tour, at: At) -> list[Event]:
    if not tour.history:
        return [Say(*at, "There is no previous page.")]
    tour.url = tour.history.pop()
    return [Back(*at, tour.url), Say(*at, "Going back.")]


def _stop(tour: Tour, at: At) -> list[Event]:
    tour.pending = None
    return [Stop(*at)]


def _yes(tour: Tour, at: At) -> list[Event]:
    if tour.choices is not None:  # "yes" does not say which
        return [Say(*at, reply.question(*tour.choices))]
    if tour.pending is None:
        return _ok(tour, at)
    target, tour.pending = tour.pending, None
    return [*tour.go(at, target, early=False), Say(*at, reply.reply_for(target))]


def _no(tour: Tour, at: At) -> list[Event]:
    if tour.pending is None and tour.choices is None:
        return _ok(tour, at)
    tour.pending = tour.choices = None
    return [Say(*at, "OK. Tell me which page you want.")]


def _ok(tour: Tour, at: At) -> list[Event]:
    return [Say(*at, "OK.")]


COMMANDS: dict[str, Callable[[Tour, At], list[Event]]] = {
    "back": _back,
    "stop": _stop,
    "scroll_down": lambda tour, at: [Scroll(*at, "down")],
    "scroll_up": lambda tour, at: [Scroll(*at, "up")],
    "yes": _yes,
    "no": _no,
}
"""Control word (``intent.text.CONTROL_PHRASES`` maps what people say to these) -> what it does."""
