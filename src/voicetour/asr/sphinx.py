"""The pocketsphinx implementation of StreamingRecognizer.

One ``SphinxModel`` per site (it writes the grammar and dictionary once); one ``SphinxRecognizer``
per session (each owns a pocketsphinx Decoder; decoders are not shared between sessions).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from voicetour.asr.grammar import Grammar
from voicetour.errors import UsageError


class SphinxModel:
    """The compiled grammar and dictionary files, shared read-only by many decoders."""

    def __init__(self, grammar: Grammar, workdir: str | None = None) -> None:
        self.grammar = grammar
        self._tmp = tempfile.TemporaryDirectory(prefix="voicetour-asr-") if workdir is None else None
        root = Path(workdir or self._tmp.name)  # type: ignore[union-attr]
        root.mkdir(parents=True, exist_ok=True)
        self.dict_path = root / "voicetour.dict"
        self.jsgf_path = root / "voicetour.gram"
        self.dict_path.write_text(
            "".join(
                f"{w if i == 0 else f'{w}({i + 1})'} {p}\n"
                for w, variants in sorted(grammar.dictionary.items())
                for i, p in enumerate(variants)
            ),
            encoding="utf-8",
        )
        self.jsgf_path.write_text(grammar.jsgf, encoding="utf-8")

    def recognizer(self) -> SphinxRecognizer:
        return SphinxRecognizer(self)


def decoder(model: SphinxModel, **search: Any) -> Any:
    """A pocketsphinx Decoder for ``model``'s grammar; ``search``: other settings (``maxhmmpf``,
    beams: scripts/probe_sphinx_search.py measures them; the defaults stand)."""
    import pocketsphinx

    config = pocketsphinx.Config()
    config["loglevel"] = "FATAL"
    config["lm"] = None
    config["dict"] = str(model.dict_path)
    config["jsgf"] = str(model.jsgf_path)
    # The lattice best-path pass takes seconds on a long garbage-loop utterance and buys
    # nothing for a grammar; the Viterbi result is the final hypothesis.
    config["bestpath"] = False
    for key, value in search.items():
        config[key] = value
    return pocketsphinx.Decoder(config)


class SphinxRecognizer:
    def __init__(self, model: SphinxModel) -> None:
        self._decoder = decoder(model)
        self._open = False

    def start(self) -> None:
        self._decoder.start_utt()
        self._open = True

    def feed(self, frame: bytes) -> str:
        if not self._open:
            raise UsageError("feed() before start()")
        self._decoder.process_raw(frame, False, False)
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def finish(self) -> str:
        if not self._open:
            raise UsageError("finish() before start()")
        self._decoder.end_utt()
        self._open = False
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""
