#!/bin/sh
# The image's entry point (Dockerfile ENTRYPOINT; its CMD is the server).
#
# Replication off (no LITESTREAM_* setting): runs its arguments with exec,
# exactly as a plain CMD would, so node is the process `docker stop` signals.
#
# Replication on (LITESTREAM_REPLICA_URL; docs/operations.md#off-site-replication):
#   1. checks the settings and writes Litestream's configuration
#      (`node app/cli/cli.ts replica config`); a mistake stops here, exit 1;
#   2. if the database is missing and the replica has a copy, restores it
#      (a new host, a lost volume), before anything opens the database;
#   3. any command but the server is then run with exec (a release step, the
#      CLI); the server runs beside `litestream replicate`, under the small
#      supervisor below.
#
# Why a supervisor and not `litestream replicate -exec`: Litestream 0.3.13
# skips its final sync when the server exits non-zero, and never passes the
# server's exit code on. Here every way the server stops (SIGTERM, a second
# signal, the drain deadline, a crash, a failed migration) is followed by
# Litestream's final sync, and the container exits with the server's code.
set -eu

if ! env | grep -q '^LITESTREAM_[A-Z_]*=.'; then
  exec "$@"
fi

say() { echo "[store] $*" >&2; }

# Files Litestream writes (its folder beside the database, restored copies,
# a file:// replica) are for this user only, as the server's are.
umask 077
config=${TMPDIR:-/tmp}/litestream.yml
node app/cli/cli.ts replica config >"$config"
if [ ! -s "$config" ]; then
  exec "$@" # every LITESTREAM_* setting was empty: off
fi
db=${DATABASE_PATH:-./data/store.db}

if [ ! -e "$db" ]; then
  say "replica: no database at $db; restoring the newest copy from the replica if it has one"
  started=$(date +%s)
  # Fails (exit 1) when the replica cannot be read: better than starting an
  # empty store that would then replicate over the real one's history.
  if ! litestream restore -config "$config" -no-expand-env -if-db-not-exists -if-replica-exists "$db"; then
    say "replica: cannot read the replica (Litestream's reason above), so cannot tell whether it holds this store; not starting"
    exit 1
  fi
  if [ -e "$db" ]; then
    say "replica: restored $db in $(($(date +%s) - started)) s"
  else
    say "replica: the replica holds no copy yet; starting with a new database"
  fi
fi

case " $* " in
  *" build/server/server.js "*) ;;
  *) exec "$@" ;;
esac

litestream replicate -config "$config" -no-expand-env &
litestream_pid=$!

# The server gets no storage credentials: only Litestream needs them.
(
  for name in $(env | sed -n 's/^\(\(LITESTREAM\|AWS\)_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$name"; done
  exec "$@"
) &
server_pid=$!

# Signals go to the server, which drains and closes the database; Litestream
# keeps copying meanwhile and is stopped after it.
signalled=
forward() {
  signalled=1
  kill -s "$1" "$server_pid" 2>/dev/null || true
}
trap 'forward TERM' TERM
trap 'forward INT' INT

# If Litestream stops by itself, stop the server too: a store taking orders
# that nothing copies off the host should not look healthy. (The watcher
# polls: a POSIX shell cannot wait for whichever of two children ends first.)
litestream_died=
trap 'litestream_died=1; say "replica: litestream exited; stopping the server"; forward TERM' USR1
(
  while kill -0 "$litestream_pid" 2>/dev/null; do sleep 1; done
  kill -s USR1 $$ 2>/dev/null
) &
watcher_pid=$!

# A trapped signal interrupts `wait` (status > 128) while the server is still
# draining: wait again for its real exit code.
set +e
while :; do
  signalled=
  wait "$server_pid"
  status=$?
  if [ -z "$signalled" ] || [ "$status" -le 128 ]; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid"
    late=$?
    [ "$late" = 127 ] || status=$late # 127: it had already been reaped
    break
  fi
done

trap '' USR1
kill "$watcher_pid" 2>/dev/null
if [ -z "$litestream_died" ]; then
  say "replica: server exited ($status); litestream's final sync"
  # SIGTERM: Litestream copies what the -wal file still holds, then exits.
  kill -s TERM "$litestream_pid" 2>/dev/null
fi
wait "$litestream_pid"
if [ -n "$litestream_died" ] && [ "$status" = 0 ]; then status=1; fi
exit "$status"
