# SPDX-License-Identifier: GPL-2.0
# kmtrace trace on the host: thread lifecycle with mm_users, an exact kmalloc
# count under -- CMD, -p PID, -c COMM with a size range, SIGINT, SIGPIPE, text
# output, the JSON summary, usage and runtime errors, and mounting tracefs.
. tests/lib.sh
K=build/kmtrace
T=build/threads
S=build/kstorm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# json_ok NAME FILE: every line starting with { parses as JSON.
json_ok() {
	if python3 -c 'import json,sys
for l in open(sys.argv[1]):
    if l.startswith("{"): json.loads(l)' "$2" 2>"$tmp/pyerr"; then
		ok "$1"
	else
		not_ok "$1" "$(tail -n 1 "$tmp/pyerr")"
	fi
}

# --- threads: 4 thread_start for one pid, mm_users 2..5 and back, process_exit
"$K" trace --json -- "$T" -n 4 -s 2 >"$tmp/th.out" 2>"$tmp/th.err"
eq "trace -- threads -n 4: exit 0" "$?" 0
pid=$(sed -n 's/^PID: \([0-9]*\)$/\1/p' "$tmp/th.out")
grep '^{' "$tmp/th.out" >"$tmp/th.json"
count_is "4 thread_start events with pid = ppid = threads' pid" "$tmp/th.json" \
	"\"event\":\"thread_start\",\"pid\":${pid:-x},.*\"ppid\":${pid:-x}," 4
users=$(grep "\"event\":\"thread_start\",\"pid\":${pid:-x}," "$tmp/th.json" |
	sed -n 's/.*"mm_users":\([0-9-]*\)}$/\1/p' | tr '\n' ' ')
eq "thread_start mm_users rise 2 3 4 5" "$users" "2 3 4 5 "
exits=$(grep -E "\"event\":\"(thread|process)_exit\",\"pid\":${pid:-x}," "$tmp/th.json" |
	sed -n 's/.*"mm_users":\([0-9-]*\)}$/\1/p' | tr '\n' ' ')
last=$(echo "$exits" | awk '{print $NF}')
max=$(echo "$exits" | tr ' ' '\n' | sort -n | tail -n 1)
if [ "$max" -le 4 ] && [ "$last" = 0 ]; then ok "exit mm_users fall back to 0 ($exits)"; else
	not_ok "exit mm_users fall back to 0" "got '$exits'"
fi
count_is "4 thread_exit events" "$tmp/th.json" "\"event\":\"thread_exit\",\"pid\":${pid:-x}," 4
count_is "one process_exit for the pid" "$tmp/th.json" \
	"\"event\":\"process_exit\",\"pid\":${pid:-x},\"tid\":${pid:-x}," 1
has "exec event for threads" "$tmp/th.json" "\"event\":\"exec\",\"pid\":${pid:-x},.*\"comm\":\"threads\""
has "ready line on stderr" "$tmp/th.err" '^kmtrace: ready'
json_ok "every JSON line parses" "$tmp/th.json"
if python3 -c 'import json,sys
l=[x for x in open(sys.argv[1]) if x.startswith("{")][-1]
d=json.loads(l)
assert d["event"]=="summary" and d["lost"]==0 and "outstanding" in d and d["exit_status"]==0
assert d["events"]["thread_start"]==4' "$tmp/th.json" 2>"$tmp/pyerr"; then
	ok "last line is a valid JSON summary (lost 0, exit_status 0)"
else
	not_ok "last line is a valid JSON summary" "$(tail -n 1 "$tmp/pyerr")"
fi

# --- exact count: kstorm msgsnd of 1234 bytes = one kmalloc of 1282 each ----------
if [ -x "$S" ]; then
	"$K" trace --json -- "$S" -m msg -s 1234 -n 1000 -t 2 >"$tmp/ks.out" 2>"$tmp/ks.err"
	eq "trace -- kstorm: exit 0" "$?" 0
	exp=$(sed -n 's/.*expected_kmallocs=\([0-9]*\).*/\1/p' "$tmp/ks.out")
	bytes=$(sed -n 's/.*kmalloc_bytes=\([0-9]*\).*/\1/p' "$tmp/ks.out")
	eq "kstorm -n 1000 -t 2 says 2000 kmallocs of 1282 bytes" "$exp $bytes" "2000 1282"
	count_is "exactly 2000 kmalloc events with bytes_req 1282" "$tmp/ks.out" \
		'"event":"kmalloc".*"bytes_req":1282,' "${exp:-2000}"
	has "stderr ends with the lost-event count: 0" "$tmp/ks.err" '^kmtrace: lost events: 0$'
	if [[ $(sed -n 's/.*"lost":\([0-9]*\).*/\1/p' "$tmp/ks.out") == 0 ]]; then
		ok "JSON summary: lost 0"
	else
		not_ok "JSON summary: lost 0" "$(tail -n 1 "$tmp/ks.out")"
	fi
	python3 - "$tmp/ks.out" >"$tmp/match" 2>&1 <<'PY'
