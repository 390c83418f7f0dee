#!/bin/bash
# A throwaway PostgreSQL server for tests and benchmarks, from Debian's packages (never a mock).
#
#   scripts/pg-test-server.sh start [STATE_DIR]   creates a cluster in a fresh temp dir, starts it on
#                                                 127.0.0.1 on a free port with trust auth, prints its URI
#   scripts/pg-test-server.sh stop [STATE_DIR]    stops it and removes the cluster
#   scripts/pg-test-server.sh uri [STATE_DIR]     prints the URI of the running server
#   scripts/pg-test-server.sh down [STATE_DIR]    stops the server but keeps its cluster (a database
#                                                 that went away: tests of reconnecting)
#   scripts/pg-test-server.sh up [STATE_DIR]      starts a server stopped with `down` on its old port
#
# STATE_DIR (default $TMPDIR/psyclaim-pg-test-UID) holds the server's URI (file `uri`) and where its cluster lives; the
# cluster itself is in a temp dir owned by the user that runs the server. As root the server runs as
# the `postgres` user (created by the postgresql package), else as a system user made for it.
# PG_BINDIR names the server's bin directory when it is not Debian's /usr/lib/postgresql/N/bin.
set -eu

cmd=${1:-}
state=${2:-${TMPDIR:-/tmp}/psyclaim-pg-test-$(id -u)}
db=psyclaim

die() { echo "pg-test-server: $*" >&2; exit 1; }

# The newest installed server's binaries ($PG_BINDIR overrides).
bindir() {
  local d=${PG_BINDIR:-}
  [ -n "$d" ] || d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] ||
    die "PostgreSQL server binaries (initdb, pg_ctl) not found in ${d:-/usr/lib/postgresql/*/bin};" \
        "run scripts/bootstrap.sh (it installs the postgresql package)"
  echo "$d"
}

# The user that runs the server: ourselves, or an unprivileged one when we are root.
server_user() {
  if [ "$(id -u)" -ne 0 ]; then id -un; return; fi
  if id postgres >/dev/null 2>&1; then echo postgres; return; fi
  id psyclaim-pg >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin psyclaim-pg ||
    die "cannot create an unprivileged user to run the server"
  echo psyclaim-pg
}

as_user() {
  local u=$1; shift
  if [ "$u" = "$(id -un)" ]; then "$@"; else (cd / && runuser -u "$u" -- "$@"); fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  local bin user data port uri tries
  bin=$(bindir)
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  if [ -f "$state/datadir" ] && [ -f "$state/uri" ]; then
    stop_server quiet
  fi
  user=$(server_user)
  data=$(mktemp -d "${TMPDIR:-/tmp}/psyclaim-pg.XXXXXX")
  chmod 700 "$data"
  [ "$user" = "$(id -un)" ] || chown "$user" "$data"
  echo "$data" >"$state/datadir"
  echo "$user" >"$state/user"
  as_user "$user" "$bin/initdb" -D "$data/cluster" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$state/initdb.log" 2>&1 || { cat "$state/initdb.log" >&2; die "initdb failed"; }
  for tries in $(seq 1 20); do
    port=$(( (RANDOM << 1 ^ RANDOM ^ $$) % 30000 + 20000 ))
    port_free "$port" || continue
    if as_user "$user" "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w -t 60 \
         -o "-c listen_addresses=127.0.0.1 -c port=$port -k $data -c max_connections=60" start >/dev/null; then
      uri="postgresql://postgres@127.0.0.1:$port/$db"
      as_user "$user" "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db" ||
        die "createdb failed (log: $data/server.log)"
      echo "$uri" >"$state/uri"
      echo "$uri"
      return 0
    fi
  done
  cat "$data/server.log" >&2 2>/dev/null || true
  die "could not start a server after $tries tries (log above)"
}

stop_server() {
  local data user bin
  [ -f "$state/datadir" ] || { [ "${1:-}" = quiet ] || echo "pg-test-server: no server recorded in $state" >&2; return 0; }
  data=$(cat "$state/datadir")
  user=$(cat "$state/user" 2>/dev/null || id -un)
  bin=$(bindir)
  if [ -f "$data/cluster/postmaster.pid" ]; then
    as_user "$user" "$bin/pg_ctl" -D "$data/cluster" -m fast -w stop >/dev/null 2>&1 || true
  fi
  case "$data" in
    */psyclaim-pg.*) rm -rf "$data" ;;
  esac
  rm -f "$state/datadir" "$state/user" "$state/uri" "$state/initdb.log"
  [ "${1:-}" = quiet ] || rmdir "$state" 2>/dev/null || true
}

# Stops (down) or starts again (up) the recorded server, keeping its cluster and port.
down_up() {
  local data user bin port
  [ -f "$state/datadir" ] && [ -f "$state/uri" ] || die "no server recorded in $state"
  data=$(cat "$state/datadir")
  user=$(cat "$state/user" 2>/dev/null || id -un)
  bin=$(bindir)
  if [ "$1" = down ]; then
    as_user "$user" "$bin/pg_ctl" -D "$data/cluster" -m immediate -w stop >/dev/null
  else
    port=$(sed -E 's|.*:([0-9]+)/.*|\1|' "$state/uri")
    as_user "$user" "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -k $data -c max_connections=60" start >/dev/null ||
      die "could not start the server again (log: $data/server.log)"
  fi
}

case "$cmd" in
  start) start ;;
  down|up) down_up "$cmd" ;;
  stop) state=$(cd "$state" 2>/dev/null && pwd || echo "$state"); stop_server ;;
  uri) [ -f "$state/uri" ] || die "no server running for $state"; cat "$state/uri" ;;
  *) echo "usage: $0 start|stop|uri|down|up [STATE_DIR]" >&2; exit 2 ;;
esac
