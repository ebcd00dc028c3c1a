"""Word-level normalisation shared by naming (site side) and ranking (speech side)."""

from __future__ import annotations

import re
from collections.abc import Container

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Words that carry the request but not its target: "show me the ... page please".
CARRIERS = frozenset(
    """a an the my our your me i i'd i'm we us you it this that to of for in on at with and or
    is are was be can could would will should do does did how where what which who why when
    show showing go going get take open see view look let's let bring find please page pages
    screen section tab want wanna need like just now up there here some thing things area part
    navigate switch jump head display visit check tell about okay ok um uh hey so then
    new all voicetour
    under over into onto from by via within""".split()
)
"""...and the prepositions of names ("Under Maintenance" is the maintenance page: half of a name of
several words is only a guess, ranker.HALF_COVERED)."""

# Everyday words of off-topic speech. The recognizer's garbage loop is made of them, and the
# ranker never takes one of them for a similar-looking product word.
COMMON_WORDS = frozenset(
    """
a about after again all also always am and any anything are around as ask at away bad be because
been before being best better big book both but buy by call came can car cat city cold come could
day did do does dog doing done down drink each eat even ever every far fast feel few film find
fine first food for friend from fun funny game gave get give go going good got great had happy has
have he hear hello her here hey hi him his hold home hot how hungry i if in is it joke just keep
kind know last late later left life like listen little live long look lot love make man many may
maybe me mean money more morning most movie much music must my name need never news nice night no
not now of off old on one only or order other out over paris people person pizza play please put
rain read really right said same say school see she should sing sleep so some song sorry sport
sports still story sun sure talk tell than thank thanks that the their them then there these they
thing think this time to today tomorrow too train tree try turn two up us very wait walk want was
water way we weather week well went were what when where which who why will win with woman won
word work world would write year yes yesterday you your
""".split()
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
    """A deliberately small stemmer: plural and -ing/-ed/-e/-ion endings, so invite/invites/inviting,
    bill/billing and validate/validation meet. Predictable beats clever here: both sides use the same function."""
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith("sses"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 7 and w.endswith("ation"):
        w = w[:-3]  # "validation" meets "validate" (AdminBSB's Form Validation: "how do I validate a form")
    elif len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 3 and w.endswith("ed") and w[-3] in "cgsvz" and not w.endswith("eed"):
        w = w[:-1]  # "iced" is "ice" ("ice mocha", real coffee orders), "priced" "price"
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


PHRASAL = frozenset("sign log set drop pop opt lock roll zoom".split())
"""Not "check" ("check out the billing page" is no checkout) nor "back" ("go back up")."""
PARTICLES = frozenset("in up out on off down".split())


def compounds(said: list[str]) -> list[str]:
    """A verb and its particle as one word: "sign in" and "sign up" are two pages (AdminBSB), and
    "in" and "up" carry nothing alone; "log in" meets "login", "drop down" "dropdown"."""
    out: list[str] = []
    for word in said:
        if out and out[-1] in PHRASAL and word in PARTICLES:
            out[-1] += word
        else:
            out.append(word)
    return out


def content_stems(text: str) -> list[str]:
    """The stems of the words that can name a target (carrier words removed)."""
    return [stem(w) for w in compounds(words(text)) if w not in CARRIERS]


def control_of(text: str) -> str | None:
    """The control command a whole utterance is, or None."""
    return CONTROL_PHRASES.get(" ".join(words(text)))


NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DIGITS = {w: str(i) for i, w in enumerate(NUMBER_WORDS)}
_SAID_ZERO = {"oh": "0", "o": "0"}


def spoken_numbers(said: list[str], known: Container[str]) -> list[str]:
    """A number said in words, as digits, when the product writes it so ("five hundred" -> "500",
    "four oh four" -> "404", "five hundred and three" -> "503": error pages are named by their
    code). Runs of two words or more only, and only numbers ``known`` holds (a product word)."""
    out: list[str] = []
    i = 0
    while i < len(said):
        for j in range(min(len(said), i + 5), i + 1, -1):  # the longest run first
            value = _number_of(said[i:j])
            if value is not None and value in known:
                out.append(value)
                i = j
                break
        else:
            out.append(said[i])
            i += 1
    return out


def _number_of(run: list[str]) -> str | None:
    if run[0] not in DIGITS:
        return None
    if all(w in DIGITS or w in _SAID_ZERO for w in run):  # digit by digit: "four oh four"
        return "".join(DIGITS.get(w) or _SAID_ZERO[w] for w in run)
    if run[0] == "zero" or run[1] != "hundred":
        return None
    rest = run[3:] if run[2:3] == ["and"] else run[2:]
    if not rest:
        return DIGITS[run[0]] + "00" if len(run) == 2 else None
    if len(rest) == 1 and rest[0] in DIGITS:  # "five hundred and three"
        return DIGITS[run[0]] + "0" + DIGITS[rest[0]]
    return None
