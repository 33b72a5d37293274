#!/usr/bin/env bash
# Send benchmarks (issue 4): postal-cpp's Client against raw libcurl and Postal's official Node
# client (@atech/postal), all talking to a local nginx that answers POST /api/v1/send/message
# with Postal's success envelope. Prints figures, not a test: one table and a ratio/target
# summary. Run it on a quiet machine, as root (nginx listens on port 443; apt-get needs root, or
# sudo).
#
#   scripts/bench-send.sh                                                  # full run
#   SEQ_N=300 MANY_N=1000 RSS_SEQ_N=500 ATTACH_MB=20 scripts/bench-send.sh  # smoke run
#   scripts/bench-send.sh serve     # only start the stand-in (prints its URLs and certificate)
#                                   # and wait, for profiling the programs by hand; Ctrl-C stops
#
# Knobs (environment):
#   SEQ_N=5000         sequential sends per run (SDK, raw libcurl, Node)
#   MANY_N=20000       sends per send_many / curl multi run
#   NODE_MANY_N=       sends of the Node run with 16 in flight (default MANY_N, lowered so that
#                      the run stays under ~3 minutes; the table says which N was used)
#   RSS_SEQ_N=10000    sequential sends of the peak-RSS run
#   ATTACH_MB=20       attachment size (MiB) of the peak-RSS attachment run
#   CONCURRENCIES="1 4 16 64"     send_many max_in_flight values (and curl multi concurrency)
#   MANY_PROTOCOLS="h2 h1 http"   protocols of the send_many runs (h2 and http are the must-haves)
#   REPEAT=5           rounds: runs per measurement, the SDK and its baseline one after the
#                      other (in turn first); the table shows the best run of each and the median
#                      ratio of the rounds' pairs, which the target lines use
#   DIAG=0             1: also time the SDK's libcurl transport alone (Transport::send_all of
#                      pre-built requests: no JSON, no send_many windows) beside each send_many
#   BUILD_DIR=build-bench-send    JOBS=1 (build parallelism)
#   KEEPALIVE_REQUESTS=10000000   nginx's keepalive_requests (requests per connection, HTTP/2
#                      included); 1000 is nginx's default, which ends HTTP/2 connections with
#                      GOAWAY while streams are in flight
#
# What it does: installs missing tools with apt-get (nginx-light, libnginx-mod-http-echo, openssl,
# libcurl4-openssl-dev, the build tools; nodejs/npm only if missing), builds send_bench and
# raw_curl_bench (Release),
# runs `npm ci` in benchmarks/node, makes a self-signed certificate (CN=localhost, SAN
# DNS:localhost, IP:127.0.0.1) in a temporary directory, starts its own nginx there (never the
# system service; own pid file and error log, no access log; one worker) with listeners
#   127.0.0.1:443   HTTPS, HTTP/2 offered with ALPN  ("h2";  the Node client speaks HTTP/1.1)
#   127.0.0.1:8443  HTTPS, HTTP/1.1 only              ("h1")
#   127.0.0.1:8080  plain HTTP/1.1                    ("http")
# that read each request body whole (as Postal does; echo_read_request_body) and answer HTTP 200
# with Postal's success envelope (application/json),
# runs every measurement in this one run, stops nginx and removes the directory on exit.
# The SDK sends one message at a time over HTTP/1.1 by default (CurlOptions::http2_single), and
# batches over HTTP/2 where offered (CurlOptions::http2). Sequential sends on :443 run both ways,
# each against raw libcurl on the same protocol: "h2", the SDK with BENCH_HTTP2_SINGLE=1 against
# libcurl's default; "h1n", the SDK's default against raw libcurl with BENCH_HTTP1=1, and the
# Node client (HTTP/1.1 on :443, the only protocol it speaks). Beside the Node client at 16 in
# flight, it also runs send_many(16) and curl multi(16) on :443 over HTTP/1.1 ("h1n":
# BENCH_HTTP1=1, i.e. CurlOptions::http2 = false), so that the SDK is compared with Node on the
# same protocol there too.
#
# Every program checks every answer (exit status non-zero otherwise), so a failure stops the run.
# Message: one recipient, from, subject, tag, one custom header, 1 KiB text + 3 KiB HTML body.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SEQ_N=${SEQ_N:-5000}
MANY_N=${MANY_N:-20000}
NODE_MANY_N=${NODE_MANY_N:-}
RSS_SEQ_N=${RSS_SEQ_N:-10000}
ATTACH_MB=${ATTACH_MB:-20}
CONCURRENCIES=${CONCURRENCIES:-"1 4 16 64"}
MANY_PROTOCOLS=${MANY_PROTOCOLS:-"h2 h1 http"}
REPEAT=${REPEAT:-5}
DIAG=${DIAG:-0}
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench-send}
JOBS=${JOBS:-1}
NODE_BUDGET_SECS=180

