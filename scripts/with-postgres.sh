#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server: installs Debian's package
# when missing, starts the server as an unprivileged user with its own data
# directory on a free port, exports SANDOQ_TEST_POSTGRES_URL, runs the command,
# and stops the server (and removes its data) afterwards.
set -euo pipefail

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
pg_bin="$(find_bin || true)"
if [ -z "$pg_bin" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing PostgreSQL from Debian's packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    pg_bin="$(find_bin)"
  else
    echo "PostgreSQL is missing: install Debian's postgresql package" >&2
    exit 1
  fi
fi

dir="$(mktemp -d /tmp/sandoq-pg.XXXXXX)"
run_as=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root.
  id sandoq-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin sandoq-pg
  chown sandoq-pg "$dir"
  run_as=(runuser -u sandoq-pg --)
fi
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${run_as[@]}" "$pg_bin/initdb" -D "$dir/data" -A trust -U sandoq -E UTF8 --no-sync >/dev/null
"${run_as[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
stop() {
  "${run_as[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
export SANDOQ_TEST_POSTGRES_URL="postgres://sandoq@127.0.0.1:$port/postgres"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on port $port" >&2
"$@"
