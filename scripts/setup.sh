#!/usr/bin/env bash
# Set pressroom up on this machine: the system packages it needs, then the virtual environment .venv.
#
#   scripts/setup.sh          what building needs: Pango (WeasyPrint draws text with it) and
#                             HarfBuzz-subset (subsetting fonts three times faster), then
#                             `pip install -e .` into .venv
#   scripts/setup.sh --test   also what the tests need: Debian's Chromium (the web edition is checked
#                             in it with axe-core; those tests fail without it) and poppler-utils,
#                             then `pip install -e '.[test]'`
#
# Missing system packages are installed with apt-get when this runs as root or sudo works without a
# password; otherwise the script stops and prints the exact command to run. Packages already there
# are not touched, and nothing is downloaded when nothing is missing. Run it again at any time.
# Environment: PYTHON (default python3), PRESSROOM_CHROMIUM (a Chromium to use instead of
# /usr/bin/chromium; then Chromium is not installed).
set -euo pipefail
cd "$(dirname "$0")/.."

test_extra=0
for arg in "$@"; do
  case "$arg" in
    --test) test_extra=1 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (expected --test or nothing)" >&2; exit 2 ;;
  esac
done
PYTHON="${PYTHON:-python3}"
say() { printf 'setup: %s\n' "$*" >&2; }

# --- what is missing -------------------------------------------------------------------------------
have_lib() {  # a shared library the dynamic linker finds (works without dpkg)
  { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true; } | grep -q "$1"
}
missing=()
have_lib 'libpango-1.0\.so' || missing+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0\.so' || missing+=(libpangoft2-1.0-0)
have_lib 'libharfbuzz-subset\.so' || missing+=(libharfbuzz-subset0)
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if [ "$test_extra" = 1 ]; then
  if [ -n "${PRESSROOM_CHROMIUM:-}" ]; then
    [ -x "$PRESSROOM_CHROMIUM" ] || { say "PRESSROOM_CHROMIUM=$PRESSROOM_CHROMIUM is not an executable"; exit 1; }
  elif [ ! -x /usr/bin/chromium ]; then
    missing+=(chromium)
  fi
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
fi

# --- install it, or say how ------------------------------------------------------------------------
if [ "${#missing[@]}" -gt 0 ]; then
  say "missing system packages: ${missing[*]}"
  apt_line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  if ! command -v apt-get >/dev/null 2>&1; then
    say "this is not a Debian or Ubuntu system: install the equivalents with its package manager"
    say "(macOS: brew install pango harfbuzz poppler, and Chromium; then set PRESSROOM_CHROMIUM to its binary),"
    say "then run this script again."
    exit 1
  fi
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
  else
    say "installing them needs root. Run:"
    say "    sudo sh -c '$apt_line'"
    say "then run this script again."
    exit 1
  fi
  say "installing with apt-get: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { ${sudo[@]+"${sudo[@]}"} apt-get update -qq && ${sudo[@]+"${sudo[@]}"} apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    say "apt-get could not install them. Run, and read what it says:"
    say "    sudo sh -c '$apt_line'"
    exit 1
  fi
fi

# --- Python ----------------------------------------------------------------------------------------
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  say "pressroom needs Python 3.11 or later; $PYTHON is $("$PYTHON" -V 2>&1). Set PYTHON to a newer one."
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
if [ "$test_extra" = 1 ]; then
  .venv/bin/pip install -q -e '.[test]'
else
  .venv/bin/pip install -q -e .
fi
say "ready: .venv/bin/pressroom builds (from this folder or any below it: see pressroom.yml)"