log() { echo "bench-send: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# ------------------------------------------------------------------------------------------
# Dependencies (apt-get only for what is missing)

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || die "run as root (nginx binds port 443; apt-get needs root)"
  sudo="sudo"
fi

missing=()
need_tool() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need_pkg() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1")
}
need_tool nginx nginx-light
# The stand-in must read every request body, as Postal does: nginx's `return` discards it, and on
# HTTP/2 nginx counts discarded DATA as overhead and drops the connection ("http2 flood
# detected") after ~1 MiB of it per connection. The echo module reads the body, then answers.
ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so
[[ -e $ECHO_MODULE ]] || missing+=(libnginx-mod-http-echo)
need_tool openssl openssl
need_tool node nodejs
need_tool npm npm
need_tool cmake cmake
need_tool ninja ninja-build
need_tool g++ g++
need_pkg libcurl4-openssl-dev
need_pkg libssl-dev
need_pkg nlohmann-json3-dev
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# ------------------------------------------------------------------------------------------
# Build (Release) and the Node client

log "building send_bench and raw_curl_bench in $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPOSTAL_BUILD_TESTS=OFF \
  -DPOSTAL_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"$JOBS" --target send_bench raw_curl_bench >/dev/null ||
  die "build failed: cmake --build $BUILD_DIR --target send_bench raw_curl_bench"
SDK="$BUILD_DIR/benchmarks/send_bench"
RAW="$BUILD_DIR/benchmarks/raw_curl_bench"

NODE_DIR="$ROOT/benchmarks/node"
if [[ ! -d $NODE_DIR/node_modules/@atech/postal ||
  $NODE_DIR/package-lock.json -nt $NODE_DIR/node_modules/.package-lock.json ]]; then
  log "npm ci in benchmarks/node"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# ------------------------------------------------------------------------------------------
# Certificate and nginx

TMP=$(mktemp -d /tmp/bench-send.XXXXXX)
NGINX_CONF="$TMP/nginx.conf"
stop_nginx() {
  if [[ -s $TMP/nginx.pid ]]; then
    nginx -c "$NGINX_CONF" -p "$TMP" -e "$TMP/error.log" -s stop 2>/dev/null ||
      kill "$(cat "$TMP/nginx.pid")" 2>/dev/null || true
    for _ in $(seq 50); do
      [[ -e $TMP/nginx.pid ]] || break
      sleep 0.1
    done
  fi
}
cleanup() {
  stop_nginx
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
CERT="$TMP/cert.pem"

BODY='{"status":"success","time":0.01,"flags":{},"data":{"message_id":"bench@example.com","messages":{"to@example.com":{"id":1,"token":"abc123"}}}}'
cat >"$NGINX_CONF" <<EOF
load_module $ECHO_MODULE;
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $TMP/body;
  proxy_temp_path $TMP/proxy;
  fastcgi_temp_path $TMP/fastcgi;
  uwsgi_temp_path $TMP/uwsgi;
  scgi_temp_path $TMP/scgi;
  keepalive_requests ${KEEPALIVE_REQUESTS:-10000000};   # also the HTTP/2 per-connection request limit (nginx >= 1.19.7)
  keepalive_timeout 600s;
  http2_max_concurrent_streams 256;
  client_max_body_size 100m;     # the attachment run
  client_body_buffer_size 100m;  # bodies stay in memory (no temporary files)
  ssl_certificate $TMP/cert.pem;
  ssl_certificate_key $TMP/key.pem;
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_session_cache shared:BENCH:1m;
  server {
    listen 127.0.0.1:443 ssl http2;
    listen 127.0.0.1:8443 ssl;
    listen 127.0.0.1:8080;
    server_name localhost;
    location = /api/v1/send/message {
      default_type application/json;
      add_header X-Protocol \$server_protocol always;  # send_bench's http= (HTTP/2.0, HTTP/1.1)
      echo_read_request_body;
      echo -n '$BODY';
    }
    location / { return 404; }
  }
}
EOF
for port in 443 8443 8080; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "127.0.0.1:$port is already in use; stop what listens there first"
  fi
