#!/usr/bin/env bash
# `superlight serve` end to end: a bad value exits 2 with one line; a normal start prints the
# banner, answers /health, /ready, /metrics, /openapi.yaml with security headers, and SIGTERM
# shuts it down with exit code 0. Usage: serve_smoke.sh <path-to-superlight>
set -u
bin="$1"
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$(PORT=abc "$bin" serve 2>&1); rc=$?
[ $rc -eq 2 ] || fail "PORT=abc: exit $rc, expected 2"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "PORT=abc: more than one line: $out"
[ "$out" = 'superlight: PORT must be a port number (1-65535), got "abc"' ] || fail "message: $out"

printf 'PORT=0\nHOST=127.0.0.1\nLOG_LEVEL=warn\n' > .env
"$bin" serve > out.txt 2> err.txt &
pid=$!
for _ in $(seq 50); do grep -q listening out.txt 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' out.txt)
[ -n "$port" ] || fail "no banner: $(cat out.txt err.txt)"

body=$(curl -s -D headers.txt "http://127.0.0.1:$port/health") || fail "curl /health"
[ "$body" = '{"status":"ok"}' ] || fail "/health body: $body"
grep -qi "^content-security-policy: default-src 'self'; script-src 'self'" headers.txt || fail "CSP"
grep -qi '^x-content-type-options: nosniff' headers.txt || fail "nosniff"
grep -qi '^x-frame-options: DENY' headers.txt || fail "frame options"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready")" = 200 ] || fail "/ready"
curl -s "http://127.0.0.1:$port/metrics" | grep -q '^superlight_http_requests_total{method="GET",route="/health",status="200"} 1$' \
  || fail "/metrics"
curl -s "http://127.0.0.1:$port/openapi.yaml" | head -1 | grep -q '^openapi: 3.1' || fail "/openapi.yaml"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/no/such/route")" = 404 ] || fail "404"

kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "still running 5 s after SIGTERM"
wait "$pid"; rc=$?
[ $rc -eq 0 ] || fail "exit code $rc after SIGTERM"
echo "serve smoke test passed"