import json, sys
live, n, freed = set(), 0, 0
for l in open(sys.argv[1]):
    if not l.startswith("{"):
        continue
    e = json.loads(l)
    if e["event"] == "kmalloc" and e["bytes_req"] == 1282:
        live.add(e["ptr"])
        n += 1
    elif e["event"] == "kfree" and e["ptr"] in live:
        assert e["tracked"] and e["bytes_alloc"] == 2048, l
        live.discard(e["ptr"])
        freed += 1
print(n, freed)
PY
	read -r na nf <"$tmp/match"
	if [ -n "$na" ] && [ "$na" = "$nf" ] && [ "$na" -gt 0 ]; then
		ok "each of the $na 1282-byte kmallocs is followed by its tracked kfree (2048 bytes)"
	else
		not_ok "each 1282-byte kmalloc is followed by its tracked kfree" "$(cat "$tmp/match")"
	fi
else
	not_ok "kstorm exact-count test" "no $S (make all)"
fi

# --- -- CMD follows children: a kstorm started by a shell ------------------------------
"$K" trace --json -- sh -c "$S -m msg -s 1234 -n 50; true" >"$tmp/fk.out" 2>/dev/null
eq "trace -- sh -c 'kstorm; true': exit 0" "$?" 0
count_is "forked child followed: exactly 50 kmallocs of 1282 bytes" "$tmp/fk.out" \
	'"event":"kmalloc".*"comm":"kstorm".*"bytes_req":1282,' 50
has "forked child: thread_start with the shell as ppid" "$tmp/fk.out" \
	'"event":"thread_start".*"comm":"sh","ppid":'

# --- the classic-tracepoint fallback counts the same ---------------------------------
KMTRACE_NO_RAW_TP=1 "$K" trace --json -- "$S" -m msg -s 1234 -n 500 >"$tmp/tp.out" 2>"$tmp/tp.err"
eq "KMTRACE_NO_RAW_TP=1 (classic tracepoints): exit 0" "$?" 0
has "classic tracepoints: ready line says so" "$tmp/tp.err" \
	'^kmtrace: ready: trace: kmalloc via tracepoint, cache off, page via tracepoint, vmalloc off, percpu off, bulk frees (via fentry|off), threads off, modules off$'
has "classic tracepoints: one warning for the features that need raw_tp" "$tmp/tp.err" \
	'^kmtrace: warning: cache, vmalloc, percpu, threads, modules off: raw_tp disabled by KMTRACE_NO_RAW_TP$'
count_is "classic tracepoints: exactly one warning line" "$tmp/tp.err" '^kmtrace: warning: ' 1
count_is "classic tracepoints: exactly 500 kmallocs of 1282 bytes" "$tmp/tp.out" \
	'"event":"kmalloc".*"bytes_req":1282,' 500

# --- -c COMM with a size range, stopped by SIGINT ----------------------------------
"$K" trace --json -c kstorm --min-size 1282 --max-size 1282 >"$tmp/c.out" 2>"$tmp/c.err" &
kt=$!
if wait_ready "$tmp/c.err"; then ok "-c: ready"; else not_ok "-c: ready" "$(cat "$tmp/c.err")"; fi
"$S" -m msg -s 1234 -n 300 >/dev/null
sleep 0.3
kill -INT $kt
wait $kt
eq "-c kstorm: exit 0 on SIGINT" "$?" 0
count_is "-c kstorm --min/max-size 1282: exactly 300 kmallocs" "$tmp/c.out" \
	'"event":"kmalloc".*"bytes_req":1282,' 300
count_is "-c kstorm --min/max-size: no other kmalloc sizes" "$tmp/c.out" \
	'"event":"kmalloc".*"bytes_req":([0-9]|1[0-9]|[02-9][0-9]{2,}|1([013-9][0-9]{2}|2[0-79][0-9]|28[013-9])),' 0
has "-c: summary line" "$tmp/c.out" '^\{"event":"summary".*"lost":0'

