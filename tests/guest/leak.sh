# SPDX-License-Identifier: GPL-2.0
# vm-checks: 46
# Leak report at module unload, in the VM (busybox sh, as root, cwd /kmtrace):
# `kmtrace trace -m kmdemo` while kmdemo is loaded with leak=1 and unloaded
# reports exactly one leak, at the pointer kmdemo printed with %px, named at
# its call site in kmdemo_init, counted as outstanding; a normal load/unload
# reports none, nor does bulk=8 (objects freed by kfree_bulk(), seen by
# fentry; `kmtrace stat` matches them too) or size=16384 (the kmalloc's own
# pages are not the module's).  Also the text table and a --perfetto file.
# Run in a VM by tests/run.sh; the last line is the marker "# leak guest: done".
. /kmtrace/tests/lib.sh

# --- leak=1: one leak, the %px pointer, named in kmdemo_init --------------------
start_kmtrace /tmp/leak.out /tmp/leak.err trace --json -m kmdemo --perfetto /tmp/leak.pf.json
has "leak=1: ready line on stderr" /tmp/leak.err '^kmtrace: ready'
dmesg -c >/dev/null
modprobe kmdemo size=4096 order=1 leak=1
eq "modprobe kmdemo size=4096 order=1 leak=1" "$?" 0
rmmod kmdemo
eq "rmmod kmdemo (leak=1)" "$?" 0
dmesg >/tmp/leak.dmesg
stop_kmtrace "leak=1"
grep '^{' /tmp/leak.out >/tmp/leak.json
echo "# leak=1 stderr: $(tr '\n' '|' </tmp/leak.err)"
grep -E '"event":"(leak|module_free|summary)"' /tmp/leak.json | sed 's/^/#   /'
grep 'deliberate leak' /tmp/leak.dmesg | sed 's/^/#   dmesg: /'

count_is "leak=1: exactly one leak line" /tmp/leak.json '^\{"event":"leak",' 1
px=$(sed -n 's/.*NOT freeing the [0-9]*-byte buffer at \([0-9a-f]*\).*/\1/p' /tmp/leak.dmesg | head -n 1)
ptr=$(grep '^{"event":"leak",' /tmp/leak.json | sed -n 's/.*"ptr":"0x\([0-9a-f]*\)".*/\1/p')
if [ -n "$px" ] && [ "$(echo "$px" | sed 's/^0*//')" = "$ptr" ]; then
	ok "leak=1: leak ptr 0x$ptr is the %px kmdemo printed"
else
	not_ok "leak=1: leak ptr is the %px kmdemo printed" "dmesg '$px', leak '$ptr'"
fi
has "leak=1: named at its call site in kmdemo_init" /tmp/leak.json \
	'^\{"event":"leak","kind":"kmalloc",.*"sym":"kmdemo_init\+0x[0-9a-f]+ \[kmdemo\]","module":"kmdemo",'
has "leak=1: 4096 bytes requested, call_site, pid, comm, ts_ns, age_ns" /tmp/leak.json \
	'^\{"event":"leak",.*"bytes_req":4096,"bytes_alloc":[0-9]+,"call_site":"0x[0-9a-f]+",.*"pid":[0-9]+,"tid":[0-9]+,"comm":"modprobe","ts_ns":[0-9]+,"unload_ts_ns":[0-9]+,"age_ns":[0-9]+\}$'
ts_alloc=$(grep '"event":"kmalloc"' /tmp/leak.json | grep "\"ptr\":\"0x$ptr\"" | sed -n 's/^{"ts_ns":\([0-9]*\),.*/\1/p')
ts_leak=$(grep '^{"event":"leak",' /tmp/leak.json | sed -n 's/.*,"ts_ns":\([0-9]*\),.*/\1/p')
eq "leak=1: the leak's ts_ns is its kmalloc event's" "${ts_leak:-none}" "${ts_alloc:-x}"
n_lm=$(grep -n -E '"event":"module_free"' /tmp/leak.json | head -n 1 | cut -d: -f1)
n_lk=$(grep -n -E '^\{"event":"leak"' /tmp/leak.json | head -n 1 | cut -d: -f1)
if [ -n "$n_lm" ] && [ -n "$n_lk" ] && [ "$n_lk" -gt "$n_lm" ]; then
	ok "leak=1: the leak follows kmdemo's module_free"
