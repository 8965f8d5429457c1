#!/bin/sh
# The storage commands read .env like `serve` does: DATABASE_URL, TOKEN_ENCRYPTION_KEY and
# DATA_DIR (whose secret.key is the key file) come from the environment first, then from .env
# (or --env-file). usage: cli_env.sh <path to superlight>
set -u
BIN=$1
case "$BIN" in /*) ;; *) BIN="$(pwd)/$BIN" ;; esac
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
# Nothing from the caller's environment may leak into the checks.
unset DATABASE_URL TOKEN_ENCRYPTION_KEY DATA_DIR

FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }

K1=1111111111111111111111111111111111111111111111111111111111111111
K2=2222222222222222222222222222222222222222222222222222222222222222
K3=3333333333333333333333333333333333333333333333333333333333333333
K4=4444444444444444444444444444444444444444444444444444444444444444

# 1. migrate uses DATABASE_URL from .env.
printf 'DATABASE_URL=sqlite://./from-dotenv.db\n' >.env
if "$BIN" migrate >out.txt 2>&1 && [ -f from-dotenv.db ] && [ ! -f data/superlight.db ]; then
  pass "migrate reads DATABASE_URL from .env"
else
  fail "migrate did not use .env's DATABASE_URL: $(cat out.txt)"
fi

# 2. The environment wins over .env.
if DATABASE_URL=sqlite://./from-env.db "$BIN" migrate >out.txt 2>&1 && [ -f from-env.db ]; then
  pass "DATABASE_URL from the environment wins over .env"
else
  fail "environment DATABASE_URL was not used: $(cat out.txt)"
fi

# 3. --env-file names another file.
printf 'DATABASE_URL=sqlite://./from-other.db\n' >other.env
if "$BIN" migrate --env-file other.env >out.txt 2>&1 && [ -f from-other.db ]; then
  pass "migrate --env-file"
else
  fail "--env-file was not read: $(cat out.txt)"
fi

# 4. migrate --status reports on .env's database (migrated in step 1, so nothing pending).
if "$BIN" migrate --status >out.txt 2>&1 && grep -q 'sqlite://./from-dotenv.db' out.txt &&
   ! grep -q pending out.txt; then
  pass "migrate --status on .env's database"
else
  fail "migrate --status: $(cat out.txt)"
fi

# 5. rotate-key takes TOKEN_ENCRYPTION_KEY from .env (without it: "no current key", exit 1).
printf 'DATABASE_URL=sqlite://./keys.db\nTOKEN_ENCRYPTION_KEY=%s\n' "$K1" >.env
if "$BIN" rotate-key --new-key "$K2" >out.txt 2>&1 && grep -q TOKEN_ENCRYPTION_KEY out.txt &&
   [ -f keys.db ]; then
  pass "rotate-key reads TOKEN_ENCRYPTION_KEY and DATABASE_URL from .env"
else
  fail "rotate-key did not use .env's key: $(cat out.txt)"
fi

# 6. The database is now under K2. .env says K2 but the environment says K1: the environment
#    wins, so the key check refuses the rotation.
printf 'DATABASE_URL=sqlite://./keys.db\nTOKEN_ENCRYPTION_KEY=%s\n' "$K2" >.env
if TOKEN_ENCRYPTION_KEY=$K1 "$BIN" rotate-key --new-key "$K3" >out.txt 2>&1; then
  fail "rotate-key ignored the environment's TOKEN_ENCRYPTION_KEY"
else
  grep -q "does not match" out.txt && pass "TOKEN_ENCRYPTION_KEY from the environment wins" ||
    fail "unexpected refusal: $(cat out.txt)"
fi
if "$BIN" rotate-key --new-key "$K3" >out.txt 2>&1; then
  pass "rotate-key with .env's (correct) key"
else
  fail "rotate-key with .env's key K2: $(cat out.txt)"
fi

# 7. DATA_DIR from .env locates the key file (DATA_DIR/secret.key), as serve does.
mkdir -p mydata
printf '%s\n' "$K1" >mydata/secret.key
chmod 600 mydata/secret.key
printf 'DATABASE_URL=sqlite://./filekey.db\nDATA_DIR=./mydata\n' >.env
if "$BIN" rotate-key --new-key "$K4" >out.txt 2>&1 && grep -qi "$K4" mydata/secret.key; then
  pass "rotate-key uses DATA_DIR/secret.key from .env and rewrites it"
else
  fail "DATA_DIR/secret.key: $(cat out.txt); key file now: $(cat mydata/secret.key)"
fi

# 8. A malformed .env stops the command with exit 2 and one line.
printf 'DATABASE_URL="unterminated\n' >.env
"$BIN" migrate >out.txt 2>&1
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <out.txt)" -eq 1 ] && grep -q '.env' out.txt; then
  pass "malformed .env: exit 2, one line"
else
  fail "malformed .env: rc=$rc: $(cat out.txt)"
fi

if [ $FAILS -ne 0 ]; then
  echo "$FAILS check(s) failed"
  exit 1
fi
echo "all checks passed"