done
nginx -c "$NGINX_CONF" -p "$TMP" -e "$TMP/error.log" ||
  die "nginx did not start: $(cat "$TMP/error.log" 2>/dev/null)"
for _ in $(seq 50); do
  [[ -s $TMP/nginx.pid ]] && (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break
  sleep 0.1
done

declare -A URL=([h2]="https://localhost" [h1]="https://localhost:8443" [http]="http://127.0.0.1:8080"
  [h1n]="https://localhost")
declare -A PROTO_NAME=([h2]="HTTPS h2 :443" [h1]="HTTPS h1.1 :8443" [http]="HTTP :8080"
  [h1n]="HTTPS h1.1 :443")
ENDPOINT="/api/v1/send/message"
export BENCH_CA_FILE="$CERT" NODE_EXTRA_CA_CERTS="$CERT"

# Sanity: every listener answers, and each program speaks the protocol its rows name.
speaks() {  # speaks VERSION PROGRAM [ENV...] -- ARGS...: dies unless PROGRAM's RESULT says http=VERSION
  local want=$1 program=$2 envs=() line
  shift 2
  while [[ $1 != -- ]]; do
    envs+=("$1")
    shift
  done
  shift
  line=$(env ${envs[@]+"${envs[@]}"} "$program" "$@" | grep '^RESULT ') ||
    die "$(basename "$program") $* failed (no answer?)"
  [[ "$line " == *" http=$want "* ]] ||
    die "$(basename "$program") $* (${envs[*]-}) did not speak HTTP/$want: $line"
}
for p in h2 h1 http; do
  speaks "$([[ $p == h2 ]] && echo 2 || echo 1.1)" "$RAW" -- seq "${URL[$p]}$ENDPOINT" 1
done
speaks 2 "$RAW" -- multi "${URL[h2]}$ENDPOINT" 16 4
speaks 1.1 "$RAW" BENCH_HTTP1=1 -- seq "${URL[h1n]}$ENDPOINT" 1
speaks 1.1 "$RAW" BENCH_HTTP1=1 -- multi "${URL[h1n]}$ENDPOINT" 16 4
speaks 1.1 "$SDK" -- seq "${URL[h2]}" 1
speaks 2 "$SDK" BENCH_HTTP2_SINGLE=1 -- seq "${URL[h2]}" 1
speaks 2 "$SDK" -- many "${URL[h2]}" 16 4
speaks 1.1 "$SDK" BENCH_HTTP1=1 -- many "${URL[h1n]}" 16 4

if [[ ${1:-} == serve ]]; then
  echo "stand-in nginx (pid $(cat "$TMP/nginx.pid")); certificate: $CERT"
  for p in h2 h1 http; do echo "  ${PROTO_NAME[$p]}: ${URL[$p]}$ENDPOINT"; done
  echo "  e.g. BENCH_CA_FILE=$CERT $SDK seq ${URL[h2]} 5000"
  echo "Ctrl-C (or SIGTERM to $$) stops it."
  sleep infinity &
  wait $!
  exit 0
fi

# ------------------------------------------------------------------------------------------
# Measurements

declare -A RPS=() CPU=() NUSED=() RSS=() ALL=()
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# run KEY COMMAND...: runs it once, keeps the highest rps and the lowest client CPU per request
# (cpu_us: the program's user + system time in the timed part, all threads, per request) under KEY.
run() {
  local key=$1 line rps cpu
  shift
  line=$("$@") || die "failed: $*"
  line=$(grep '^RESULT ' <<<"$line" | tail -1)
  rps=$(field rps "$line")
  [[ -n $rps ]] || die "no RESULT line from: $*"
  NUSED[$key]=$(field n "$line")
  ALL[$key]="${ALL[$key]:-} $rps"  # every round's figure, for the ratios of pairs
  if [[ -z ${RPS[$key]:-} ]] || awk -v a="$rps" -v b="${RPS[$key]}" 'BEGIN{exit !(a>b)}'; then
    RPS[$key]=$rps
  fi
  cpu=$(field cpu_us "$line")
  if [[ -n $cpu ]] && { [[ -z ${CPU[$key]:-} ]] || awk -v a="$cpu" -v b="${CPU[$key]}" 'BEGIN{exit !(a<b)}'; }; then
    CPU[$key]=$cpu
  fi
  log "$(printf '%-22s %s' "$key" "$line")"
}

node_bench() { (cd "$NODE_DIR" && node bench.js "$@"); }

started=$(date +%s)
# The SDK and its raw libcurl counterpart run one after the other, the SDK first in odd rounds
# and second in even ones (so that neither always follows the other). The Node client's runs go
# between the two runs of a pair (sequential: the h1n pair; 16 in flight: the h2 pair, the h1n
# pair right after), so that they too run next to the SDK's run.
sdk_seq() { run "seq/sdk/$1" env "${@:2}" "$SDK" seq "${URL[$1]}" "$SEQ_N"; }  # PROTOCOL [ENV...]
raw_seq() { run "seq/raw/$1" env "${@:2}" "$RAW" seq "${URL[$1]}$ENDPOINT" "$SEQ_N"; }
sdk_many() {  # sdk_many PROTOCOL IN_FLIGHT [ENV...]
  run "many/sdk/$1/$2" env "${@:3}" "$SDK" many "${URL[$1]}" "$MANY_N" "$2"
  if [[ $DIAG == 1 ]]; then
    run "many/transport/$1/$2" env "${@:3}" "$SDK" send-all "${URL[$1]}" "$MANY_N" "$2"
  fi
}
raw_many() { run "many/raw/$1/$2" env "${@:3}" "$RAW" multi "${URL[$1]}$ENDPOINT" "$MANY_N" "$2"; }
node_seq() { run "seq/node" node_bench seq "$SEQ_N"; }
node_many() {
  if [[ -z $NODE_MANY_N ]]; then  # fit the Node run in ~3 minutes (it beats its own seq rate)
    NODE_MANY_N=$(awk -v n="$MANY_N" -v rps="${RPS[seq/node]}" -v budget="$NODE_BUDGET_SECS" \
      'BEGIN { cap = int(rps * budget / 1000) * 1000; if (cap < 1000) cap = 1000;
               print (n < cap ? n : cap) }')
  fi
  run "many/node/16" node_bench many "$NODE_MANY_N" 16
}
in_turn() {  # in_turn SDK_FUNCTION RAW_FUNCTION BETWEEN ARGS...: BETWEEN (a function, or :) runs
  # between the two, next to the SDK's run in either order
  if ((r % 2)); then
    "$1" "${@:4}" && "$3" && "$2" "${@:4}"
  else
    "$2" "${@:4}" && "$3" && "$1" "${@:4}"
  fi
}

for ((r = 1; r <= REPEAT; r++)); do
  log "round $r of $REPEAT: sequential"
  # The SDK sends one at a time over HTTP/1.1 unless CurlOptions::http2_single: on :443 it runs
  # both ways, against raw libcurl on the same protocol (BENCH_HTTP2_SINGLE for the SDK over
  # HTTP/2, libcurl's default; BENCH_HTTP1 for raw libcurl over HTTP/1.1, the SDK's default and
  # Node's protocol, whose run goes between these two).
  in_turn sdk_seq raw_seq : h2 BENCH_HTTP2_SINGLE=1
  in_turn sdk_seq raw_seq node_seq h1n BENCH_HTTP1=1
  for p in h1 http; do in_turn sdk_seq raw_seq : "$p"; done

  log "round $r of $REPEAT: send_many / curl multi"
  node_ran=0
  for p in $MANY_PROTOCOLS; do
    for c in $CONCURRENCIES; do
      if [[ $p == h2 && $c == 16 ]]; then
        in_turn sdk_many raw_many node_many h2 16
        node_ran=1
        # the Node client's protocol, HTTP/1.1 on :443, right after
        in_turn sdk_many raw_many : h1n 16 BENCH_HTTP1=1
      else
        in_turn sdk_many raw_many : "$p" "$c"
      fi
    done
  done
  ((node_ran)) || node_many

  log "round $r of $REPEAT: peak RSS"
  for mode in rss-seq rss-attach; do
    arg=$([[ $mode == rss-seq ]] && echo "$RSS_SEQ_N" || echo "$ATTACH_MB")
    line=$("$SDK" "$mode" "${URL[h2]}" "$arg") || die "failed: send_bench $mode"
    log "$(printf '%-22s %s' "$mode" "$line")"
    peak=$(field peak_kib "$line")
    if [[ -z ${RSS[$mode/peak]:-} || $peak -lt ${RSS[$mode/peak]} ]]; then
      RSS[$mode/peak]=$peak
      RSS[$mode/before]=$(field before_kib "$line")
    fi
  done
done
elapsed=$(($(date +%s) - started))
stop_nginx

# ------------------------------------------------------------------------------------------
# Report

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
# pairs KEY_A KEY_B: the median, over the rounds, of KEY_A's figure over KEY_B's in the same round
# (the two ran one after the other, so a slow spell of the machine touches both alike; only the
# SDK's send_many(16) over HTTP/1.1 on :443 is two or three runs away from the Node run it is
# compared with).
pairs() {
  awk -v a="${ALL[$1]:-}" -v b="${ALL[$2]:-}" 'BEGIN {
    n = split(a, x, " "); m = split(b, y, " "); if (m < n) n = m; k = 0
    for (i = 1; i <= n; i++) if (y[i] > 0) r[++k] = x[i] / y[i]
    if (k == 0) { print "-"; exit }
    for (i = 2; i <= k; i++) { v = r[i]; for (j = i - 1; j >= 1 && r[j] > v; j--) r[j + 1] = r[j]; r[j + 1] = v }
    printf "%.2f", (k % 2 ? r[(k + 1) / 2] : (r[k / 2] + r[k / 2 + 1]) / 2) }'
}
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { if (r == "-") print "n/a"; else print (r + 0 >= t ? "PASS" : "MISS") }'; }
rps() { [[ -n ${RPS[$1]:-} ]] && printf '%.0f' "${RPS[$1]}" || echo "-"; }

