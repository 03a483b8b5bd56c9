#!/usr/bin/env bash
# Client CPU per full handshake of the load generator's engines (openssl, sslstream, brisk) against
# `openssl s_server`, with OpenSSL's own client (`openssl s_time -new`) measured in the same run as the
# baseline. Servers pinned to core 0, clients to core 1; runs are interleaved and repeated, the median is
# printed. CPU time (user + system of the client process), not wall time: other load on the machine
# slows everything down but does not add to a process's own CPU time (much).
#   loadtests/measure-client-cpu.sh [SECONDS_PER_RUN=4] [REPEATS=3] [CLIENTS=s_time,openssl,sslstream,brisk] [CONCURRENCY=4] [SERVER=s_server]
# CLIENTS: s_time, or an engine name (openssl, sslstream, brisk), or brisk-IO (brisk-epoll, brisk-socket: the brisk
# engine with --io IO; plain "brisk" uses the default I/O path). CONCURRENCY: the engines' --concurrency.
# SERVER: s_server (default; serves one connection at a time, so the clients mostly wait) or brisk (src/Brisk.Server,
# many connections at once: with a high CONCURRENCY the client's core can be saturated, the cost per handshake of a
# busy client). Each engine line also reports the client's utilisation of its core (median run).
set -uo pipefail
SECONDS_PER_RUN=${1:-4}
REPEATS=${2:-3}
CLIENTS=${3:-s_time,openssl,sslstream,brisk}
CONCURRENCY=${4:-4}
SERVER=${5:-s_server}
IFS=',' read -r -a CLIENT_LIST <<<"$CLIENTS"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d /tmp/brisk-clientcpu.XXXXXX)
SERVER_PIDS=()
cleanup() { for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/rsa.key" -out "$WORK/rsa.crt" -subj /CN=localhost -days 2 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ec.key" -out "$WORK/ec.crt" -subj /CN=localhost -days 2 2>/dev/null
dotnet build -c Release "$REPO/loadtests/Brisk.LoadTest" >"$WORK/build.log" 2>&1 || { tail "$WORK/build.log"; exit 1; }
if [[ $SERVER == brisk ]]; then
  dotnet build -c Release "$REPO/src/Brisk.Server" >>"$WORK/build.log" 2>&1 || { tail "$WORK/build.log"; exit 1; }
fi
LOADGEN=(dotnet "$REPO/loadtests/Brisk.LoadTest/bin/Release/net10.0/Brisk.LoadTest.dll")
BASE_PORT=$(( 40000 + RANDOM % 10000 ))
declare -A PORT_OF=([rsa]=$BASE_PORT [ec]=$(( BASE_PORT + 1 )))
# No tickets or session cache: every handshake is a full one and the server sends no NewSessionTicket.
for kind in rsa ec; do
  if [[ $SERVER == brisk ]]; then
    # Brisk sends no ticket unless the client offers the extension (the engines here do not, without --resume).
    taskset -c 0 dotnet "$REPO/src/Brisk.Server/bin/Release/net10.0/Brisk.Server.dll" --listen "127.0.0.1:${PORT_OF[$kind]}" \
      --cert "$WORK/$kind.crt" --key "$WORK/$kind.key" --responder http </dev/null >"$WORK/server-$kind.log" 2>&1 &
  else
    taskset -c 0 openssl s_server -accept "127.0.0.1:${PORT_OF[$kind]}" -cert "$WORK/$kind.crt" -key "$WORK/$kind.key" -www -quiet \
      -no_cache -no_ticket -num_tickets 0 </dev/null >"$WORK/server-$kind.log" 2>&1 &
  fi
  SERVER_PIDS+=($!)
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/${PORT_OF[$kind]}") 2>/dev/null && break; sleep 0.1; done
done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print a[int((NR + 1) / 2)] }'; }

s_time_us() { # port args → µs of client CPU per connection of openssl s_time
  local port=$1 out cpu n; shift
  out=$( { /usr/bin/time -f "CPU %U %S" taskset -c 1 openssl s_time -connect "127.0.0.1:$port" -new -time "$SECONDS_PER_RUN" "$@"; } 2>&1 )
  cpu=$(awk '/^CPU/ { print $2 + $3 }' <<<"$out")
  n=$(awk '/connections in .* real seconds/ { print $1 }' <<<"$out" | head -1)
  awk -v c="$cpu" -v n="$n" 'BEGIN { if (n > 0) printf "%.1f\n", c * 1e6 / n; else print "nan" }'
}

engine_us() { # port client args → "µs_per_hs utilisation%" from the report
  local port=$1 client=$2 io=() out; shift 2
  if [[ $client == brisk-* ]]; then io=(--io "${client#brisk-}"); client=brisk; fi
  out=$(taskset -c 1 "${LOADGEN[@]}" --target "127.0.0.1:$port" --engine "$client" "${io[@]}" --duration "${SECONDS_PER_RUN}s" --warmup 2s \
    --concurrency "$CONCURRENCY" --quiet "$@")
  awk '/^RESULT/ { for (i = 1; i <= NF; i++) if ($i ~ /^client_cpu_us_per_hs=/) { sub(/.*=/, "", $i); us = $i } }
       /^client CPU/ { for (i = 1; i <= NF; i++) if ($i ~ /%$/) util = $i }
       END { printf "%s %s\n", (us == "" ? "nan" : us), (util == "" ? "-" : util) }' <<<"$out"
}

SCENARIOS=(tls12-ecdhe-rsa tls13-rsa tls13-ecdsa)
declare -A RESULTS=() UTIL=()
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for scenario in "${SCENARIOS[@]}"; do
  case $scenario in
    tls12-ecdhe-rsa) port=${PORT_OF[rsa]}; st_args=(-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256); lg_args=(--tls 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256) ;;
    tls13-rsa) port=${PORT_OF[rsa]}; st_args=(-tls1_3); lg_args=(--tls 1.3) ;;
    tls13-ecdsa) port=${PORT_OF[ec]}; st_args=(-tls1_3); lg_args=(--tls 1.3) ;;
  esac
  for r in $(seq 1 "$REPEATS"); do
    for client in "${CLIENT_LIST[@]}"; do
      if [[ $client == s_time ]]; then RESULTS[$scenario,s_time]+="$(s_time_us "$port" "${st_args[@]}") "
      else
        read -r us util <<<"$(engine_us "$port" "$client" "${lg_args[@]}")"
        RESULTS[$scenario,$client]+="$us "; UTIL[$scenario,$client]+="$util "
      fi
    done
  done
done

SERVER_NAME=$([[ $SERVER == brisk ]] && echo "Brisk.Server" || echo "openssl s_server")
echo "client CPU µs per full handshake vs $SERVER_NAME (RSA-2048 or ECDSA P-256, x25519), median of $REPEATS × ${SECONDS_PER_RUN}s, engines at concurrency $CONCURRENCY"
echo "load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %-12s %10s %10s   %-24s %s\n' scenario client "µs/hs" "÷ s_time" "runs" "client core busy"
for scenario in "${SCENARIOS[@]}"; do
  base=$(tr ' ' '\n' <<<"${RESULTS[$scenario,s_time]:-}" | grep . | median)
  for client in "${CLIENT_LIST[@]}"; do
    runs=${RESULTS[$scenario,$client]}
    m=$(tr ' ' '\n' <<<"$runs" | grep . | median)
    printf '%-16s %-12s %10s %10s   %-24s %s\n' "$scenario" "$client" "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" "$runs" "${UTIL[$scenario,$client]:-}"
  done
done
