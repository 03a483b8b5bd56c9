#!/usr/bin/env bash
# Side-by-side TLS server comparison: Brisk vs nginx vs openssl s_server vs Kestrel.
# Each server runs alone, pinned to core 0 (taskset -c 0); the load generator runs pinned to core 1.
# Usage and output format: loadtests/README.md.
set -uo pipefail

usage() {
  cat <<'EOF'
usage: loadtests/compare.sh [options]
  --duration 8s         measured time per run (default 8s; --quick: 3s)
  --warmup 2s           unmeasured warm-up per run (default 2s; --quick: 1s)
  --concurrency N       connections in flight (default 16)
  --peers LIST          brisk,nginx,openssl,kestrel (default all); also brisk-fiat: Brisk with a Fiat key family
                        (keygen --batch B, all B certificates, --rsa-engine fiat) in the RSA scenarios
  --fiat-batch B        keys in brisk-fiat's family, 2-8 (default 4)
  --ceiling             measure `openssl speed rsa2048` on the server core (3 s) before and after each full RSA
                        handshake scenario and add a column: handshakes per server CPU-second divided by the mean sign/s
                        (the one-at-a-time ceiling; measured per scenario because a shared host's speed drifts)
  --scenarios LIST      tls12-rsa-kx,tls12-ecdhe-x25519,tls13-rsa,tls13-ecdsa,resumed-tls13,resumed-tls12,bulk,idle
                        (default all)
  --idle N              connections held open in the idle scenario (default 10000; --quick: 2000)
  --request KIND        none (default) | http: what the client does after the handshake
  --engine NAME         the load generator's engine: brisk (default: the cheapest per handshake), openssl, sslstream
  --quick               short runs (3s, 1s warm-up, 2000 idle connections)
  --keep                keep the temporary directory (certificates, configs, logs, JSON results)
EOF
}

DURATION=""; WARMUP=""; CONCURRENCY=16; PEERS="brisk,nginx,openssl,kestrel"
SCENARIOS="tls12-rsa-kx,tls12-ecdhe-x25519,tls13-rsa,tls13-ecdsa,resumed-tls13,resumed-tls12,bulk,idle"
IDLE=""; QUICK=0; KEEP=0; REQUEST=none; ENGINE=brisk; FIAT_BATCH=4; CEILING=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    --peers) PEERS="$2"; shift 2 ;;
    --scenarios) SCENARIOS="$2"; shift 2 ;;
    --idle) IDLE="$2"; shift 2 ;;
    --request) REQUEST="$2"; shift 2 ;;
    --engine) ENGINE="$2"; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --keep) KEEP=1; shift ;;
    --fiat-batch) FIAT_BATCH="$2"; shift 2 ;;
    --ceiling) CEILING=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
if [[ $QUICK == 1 ]]; then
  DURATION=${DURATION:-3s}; WARMUP=${WARMUP:-1s}; IDLE=${IDLE:-2000}
else
  DURATION=${DURATION:-8s}; WARMUP=${WARMUP:-2s}; IDLE=${IDLE:-10000}
fi

# The idle scenario holds --idle connections in both the load generator and the server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d /tmp/brisk-compare.XXXXXX)
SERVER_CORE=0; CLIENT_CORE=1
# Below the ephemeral range (32768+ here): a listener on a port the previous run's client sockets still
# hold in TIME_WAIT would fail to bind.
PORT=$(( 10000 + RANDOM % 15000 ))
STARTED_PIDS=()