curl_features=$(curl-config --features 2>/dev/null | tr '\n' ' ')
echo
echo "postal-cpp send benchmarks (scripts/bench-send.sh), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)'), Release build"
echo "  CPUs: $(nproc) ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
echo "  libcurl $(curl-config --version | awk '{print $2}') [$curl_features], $(nginx -v 2>&1 | sed 's/^nginx version: //') (1 worker), node $(node --version), @atech/postal $(node -p "require('$NODE_DIR/node_modules/@atech/postal/package.json').version")"
echo "  best of $REPEAT rounds per figure; $elapsed s of measurements; throughput in requests/s"
echo "  message: 1 recipient, 1 custom header, 1 KiB text + 3 KiB HTML; the Node client speaks HTTPS HTTP/1.1 (port 443)"
echo
# row MEASUREMENT PROTOCOL SDK_KEY RAW_KEY [NODE_KEY]: best figures, the ratios of the bests, and
# the median ratio of the pairs run in the same round.
row() {
  local node="-" node_best="-" node_pairs="-"
  if [[ -n ${5:-} ]]; then
    node=$(rps "$5")
    node_best=$(ratio "${RPS[$3]:-}" "${RPS[$5]:-}")
    node_pairs=$(pairs "$3" "$5")
  fi
  printf '| %-26s | %-16s | %10s | %11s | %8s | %7s | %7s | %8s | %8s |\n' "$1" "$2" "$(rps "$3")" \
    "$(rps "$4")" "$node" "$(ratio "${RPS[$3]:-}" "${RPS[$4]:-}")" "$(pairs "$3" "$4")" \
    "$node_best" "$node_pairs"
}
printf '| %-26s | %-16s | %10s | %11s | %8s | %7s | %7s | %8s | %8s |\n' measurement protocol postal-cpp \
  "raw libcurl" "Node" "SDK/raw" "(pairs)" "SDK/Node" "(pairs)"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "----------------------------" "------------------" \
  "-----------:" "------------:" "---------:" "--------:" "--------:" "---------:" "---------:"
