# SPDX-License-Identifier: GPL-2.0
# vm-checks: 23
# Bad conditions in the VM (busybox sh, as root, cwd /kmtrace); the host part
# is tests/host/faults.sh.
#  - -m kmdemo: thread events (fork/exec/exit) only of the processes that
#    allocated for the module, not of every process; the summary counts what
#    was shown;
#  - the module unloaded mid-trace: kmtrace keeps running, ends on SIGINT with
#    exit 0, a summary and nothing outstanding;
#  - kernel.kptr_restrict=2 (zeroed /proc/kallsyms; restored afterwards): one
#    warning that says what it means and how to change it, call sites printed
#    as raw addresses, never wrong names; kmdemo's own call sites still named
#    from its .ko.
# Run in a VM by tests/run.sh; the last line is the marker "# faults guest: done".
. /kmtrace/tests/lib.sh

# --- -m: thread events of the module's allocating processes only --------------------
start_kmtrace /tmp/m.out /tmp/m.err trace --json -m kmdemo
has "-m kmdemo: ready" /tmp/m.err '^kmtrace: ready'
for _ in 1 2 3 4 5 6 7 8; do sh -c 'exec true'; done # unrelated forks, execs, exits
modprobe kmdemo size=4096 order=1
eq "-m kmdemo: modprobe kmdemo" "$?" 0
rmmod kmdemo
eq "-m kmdemo: rmmod kmdemo (unloaded mid-trace)" "$?" 0
for _ in 1 2 3 4; do sh -c 'exec true'; done
kill -0 $kt 2>/dev/null
eq "-m kmdemo: kmtrace still running after the module is gone" "$?" 0
stop_kmtrace "-m kmdemo, module unloaded mid-trace"
grep '^{' /tmp/m.out >/tmp/m.json
echo "# -m stderr: $(tr '\n' '|' </tmp/m.err)"
grep -E '"event":"(thread_start|thread_exit|process_exit|exec|summary)"' /tmp/m.json | sed 's/^/#   /'
# pids of the module's allocations; every thread event's pid must be one of them
grep -E '"event":"(kmalloc|page_alloc)"' /tmp/m.json | sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' |
	sort -u >/tmp/m.allocpids
grep -E '"event":"(thread_start|thread_exit|process_exit|exec)"' /tmp/m.json |
	sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' | sort -u >/tmp/m.threadpids
stray=$(grep -vxFf /tmp/m.allocpids /tmp/m.threadpids | tr '\n' ' ')
if [ -s /tmp/m.allocpids ] && [ -z "$stray" ]; then
	ok "-m kmdemo: thread events only of pids that allocated for kmdemo ($(tr '\n' ' ' </tmp/m.allocpids))"
else
	not_ok "-m kmdemo: thread events only of pids that allocated for kmdemo" \
		"allocating: $(tr '\n' ' ' </tmp/m.allocpids); others with thread events: $stray"
fi
count_is "-m kmdemo: no event of the unrelated 'true' processes" /tmp/m.json '"comm":"true"' 0
has "-m kmdemo: modprobe's process_exit is shown (it allocated for kmdemo)" /tmp/m.json \
	'"event":"process_exit".*"comm":"modprobe"'
for t in thread_start thread_exit process_exit exec; do
	n=$(grep -c "\"event\":\"$t\"" /tmp/m.json)
	s=$(grep '"event":"summary"' /tmp/m.json | sed -n "s/.*\"$t\":\([0-9]*\).*/\1/p")
	eq "-m kmdemo: summary counts the $t events shown ($n)" "$s" "$n"
done
has "-m kmdemo: module_free, then a summary with outstanding 0" /tmp/m.json \
	'^\{"event":"summary".*"outstanding":0,.*"lost":0,.*"leaks":0[,}]'
count_is "-m kmdemo: no leak" /tmp/m.json '"event":"leak"' 0

# --- kernel.kptr_restrict=2 ----------------------------------------------------------------
old=$(cat /proc/sys/kernel/kptr_restrict)
sysctl -w kernel.kptr_restrict=2 >/dev/null
eq "kptr_restrict=2: /proc/kallsyms shows zeros" "$(head -n 1 /proc/kallsyms | cut -d' ' -f1 | tr -d 0)" ""
start_kmtrace /tmp/k.out /tmp/k.err trace --json -m kmdemo
modprobe kmdemo size=4096 order=1
rmmod kmdemo
stop_kmtrace "kptr_restrict=2, -m kmdemo"
kmtrace trace --json -d 1 -- sh -c 'ls / >/dev/null; cat /proc/version >/dev/null' \
	>/tmp/k2.out 2>/tmp/k2.err
eq "kptr_restrict=2: trace -- CMD exits 0" "$?" 0
kmtrace trace -- sh -c 'ls / >/dev/null' >/tmp/k3.out 2>/tmp/k3.err
sysctl -w kernel.kptr_restrict="$old" >/dev/null
echo "# kptr_restrict=2 stderr: $(tr '\n' '|' </tmp/k.err)"
grep '"event":"kmalloc"' /tmp/k2.out | head -n 3 | sed 's/^/#   /'
w='^kmtrace: warning: /proc/kallsyms shows no addresses \(kernel.kptr_restrict=2\): call sites are printed as raw addresses; sysctl kernel.kptr_restrict=1 to name them$'
count_is "kptr_restrict=2: -m: the warning, once" /tmp/k.err "$w" 1
count_is "kptr_restrict=2: trace: the warning, once" /tmp/k2.err "$w" 1
n=$(grep -c '"event":"kmalloc"' /tmp/k2.out)
count_is "kptr_restrict=2: none of the $n kmallocs of vmlinux named (raw call_site only)" /tmp/k2.out \
	'"event":"(kmalloc|kfree)".*"sym":' 0
has "kptr_restrict=2: text: CALLER is a raw address" /tmp/k3.out \
	' kmalloc +[0-9]+ +0x[0-9a-f]+ +0x[0-9a-f]+ '
has "kptr_restrict=2: kmdemo's kmalloc still named from its .ko" /tmp/k.out \
	'"event":"kmalloc".*"sym":"kmdemo_init\+0x[0-9a-f]+ \[kmdemo\]".*"bytes_req":4096,'
eq "kptr_restrict restored" "$(cat /proc/sys/kernel/kptr_restrict)" "$old"
echo "# faults guest: done"
