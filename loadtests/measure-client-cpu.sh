#!/usr/bin/env bash
# Client CPU per full handshake of the load generator's engines against `openssl s_server`, with OpenSSL's
# own client (`openssl s_time -new`) measured in the same run as the baseline. Server pinned to core 0,
# clients to core 1; runs are interleaved and repeated, the median is printed.
#   loadtests/measure-client-cpu.sh [SECONDS_PER_RUN=4] [REPEATS=3]
set -uo pipefail
SECONDS_PER_RUN=${1:-4}
REPEATS=${2:-3}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d /tmp/brisk-clientcpu.XXXXXX)
SERVER_PID=""
cleanup() { [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj /CN=localhost -days 2 2>/dev/null
dotnet build -c Release "$REPO/loadtests/Brisk.LoadTest" >"$WORK/build.log" 2>&1 || { tail "$WORK/build.log"; exit 1; }
LOADGEN=(dotnet "$REPO/loadtests/Brisk.LoadTest/bin/Release/net10.0/Brisk.LoadTest.dll")
PORT=$(( 40000 + RANDOM % 10000 ))
# No tickets or session cache: every handshake is a full one and the server sends no NewSessionTicket.
taskset -c 0 openssl s_server -accept "127.0.0.1:$PORT" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet \
  -no_cache -no_ticket -num_tickets 0 </dev/null >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print a[int((NR + 1) / 2)] }'; }

s_time_us() { # args → µs of client CPU per connection of openssl s_time
  local out cpu n
  out=$( { /usr/bin/time -f "CPU %U %S" taskset -c 1 openssl s_time -connect "127.0.0.1:$PORT" -new -time "$SECONDS_PER_RUN" "$@"; } 2>&1 )
  cpu=$(awk '/^CPU/ { print $2 + $3 }' <<<"$out")
  n=$(awk '/connections in .* real seconds/ { print $1 }' <<<"$out" | head -1)
  awk -v c="$cpu" -v n="$n" 'BEGIN { if (n > 0) printf "%.1f\n", c * 1e6 / n; else print "nan" }'
}

engine_us() { # engine args → client_cpu_us_per_hs from the RESULT line
  local engine=$1; shift
  taskset -c 1 "${LOADGEN[@]}" --target "127.0.0.1:$PORT" --engine "$engine" --duration "${SECONDS_PER_RUN}s" --warmup 1s \
    --concurrency 4 --quiet "$@" | sed -n 's/^RESULT .*client_cpu_us_per_hs=\([^ ]*\).*/\1/p'
}

declare -A RESULTS=()
for scenario in tls12-ecdhe tls13; do
  if [[ $scenario == tls12-ecdhe ]]; then
    st_args=(-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256); lg_args=(--tls 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256)
  else
    st_args=(-tls1_3); lg_args=(--tls 1.3)
  fi
  for r in $(seq 1 "$REPEATS"); do
    RESULTS[$scenario,s_time]+="$(s_time_us "${st_args[@]}") "
    RESULTS[$scenario,openssl]+="$(engine_us openssl "${lg_args[@]}") "
    RESULTS[$scenario,sslstream]+="$(engine_us sslstream "${lg_args[@]}") "
  done
done

echo "client CPU µs per full handshake vs openssl s_server (RSA-2048, x25519), median of $REPEATS × ${SECONDS_PER_RUN}s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-13s %-18s %10s %14s   %s\n' scenario client "µs/hs" "÷ s_time" "runs"
for scenario in tls12-ecdhe tls13; do
  base=$(tr ' ' '\n' <<<"${RESULTS[$scenario,s_time]}" | grep . | median)
  for client in s_time openssl sslstream; do
    runs=${RESULTS[$scenario,$client]}
    m=$(tr ' ' '\n' <<<"$runs" | grep . | median)
    printf '%-13s %-18s %10s %14s   %s\n' "$scenario" "$client" "$m" "$(awk -v a="$m" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" "$runs"
  done
done