# The SDK's sequential HTTP/2 run is not its default: its rows are marked with a '*'.
seq_proto() { [[ $1 == h2 ]] && echo "${PROTO_NAME[$1]} *" || echo "${PROTO_NAME[$1]}"; }
for p in h2 h1n h1 http; do
  row "send_message seq N=$SEQ_N" "$(seq_proto "$p")" "seq/sdk/$p" "seq/raw/$p" \
    "$([[ $p == h1n ]] && echo seq/node)"
done
for p in $MANY_PROTOCOLS; do
  for c in $CONCURRENCIES; do
    row "send_many($c) N=$MANY_N" "${PROTO_NAME[$p]}" "many/sdk/$p/$c" "many/raw/$p/$c" \
      "$([[ $p == h2 && $c == 16 ]] && echo many/node/16)"
  done
done
if [[ -n ${RPS[many/sdk/h1n/16]:-} ]]; then
  row "send_many(16) N=$MANY_N" "${PROTO_NAME[h1n]}" many/sdk/h1n/16 many/raw/h1n/16 many/node/16
fi
echo "  (pairs): the median, over the $REPEAT rounds, of the ratio of the two runs of one round"
echo "  *: the SDK with CurlOptions::http2_single = true; by default it sends one message at a"
echo "  time over HTTP/1.1 (the h1.1 :443 row). Each client's default on :443,"
echo "  postal-cpp (HTTP/1.1) / raw libcurl (HTTP/2): $(ratio "${RPS[seq/sdk/h1n]:-}" "${RPS[seq/raw/h2]:-}") (pairs $(pairs seq/sdk/h1n seq/raw/h2))"
if [[ $DIAG == 1 ]]; then
  echo
  echo "Diagnostics: the SDK's libcurl transport alone (Transport::send_all, pre-built requests)"
  printf '| %-26s | %-16s | %10s | %10s | %11s | %14s | %13s |\n' measurement protocol send_many transport "raw libcurl" "many/transport" "transport/raw"
  printf '|%s|%s|%s|%s|%s|%s|%s|\n' "----------------------------" "------------------" "-----------:" "-----------:" "------------:" "---------------:" "--------------:"
  diag_row() {  # diag_row PROTOCOL IN_FLIGHT
    printf '| %-26s | %-16s | %10s | %10s | %11s | %14s | %13s |\n' "send_many($2) N=$MANY_N" "${PROTO_NAME[$1]}" \
      "$(rps "many/sdk/$1/$2")" "$(rps "many/transport/$1/$2")" "$(rps "many/raw/$1/$2")" \
      "$(ratio "${RPS[many/sdk/$1/$2]:-}" "${RPS[many/transport/$1/$2]:-}")" \
      "$(ratio "${RPS[many/transport/$1/$2]:-}" "${RPS[many/raw/$1/$2]:-}")"
  }
  for p in $MANY_PROTOCOLS; do
    for c in $CONCURRENCIES; do diag_row "$p" "$c"; done
  done
  [[ -z ${RPS[many/transport/h1n/16]:-} ]] || diag_row h1n 16
