#!/bin/sh
# web_load.sh -- the web server under load, side by side with nginx on the same machine.
#
# Starts `psyclaim serve` on a free loopback port with a scratch database, fetches the endpoint once,
# starts nginx (in the foreground, with a scratch prefix and configuration, on a free loopback port,
# as an unprivileged user) serving a static file of exactly the bytes the endpoint answered, then runs
# wrk against each in turn for the same time with the same threads and connections. Both must answer
# every request with 2xx and without socket errors. Writes the section "web" of the results file:
# requests per second, latency p50/p99 (wrk --latency), and psyclaim's throughput as a share of
# nginx's. Installs nothing (`scripts/bootstrap.sh --bench` installs wrk and nginx; `make bench` runs it).
#
# usage: bench/web_load.sh [--bin PSYCLAIM] [--path /api/...] [--login ROLE] [--out FILE]
#   --bin PATH     the psyclaim binary (default build-release/psyclaim)
#   --path P       the endpoint, a GET (default /api/codes/cpt/90853, public code data)
#   --login ROLE   sign in as a scratch user of this role (admin, clinician, biller) and send its
#                  session cookie with every request, for endpoints that need a session
#   --out FILE     the results file (default docs/benchmarks.md); "-" prints the section only
# environment: WEB_BENCH_SECONDS (default 30), WEB_BENCH_WARMUP (seconds, default 2),
#   WEB_BENCH_CONNECTIONS (default 32), WEB_BENCH_CLIENT_THREADS (wrk threads, default 2),
#   WEB_BENCH_SERVER_THREADS (psyclaim threads = nginx worker processes, default 2)
set -eu

bin=build-release/psyclaim
path=/api/codes/cpt/90853
login=""
out=docs/benchmarks.md
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --path) path=$2; shift 2 ;;
    --login) login=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "web_load: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
seconds=${WEB_BENCH_SECONDS:-30}
warmup=${WEB_BENCH_WARMUP:-2}
conns=${WEB_BENCH_CONNECTIONS:-32}
cthreads=${WEB_BENCH_CLIENT_THREADS:-2}
sthreads=${WEB_BENCH_SERVER_THREADS:-2}
case "$path" in /*) ;; *) echo "web_load: --path must start with /" >&2; exit 2 ;; esac

missing=""
for tool in wrk nginx curl pgrep; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  echo "web_load: missing$missing; install with scripts/bootstrap.sh --bench (make bench does)" >&2
  exit 1
fi
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
[ -x "$bin" ] || { echo "web_load: no psyclaim binary at $bin (build it first)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/psyclaim-webload.XXXXXX")
psy_pid=""
nginx_pid=""
cleanup() {
  [ -n "$psy_pid" ] && kill "$psy_pid" 2>/dev/null && wait "$psy_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- psyclaim -------------------------------------------------------------------------------------
cookie=""
if [ -n "$login" ]; then
  password="web-load-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" | "$bin" user add --db "$tmp/bench.db" --username "bench-$login" --role "$login" >/dev/null
fi
"$bin" serve --db "$tmp/bench.db" --listen 127.0.0.1:0 --threads "$sthreads" --quiet >"$tmp/serve.out" 2>"$tmp/serve.err" &
psy_pid=$!
psy_url=""
i=0
while [ $i -lt 300 ] && [ -z "$psy_url" ]; do
  psy_url=$(sed -n 's|.*serving \(http://[^ ]*[0-9]\)/ .*|\1|p' "$tmp/serve.out")
  [ -n "$psy_url" ] && break
  kill -0 "$psy_pid" 2>/dev/null || { cat "$tmp/serve.err" >&2; echo "web_load: psyclaim serve exited" >&2; exit 1; }
  sleep 0.1
  i=$((i + 1))
done
[ -n "$psy_url" ] || { echo "web_load: psyclaim serve did not start" >&2; exit 1; }

if [ -n "$login" ]; then
  curl -s -o /dev/null -D "$tmp/login.head" -H 'Content-Type: application/json' \
       -d "{\"username\": \"bench-$login\", \"password\": \"$password\"}" "$psy_url/api/login"
  cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: \(psy_session=[0-9a-f]*\);.*/\1/p' "$tmp/login.head")
  [ -n "$cookie" ] || { echo "web_load: signing in as bench-$login failed" >&2; exit 1; }
fi

mkdir -p "$tmp/www"
code=$(curl -s -o "$tmp/www/body" -w '%{http_code}' ${cookie:+-H "Cookie: $cookie"} "$psy_url$path")
[ "$code" = 200 ] || { echo "web_load: GET $path answered $code, not 200" >&2; head -c 300 "$tmp/www/body" >&2; exit 1; }
bytes=$(wc -c <"$tmp/www/body" | tr -d ' ')
ctype=$(curl -s -o /dev/null -w '%{content_type}' ${cookie:+-H "Cookie: $cookie"} "$psy_url$path")

# --- nginx: the same bytes as a static file ------------------------------------------------------
mkdir -p "$tmp/nginx"
as_nobody=""
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
  # root starts it as nobody: no privilege is needed for a high port and a scratch prefix
  as_nobody="setpriv --reuid=nobody --regid=nogroup --clear-groups"
  chmod 755 "$tmp" "$tmp/www"
  chmod 644 "$tmp/www/body"
  chown nobody "$tmp/nginx"
fi
start_nginx() { # $1 = port; returns 0 once nginx answers
  cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes $sthreads;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type "$ctype";
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server {
    listen 127.0.0.1:$1;
    root $tmp/www;
    location / { try_files /body =404; }
  }
}
EOF
  $as_nobody "$NGINX" -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" 2>>"$tmp/nginx/start.err" &
  nginx_pid=$!
  j=0
  while [ $j -lt 50 ]; do
    kill -0 "$nginx_pid" 2>/dev/null || { nginx_pid=""; return 1; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$path")" = 200 ] && return 0
    sleep 0.1
    j=$((j + 1))
  done
  kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; nginx_pid=""
  return 1
}
nginx_url=""
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
  if start_nginx "$port"; then nginx_url="http://127.0.0.1:$port"; break; fi