else
	not_ok "leak=1: the leak follows kmdemo's module_free" "lines $n_lm / $n_lk"
fi
count_is "leak=1: the pages were freed (no page leak)" /tmp/leak.json '"event":"leak","kind":"page"' 0
has "leak=1: summary outstanding 1, leaks 1" /tmp/leak.json \
	'^\{"event":"summary".*"outstanding":1,.*"leaks":1'
has "leak=1: summary lost 0" /tmp/leak.json '^\{"event":"summary".*"lost":0,'
if grep -q '"ph":"i","name":"leak"' /tmp/leak.pf.json && tail -c 4 /tmp/leak.pf.json | grep -q ']}'; then
	ok "leak=1: the --perfetto file has the leak and is closed"
else
	not_ok "leak=1: the --perfetto file has the leak and is closed" "$(tail -c 80 /tmp/leak.pf.json)"
fi

# --- plain load/unload: no leak --------------------------------------------------
start_kmtrace /tmp/ok.out /tmp/ok.err trace --json -m kmdemo
modprobe kmdemo size=4096 order=1
eq "modprobe kmdemo size=4096 order=1" "$?" 0
rmmod kmdemo
eq "rmmod kmdemo" "$?" 0
stop_kmtrace "no leak"
grep '^{' /tmp/ok.out >/tmp/ok.json
count_is "no leak: zero leak lines" /tmp/ok.json '"event":"leak"' 0
has "no leak: summary outstanding 0, leaks 0" /tmp/ok.json \
	'^\{"event":"summary".*"outstanding":0,.*"leaks":0'
has "no leak: the 4096-byte kmalloc was seen" /tmp/ok.json '"event":"kmalloc".*"module":"kmdemo","bytes_req":4096,'

# --- bulk=8: objects freed by one kfree_bulk() (no kmem:kfree event each) -----------
# Needs a kernel that lets fentry attach (Debian's 6.1 and 6.12 do; this
# project's 6.18 host does not, and runs no module tests).
start_kmtrace /tmp/bulk.out /tmp/bulk.err trace --json -m kmdemo
has "bulk=8: the ready line says bulk frees on (fentry kmem_cache_free_bulk)" /tmp/bulk.err \
	'^kmtrace: ready: trace: kmalloc via raw_tp, cache via raw_tp, page via tracepoint, vmalloc via (raw_tp|fexit), percpu via raw_tp, bulk frees via fentry, threads via raw_tp, modules via raw_tp$'
modprobe kmdemo size=4096 bulk=8
eq "modprobe kmdemo size=4096 bulk=8" "$?" 0
rmmod kmdemo
eq "rmmod kmdemo (bulk=8)" "$?" 0
stop_kmtrace "bulk=8"
grep '^{' /tmp/bulk.out >/tmp/bulk.json
grep -E '"event":"kfree"' /tmp/bulk.json | head -n 2 | sed 's/^/#   /'
grep -E '"event":"(leak|summary)"' /tmp/bulk.json | sed 's/^/#   /'
count_is "bulk=8: 8 kmallocs of 64 bytes in kmdemo_init" /tmp/bulk.json \
	'"event":"kmalloc",.*"sym":"kmdemo_init\+0x[0-9a-f]+ \[kmdemo\]","module":"kmdemo","bytes_req":64,' 8
count_is "bulk=8: 8 tracked bulk kfree events (64-byte objects)" /tmp/bulk.json \
	'"event":"kfree",.*"sym":"kmem_cache_free_bulk[^"]*",.*"bytes_alloc":64,"tracked":true,"bulk":true' 8
grep '"event":"kmalloc",.*"bytes_req":64,' /tmp/bulk.json | sed -n 's/.*"ptr":"\(0x[0-9a-f]*\)".*/\1/p' |
	sort >/tmp/bulk.a
grep '"bulk":true' /tmp/bulk.json | sed -n 's/.*"ptr":"\(0x[0-9a-f]*\)".*/\1/p' | sort >/tmp/bulk.f
if [ -s /tmp/bulk.a ] && cmp -s /tmp/bulk.a /tmp/bulk.f; then
	ok "bulk=8: the bulk kfrees are exactly the 8 objects' pointers"
