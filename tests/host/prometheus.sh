# SPDX-License-Identifier: GPL-2.0
# kmtrace stat --listen / --textfile against a real Prometheus (Debian's
# prometheus package, from scripts/deps.sh): two kmtrace exporters, one per
# call site and one per named cache, both filtered on a copy of kstorm with a
# name of its own (other kstorm runs on the machine do not count), are
# scraped every second by a Prometheus server this test starts on
# 127.0.0.1; after kstorm's known workload (N msgsnd = N kmallocs at
# load_msg/alloc_msg; M sockets = M sock_inode_cache objects), PromQL through
# Prometheus' HTTP API returns exactly N and M from a scrape made after the
# workload ended.  promtool check metrics accepts /metrics and the textfile;
# no line holds a kernel address; the textfile is replaced atomically (0644,
# no temporary file left) and says kmtrace_ready 0 at the end; bad
# --listen/--textfile arguments exit 2, a port in use and an unwritable
# textfile exit 1, each with one line; SIGTERM/SIGINT end the exporters with
# exit 0, their BPF programs released and their ports closed.  Everything the
# test starts is stopped, also on failure.
. tests/lib.sh
K=${KMTRACE:-build/kmtrace}
N=3000 # msgsnd of 952 bytes: N kmallocs of 1000 bytes
M=500  # sockets: M sock_inode_cache objects
tmp=$(mktemp -d)
kpa='' kpb='' pp='' wp=''

