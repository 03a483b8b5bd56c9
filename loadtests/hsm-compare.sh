#!/usr/bin/env bash
# Handshakes/s with the private key in a PKCS#11 token (SoftHSM2) against the same key from a PEM file.
# Same pinning as compare.sh: Brisk on core 0, the load generator on core 1. The key pairs are made here,
# imported into a throw-away SoftHSM2 token with `keys import`, and each scenario runs PEM, HSM, PEM, HSM
# so that machine noise hits both alike. Needs softhsm2 (Debian package) and a built server and load generator.
set -uo pipefail

DURATION=${DURATION:-5s}; WARMUP=${WARMUP:-1s}; CONCURRENCY=${CONCURRENCY:-16}; ROUNDS=${ROUNDS:-2}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d /tmp/brisk-hsm.XXXXXX)
MODULE=${MODULE:-/usr/lib/softhsm/libsofthsm2.so}
SERVER=(dotnet "$REPO/src/Brisk.Server/bin/Release/net10.0/Brisk.Server.dll")
LOADGEN=(dotnet "$REPO/loadtests/Brisk.LoadTest/bin/Release/net10.0/Brisk.LoadTest.dll")
PORT=$(( 10000 + RANDOM % 15000 ))
SERVER_PID=""
cleanup() { [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

dotnet build -c Release "$REPO/src/Brisk.Server" >"$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log"; exit 1; }
dotnet build -c Release "$REPO/loadtests/Brisk.LoadTest" >>"$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log"; exit 1; }

export SOFTHSM2_CONF="$WORK/softhsm2.conf"
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label bench --so-pin 5678 --pin 1234 >/dev/null || exit 1
echo 1234 >"$WORK/pin"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/rsa.key" -out "$WORK/rsa.crt" -subj /CN=localhost -days 2 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ec.key" -out "$WORK/ec.crt" -subj /CN=localhost -days 2 2>/dev/null
for kind in rsa ec; do
  "${SERVER[@]}" keys import --pkcs11-module "$MODULE" --token bench --object "$kind" --key "$WORK/$kind.key" --pkcs11-pin-file "$WORK/pin" >/dev/null || exit 1
done

start() { # kind source → SERVER_PID listening on PORT
  local kind=$1 source=$2 key_args
  PORT=$(( PORT + 1 ))
  if [[ $source == pem ]]; then key_args=(--key "$WORK/$kind.key")
  else key_args=(--key "pkcs11:token=bench;object=$kind" --pkcs11-module "$MODULE" --pkcs11-pin-file "$WORK/pin"); fi
  taskset -c 0 "${SERVER[@]}" --listen "127.0.0.1:$PORT" --cert "$WORK/$kind.crt" "${key_args[@]}" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do grep -q '^listening on' "$WORK/server.log" && return 0; sleep 0.1; done
  cat "$WORK/server.log" >&2; return 1
}
stop() { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
val() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1" | head -1; }

echo "hsm-compare.sh: duration $DURATION, warm-up $WARMUP, concurrency $CONCURRENCY, $ROUNDS rounds; server core 0, load generator core 1"
printf '%-30s %-4s %5s %9s %10s %7s\n' scenario key round "hs/s" "hs/CPU-s" errors
for scenario in "tls13-rsa|rsa|--tls 1.3 --groups x25519" "tls13-ecdsa|ec|--tls 1.3 --groups x25519" "tls12-rsa-kx|rsa|--tls 1.2 --ciphers AES128-GCM-SHA256"; do
  IFS='|' read -r name kind lgargs <<<"$scenario"
  for round in $(seq 1 "$ROUNDS"); do
    for source in pem hsm; do
      start "$kind" "$source" || exit 1
      # shellcheck disable=SC2086
      out=$(taskset -c 1 "${LOADGEN[@]}" --target "127.0.0.1:$PORT" --server-pid "$SERVER_PID" --quiet \
        --duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONCURRENCY" $lgargs 2>&1)
      stop
      line=$(grep '^RESULT ' <<<"$out" | tail -1)
      printf '%-30s %-4s %5s %9s %10s %7s\n' "$name" "$source" "$round" "$(val "$line" handshakes_per_s)" "$(val "$line" hs_per_server_cpu_s)" "$(val "$line" errors)"
    done
  done
done