fi
echo
echo "Client CPU per request (µs of user + system time, all threads, lowest of the runs; steadier"
echo "than throughput on a shared machine, and blind to how the work overlaps). raw/SDK is the"
echo "SDK's CPU efficiency against raw libcurl:"
printf '| %-26s | %-16s | %10s | %11s | %7s |\n' measurement protocol postal-cpp "raw libcurl" "raw/SDK"
printf '|%s|%s|%s|%s|%s|\n' "----------------------------" "------------------" "-----------:" "------------:" "--------:"
cpu() { [[ -n ${CPU[$1]:-} ]] && printf '%.1f' "${CPU[$1]}" || echo "-"; }
for p in h2 h1n h1 http; do
  printf '| %-26s | %-16s | %10s | %11s | %7s |\n' "send_message seq N=$SEQ_N" "$(seq_proto "$p")" \
    "$(cpu "seq/sdk/$p")" "$(cpu "seq/raw/$p")" "$(ratio "${CPU[seq/raw/$p]:-}" "${CPU[seq/sdk/$p]:-}")"
done
for p in $MANY_PROTOCOLS; do
  for c in $CONCURRENCIES; do
    printf '| %-26s | %-16s | %10s | %11s | %7s |\n' "send_many($c) N=$MANY_N" "${PROTO_NAME[$p]}" \
      "$(cpu "many/sdk/$p/$c")" "$(cpu "many/raw/$p/$c")" \
      "$(ratio "${CPU[many/raw/$p/$c]:-}" "${CPU[many/sdk/$p/$c]:-}")"
  done
