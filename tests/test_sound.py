"""Sound-alike transcripts (intent/sound.py): the CMU dictionary from the pocketsphinx wheel."""

import pytest

from voicetour.asr.grammar import cmudict
from voicetour.intent.sound import Sounds, distance


@pytest.fixture(scope="module")
def sounds() -> Sounds:
    return Sounds(cmudict())


def test_distance_weighs_near_sounds_half() -> None:
    assert distance(["S", "P", "IH", "N"], ["S", "P", "IH", "N"]) == 0
    assert distance(["S", "P", "IH", "N"], ["S", "P", "AE", "N"]) == 0.5  # a vowel for a vowel
    assert distance(["P", "IH", "N"], ["B", "IH", "N"]) == 0.5  # voiced twin
    assert distance(["P", "IH", "N"], ["K", "IH", "N"]) == 1
    assert distance(["P", "IH", "N"], ["P", "IH", "N", "Z"]) == 1


@pytest.mark.parametrize(("grammar", "heard"), [
    ("show me the error page", "Show me the Air Page"),
    ("i need our icons", "I need the eye comes"),
    ("show me the dropdowns", "Show me the dropbounds"),  # not in the dictionary: spelling rules
    ("open the spinners", "Open the Spanners"),
    ("go to the other utilities", "Go to the Honor Utilities."),
])
def test_misheard_product_words_sound_like_the_grammars(sounds: Sounds, grammar: str, heard: str) -> None:
    assert sounds.alike(grammar, heard) >= 0.65


@pytest.mark.parametrize(("grammar", "heard"), [
    ("seats now", "Snowboy"),  # real wake words the grammar made product words of
    ("view all apps", "View glass"),
    ("our apps", "house"),
    ("show me our bottoms", "Show me the murders"),
    ("open the billing", "show me the"),  # carriers only: nothing to compare
])
def test_other_words_do_not(sounds: Sounds, grammar: str, heard: str) -> None:
    assert sounds.alike(grammar, heard) < 0.65


def test_the_grammar_hears_how_a_tied_name_was_written(sounds: Sounds) -> None:
    """AdminLTE 3: whisper's "Where are my contact" names Contact us (said as written) and
    Contacts alike once stemmed; the grammar heard "contacts": its page. Whichever way round,
    the grammar decides such a tie; when whisper's words say more ("how can I contact you"), or
    both agree, whisper's words stand."""
    from voicetour.intent.naming import targets_of
    from voicetour.intent.ranker import Ranker
    from voicetour.session.choose import choose
    from voicetour.session.policy import PolicyConfig
    from voicetour.site.model import parse_site

    site = parse_site({"name": "Admin", "base_url": "http://127.0.0.1:8123", "pages": [
        {"id": "contacts", "url": "/contacts.html", "title": "Contacts"},
        {"id": "contact-us", "url": "/contact-us.html", "title": "Contact us"},
    ]})
    ranker = Ranker(targets_of(site))

    def chosen(grammar: str, heard: str) -> tuple[str, str] | None:
        return choose(grammar, lambda kind, hint: heard, ranker, PolicyConfig(), False, sounds)

    assert chosen("where are my contacts", "Where are my contact") == ("where are my contacts", "grammar")
    assert chosen("how can i contact us", "How can I contact you?") == ("How can I contact you?", "verifier")
    assert chosen("where are my contact", "Where are my contacts?") == ("where are my contact", "grammar")
    assert chosen("where are my contacts", "Where are my contacts?") == ("Where are my contacts?", "verifier")
