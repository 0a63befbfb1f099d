# SPDX-License-Identifier: GPL-2.0
# kmtrace mm with a target (the mm_users timeline) and without (the snapshot):
# -- threads --stagger climbs 1..5 and falls back, -p of a running threads
# process starts from its snapshot and follows its exits, a CLONE_VM child
# (no thread event under -p) shows as mm_users_change, the snapshot agrees
# with /proc Threads, --help, and usage errors exit 2.
. tests/lib.sh
K=${KMTRACE:-build/kmtrace}
T=build/threads
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# users FILE EVENT...: the mm_users of those JSON events, in order, space-separated.
users() {
	_f=$1
	shift
	_re=$(echo "$*" | tr ' ' '|')
	grep -E "\"event\":\"($_re)\"" "$_f" | sed -n 's/.*"mm_users":\([0-9-]*\)}$/\1/p' | tr '\n' ' '
}

# --- mm -- threads -n 4 --stagger 200: 1 2 3 4 5 4 3 2 1 0 ----------------------
"$K" mm --json -- "$T" -n 4 -s 1 --stagger 200 >"$tmp/c.out" 2>"$tmp/c.err"
eq "mm --json -- threads: exit 0" "$?" 0
pid=$(sed -n 's/^PID: \([0-9]*\)$/\1/p' "$tmp/c.out")
grep '^{' "$tmp/c.out" >"$tmp/c.json"
echo "# $(users "$tmp/c.json" exec thread_start thread_exit process_exit)"
eq "mm -- threads: exec at 1, thread_start 2 3 4 5" \
	"$(users "$tmp/c.json" exec thread_start)" "1 2 3 4 5 "
eq "mm -- threads: thread_exit 4 3 2 1, process_exit 0" \
	"$(users "$tmp/c.json" thread_exit process_exit)" "4 3 2 1 0 "
count_is "mm -- threads: 4 thread_start events of the pid" "$tmp/c.json" \
	"\"event\":\"thread_start\",\"pid\":${pid:-x},.*\"ppid\":${pid:-x}," 4
count_is "mm -- threads: no mm_users_change (every change had its thread event)" \
	"$tmp/c.json" '"event":"mm_users_change"' 0
count_is "mm -- threads: no allocation events" "$tmp/c.json" '"event":"(kmalloc|kfree|page_)' 0
if python3 -c 'import json,sys
L=[json.loads(l) for l in open(sys.argv[1])]
s=L[-1]
assert s["event"]=="summary" and s["max_mm_users"]==5 and s["lost"]==0 and s["exit_status"]==0, s
assert s["thread_events"]==10 and s["samples"]>=5, s
ts=[e["ts_ns"] for e in L[:-1]]
assert ts==sorted(ts), "not in time order"' "$tmp/c.json" 2>"$tmp/pyerr"; then
	ok "mm -- threads: JSON lines parse, in time order, summary max 5, lost 0, exit 0"
else
	not_ok "mm -- threads: JSON summary" "$(tail -n 1 "$tmp/pyerr")"
fi
has "mm -- threads: ready line on stderr" "$tmp/c.err" '^kmtrace: ready: mm_users timeline of pid'

# --- text output ----------------------------------------------------------------
# -s 1: both threads live at once (with -s 0 the first may be gone before the
# second starts, and the maximum is 2)
"$K" mm -- "$T" -n 2 -s 1 >"$tmp/t.out" 2>/dev/null
eq "mm -- threads (text): exit 0" "$?" 0
has "text: header" "$tmp/t.out" '^TIME\(s\) +EVENT +PID +TID +MM_USERS +COMM +DETAIL$'
has "text: thread_start line" "$tmp/t.out" \
	'^[0-9]+\.[0-9]{6} +thread_start +[0-9]+ +[0-9]+ +[23] +threads +ppid=[0-9]+$'
has "text: summary" "$tmp/t.out" '^max mm_users: 3, lost events: 0$'

# --- mm -p PID of a running threads process (staggered: simultaneous exits may
# read the same mm_users) ---------------------------------------------------------
"$T" -n 3 -s 2 --stagger 100 >/dev/null &
tp=$!
for _ in $(seq 50); do
	[ "$(awk '/^Threads:/ {print $2}' /proc/$tp/status 2>/dev/null)" = 4 ] && break
	sleep 0.1
done
"$K" mm --json -p $tp 0.05 >"$tmp/p.json" 2>"$tmp/p.err"
eq "mm -p PID: exit 0 when the process exits" "$?" 0
wait $tp
has "mm -p PID: starts with its snapshot (mm_users 4, threads 4)" "$tmp/p.json" \
	"^\\{\"ts_ns\":[0-9]+,\"event\":\"snapshot\",\"pid\":$tp,\"comm\":\"threads\",\"threads\":4,\"mm_users\":4\\}\$"
eq "mm -p PID: snapshot 4, then exits 3 2 1 and 0" \
	"$(users "$tmp/p.json" snapshot thread_exit process_exit)" "4 3 2 1 0 "

