"""Real speech fixtures (piper neural voice, espeak-ng variants) through the real recognizer."""

from __future__ import annotations

import pytest

from voicetour.evaluate import evaluate

from .conftest import SPEECH


@pytest.fixture(scope="module")
def report(engine):  # type: ignore[no-untyped-def]
    return evaluate(engine, SPEECH)


def test_neural_voice_every_request_lands_on_the_right_page(report) -> None:  # type: ignore[no-untyped-def]
    piper = [r for r in report["rows"] if r["voice"] == "piper"]
    wrong = [(r["text"], r["heard"], r["final_url"]) for r in piper if not r["ok"]]
    assert not wrong


def test_out_of_domain_never_ends_on_a_page(report) -> None:  # type: ignore[no-untyped-def]
    assert report["ood_rejection_rate"] == 1.0


def test_overall_accuracy_floor(report) -> None:  # type: ignore[no-untyped-def]
    # Measured 0.933-0.956 on these 90 fixtures (5 voices, two of them at 10 dB SNR) over runs on
    # this 2-core machine: simulate times each listen as measured, so a busy machine changes which
    # words a decision had. Guards regressions.
    assert report["accuracy"] >= 0.92
    # A wrong page shown at any moment, early flashes included: measured 1-3 of 90 (9 before the
    # grammar's early pages needed the verifier to agree).
    assert report["wrong_page_shown"] <= 6
    # One noisy out-of-domain utterance of 18 flashes a page early that the final words cancel
    # (measured; see the issue 3 note). More than that is a regression.
    assert report["false_action_rate"] <= round(1 / 18, 3)


