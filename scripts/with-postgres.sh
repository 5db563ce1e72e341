#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server: with-postgres.sh CMD [ARGS...]
# Installs PostgreSQL from Debian's packages when it is missing, starts a fresh cluster in a temp
# dir on a free port (as the postgres user), exports WRENN_TEST_POSTGRES_URL for the tests, runs
# the command, then stops the cluster and deletes it. The command's exit status is kept.
set -euo pipefail

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return 0; }; done
  return 1
}

if ! BIN=$(pg_bin); then
  echo "[postgres] installing postgresql" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends postgresql >/dev/null
  BIN=$(pg_bin)
fi

RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then RUN_AS=(runuser -u postgres --); fi

DIR=$(mktemp -d /tmp/wrenn-pg.XXXXXX)
chmod 755 "$DIR"
[ ${#RUN_AS[@]} -eq 0 ] || chown postgres: "$DIR"
# a free port without python: probe random high ports until nothing answers on one
PORT=""
for _ in $(seq 50); do
  p=$(shuf -i 20000-60000 -n 1)
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "[postgres] no free port found" >&2; exit 1; }

cleanup() {
  "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

"${RUN_AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 >"$DIR/initdb.log" 2>&1 ||
  { cat "$DIR/initdb.log" >&2; exit 1; }
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null ||
  { cat "$DIR/server.log" >&2; exit 1; }
echo "[postgres] throwaway server on 127.0.0.1:$PORT ($DIR)" >&2

export WRENN_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
set +e
"$@"
status=$?
set -e
exit $status