done
if [[ -n ${CPU[many/sdk/h1n/16]:-} ]]; then
  printf '| %-26s | %-16s | %10s | %11s | %7s |\n' "send_many(16) N=$MANY_N" "${PROTO_NAME[h1n]}" \
    "$(cpu many/sdk/h1n/16)" "$(cpu many/raw/h1n/16)" \
    "$(ratio "${CPU[many/raw/h1n/16]:-}" "${CPU[many/sdk/h1n/16]:-}")"
fi
echo
if [[ ${NUSED[many/node/16]:-} != "$MANY_N" ]]; then
  echo "  Node with 16 in flight ran N=${NUSED[many/node/16]:-?} (capped to fit ~${NODE_BUDGET_SECS} s), not $MANY_N."
fi
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo "  peak RSS, $RSS_SEQ_N sequential sends (:443, HTTP/1.1): $(mib "${RSS[rss-seq/peak]}") MiB (before sending: $(mib "${RSS[rss-seq/before]}") MiB)"
echo "  peak RSS, one send with a $ATTACH_MB MiB attachment (:443, HTTP/1.1): $(mib "${RSS[rss-attach/peak]}") MiB (before sending, attachment resident: $(mib "${RSS[rss-attach/before]}") MiB; send added $(mib $((RSS[rss-attach/peak] - RSS[rss-attach/before]))) MiB)"

echo
echo "Targets:"
target() {  # target DESCRIPTION RATIO MIN [NOTE]
  printf '  %-62s %6sx  (>= %s)  %s%s\n' "$1" "$2" "$3" "$(verdict "$2" "$3")" "${4:+  $4}"
}
# What raw libcurl itself makes of a target against Node on this machine and stand-in: the same
# ratio with raw libcurl in the SDK's place (pairs of the same rounds). Below the target, it
# says that the target is out of reach here whatever the SDK does.
ceiling() {  # ceiling RAW_KEY NODE_KEY MIN
  local r note=""
  r=$(pairs "$1" "$2")
  [[ $(verdict "$r" "$3") != MISS ]] || note=", below the target too"
  echo "(raw libcurl / Node: ${r}x${note})"
}
echo "  (ratios: the median of the rounds' pairs; the ratio of the best runs is in the table)"
for p in h2 h1n h1 http; do
  target "send_message seq, postal-cpp / raw libcurl, $(seq_proto "$p")" \
    "$(pairs "seq/sdk/$p" "seq/raw/$p")" 0.9
done
target "send_message seq (default: HTTP/1.1, Node's protocol) / Node" \
  "$(pairs "seq/sdk/h1n" "seq/node")" 2.5 "$(ceiling seq/raw/h1n seq/node 2.5)"
for p in $MANY_PROTOCOLS; do
  [[ " $CONCURRENCIES " == *" 16 "* ]] || break
  target "send_many(16) / raw curl multi(16), ${PROTO_NAME[$p]}" \
    "$(pairs "many/sdk/$p/16" "many/raw/$p/16")" 0.8
done
if [[ " $CONCURRENCIES " == *" 16 "* ]]; then
  target "send_many(16) (h2) / Node client, 16 in flight" \
    "$(pairs "many/sdk/h2/16" "many/node/16")" 4 "$(ceiling many/raw/h2/16 many/node/16 4)"
  target "send_many(16) (h1.1 :443, Node's protocol) / Node client" \
    "$(pairs "many/sdk/h1n/16" "many/node/16")" 4 "$(ceiling many/raw/h1n/16 many/node/16 4)"
fi
limit_kib=$((ATTACH_MB * 4 * 1024))
printf '  %-62s %6s MiB (<= %s MiB)  %s\n' "peak RSS with a $ATTACH_MB MiB attachment (<= 4x the attachment)" \
  "$(mib "${RSS[rss-attach/peak]}")" "$(mib $limit_kib)" \
  "$([[ ${RSS[rss-attach/peak]} -le $limit_kib ]] && echo PASS || echo MISS)"
if ((ATTACH_MB < 20)); then
  echo "  (the target is meant for 20 MiB: with a small attachment, the $(mib "${RSS[rss-attach/before]}") MiB the" \
    "process held before the send, libraries included, outweigh it)"
fi
