from voicetour.asr.grammar import build_grammar
from voicetour.asr.pronounce import ipa_to_arpabet, letter_rules
from voicetour.intent.naming import targets_of
from voicetour.site.model import parse_site


def test_ipa_mapping() -> None:
    assert ipa_to_arpabet("hˈɛlɪˌoʊ") == "HH EH L IH OW"
    assert ipa_to_arpabet("zˈeɪpiɚ") == "Z EY P IY ER"


def test_letter_rules_always_give_phones() -> None:
    assert letter_rules("zork") == "Z AA R K"
    assert letter_rules("") == "AH"


def test_unknown_product_words_get_pronunciations() -> None:
    site = parse_site({"name": "Helio", "pages": [{"id": "z", "url": "/z", "title": "Zapierly Heliosync"}]})
    g = build_grammar(targets_of(site))
    assert "zapierly" in g.derived and g.dictionary["zapierly"][0]
    assert "heliosync" in g.jsgf


def test_whisper_run_on_is_trimmed() -> None:
    from voicetour.asr.whisper import trim_repeats

    assert trim_repeats("Show me the team members, Show me") == "Show me the team members"
    assert trim_repeats("Open API keys, Open API Keys, Open APIs keys,") == "Open API keys"
    run_on = "What's the weather like today? What's weather like to date?"
    assert trim_repeats(run_on) == "What's the weather like today?"
    assert trim_repeats("Stop, Stop") == "Stop" and trim_repeats("Scroll down, scroll down.") == "Scroll down"
    assert trim_repeats("How do I invite a teammate?") == "How do I invite a teammate?"
