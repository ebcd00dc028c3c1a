"""Pronunciations for words the recognizer's dictionary does not know.

Order of preference: the CMU dictionary bundled in the pocketsphinx wheel; espeak-ng's IPA
(Debian package ``espeak-ng``) mapped to ARPABET; last, plain letter rules, so a product name is
always recognisable even on a machine without espeak-ng.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import unicodedata

# Longest symbols first so that diphthongs and affricates win over their parts.
_IPA = [
    ("tʃ", "CH"), ("dʒ", "JH"), ("aɪ", "AY"), ("aʊ", "AW"), ("ɔɪ", "OY"), ("eɪ", "EY"),
    ("oʊ", "OW"), ("əʊ", "OW"), ("ɪə", "IH R"), ("ɛə", "EH R"), ("ʊə", "UH R"), ("iə", "IY AH"),
    ("ɜ", "ER"), ("ɚ", "ER"), ("ɝ", "ER"), ("i", "IY"), ("ɪ", "IH"), ("ᵻ", "IH"), ("ɛ", "EH"),
    ("e", "EH"), ("æ", "AE"), ("a", "AA"), ("ɑ", "AA"), ("ɒ", "AA"), ("ɔ", "AO"), ("o", "OW"),
    ("ʊ", "UH"), ("u", "UW"), ("ʌ", "AH"), ("ə", "AH"), ("ɐ", "AH"), ("p", "P"), ("b", "B"),
    ("t", "T"), ("d", "D"), ("k", "K"), ("ɡ", "G"), ("g", "G"), ("f", "F"), ("v", "V"),
    ("θ", "TH"), ("ð", "DH"), ("s", "S"), ("z", "Z"), ("ʃ", "SH"), ("ʒ", "ZH"), ("h", "HH"),
    ("m", "M"), ("n", "N"), ("ŋ", "NG"), ("l", "L"), ("ɹ", "R"), ("r", "R"), ("w", "W"),
    ("j", "Y"), ("ɾ", "T"), ("x", "K"), ("ɬ", "L"),
]
_IGNORED = set("ˈˌːˑ‿ʔ-. ")

_LETTERS = {
    "a": "AE", "b": "B", "c": "K", "d": "D", "e": "EH", "f": "F", "g": "G", "h": "HH", "i": "IH",
    "j": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "o": "AA", "p": "P", "q": "K", "r": "R",
    "s": "S", "t": "T", "u": "AH", "v": "V", "w": "W", "x": "K S", "y": "IY", "z": "Z",
}
_DIGRAPHS = {"ch": "CH", "sh": "SH", "th": "TH", "ph": "F", "ck": "K", "ng": "NG", "ee": "IY",
             "oo": "UW", "ai": "EY", "ay": "EY", "ou": "AW", "ow": "OW", "qu": "K W", "er": "ER",
             "oy": "OY", "oi": "OY"}


def ipa_to_arpabet(ipa: str) -> str:
    """Map espeak-ng IPA to the en-us model's ARPABET phones; unknown symbols are dropped."""
    text = "".join(c for c in unicodedata.normalize("NFD", ipa) if not unicodedata.combining(c))
    phones: list[str] = []
    i = 0
    while i < len(text):
        if text[i] in _IGNORED:
            i += 1
            continue
        for sym, arpa in _IPA:
            if text.startswith(sym, i):
                phones.extend(arpa.split())
                i += len(sym)
                break
        else:
            i += 1
    return " ".join(phones)


def letter_rules(word: str) -> str:
    """A crude spelling-to-sound fallback; good enough to make a word reachable in a grammar."""
    w = re.sub(r"[^a-z]", "", word.lower())
    phones: list[str] = []
    i = 0
    while i < len(w):
        pair = w[i : i + 2]
        if pair in _DIGRAPHS:
            phones.extend(_DIGRAPHS[pair].split())
            i += 2
            continue
        if w[i] == "e" and i == len(w) - 1 and phones:
            break  # silent final e
        if i and w[i] == w[i - 1]:
            i += 1  # a doubled letter is one sound ("spanners")
            continue
        phones.extend(_LETTERS[w[i]].split())
        i += 1
    return " ".join(phones) or "AH"


@functools.lru_cache(maxsize=4096)
def espeak_arpabet(word: str) -> str | None:
    exe = shutil.which("espeak-ng")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "-q", "--ipa", "-v", "en-us", word],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    phones = ipa_to_arpabet(out.strip())
    return phones or None


def pronounce(word: str, dictionary: dict[str, str]) -> tuple[str, str]:
    """Return (phones, source) for a lowercase word; source is 'cmudict', 'espeak' or 'letters'."""
    if word in dictionary:
        return dictionary[word], "cmudict"
    phones = espeak_arpabet(word)
    if phones:
        return phones, "espeak"
    return letter_rules(word), "letters"
