#!/usr/bin/env bash
# The whole test suite: lint, type-check, then every test (unit, real speech, server, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests scripts
.venv/bin/mypy
.venv/bin/python -m pytest -q tests "$@"