cleanup() {
	for p in $wp $kpa $kpb $pp; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $wp $kpa $kpb $pp; do
		timeout 15 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for tool in prometheus promtool curl; do
	if ! command -v $tool >/dev/null; then
		not_ok "prometheus: $tool is installed" "run scripts/deps.sh"
		exit 0
	fi
done
[ -x build/kstorm ] || {
	not_ok "prometheus: build/kstorm is built" "run make"
	exit 0
}

# A copy of kstorm under a name (its comm) that only this test uses.
comm=kmtp$$
cp build/kstorm "$tmp/$comm"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# serving_port ERR: the port of "kmtrace: stat: serving http://127.0.0.1:PORT/metrics".
serving_port() {
	for _ in $(seq 50); do
		_p=$(sed -n 's|^kmtrace: stat: serving http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' "$1")
		[ -n "$_p" ] && break
		sleep 0.1
	done
	echo "$_p"
}

# --- the exporters ---------------------------------------------------------------
mkdir "$tmp/textfile"
"$K" stat --listen 127.0.0.1:0 -c "$comm" --textfile "$tmp/textfile/kmtrace.prom" \
	--interval 0.5 >"$tmp/a.out" 2>"$tmp/a.err" &
kpa=$!
"$K" stat --cache --listen 0 --top 3 -c "$comm" >"$tmp/b.out" 2>"$tmp/b.err" &
kpb=$!
if wait_ready "$tmp/a.err" $kpa && wait_ready "$tmp/b.err" $kpb; then
	ok "stat --listen (--caller and --cache): ready"
else
	not_ok "stat --listen: ready" "$(cat "$tmp/a.err" "$tmp/b.err" | tr '\n' '|')"
	exit 0
fi
pa=$(serving_port "$tmp/a.err")
pb=$(serving_port "$tmp/b.err")
if [ -n "$pa" ] && [ -n "$pb" ]; then
	ok "stat --listen 127.0.0.1:0 and --listen 0: 'serving http://127.0.0.1:PORT/metrics' on stderr"
else
	not_ok "stat --listen: serving line" "$(cat "$tmp/a.err" "$tmp/b.err" | tr '\n' '|')"
	exit 0
fi
count_is "stat --listen: stderr is the ready and the serving line" "$tmp/a.err" '' 2

# --- Prometheus ---------------------------------------------------------------------
# scrape_interval 1s; the test's own data directory; loopback only.
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kmtrace
    static_configs:
      - targets: ['127.0.0.1:$pa', '127.0.0.1:$pb']
EOF
check "promtool check config accepts the test's prometheus.yml" promtool check config "$tmp/prometheus.yml"
for try in 1 2 3; do # a free port can be taken meanwhile: then another
	pport=$(free_port)
	prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
		--web.listen-address="127.0.0.1:$pport" --log.level=warn >"$tmp/prom.log" 2>&1 &
	pp=$!
	for _ in $(seq 300); do
		curl -sf --max-time 2 "http://127.0.0.1:$pport/-/ready" >/dev/null && break
		kill -0 $pp 2>/dev/null || break
		sleep 0.1
	done
	curl -sf --max-time 2 "http://127.0.0.1:$pport/-/ready" >/dev/null && break
	kill $pp 2>/dev/null
	wait $pp 2>/dev/null
	pp=''
	echo "# prometheus did not start (try $try): $(tail -n 2 "$tmp/prom.log" | tr '\n' '|')"
done
if [ -z "$pp" ]; then
	not_ok "prometheus starts on 127.0.0.1" "$(tail -n 5 "$tmp/prom.log" | tr '\n' '|')"
	exit 0
fi
ok "prometheus starts on 127.0.0.1:$pport (its own config and data directory)"

# pq EXPR: the value of EXPR's one result through /api/v1/query ("" if not one).
pq() {
	curl -s --max-time 5 -G "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json, sys
try:
    d = json.load(sys.stdin)
    r = d["data"]["result"] if d.get("status") == "success" else []
    print(r[0]["value"][1] if len(r) == 1 else "")
except Exception:
    print("")'
}

# wait_scraped EXPR T: until EXPR's sample was scraped at or after Unix time T
# (20 s at most); its value.
wait_scraped() {
	for _ in $(seq 100); do
		_ts=$(pq "timestamp($1)")
		if [ -n "$_ts" ] && python3 -c "import sys; sys.exit(0 if $_ts >= $2 else 1)"; then
			pq "$1"
			return 0
		fi
		sleep 0.2
	done
	pq "$1"
	return 1
}

A="instance=\"127.0.0.1:$pa\""
B="instance=\"127.0.0.1:$pb\""
if [ "$(wait_scraped "up{$A}" 0)" = 1 ] && [ "$(wait_scraped "up{$B}" 0)" = 1 ]; then
	ok "prometheus scrapes both exporters (up 1)"
else
	not_ok "prometheus scrapes both exporters" "up: '$(pq "up{$A}")' '$(pq "up{$B}")'"
fi
eq "PromQL: kmtrace_ready 1" "$(pq "kmtrace_ready{$A}")" 1
eq "PromQL: kmtrace_info names the scope" "$(pq "kmtrace_info{$B,mode=\"cache\",scope=\"comm $comm\"}")" 1

# --- the workload: known counts -----------------------------------------------------
"$tmp/$comm" -m msg -s 952 -n $N >"$tmp/msg.out" &
wp=$!
wait $wp
wp=''
"$tmp/$comm" -m sock -n $M >"$tmp/sock.out" &
wp=$!
wait $wp
wp=''
t_end=$(date +%s.%N)
E=$(sed -n 's/.*expected_kmallocs=\([0-9]*\).*/\1/p' "$tmp/msg.out")
C=$(sed -n 's/.*expected_cache_allocs=\([0-9]*\).*/\1/p' "$tmp/sock.out")
eq "kstorm: $N msgsnd = $N kmallocs, $M sockets = $M sock_inode_cache objects" "$E $C" "$N $M"

site="call_site=~\"(load_msg|alloc_msg)[.a-z0-9_]*[+]0x[0-9a-f]+\""
got=$(wait_scraped "sum(kmtrace_call_site_allocations_total{$A,$site})" "$t_end")
eq "PromQL (scraped after the workload): the msgsnd call site's allocations = $E" "$got" "$E"
eq "PromQL: ... and all of them freed" \
	"$(pq "sum(kmtrace_call_site_freed_objects_total{$A,$site})")" "$E"
eq "PromQL: ... none outstanding" "$(pq "sum(kmtrace_call_site_outstanding_bytes{$A,$site})")" 0
got=$(wait_scraped "kmtrace_cache_allocations_total{$B,cache=\"sock_inode_cache\"}" "$t_end")
eq "PromQL: sock_inode_cache allocations = $C" "$got" "$C"
# the size histogram: the 1000-byte kmallocs are in (512, 1024]
got=$(pq "kmtrace_allocation_size_bytes_bucket{$A,le=\"1024\"} - ignoring(le) kmtrace_allocation_size_bytes_bucket{$A,le=\"512\"}")
if [ -n "$got" ] && [ "$got" -ge "$E" ]; then
	ok "PromQL: histogram bucket (512, 1024] holds the $E kmallocs of 1000 bytes ($got)"
else
	not_ok "PromQL: histogram bucket (512, 1024]" "got '$got'"
fi
got=$(pq "histogram_quantile(0.5, kmtrace_allocation_size_bytes_bucket{$A})")
if python3 -c "import sys; sys.exit(0 if 512 < float('${got:-0}') <= 1024 else 1)"; then
	ok "PromQL: histogram_quantile(0.5) of the sizes is in (512, 1024] ($got)"
else
	not_ok "PromQL: histogram_quantile(0.5)" "got '$got'"
fi
eq "PromQL: _count = +Inf bucket" \
	"$(pq "kmtrace_allocation_size_bytes_count{$A} - ignoring(le) kmtrace_allocation_size_bytes_bucket{$A,le=\"+Inf\"}")" 0
# --top 3: three caches and "other", which sum to the totals
eq "PromQL: --top 3 gives 4 cache series (3 and other)" \
	"$(pq "count(kmtrace_cache_allocations_total{$B})")" 4
eq "PromQL: the cache series (with other) sum to kmtrace_allocations_total" \
	"$(pq "sum(kmtrace_cache_allocations_total{$B}) - sum(kmtrace_allocations_total{$B})")" 0
eq "PromQL: no unattributed events, no untracked allocations" \
	"$(pq "sum(kmtrace_unattributed_events_total{$A}) + sum(kmtrace_untracked_allocations_total{$A})")" 0

# --- the text itself ------------------------------------------------------------------
for x in a b; do
	p=$pa
	[ $x = b ] && p=$pb
	curl -s --max-time 5 -D "$tmp/$x.hdr" "http://127.0.0.1:$p/metrics" >"$tmp/$x.metrics"
	out=$(promtool check metrics <"$tmp/$x.metrics" 2>&1)
	rc=$?
	eq "promtool check metrics accepts /metrics ($x): exit 0, no lint" "$rc:$out" "0:"
	has "/metrics ($x): Content-Type text/plain; version=0.0.4" "$tmp/$x.hdr" \
		'^Content-Type: text/plain; version=0\.0\.4; charset=utf-8'
	# addresses: 0x..., 16 hex digits, ffff..., or a decimal one (19+ digits)
	count_is "/metrics ($x): no kernel address in any line" "$tmp/$x.metrics" \
		'0x[0-9a-fA-F]{5,}|[0-9a-fA-F]{16}|ffffffff|[0-9]{19,}' 0
done
bad=$(grep -oE 'call_site="[^"]*"' "$tmp/a.metrics" | sort -u |
	grep -vE '^call_site="([A-Za-z0-9_.$]+\+0x[0-9a-f]{1,5}|unknown|other)"$')
eq "/metrics: every call_site label is symbol+0xoff, unknown or other" "$bad" ""
count_is "/metrics: HELP and TYPE for every family" "$tmp/a.metrics" '^# HELP ' \
	"$(grep -c '^# TYPE ' "$tmp/a.metrics")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pa/nothing")
