# SPDX-License-Identifier: GPL-2.0
# Allocator families on this host: named slab caches counted exactly against a
# workload whose count kmtrace did not compute (kstorm -m sock: one
# sock_inode_cache object per op, checked against tracefs by kstorm's own
# test), in trace, stat --cache and hist --by cache; --family attaches only
# what it names; vmalloc and per-CPU events attach and match their frees.
. tests/lib.sh
K=${KMTRACE:-build/kmtrace}
KMTRACE=$K # for start_kmtrace
S=build/kstorm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$S" -m sock -n 1 >"$tmp/probe" 2>&1; then
	not_ok "kstorm -m sock runs" "$(head -c 200 "$tmp/probe")"
	exit 0
fi
n=500
exp=$("$S" -m sock -n 1 | sed -n 's/.*cache=\([a-z_]*\) .*cache_allocs_per_op=\([0-9]*\).*/\1 \2/p')
eq "kstorm -m sock names its cache and count per op" "$exp" "sock_inode_cache 1"

# --- trace --family cache ------------------------------------------------------------------
"$K" trace --json --family cache -- "$S" -m sock -n $n >"$tmp/t.out" 2>"$tmp/t.err"
eq "trace --family cache -- kstorm -m sock: exit 0" "$?" 0
has "trace --family cache: the ready line names only the cache family" "$tmp/t.err" \
	'^kmtrace: ready: trace: cache via raw_tp, threads via raw_tp, modules (via raw_tp|off)$'
count_is "trace --family cache: exactly $n sock_inode_cache allocations by kstorm" "$tmp/t.out" \
	'^\{"ts_ns":[0-9]+,"event":"cache_alloc","pid":[0-9]+,"tid":[0-9]+,"comm":"kstorm","family":"cache","cache":"sock_inode_cache",' $n
has "trace --family cache: named at its call site" "$tmp/t.out" \
	'"cache":"sock_inode_cache",.*"sym":"sock_alloc_inode\+0x[0-9a-f]+"'
count_is "trace --family cache: no event of another family" "$tmp/t.out" \
	'"family":"(kmalloc|page|vmalloc|percpu)"' 0
python3 - "$tmp/t.out" <<'PY'
import json, sys
live, freed = {}, 0
for l in open(sys.argv[1]):
    if not l.startswith("{"):
        continue
    e = json.loads(l)
    if e["event"] == "cache_alloc" and e.get("cache") == "sock_inode_cache":
        live[e["ptr"]] = e["bytes_alloc"]
    elif e["event"] == "cache_free" and e["ptr"] in live:
        ok = e["tracked"] and e["bytes_alloc"] == live.pop(e["ptr"]) and e["cache"] == "sock_inode_cache"
        if not ok:
            print("not ok - a sock_inode_cache free matches its allocation # " + l.strip())
            sys.exit(0)
        freed += 1
print("ok - trace: every sock_inode_cache free seen (%d) matches its allocation's pointer and size" % freed)
PY

# --- stat --cache -c kstorm ---------------------------------------------------------------
start_kmtrace "$tmp/s.out" "$tmp/s.err" stat --cache -c kstorm --json -l 0
"$S" -m sock -n $n >/dev/null
stop_kmtrace "stat --cache -c kstorm"
has "stat --cache: ready line" "$tmp/s.err" '^kmtrace: ready: stat: cache via raw_tp$'
has "stat --cache -c kstorm: a sock_inode_cache row of exactly $n" "$tmp/s.out" \
	"^\\{\"type\":\"cache\",\"cache\":\"sock_inode_cache\",\"hits\":$n,"
has "stat --cache: totals say the mode" "$tmp/s.out" '^\{"type":"totals","mode":"cache","scope":"comm kstorm",'

# --- hist --by cache -- CMD ----------------------------------------------------------------
"$K" hist --json --by cache -- "$S" -m sock -n $n >"$tmp/h.out" 2>"$tmp/h.err"
eq "hist --by cache -- kstorm -m sock: exit 0" "$?" 0
has "hist --by cache: the sock_inode_cache histogram counts exactly $n" "$tmp/h.out" \
	"^\\{\"hist\":\"bytes_req\",\"key\":\\{\"cache\":\"sock_inode_cache\"\\},.*\"total\":$n,"

# --- vmalloc and per-CPU: attached, frees matched -------------------------------------------
"$K" trace --json --family vmalloc,percpu -d 2 >"$tmp/v.out" 2>"$tmp/v.err" &
kv=$!
wait_ready "$tmp/v.err" $kv
for _ in 1 2 3; do bpftool prog show >/dev/null 2>&1; done
wait $kv
eq "trace --family vmalloc,percpu -d 2: exit 0" "$?" 0
has "trace --family vmalloc,percpu: both attach (raw_tp)" "$tmp/v.err" \
	'^kmtrace: ready: trace: vmalloc via raw_tp, percpu via raw_tp, threads via raw_tp, modules (via raw_tp|off)$'
has "trace --family vmalloc,percpu: per-CPU allocations seen" "$tmp/v.out" '"event":"percpu_alloc",.*"family":"percpu"'
count_is "trace --family vmalloc,percpu: no other family" "$tmp/v.out" '"family":"(kmalloc|page|cache)"' 0