# --- a CLONE_VM child: mm_users changes without a thread event of the process ----
cat >"$tmp/vmchild.c" <<'C'
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static int child(void *a) { (void)a; struct timespec t = {1, 0}; nanosleep(&t, NULL); return 0; }
int main(void)
{
	static char stack[65536];
	struct timespec t = {1, 500000000};
	printf("PID: %d\n", getpid());
	fflush(stdout);
	nanosleep(&t, NULL);
	pid_t c = clone(child, stack + sizeof(stack), CLONE_VM | SIGCHLD, NULL);
	waitpid(c, NULL, 0);
	t.tv_sec = 0;
	nanosleep(&t, NULL);
	return c < 0;
}
C
if cc -O2 -o "$tmp/vmchild" "$tmp/vmchild.c" 2>"$tmp/cc.err"; then
	"$tmp/vmchild" >"$tmp/vm.out" &
	vp=$!
	"$K" mm --json -p $vp >"$tmp/vm.json" 2>"$tmp/vm.err"
	eq "mm -p <CLONE_VM parent>: exit 0" "$?" 0
	wait $vp
	grep -E '"event":"(snapshot|mm_users_change)"' "$tmp/vm.json" | sed 's/^/#   /'
	eq "CLONE_VM child: snapshot 1, mm_users_change 2 then 1" \
		"$(users "$tmp/vm.json" snapshot mm_users_change)" "1 2 1 "
	has "mm_users_change names the previous value and the thread count" "$tmp/vm.json" \
		"\"event\":\"mm_users_change\",\"pid\":$vp,\"comm\":\"vmchild\",\"threads\":1,\"prev_mm_users\":1,\"mm_users\":2\\}"
	count_is "CLONE_VM child under -p: no thread events" "$tmp/vm.json" '"event":"thread_' 0
else
	not_ok "CLONE_VM child test" "cannot compile: $(head -n 3 "$tmp/cc.err")"
fi

# --- mm -p, COUNT samples, SIGINT -----------------------------------------------------
"$T" -n 1 -s 5 >/dev/null &
tp=$!
sleep 0.3
"$K" mm --json -p $tp 0.1 3 >"$tmp/n.json" 2>/dev/null
eq "mm -p PID 0.1 3: exit 0 after 3 samples" "$?" 0
has "mm -p PID 0.1 3: summary samples 3" "$tmp/n.json" '"event":"summary".*"samples":3,'
"$K" mm -p $tp >"$tmp/i.out" 2>"$tmp/i.err" &
kp=$!
wait_ready "$tmp/i.err"
sleep 0.3
kill -INT $kp
wait $kp
eq "mm -p PID: exit 0 on SIGINT" "$?" 0
has "mm -p PID: summary after SIGINT" "$tmp/i.out" '^--- kmtrace mm summary'
kill $tp 2>/dev/null
wait $tp 2>/dev/null

# --- the snapshot (no target) agrees with /proc Threads ------------------------------
"$T" -n 4 -s 3 >/dev/null &
tp=$!
for _ in $(seq 50); do
	[ "$(awk '/^Threads:/ {print $2}' /proc/$tp/status 2>/dev/null)" = 5 ] && break
	sleep 0.1
done
"$K" mm --json >"$tmp/s.json" 2>/dev/null
eq "mm --json (snapshot): exit 0" "$?" 0
th=$(awk '/^Threads:/ {print $2}' /proc/$tp/status)
row=$(grep "\"pid\":$tp," "$tmp/s.json")
eq "snapshot: mm_users of threads -n 4 = /proc Threads ($th)" \
	"$(echo "$row" | sed -n 's/.*"mm_users":\([0-9]*\).*/\1/p')" "$th"
eq "snapshot: its threads = /proc Threads" \
	"$(echo "$row" | sed -n 's/.*"threads":\([0-9]*\).*/\1/p')" "$th"
kill $tp 2>/dev/null
wait $tp 2>/dev/null

# --- help and usage errors --------------------------------------------------------------
"$K" mm --help >"$tmp/h.out"
eq "mm --help: exit 0" "$?" 0
has "mm --help: usage for the timeline" "$tmp/h.out" '^       kmtrace mm -p PID \[INTERVAL \[COUNT\]\]'
has "mm --help: --perfetto" "$tmp/h.out" '--perfetto FILE'
"$K" --help | grep -q "^  mm .*timeline"
eq "kmtrace --help mentions the mm timeline" "$?" 0
for bad in "-p" "-p x" "-p 1 -- true" "-p 1 0" "-p 1 1 0" "-p 1 1 2 3" "--" "0.5" \
	"--perfetto x" "-p 1 --bogus" "--bogus"; do
	# shellcheck disable=SC2086
	exits_with "mm $bad: one 'kmtrace:' line, exit 2" 2 '^kmtrace: ' "$K" mm $bad
done
# trace/hist options mm does not have: refused by name, with or without a target
for bad in "-p 1 -c foo" "-c foo" "-p 1 -m kmdemo" "-p 1 --min-size 1" "-p 1 --max-size 1" \
	"-p 1 --ko x.ko" "-p 1 -d 1" "-d 0" "-c foo -- true"; do
	# shellcheck disable=SC2086
	exits_with "mm $bad: not supported, exit 2" 2 '^kmtrace: mm: [-/a-z]+ is not supported' \
		"$K" mm $bad
done
exits_with "mm -p <no such pid>: exit 1" 1 '^kmtrace: no such process' "$K" mm -p 4000000
"$K" mm --perfetto /nonexistent/dir/f.json -- true >/dev/null 2>"$tmp/e.err"
rc=$?
if [ $rc -eq 1 ] && grep -q '^kmtrace: cannot create --perfetto /nonexistent/dir/f.json' "$tmp/e.err"; then
	ok "mm --perfetto <unwritable>: exit 1"
else
	not_ok "mm --perfetto <unwritable>: exit 1" "rc=$rc $(cat "$tmp/e.err")"
fi

# --- SIGPIPE: kmtrace mm | head ------------------------------------------------------
"$K" mm -- "$T" -n 4 -s 1 --stagger 50 2>"$tmp/pipe.err" | head -n 3 >/dev/null
eq "kmtrace mm -- CMD | head: exit 0" "${PIPESTATUS[0]}" 0
count_is "kmtrace mm | head: no error on stderr" "$tmp/pipe.err" '^kmtrace: (.*rror|.*Broken)' 0