eq "http: another path is 404" "$code" 404
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$pa/metrics")
eq "http: POST is 405" "$code" 405

# --- the textfile -----------------------------------------------------------------------
f="$tmp/textfile/kmtrace.prom"
for _ in $(seq 50); do # rewritten every 0.5 s: until it has the workload
	v=$(sed -n "s/^kmtrace_call_site_allocations_total{allocator=\"kmalloc\",call_site=\"\(load_msg\|alloc_msg\)[^\"]*\"} //p" "$f" 2>/dev/null)
	[ "$v" = "$E" ] && break
	sleep 0.2
done
eq "textfile: the msgsnd call site's allocations = $E" "$v" "$E"
eq "textfile: mode 0644 (no address in it)" "$(stat -c %a "$f")" 644
out=$(promtool check metrics <"$f" 2>&1)
eq "promtool check metrics accepts the textfile" "$?:$out" "0:"
count_is "textfile: no kernel address" "$f" '0x[0-9a-fA-F]{5,}|[0-9a-fA-F]{16}|ffffffff' 0

# --- errors -------------------------------------------------------------------------------
for args in "--listen ''" "--listen :9464" "--listen 65536" "--listen host:9464" \
	"--listen [::1]" "--listen 1.2.3.4.5:80" "--listen 0x10" "--top 5" "--interval 1" \
	"--listen 0 --top 0" "--listen 0 --top 1001" "--textfile ''" "--listen 0 --interval 1" \
	"--textfile x --interval 0"; do
	eval "set -- $args"
	exits_with "stat $args: exit 2, one line" 2 '^kmtrace: stat: ' "$K" stat "$@"
done
exits_with "stat --listen on a port in use: exit 1, one line" 1 \
	"^kmtrace: stat: cannot listen on 127\.0\.0\.1:$pa: Address already in use$" \
	"$K" stat --listen "127.0.0.1:$pa" -d 1
exits_with "stat --textfile in a directory that is not there: exit 1, one line" 1 \
	'^kmtrace: stat: cannot write --textfile .*: No such file or directory$' \
	"$K" stat --textfile "$tmp/none/x.prom" -d 1

# --- the end ---------------------------------------------------------------------------------
bpf_held $kpa >"$tmp/held"
kill -TERM $kpa
timeout 10 tail --pid=$kpa -f /dev/null
wait $kpa
eq "stat --listen --textfile: SIGTERM, exit 0" "$?" 0
kpa=''
bpf_gone "stat --listen --textfile"
has "stat --listen: the table is printed at the end" "$tmp/a.out" '^CALLSITE +HITS'
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$pa/metrics")
eq "stat --listen: the port is closed after the end" "$code" 000
has "textfile: kmtrace_ready 0 after the end" "$f" '^kmtrace_ready 0$'
eq "textfile: no temporary file left beside it" "$(ls -A "$tmp/textfile")" kmtrace.prom
eq "PromQL: prometheus sees the exporter down (up 0)" \
	"$(wait_scraped "up{$A} == 0" "$(date +%s.%N)")" 0
bpf_held $kpb >"$tmp/held"
kill -INT $kpb
timeout 10 tail --pid=$kpb -f /dev/null
wait $kpb
eq "stat --cache --listen: SIGINT, exit 0" "$?" 0
kpb=''
bpf_gone "stat --cache --listen"
kill -TERM "$pp"
timeout 15 tail --pid="$pp" -f /dev/null
wait "$pp"
eq "prometheus stops on SIGTERM (exit 0)" "$?" 0
pp=''
