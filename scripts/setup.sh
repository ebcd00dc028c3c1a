#!/usr/bin/env bash
# Set up voicetour on a fresh Debian machine with Python 3.11: system packages, a virtualenv in
# .venv with the project and its dev tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
command -v chromium >/dev/null || need+=(chromium)
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null || need+=(haproxy)  # voicetour cluster: the load balancer
command -v openssl >/dev/null || need+=(openssl)  # the tests' TLS certificates
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
# Real open-source admin templates from npm, for the real-product tests and evaluations: cached in
# .cache/apps (not committed), fetched once. Gentelella's pages load their assets root-relative
# ("/assets/...", "/js/..."): the tour must show it styled.
apps=(startbootstrap-sb-admin-2@4.1.4 sneat-bootstrap-html-admin-template-free@1.0.0 gentelella@4.2.0 admin-lte@3.2.0
      adminbsb-materialdesign@1.0.7 stisla@2.3.0 tabler-ui@0.0.34 themekit@2.1.0)
for spec in "${apps[@]}"; do
  dest=".cache/apps/${spec%@*}"
  [ -f "$dest/package.json" ] && continue
  if ! command -v npm >/dev/null; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
  fi
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  mkdir -p "$dest"
  tar xzf "$tmp"/*.tgz -C "$dest" --strip-components=1
  rm -rf "$tmp"
done
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e '.[dev]'