done
[ -n "$nginx_url" ] || { echo "web_load: nginx did not start" >&2; cat "$tmp/nginx/start.err" "$tmp/nginx/error.log" >&2 2>/dev/null; exit 1; }
nbytes=$(curl -s "$nginx_url$path" | wc -c | tr -d ' ')
[ "$nbytes" = "$bytes" ] || { echo "web_load: nginx serves $nbytes bytes, psyclaim $bytes" >&2; exit 1; }

# --- load -------------------------------------------------------------------------------------------
# cpu_ticks PID: user + system CPU ticks of a process and its child processes (nginx's workers)
cpu_ticks() {
  t=0
  for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    [ -r "/proc/$p/stat" ] && t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo "$t"
}
# run NAME URL PID: warm up, then wrk for $seconds; the report goes to $tmp/NAME.wrk, the server's
# CPU ticks during the run to $tmp/NAME.cpu
run() {
  [ "$warmup" -gt 0 ] && wrk -t"$cthreads" -c"$conns" -d"${warmup}s" ${cookie:+-H "Cookie: $cookie"} "$2$path" >/dev/null
  echo "web_load: $1: wrk -t$cthreads -c$conns -d${seconds}s --latency $path" >&2
  t0=$(cpu_ticks "$3")
  wrk -t"$cthreads" -c"$conns" -d"${seconds}s" --latency ${cookie:+-H "Cookie: $cookie"} "$2$path" >"$tmp/$1.wrk"
  echo $(($(cpu_ticks "$3") - t0)) >"$tmp/$1.cpu"
  cat "$tmp/$1.wrk" >&2
}
run nginx "$nginx_url" "$nginx_pid"
run psyclaim "$psy_url" "$psy_pid"
hz=$(getconf CLK_TCK)

# field NAME KEY: one figure of a wrk report
field() {
  f=$tmp/$1.wrk
  case "$2" in
    rps) awk '/^Requests\/sec:/ {print $2}' "$f" ;;
    p50) awk '/Latency Distribution/ {d=1} d && $1 == "50%" {print $2; exit}' "$f" ;;
    p99) awk '/Latency Distribution/ {d=1} d && $1 == "99%" {print $2; exit}' "$f" ;;
    requests) awk '/ requests in / {print $1}' "$f" ;;
    non2xx) awk '/Non-2xx or 3xx responses:/ {print $NF; found=1} END {if (!found) print 0}' "$f" ;;
    errors) awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10; found=1} END {if (!found) print 0}' "$f" ;;
    cpu) awk -v t="$(cat "$tmp/$1.cpu")" -v hz="$hz" '/ requests in / {printf "%.0f", t / hz * 1e6 / $1}' "$f" ;;
  esac
}
bad=0
for s in psyclaim nginx; do
  if [ "$(field $s non2xx)" != 0 ] || [ "$(field $s errors)" != 0 ] || [ -z "$(field $s rps)" ]; then
    echo "web_load: $s: $(field $s non2xx) non-2xx responses, $(field $s errors) socket errors" >&2
    bad=1
  fi
done
[ $bad -eq 0 ] || exit 1

ratio=$(awk -v a="$(field psyclaim rps)" -v b="$(field nginx rps)" 'BEGIN {printf "%.2f", a / b}')
nginx_version=$("$NGINX" -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
wrk_version=$(wrk -v 2>&1 | sed -n 's/^wrk [^0-9]*\([0-9][0-9.]*\).*/\1/p' | head -n 1)
auth="public, no session"
[ -n "$login" ] && auth="with the session cookie of a signed-in $login"
row() {
  printf '| %s | %s | %s | %s | %s | %s | %s / %s |\n' "$2" "$(field "$1" rps)" "$(field "$1" p50)" "$(field "$1" p99)" \
    "$(field "$1" cpu)" "$(field "$1" requests)" "$(field "$1" errors)" "$(field "$1" non2xx)"
}
section=$(cat <<EOF
## Web server under load

\`bench/web_load.sh\` (\`make bench\`; this run: \`WEB_BENCH_SECONDS=$seconds bench/web_load.sh --path $path\`).
\`GET $path\` ($auth; $bytes bytes of JSON) against \`$bin serve\` ($sthreads worker
threads, access log off, a fresh database) and against nginx ${nginx_version:-?} ($sthreads worker processes,
access log off) serving a static file of the same $bytes bytes, one after the other on the same
$(nproc)-core machine over loopback. wrk ${wrk_version:-?}: $cthreads threads, $conns connections, ${seconds} s each after
a ${warmup} s warm-up; wrk itself runs on the same cores. psyclaim's answers also carry its security headers.
"server CPU" is the server's user + system time during the run (from /proc) divided by the requests.

| server | requests/s | latency p50 | latency p99 | server CPU per request (µs) | requests | socket errors / non-2xx |
|---|---:|---:|---:|---:|---:|---:|
$(row psyclaim "psyclaim \`$path\`")
$(row nginx "nginx, static file")

psyclaim's throughput is **$ratio** of nginx's (target: at least 0.5).
EOF
)
if [ "$out" = - ]; then
  printf '%s\n' "$section"
  exit 0
fi
# replace the section between its markers, or append it
printf '%s\n' "$section" >"$tmp/section.md"
"$(dirname "$0")/section.sh" web "$tmp/section.md" "$out"
echo "web_load: psyclaim/nginx = $ratio; section 'web' written to $out" >&2