def test_simulate_command_json(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import json

    from voicetour.cli import main

    assert main(["simulate", str(SPEECH / "piper-02.wav"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["final_url"] == "/team.html" and "invite" in out["transcript"]
    kinds = [a["type"] for a in out["actions"]]
    assert "navigate" in kinds and "highlight" in kinds and "say" in kinds
    nav = next(a for a in out["actions"] if a["type"] == "navigate")
    assert 0 < nav["t_ms"] < out["audio_ms"] + 1000
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"nope")
    assert main(["simulate", str(bad), "--json"]) == 1
    assert "not a PCM WAV file" in capsys.readouterr().out


REAL_NON_REQUESTS = SPEECH.parent / "realspeech"


def test_real_people_who_are_not_asking_for_anything_move_nothing(engine) -> None:  # type: ignore[no-untyped-def]
    """Real recordings of one word, a bare control word, a wake word or room noise (a fixed
    sample of shared/realspeech, tests/fixtures/realspeech/README.md): no page is shown, not even
    for a moment. (The whole development split is measured by `voicetour evaluate
    ../shared/realspeech`; see docs/measuring.md.)"""
    report = evaluate(engine, REAL_NON_REQUESTS)
    assert report["n"] == 26
    assert not [r["file"] for r in report["rows"] if r["final_url"] is not None]  # none is left on a page
    shown = [(r["file"], r["heard"], r["wrong_shown"]) for r in report["rows"] if r["wrong_shown"]]
    # Known gap, measured: a wake word ("smart mirror") still flashes a page now and then (4.7% of
    # the development subset's short clips); one of these 26 did in one full-suite run.
    assert len(shown) <= 1, shown


def test_a_decision_waiting_for_whisper_comes_before_a_background_listen(engine) -> None:  # type: ignore[no-untyped-def]
    """The model is shared by sessions. A background listen (declinable) must not take it while a
    decision (quick or careful listen) is waiting for it, nor after it is freed for that decision."""
    import threading
    import time

    from voicetour.asr.whisper import WORKERS, WhisperVerifier
    from voicetour.audio.wav import read_wav

    verifier = engine.verifier
    assert isinstance(verifier, WhisperVerifier)
    pcm = read_wav(SPEECH / "piper-00.wav")
    for _ in range(WORKERS):
        verifier._lock.acquire()  # other sessions' listens are running, on every worker
    heard: list[str] = []
    waiter = threading.Thread(target=lambda: heard.append(verifier.transcribe(pcm)))
    waiter.start()
    for _ in range(200):
        if verifier._deciding:
            break
        time.sleep(0.01)
    assert verifier._deciding == 1
    assert verifier.try_transcribe(pcm) is None  # busy, and a decision waits
    verifier._lock.release()  # a running listen ends: the decision is next, not a background listen
    assert verifier.try_transcribe(pcm) is None
    waiter.join(timeout=30)
    for _ in range(WORKERS - 1):
        verifier._lock.release()
    assert heard and "billing" in heard[0].lower()
    assert verifier.try_transcribe(pcm) is not None  # free again: background listens go on


def test_a_decision_does_not_wait_for_a_background_listen(engine) -> None:  # type: ignore[no-untyped-def]
    """A quick or careful listen runs beside a background listen still running when the speech
    ended (``whisper.WORKERS``), and no second background listen starts beside them."""
    from voicetour.asr.whisper import WhisperVerifier
    from voicetour.audio.wav import read_wav

    verifier = engine.verifier
    assert isinstance(verifier, WhisperVerifier)
    pcm = read_wav(SPEECH / "piper-00.wav")
    verifier._background.acquire()  # a background listen is running
    try:
        assert verifier.try_transcribe(pcm) is None  # declined: one at a time
        assert "billing" in verifier.transcribe(pcm).lower()  # the decision did not wait for it
    finally:
        verifier._background.release()
    assert verifier.try_transcribe(pcm) is not None


def test_the_product_words_prompt_keeps_whole_names() -> None:
    """Cut mid-name ("... Register v2, For"), the prompt of AdminLTE 3's 67 titles made whisper
    hear "the" for "I have a question, show me the FAQ"."""
    from voicetour.asr.whisper import PROMPT_TOKENS, _whole_names

    def tokens(text: str) -> int:
        return len(text.split())  # one token a word, for the test

    names = [f"Page {n}" for n in range(PROMPT_TOKENS)]
    prompt = _whole_names(", ".join(names) + ".", tokens)
    assert prompt.endswith(".") and tokens(prompt) <= PROMPT_TOKENS
    kept = prompt.rstrip(".").split(", ")
    assert kept == names[: len(kept)] and tokens(", ".join(names[: len(kept) + 1]) + ".") > PROMPT_TOKENS
    assert _whole_names("Stop. Billing, Team.", tokens) == "Stop. Billing, Team."


def test_whisper_weighs_the_product_words_that_sound_like_what_it_heard() -> None:
    """whisper tiny.en hears espeak-ng's "go home" as "Go Phone" and "open the buttons page" as
    "Open the mountains page" (tabler, Stisla). Said again in the product's words
    (``Ranker.rewrites``), the audio makes the right rewrite nearly as likely as what it heard
    and clearly likelier than the others: it is taken. Rewrites the audio does not carry, or
    two it cannot tell apart, leave what was heard."""
    from voicetour.asr.whisper import WhisperVerifier
    from voicetour.audio.wav import read_wav

    offered: list[tuple[str, ...]] = [("open the buttons page", "open the forms page"),
                                      ("open the forms page", "open the home page"),
                                      ("open the buttons page", "open the button page")]
    heard: list[str] = []

    def rewrites(text: str) -> list[str]:
        heard.append(text)
        return list(offered.pop(0)) if offered else []

    verifier = WhisperVerifier(rewrites=rewrites)
    pcm = read_wav(SPEECH.parent / "apps" / "tabler-speech" / "espeak-us-25.wav")
    assert verifier.transcribe(pcm, weigh=True) == "open the buttons page"
    assert "buttons" not in heard[0].lower()  # whisper alone did not hear it
    assert verifier.transcribe(pcm, weigh=True) == heard[1]  # nothing the audio carries
    assert verifier.transcribe(pcm, weigh=True) == heard[2]  # two the audio cannot tell apart
    offered.append(("open the buttons page", "open the forms page"))
    assert verifier.transcribe(pcm) == heard[2]  # a listen that does not ask: nothing weighed
    assert len(heard) == 3
    assert verifier.try_transcribe(pcm, weigh=True) == "open the buttons page"  # a declinable one that asks


def test_whisper_hears_speech_in_steady_noise_better_with_the_room_taken_out(site) -> None:  # type: ignore[no-untyped-def]
    """The fixtures' requests in 10 dB pink noise, with the room the clip starts with (before the
    voice) given as ``noise``: whisper hears them as said, where without it it did not."""
    from voicetour.asr.whisper import WhisperVerifier
    from voicetour.audio.wav import read_wav
    from voicetour.intent.text import words
    from voicetour.session.engine import prompt_for

    verifier = WhisperVerifier(prompt=prompt_for(site))
    heard = {}
    for name, said in [("espeak-us-noise10-02.wav", "how do i invite a teammate"),
                       ("piper-noise10-04.wav", "go to integrations")]:
        pcm = read_wav(SPEECH / name)
        room = pcm[: 32 * 200]  # the clip's first 200 ms: its noise alone
        heard[said] = (" ".join(words(verifier.transcribe(pcm))), " ".join(words(verifier.transcribe(pcm, noise=room))))
    assert all(said in taken_out for said, (_, taken_out) in heard.items()), heard
    assert any(said not in left for said, (left, _) in heard.items()), heard