else
	not_ok "bulk=8: the bulk kfrees are exactly the 8 objects' pointers" \
		"$(tr '\n' ' ' </tmp/bulk.a) / $(tr '\n' ' ' </tmp/bulk.f)"
fi
count_is "bulk=8: zero leak lines" /tmp/bulk.json '"event":"leak"' 0
has "bulk=8: summary outstanding 0, leaks 0" /tmp/bulk.json \
	'^\{"event":"summary".*"outstanding":0,.*"leaks":0'

# --- size=16384: a kmalloc over 8 KiB takes pages itself ----------------------------
# Those pages are the kmalloc's (its event reports them); like a slab refill's, they
# are not attributed to the module: one page_alloc (order=0's), no leak.
start_kmtrace /tmp/big.out /tmp/big.err trace --json -m kmdemo
modprobe kmdemo size=16384 order=0
eq "modprobe kmdemo size=16384 order=0" "$?" 0
rmmod kmdemo
eq "rmmod kmdemo (size=16384)" "$?" 0
stop_kmtrace "size=16384"
grep '^{' /tmp/big.out >/tmp/big.json
grep -E '"event":"(page_alloc|page_free|leak|summary)"' /tmp/big.json | sed 's/^/#   /'
has "size=16384: the kmalloc is seen" /tmp/big.json '"event":"kmalloc",.*"module":"kmdemo","bytes_req":16384,'
count_is "size=16384: one page_alloc for kmdemo, its order-0 __get_free_pages" /tmp/big.json \
	'"event":"page_alloc",.*"order":0,.*"module":"kmdemo"' 1
count_is "size=16384: no other page_alloc" /tmp/big.json '"event":"page_alloc"' 1
has "size=16384: summary outstanding 0, leaks 0" /tmp/big.json \
	'^\{"event":"summary".*"outstanding":0,.*"leaks":0'

# --- kmtrace stat sees the same kfree_bulk() frees ---------------------------------
start_kmtrace /tmp/st.json /tmp/st.err stat --json -l 0
has "stat: the ready line says bulk frees on" /tmp/st.err '^kmtrace: ready: stat: kmalloc via raw_tp, bulk frees via fentry$'
modprobe kmdemo size=4096 bulk=8 && rmmod kmdemo
eq "stat: modprobe/rmmod kmdemo bulk=8" "$?" 0
stop_kmtrace "stat"
grep -E '"hits":8,"bytes_req":512,|"type":"totals"' /tmp/st.json | sed 's/^/#   /'
has "stat: kmdemo's 8 bulk objects: 8 frees, 0 outstanding" /tmp/st.json \
	'^\{"type":"caller",.*"hits":8,"bytes_req":512,"bytes_alloc":512,.*"outstanding":0,"frees":8,'
has "stat: totals count bulk frees (8 or more: kfree_rcu batches count too)" /tmp/st.json \
	'"type":"totals",.*"bulk_frees":([89]|[1-9][0-9]+),'

# --- text mode: the leak table ---------------------------------------------------
start_kmtrace /tmp/txt.out /tmp/txt.err trace -m kmdemo
modprobe kmdemo size=1000 leak=1
rmmod kmdemo
stop_kmtrace "text"
sed 's/^/#   /' /tmp/txt.out | grep -A 3 -- '--- leaks'
has "text: leak title" /tmp/txt.out '^--- leaks: module kmdemo freed with 1 allocation \([0-9]+ bytes\) still outstanding ---$'
has "text: leak table header" /tmp/txt.out '^LEAK +PTR/PFN +BYTES +CALLER +PID +COMM +AGE\(s\)$'
has "text: leak row" /tmp/txt.out '^kmalloc +0x[0-9a-f]+ +1024 +kmdemo_init\+0x[0-9a-f]+ \[kmdemo\] +[0-9]+ +modprobe +[0-9]+\.[0-9]{3}$'
has "text: summary counts the leak" /tmp/txt.out '^leaks at module unload: 1 \(freed late: 0\)$'
has "text: summary outstanding 1" /tmp/txt.out '^outstanding: 1 allocations'
echo "# leak guest: done"