cleanup() {
  for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [[ $KEEP == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "# $*" >&2; }

# ---------------------------------------------------------------- certificates
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/rsa.key" -out "$WORK/rsa.crt" -subj /CN=localhost -days 2 2>/dev/null \
  || { echo "openssl req (RSA) failed" >&2; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ec.key" -out "$WORK/ec.crt" -subj /CN=localhost -days 2 2>/dev/null \
  || { echo "openssl req (ECDSA) failed" >&2; exit 1; }

# ---------------------------------------------------------------- builds (once)
declare -A PEER_BROKEN=()
build() { # project → 0/1, log in $WORK
  local name; name=$(basename "$1")
  dotnet build -c Release "$REPO/$1" >"$WORK/build-$name.log" 2>&1
}
log "building load generator"
build loadtests/Brisk.LoadTest || { echo "load generator build failed:"; tail -20 "$WORK/build-Brisk.LoadTest.log"; exit 1; }
LOADGEN=(dotnet "$REPO/loadtests/Brisk.LoadTest/bin/Release/net10.0/Brisk.LoadTest.dll")
if [[ ",$PEERS," == *",brisk,"* ]]; then
  log "building Brisk.Server"
  build src/Brisk.Server || PEER_BROKEN[brisk]="build failed (see $WORK/build-Brisk.Server.log)"
fi
if [[ ",$PEERS," == *",brisk-fiat,"* ]]; then
  [[ ",$PEERS," == *",brisk,"* ]] || { log "building Brisk.Server"; build src/Brisk.Server; }
  if [[ ! $FIAT_BATCH =~ ^[2-8]$ ]]; then
    PEER_BROKEN[brisk-fiat]="--fiat-batch must be 2 to 8"
  elif ! dotnet "$REPO/src/Brisk.Server/bin/Release/net10.0/Brisk.Server.dll" keygen --batch "$FIAT_BATCH" --bits 2048 \
      --out "$WORK/fiat" >"$WORK/keygen.log" 2>&1; then
    PEER_BROKEN[brisk-fiat]="keygen failed (see $WORK/keygen.log)"
  fi
fi
if [[ ",$PEERS," == *",kestrel,"* ]]; then
  log "building Brisk.KestrelBaseline"
  build loadtests/Brisk.KestrelBaseline || PEER_BROKEN[kestrel]="build failed (see $WORK/build-Brisk.KestrelBaseline.log)"
fi
if [[ ",$PEERS," == *",nginx,"* ]] && ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
  log "installing nginx (Debian package)"
  { apt-get update && apt-get install -y nginx; } >"$WORK/apt.log" 2>&1 || PEER_BROKEN[nginx]="apt-get install nginx failed"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# ---------------------------------------------------------------- peers
wait_listening() { # port pid → 0 when accepting
  local port=$1 pid=$2 i
  for i in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

SERVER_PIDS=""   # comma-separated pids whose CPU/RSS is the server's
SERVER_MAIN=""   # the pid we started (to stop)

# start_peer PEER CERTKIND SESSIONS(on|off) RESPONDER(http|echo) → sets SERVER_PIDS/SERVER_MAIN, returns 0/1
start_peer() {
  local peer=$1 kind=$2 sessions=$3 responder=$4
  while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$(( PORT + 1 )); done # someone else listens there
  local crt="$WORK/$kind.crt" key="$WORK/$kind.key" dir="$WORK/$peer-$PORT"
  mkdir -p "$dir"
  case "$peer" in
    brisk)
      if [[ ! -f "$REPO/src/Brisk.Server/bin/Release/net10.0/Brisk.Server.dll" ]]; then START_ERROR="Brisk.Server.dll not built"; return 1; fi
      taskset -c $SERVER_CORE dotnet "$REPO/src/Brisk.Server/bin/Release/net10.0/Brisk.Server.dll" \
        --listen "127.0.0.1:$PORT" --cert "$crt" --key "$key" --responder "$responder" ${SERVER_CIPHERS:+--ciphers "$SERVER_CIPHERS"} \
        >"$dir/out.log" 2>&1 &
      SERVER_MAIN=$!; SERVER_PIDS=$SERVER_MAIN ;;
    brisk-fiat)
      local family=() i
      for (( i = 0; i < FIAT_BATCH; i++ )); do family+=(--cert "$WORK/fiat/fiat-$i.crt" --key "$WORK/fiat/fiat-$i.key"); done
      taskset -c $SERVER_CORE dotnet "$REPO/src/Brisk.Server/bin/Release/net10.0/Brisk.Server.dll" \
        --listen "127.0.0.1:$PORT" --rsa-engine fiat "${family[@]}" --responder "$responder" ${SERVER_CIPHERS:+--ciphers "$SERVER_CIPHERS"} \
        >"$dir/out.log" 2>&1 &
      SERVER_MAIN=$!; SERVER_PIDS=$SERVER_MAIN ;;
    nginx)
      local cache="off" tickets="off"
      if [[ $sessions == on ]]; then cache="shared:SSL:10m"; tickets="on"; fi
      mkdir -p "$dir/tmp"
      cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 30000; multi_accept on; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body; proxy_temp_path $dir/tmp/proxy; fastcgi_temp_path $dir/tmp/fcgi;
  uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$PORT ssl;
    ssl_certificate $crt;
    ssl_certificate_key $key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ALL:!aNULL;
    ssl_ecdh_curve X25519:prime256v1;
    ssl_session_cache $cache;
    ssl_session_tickets $tickets;
    location / { return 200 "Hello from nginx\n"; }
  }
}
EOF
      taskset -c $SERVER_CORE "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/out.log" 2>&1 &
      SERVER_MAIN=$! ;;
    openssl)
      local extra=()
      if [[ $sessions == off ]]; then extra=(-no_cache -no_ticket -num_tickets 0); fi
      taskset -c $SERVER_CORE openssl s_server -accept "127.0.0.1:$PORT" -cert "$crt" -key "$key" -www -quiet "${extra[@]}" \
        </dev/null >"$dir/out.log" 2>&1 &
      SERVER_MAIN=$!; SERVER_PIDS=$SERVER_MAIN ;;
    kestrel)
      taskset -c $SERVER_CORE dotnet "$REPO/loadtests/Brisk.KestrelBaseline/bin/Release/net10.0/Brisk.KestrelBaseline.dll" \
        --listen "127.0.0.1:$PORT" --cert "$crt" --key "$key" ${SERVER_CIPHERS:+--ciphers "$SERVER_CIPHERS"} >"$dir/out.log" 2>&1 &
      SERVER_MAIN=$!; SERVER_PIDS=$SERVER_MAIN ;;
  esac
  STARTED_PIDS+=("$SERVER_MAIN")
  if ! wait_listening "$PORT" "$SERVER_MAIN"; then
    START_ERROR=$(cat "$dir/out.log" "$dir/error.log" 2>/dev/null | grep -v '^\s*$' | tail -n 2 | tr -s ' \n' ' ' | cut -c1-160)
    stop_peer
    return 1
  fi
  if [[ $peer == nginx ]]; then
    local worker; worker=$(pgrep -P "$SERVER_MAIN" | head -1)
    SERVER_PIDS="$SERVER_MAIN${worker:+,$worker}"
  fi
  return 0
}

