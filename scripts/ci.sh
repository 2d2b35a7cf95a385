#!/usr/bin/env bash
# Every check CI runs, in order: formatting, clippy with warnings as errors,
# every test (the PostgreSQL ones against a real server that
# scripts/with-postgres.sh starts, installing Debian's package if missing),
# and a short fixed-length fuzz run of the input parsers. Installs what it
# needs (PostgreSQL, Chromium, cargo-fuzz) when it is missing. Screenshots of
# the pages are left in target/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --release -- -D warnings

echo "== browser for the page tests (Debian's chromium and chromium-driver)"
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "Chromium is missing: install Debian's chromium and chromium-driver" >&2
    exit 1
  fi
fi

echo "== cargo test (SQLite, and PostgreSQL on a throwaway server)"
scripts/with-postgres.sh cargo test --workspace --release

echo "== fuzz the input parsers (fixed number of runs)"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
# cargo-fuzz needs unstable compiler flags; the machine has only the stable
# toolchain, which accepts them with RUSTC_BOOTSTRAP=1 (fuzzing only).
RUSTC_BOOTSTRAP=1 cargo fuzz run parse_inputs "$corpus" fuzz/seeds -- -runs=20000 -seed=1 -max_len=4096
echo "fuzz: 20000 runs, no crash"
