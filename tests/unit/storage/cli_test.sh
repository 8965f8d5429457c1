#!/bin/sh
# The storage commands through the real binary, on a throwaway SQLite database:
#   superlight migrate [--status], a bogus DATABASE_URL, import-legacy (twice, with a corrupt
#   file), rotate-key (sealed data readable under the new key, the old key refused clearly).
# usage: cli_test.sh <superlight binary> <storage_test_child binary>
set -u
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
SL=$(abs "$1")
CHILD=$(abs "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
unset TOKEN_ENCRYPTION_KEY
export DATABASE_URL="sqlite://$tmp/x.db"
KEY_A=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
KEY_B=ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100
checks=0

fail() {
  echo "FAIL: $*" >&2
  for f in out err; do [ -f "$tmp/$f" ] && { echo "--- $f:" >&2; cat "$tmp/$f" >&2; }; done
  exit 1
}
# run <expected exit: 0 | nonzero | N> <command...>: stdout to $tmp/out, stderr to $tmp/err.
run() {
  want=$1
  shift
  "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  case $want in
    nonzero) [ $rc -ne 0 ] || fail "expected a failure from: $*" ;;
    *) [ $rc -eq "$want" ] || fail "exit $rc (wanted $want) from: $*" ;;
  esac
  checks=$((checks + 1))
}
has() { grep -q -- "$2" "$tmp/$1" || fail "$1 lacks '$2'"; checks=$((checks + 1)); }
hasnt() { ! grep -q -- "$2" "$tmp/$1" || fail "$1 has '$2'"; checks=$((checks + 1)); }
lines() {
  n=$(wc -l <"$tmp/$1")
  [ "$n" -eq "$2" ] || fail "$1 has $n lines, wanted $2"
  checks=$((checks + 1))
}
sql() { sqlite3 "$tmp/x.db" "$1"; }

# --- migrate -----------------------------------------------------------------------------------
run 0 "$SL" migrate --status
has out "schema version 0 of"
has out "pending  1_"
hasnt out "applied"
run 0 "$SL" migrate
run 0 "$SL" migrate --status
has out "applied  1_"
hasnt out "pending"
run 0 "$SL" migrate  # nothing left to do
run 0 "$SL" migrate --status
has out "applied  1_"

DATABASE_URL=bogus://x run nonzero "$SL" migrate
lines err 1
lines out 0
has err "bogus"
DATABASE_URL=bogus://x run nonzero "$SL" migrate --status
lines err 1

# --- import-legacy -----------------------------------------------------------------------------
run 0 "$CHILD" legacy-fixture "$tmp/old" "$KEY_A"
[ -f "$tmp/old/users.enc" ] || fail "fixture not written"
TOKEN_ENCRYPTION_KEY=$KEY_A run 1 "$SL" import-legacy --dir "$tmp/old"
has out "imported 5 file(s): 2 user(s)"
has err "activity_logs/activities_2025-12-02.enc"
has err "left in place"
[ -f "$tmp/old/activity_logs/activities_2025-12-02.enc" ] || fail "corrupt file was moved"
[ -f "$tmp/old/users.enc.bak" ] && [ ! -f "$tmp/old/users.enc" ] || fail "users.enc not renamed"
[ "$(sql 'SELECT COUNT(*) FROM users')" = 2 ] || fail "users not imported"
activities=$(sql 'SELECT COUNT(*) FROM activity_log' 2>/dev/null || echo ?)
# Second run: the imported files are *.bak now; only the corrupt one is reported again.
TOKEN_ENCRYPTION_KEY=$KEY_A run 1 "$SL" import-legacy --dir "$tmp/old"
has out "imported 0 file(s): 0 user(s)"
has err "activities_2025-12-02.enc"
[ "$(sql 'SELECT COUNT(*) FROM users')" = 2 ] || fail "second run changed the users"
[ "$(sql 'SELECT COUNT(*) FROM activity_log' 2>/dev/null || echo ?)" = "$activities" ] ||
  fail "second run changed the activity log"
# Even over fresh copies of the same files nothing is duplicated.
run 0 "$CHILD" legacy-fixture "$tmp/old" "$KEY_A"
TOKEN_ENCRYPTION_KEY=$KEY_A run 1 "$SL" import-legacy --dir "$tmp/old"
has out "imported 5 file(s)"
[ "$(sql 'SELECT COUNT(*) FROM users')" = 2 ] || fail "re-import duplicated users"
TOKEN_ENCRYPTION_KEY=$KEY_A run nonzero "$SL" import-legacy --dir "$tmp/missing"
lines err 1

# --- rotate-key --------------------------------------------------------------------------------
mkdir "$tmp/empty"
run 0 "$CHILD" seal "$DATABASE_URL" "$KEY_A"
run 0 "$CHILD" unseal "$DATABASE_URL" "$KEY_A"
has out "a sealed session record"
TOKEN_ENCRYPTION_KEY=$KEY_A run 2 "$SL" rotate-key --new-key nothex
TOKEN_ENCRYPTION_KEY=$KEY_B run nonzero "$SL" rotate-key --new-key "$KEY_A"  # wrong current key
lines err 1
TOKEN_ENCRYPTION_KEY=$KEY_A run 0 "$SL" rotate-key --new-key "$KEY_B"
# The sealed data reads back under the new key; the old key is refused with a clear reason.
run 0 "$CHILD" unseal "$DATABASE_URL" "$KEY_B"
has out "a sealed session record"
run 10 "$CHILD" unseal "$DATABASE_URL" "$KEY_A"
has err "key"
# Starting the storage (import-legacy opens it like the server does) with each key.
TOKEN_ENCRYPTION_KEY=$KEY_B run 0 "$SL" import-legacy --dir "$tmp/empty"
TOKEN_ENCRYPTION_KEY=$KEY_A run 1 "$SL" import-legacy --dir "$tmp/empty"
lines err 1
has err "TOKEN_ENCRYPTION_KEY\|key"
[ "$(sql 'SELECT COUNT(*) FROM users')" = 2 ] || fail "rotation lost rows"

echo "cli_test: $checks checks passed"