stop_peer() {
  [[ -n $SERVER_MAIN ]] || return
  kill "$SERVER_MAIN" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$SERVER_MAIN" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER_MAIN" 2>/dev/null
  wait "$SERVER_MAIN" 2>/dev/null
  SERVER_MAIN=""; SERVER_PIDS=""
  PORT=$(( PORT + 1 ))   # a fresh port: no TIME_WAIT or lingering listener interplay
}

# ---------------------------------------------------------------- scenarios
# name | certificate | server sessions | responder | server --ciphers (brisk, kestrel; IANA names) | load generator arguments | title
# The client alone pins version, suite and group; servers keep their defaults, except that Brisk and Kestrel
# get --ciphers where their default may not enable the suite (static RSA key exchange is off in SslStream's default;
# SslStream also needs a TLS 1.3 suite in the list while TLS 1.3 is enabled, or it answers protocol_version).
SCENARIO_TABLE=(
  "tls12-rsa-kx|rsa|off|http|TLS_RSA_WITH_AES_128_GCM_SHA256:TLS_AES_128_GCM_SHA256|--tls 1.2 --ciphers AES128-GCM-SHA256|TLS 1.2 RSA key exchange, AES128-GCM-SHA256, RSA-2048"
  "tls12-ecdhe-x25519|rsa|off|http||--tls 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256 --groups x25519|TLS 1.2 ECDHE-RSA x25519, AES128-GCM, RSA-2048"
  "tls13-rsa|rsa|off|http||--tls 1.3 --groups x25519|TLS 1.3 x25519, RSA-2048 (rsa_pss_rsae_sha256)"
  "tls13-ecdsa|ec|off|http||--tls 1.3 --groups x25519|TLS 1.3 x25519, ECDSA P-256"
  "resumed-tls13|rsa|on|http||--tls 1.3 --groups x25519 --resume ticket|TLS 1.3 resumed (PSK-DHE ticket), RSA-2048"
  "resumed-tls12|rsa|on|http||--tls 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256 --resume ticket|TLS 1.2 resumed (ticket), RSA-2048"
  "bulk|rsa|off|echo||--tls 1.3 --bulk --concurrency 1 --chunk 65536|bulk: one TLS 1.3 connection through an echo responder"
  "idle|rsa|off|http||--tls 1.3 --groups x25519 --concurrency 32 --idle-hold 2s|idle: connections held open after the handshake"
)