# --- -p PID: that process, all its threads; ends when it exits ---------------------
"$T" -n 2 -s 4 >"$tmp/p.threads" & # 4 s: kmtrace attaches first, even on a loaded machine
tp=$!
sleep 0.3
"$K" trace --json -p $tp -d 20 >"$tmp/p.out" 2>"$tmp/p.err"
eq "-p PID: exit 0 when the process exits" "$?" 0
wait $tp
count_is "-p PID: 2 thread_exit events" "$tmp/p.out" "\"event\":\"thread_exit\",\"pid\":$tp," 2
has "-p PID: process_exit" "$tmp/p.out" "\"event\":\"process_exit\",\"pid\":$tp,"
count_is "-p PID: kmallocs only from that pid" "$tmp/p.out" \
	"\"event\":\"kmalloc\",\"pid\":([0-9]+),\"tid\"" \
	"$(grep -c "\"event\":\"kmalloc\",\"pid\":$tp," "$tmp/p.out")"

"$T" -n 2 -s 4 >/dev/null &
tp=$!
sleep 0.3
tid=$(ls /proc/$tp/task | grep -vx "$tp" | head -n 1)
"$K" trace --json -p "${tid:-0}" -d 20 >"$tmp/tid.out" 2>"$tmp/tid.err"
eq "-p <thread id>: exit 0" "$?" 0
wait $tp
has "-p <thread id>: traces its whole process" "$tmp/tid.out" "\"event\":\"process_exit\",\"pid\":$tp,"

# --- text output, SIGPIPE ------------------------------------------------------------
"$K" trace -- "$S" -n 5 >"$tmp/txt.out" 2>"$tmp/txt.err"
eq "text mode: exit 0" "$?" 0
has "text header" "$tmp/txt.out" '^TIME\(s\) +COMM +PID +TID +EVENT +BYTES +PTR +CALLER +MM_USERS$'
has "text kmalloc line with symbol" "$tmp/txt.out" \
	'^[0-9]+\.[0-9]{6} +kstorm +[0-9]+ +[0-9]+ +kmalloc +1000 +0x[0-9a-f]+ +load_msg\+0x[0-9a-f]+ +[0-9]+$'
has "text summary" "$tmp/txt.out" '^outstanding: [0-9]+ allocations'
"$K" trace -- "$S" -n 2000 2>"$tmp/pipe.err" | head -n 3 >/dev/null
eq "kmtrace trace | head: exit 0" "${PIPESTATUS[0]}" 0
count_is "kmtrace trace | head: no error on stderr" "$tmp/pipe.err" '^kmtrace: (.*rror|.*Broken)' 0

# --- errors ----------------------------------------------------------------------------
for bad in "-p 12x" "-p" "--min-size 5k" "-d -1" "--bogus" "-p 1 -- true" "-c x -p 1" \
	"--min-size 10 --max-size 5" "stray" "--"; do
	# shellcheck disable=SC2086
	exits_with "trace $bad: one 'kmtrace:' line, exit 2" 2 '^kmtrace: ' "$K" trace $bad
done
"$K" >/dev/null 2>&1
eq "kmtrace without a command: exit 2" "$?" 2
"$K" frobnicate >/dev/null 2>&1
eq "kmtrace unknown command: exit 2" "$?" 2
"$K" trace --help | grep -q '^usage: kmtrace trace'
eq "trace --help: usage on stdout, exit 0" "$?" 0
"$K" --version | grep -q '^kmtrace '
eq "--version" "$?" 0
exits_with "-p <no such pid>: exit 1" 1 '^kmtrace: no such process' "$K" trace -p 4000000
"$K" trace -- /nonexistent/cmd >/dev/null 2>"$tmp/e.err"
rc=$?
if [ $rc -eq 1 ] && grep -q '^kmtrace: cannot run /nonexistent/cmd: No such file' "$tmp/e.err"; then
	ok "-- <missing command>: exit 1"
else
	not_ok "-- <missing command>: exit 1" "rc=$rc $(cat "$tmp/e.err")"
fi

# --- tracefs not mounted: kmtrace mounts it ----------------------------------------
if mountpoint -q /sys/kernel/tracing && umount /sys/kernel/tracing 2>/dev/null; then
	"$K" trace --json -- "$T" -n 1 -s 0 >"$tmp/tfs.out" 2>"$tmp/tfs.err"
	rc=$?
	mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
	eq "tracefs unmounted: kmtrace mounts it and exits 0" "$rc" 0
	has "tracefs unmounted: events still arrive" "$tmp/tfs.out" '"event":"thread_start"'
else
	not_ok "tracefs unmounted: kmtrace mounts it" "could not umount /sys/kernel/tracing"
fi
