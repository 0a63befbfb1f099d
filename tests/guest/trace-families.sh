# SPDX-License-Identifier: GPL-2.0
# vm-checks: 22
# kmtrace trace -m kmdemo sees every allocator family kmdemo exercises
# (busybox sh in the VM, as root, cwd /kmtrace), attributed by kernel stack:
# the named cache's objects (kmdemo_obj), the per-CPU allocation, the vmalloc
# area (vmalloc events on 6.12, fexit on 6.1) and the kstrdup() made
# through a kernel helper (its via frame in kmdemo_init), each at the address
# kmdemo printed (%px), each freed on rmmod (the same pointer), and no leak.
# Run in a VM by tests/run.sh; the last line is "# trace-families guest: done".
. /kmtrace/tests/lib.sh
out=/tmp/tf.json
err=/tmp/tf.err

start_kmtrace $out $err trace --json -m kmdemo --settle 2
has "kmtrace -m kmdemo: ready" $err '^kmtrace: ready: trace: kmalloc via raw_tp, cache via raw_tp, '
dmesg -c >/dev/null
modprobe kmdemo cache=5 vmalloc=100000 percpu=256 helper=1
eq "modprobe kmdemo cache=5 vmalloc=100000 percpu=256 helper=1" "$?" 0
dmesg >/tmp/tf.load
rmmod kmdemo
eq "rmmod kmdemo" "$?" 0
sleep 2 # the verdict waits --settle 2
stop_kmtrace "families"
sed -n 's/^/#   /p' /tmp/tf.load | grep 'family' | head -n 8
grep -E '"event":"(summary)"' $out | sed 's/^/#   /'

# addr FAMILY: the address kmdemo printed for it (hex, no 0x)
addr() { sed -n "s/.*family $1: .* at \\([0-9a-f]*\\).*/\\1/p" /tmp/tf.load | head -n 1 | sed 's/^0*//'; }
# freed PTR EVENT: the free event of PTR, tracked
freed() { grep "\"event\":\"$2\"" $out | grep -c "\"ptr\":\"0x$1\".*\"tracked\":true"; }

c=$(addr cache)
count_is "cache=5: 5 cache_alloc from kmdemo_obj attributed to kmdemo" $out \
	'"event":"cache_alloc",.*"cache":"kmdemo_obj",.*"module":"kmdemo"' 5
has "cache=5: the first object at the address kmdemo printed" $out \
	"\"event\":\"cache_alloc\",.*\"cache\":\"kmdemo_obj\",\"ptr\":\"0x$c\""
count_is "cache=5: 5 tracked cache_free of kmdemo_obj" $out \
	'"event":"cache_free",.*"cache":"kmdemo_obj",.*"tracked":true' 5

p=$(addr percpu)
has "percpu=256: a 256-byte percpu_alloc at kmdemo's cookie, attributed to kmdemo" $out \
	"\"event\":\"percpu_alloc\",.*\"ptr\":\"0x$p\",.*\"module\":\"kmdemo\",\"bytes_req\":256,"
eq "percpu=256: freed (tracked percpu_free of that pointer)" "$(freed "$p" percpu_free)" 1

v=$(addr vmalloc)
# vmalloc events where the kernel has them (6.3+), else fexit/fentry (6.1)
if [ -d /sys/kernel/tracing/events/vmalloc ]; then
	has "vmalloc: via raw_tp (the kernel has vmalloc events)" $err ', vmalloc via raw_tp, '
else
	has "vmalloc: via fexit ($(uname -r) has no vmalloc events)" $err ', vmalloc via fexit, '
fi
has "vmalloc=100000: the vmap area at kmdemo's address, attributed to kmdemo by stack" $out \
	"\"event\":\"vmalloc\",.*\"ptr\":\"0x$v\",.*\"via_sym\":\"kmdemo_init\\+0x[0-9a-f]+ \\[kmdemo\\]\",\"module\":\"kmdemo\",\"bytes_req\":106496,"
eq "vmalloc=100000: freed (tracked vfree of that address)" "$(freed "$v" vfree)" 1

h=$(addr helper)
# kstrdup() allocates with kmalloc_track_caller(): its call site is kstrdup's caller
has "helper=1: the kstrdup() string, its call site (track_caller) in kmdemo_init" $out \
	"\"event\":\"kmalloc\",.*\"ptr\":\"0x$h\",.*\"sym\":\"kmdemo_init\\+0x[0-9a-f]+ \\[kmdemo\\]\",\"module\":\"kmdemo\""
eq "helper=1: the string freed (tracked kfree)" "$(freed "$h" kfree)" 1
has "helper=1: debugfs allocations (caches) attributed to kmdemo by stack" $out \
	'"event":"cache_alloc",.*"via_sym":"kmdemo_init\+0x[0-9a-f]+ \[kmdemo\]","module":"kmdemo"'

has "summary: no leak after the settle time" $out '^\{"event":"summary",.*"leaks":0,"freed_late":0'
count_is "no leak events" $out '^\{"event":"leak"' 0
has "summary: nothing outstanding" $out '^\{"event":"summary",.*"outstanding":0,'
has "summary: nothing lost" $out '^\{"event":"summary",.*"lost":0,'

nvia=$(grep -c '"event":"cache_alloc",.*"via_sym":"kmdemo_init+0x[0-9a-f]* \[kmdemo\]"' $out)

# --direct: the call-site rule only: debugfs's objects (allocated inside
# debugfs, kmdemo_init only on their stack) are not the module's
start_kmtrace $out $err trace --json -m kmdemo --direct --settle 1
modprobe kmdemo helper=1 && rmmod kmdemo
sleep 1
stop_kmtrace "--direct"
eq "--direct: no allocation attributed by stack (without: $nvia debugfs objects were)" \
	"$(grep -c '"via_sym"' $out)" 0
has "--direct: kmdemo_init's own kmalloc still is" $out '"event":"kmalloc",.*"sym":"kmdemo_init\+0x[0-9a-f]+ \[kmdemo\]"'

# A kprobe event named like a tracepoint (`perf probe alloc_vmap_area` makes
# probe/alloc_vmap_area) is no tracepoint: kmtrace must not take it for one
# (raw_tp cannot attach to it); on 6.1 it keeps its fexit stand-in.
T=/sys/kernel/tracing
if echo 'p:kmt_fake/alloc_vmap_area alloc_vmap_area' >>$T/kprobe_events 2>/dev/null; then
	start_kmtrace $out $err trace --json -m kmdemo
	if [ -d $T/events/vmalloc ]; then
		has "a kprobe event named alloc_vmap_area beside the tracepoint: vmalloc via raw_tp" $err \
			', vmalloc via raw_tp, '
	else
		has "a kprobe event named alloc_vmap_area is no tracepoint: vmalloc via fexit" $err \
			', vmalloc via fexit, '
	fi
	stop_kmtrace "with a kprobe event named alloc_vmap_area"
	echo '-:kmt_fake/alloc_vmap_area' >>$T/kprobe_events
else
	not_ok "a kprobe event named alloc_vmap_area" "kprobe_events refused it"
fi

echo "# trace-families guest: done"