val() { # RESULT-line key → value or "-"
  local line=$1 key=$2
  sed -n "s/.* $key=\([^ ]*\).*/\1/p" <<<"$line" | head -1 | grep . || echo "-"
}
resumed_share() { # JSON result → share of handshakes that were resumptions, in %
  awk -F'[:,]' '/"handshakes":/ { t = $2 } /"resumed_handshakes":/ { r = $2 } END { if (t > 0) printf "%.0f%%", 100 * r / t; else print "-" }' "$1" 2>/dev/null || echo "-"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "-" }'; }

IFS=',' read -r -a PEER_LIST <<<"$PEERS"
IFS=',' read -r -a SCEN_LIST <<<"$SCENARIOS"
echo "compare.sh: duration $DURATION, warm-up $WARMUP, concurrency $CONCURRENCY, request $REQUEST, engine $ENGINE; server on core $SERVER_CORE, load generator on core $CLIENT_CORE"
echo "ratios are vs nginx; hs/CPU-s = handshakes per server CPU-second (from /proc/PID/stat); * = load generator saturated its core"
SPEED=""
rsa_speed() { # openssl speed rsa2048 sign/s on the server core; the 'rsa 2048 bits 0.000253s 0.000007s 3955.3 150000.0' row
  taskset -c $SERVER_CORE openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ { print $(NF-1) }' | tail -1
}
[[ $CEILING == 1 ]] && echo "ceiling: openssl speed rsa2048 ($(openssl version 2>/dev/null | cut -d' ' -f1-2)) on core $SERVER_CORE before and after each RSA scenario; ÷ceiling = hs/CPU-s ÷ their mean"
for scen in "${SCEN_LIST[@]}"; do
  row=""
  for r in "${SCENARIO_TABLE[@]}"; do [[ ${r%%|*} == "$scen" ]] && row=$r; done
  if [[ -z $row ]]; then echo "unknown scenario $scen" >&2; continue; fi
  IFS='|' read -r name kind sessions responder SERVER_CIPHERS lgargs title <<<"$row"
  echo
  echo "== $name: $title"
  declare -A RES=() NOTE=()
  SPEED=""
  if [[ $CEILING == 1 && $kind == rsa && $name != bulk && $name != idle && $name != resumed-* ]]; then
    log "$name: openssl speed rsa2048 on core $SERVER_CORE"
    SPEED_BEFORE=$(rsa_speed)
  fi
  for peer in "${PEER_LIST[@]}"; do
    if [[ -n ${PEER_BROKEN[$peer]:-} ]]; then NOTE[$peer]="FAILED: ${PEER_BROKEN[$peer]}"; continue; fi
    if [[ $name == bulk && $peer != brisk ]]; then NOTE[$peer]="n/a (no echo responder)"; continue; fi
    if [[ $name == idle && $peer == openssl ]]; then NOTE[$peer]="n/a (s_server -www serves one connection at a time)"; continue; fi
    if [[ $peer == brisk-fiat && ( $kind != rsa || $name == bulk || $name == idle ) ]]; then NOTE[$peer]="n/a (Fiat families are RSA; full and resumed handshakes only)"; continue; fi
    START_ERROR=""
    log "$name: $peer"
    if ! start_peer "$peer" "$kind" "$sessions" "$responder"; then
      NOTE[$peer]="FAILED TO START: ${START_ERROR:-not listening}"; continue
    fi
    args=(--target "127.0.0.1:$PORT" --server-pid "$SERVER_PIDS" --engine "$ENGINE" --quiet --json "$WORK/$name-$peer.json")
    if [[ $name == idle ]]; then
      args+=(--idle "$IDLE" --timeout 5s)
    elif [[ $name == bulk ]]; then
      args+=(--duration "$DURATION" --warmup "$WARMUP")
    else
      args+=(--duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONCURRENCY" --request "$REQUEST")
    fi
    # shellcheck disable=SC2206
    extra=($lgargs)
    out=$(taskset -c $CLIENT_CORE "${LOADGEN[@]}" "${args[@]}" "${extra[@]}" 2>&1)
    echo "$out" >"$WORK/$name-$peer.txt"
    line=$(grep '^RESULT ' <<<"$out" | tail -1)
    if [[ -z $line ]]; then NOTE[$peer]="load generator failed: $(tail -2 <<<"$out" | tr '\n' ' ' | cut -c1-120)"; stop_peer; continue; fi
    grep -q '^WARNING: the load generator' <<<"$out" && line="$line saturated=1"
    RES[$peer]=$line
    stop_peer
  done

  if [[ -n ${SPEED_BEFORE:-} ]]; then
    SPEED_AFTER=$(rsa_speed)
    SPEED=$(awk -v a="$SPEED_BEFORE" -v b="$SPEED_AFTER" 'BEGIN { if (a > 0 && b > 0) printf "%.1f", (a + b) / 2 }')
    echo "ceiling: openssl speed rsa2048 = $SPEED_BEFORE sign/s before, $SPEED_AFTER after (mean $SPEED)"
    SPEED_BEFORE=""
  fi
  if [[ $name == bulk ]]; then
    printf '%-9s %10s %8s\n' peer "GB/s" errors
    for peer in "${PEER_LIST[@]}"; do
      if [[ -n ${RES[$peer]:-} ]]; then printf '%-9s %10s %8s\n' "$peer" "$(val "${RES[$peer]}" bulk_gb_per_s)" "$(val "${RES[$peer]}" errors)"
      else printf '%-9s %s\n' "$peer" "${NOTE[$peer]}"; fi
    done
  elif [[ $name == idle ]]; then
    printf '%-9s %8s %16s %8s %14s\n' peer open "RSS bytes/conn" errors "ratio vs nginx"
    base=$(val "${RES[nginx]:-}" server_rss_per_conn_bytes)
    for peer in "${PEER_LIST[@]}"; do
      if [[ -n ${RES[$peer]:-} ]]; then
        rss=$(val "${RES[$peer]}" server_rss_per_conn_bytes)
        printf '%-9s %8s %16s %8s %14s\n' "$peer" "$(val "${RES[$peer]}" idle_open)" "$rss" "$(val "${RES[$peer]}" errors)" "$(ratio "$rss" "$base")"
      else printf '%-9s %s\n' "$peer" "${NOTE[$peer]}"; fi
    done
  else
    ceil_head=""; [[ -n $SPEED ]] && ceil_head="÷ceiling"
    printf '%-10s %10s %8s %8s %7s %8s %12s %12s %14s %9s\n' peer "hs/s" "p50 ms" "p99 ms" errors resumed "hs/CPU-s" "hs/s÷nginx" "hs/CPU-s÷nginx" "$ceil_head"
    bh=$(val "${RES[nginx]:-}" handshakes_per_s); bc=$(val "${RES[nginx]:-}" hs_per_server_cpu_s)
    for peer in "${PEER_LIST[@]}"; do
      if [[ -n ${RES[$peer]:-} ]]; then
        l=${RES[$peer]}; h=$(val "$l" handshakes_per_s); c=$(val "$l" hs_per_server_cpu_s)
        star=""; [[ $l == *saturated=1* ]] && star="*"
        ceil=""; [[ -n $ceil_head ]] && ceil=$(ratio "$c" "$SPEED")
        printf '%-10s %10s %8s %8s %7s %8s %12s %12s %14s %9s\n' "$peer" "$h$star" "$(val "$l" p50_ms)" "$(val "$l" p99_ms)" "$(val "$l" errors)" \
          "$(resumed_share "$WORK/$name-$peer.json")" "$c" "$(ratio "$h" "$bh")" "$(ratio "$c" "$bc")" "$ceil"
      else printf '%-10s %s\n' "$peer" "${NOTE[$peer]}"; fi
    done
  fi
  unset RES NOTE
done
