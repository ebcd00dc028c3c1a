"""voicetour: talk to a web app; the right page is on screen as you finish the sentence."""

import os

# One OpenBLAS thread (unless the operator chose otherwise), set before numpy loads: whisper's
# features are one small matrix product per listen, after which OpenBLAS's idle threads spin.
# Measured on this 2-core machine, 8 requests x 2: CPU per listen 256 -> 131 ms, wall time the
# same (docs/measuring.md, "Why the numbers are what they are").
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
