# SPDX-License-Identifier: GPL-2.0
# Bad conditions rather than bad arguments (issue 12): kmtrace must never lose
# or misstate something without a word.
#  - stdout is /dev/full: every subcommand says "kmtrace: write error: ..." and
#    exits 1; a reader that goes away (EPIPE) still ends quietly with 0;
#  - --perfetto files hold kernel addresses: created 0600, and an existing
#    file loses its group/other permissions;
#  - kernel.kptr_restrict=2 (zeroed /proc/kallsyms, in a VM: tests/guest/
#    faults.sh, so other users of this machine are not affected);
#  - fault survival: the traced command is SIGKILLed; tracefs is unmounted
#    under a running kmtrace (in a private mount namespace, so nothing else on
#    the machine loses it); the ring buffer is forced small (KMTRACE_RING_SIZE)
#    so events are lost: each time kmtrace ends with exit 0, its summary tells
#    the truth (kstorm's known counts, lost events counted), and every BPF
#    program and link it held (its /proc/PID/fdinfo) is gone afterwards.
. tests/lib.sh
K=${KMTRACE:-build/kmtrace}
S=build/kstorm
T=build/threads
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- write errors -------------------------------------------------------------------
full() { # NAME ARGS...: kmtrace ARGS >/dev/full: exit 1, one write error line
	local name=$1 rc
	shift
	timeout -k 2 20 "$K" "$@" </dev/null >/dev/full 2>"$tmp/full.err"
	rc=$?
	if [ $rc -eq 1 ] && [ "$(grep -c '^kmtrace: write error: No space left on device$' "$tmp/full.err")" -eq 1 ] &&
		! grep -v '^kmtrace: \(ready\|lost events\|warning\|write error\)' "$tmp/full.err" | grep -q .; then
		ok "$name >/dev/full: exit 1, 'kmtrace: write error: No space left on device'"
	else
		not_ok "$name >/dev/full: exit 1 and one write error" \
			"rc=$rc: $(head -c 300 "$tmp/full.err" | tr '\n' '|')"
	fi
}
full "trace -d 1" trace -d 1
full "trace --json -d 1" trace --json -d 1
# more than a 64 KiB stdout buffer while running, not only at the end
full "trace -- kstorm (a write fails mid-run)" trace -- "$S" -m msg -s 100 -n 20000
full "trace --json -- kstorm (a write fails mid-run)" trace --json -- "$S" -m msg -s 100 -n 20000
full "hist -d 1" hist -d 1
full "hist --json -d 1" hist --json -d 1
full "stat -d 1" stat -d 1
full "stat --json -d 1" stat --json -d 1
full "mm (snapshot)" mm
full "mm --json -- threads" mm --json -- "$T" -n 2 -s 1
full "mm -- threads" mm -- "$T" -n 2 -s 1
# EPIPE: the reader is gone; quiet, exit 0
for args in "trace -d 1" "trace --json -d 1" "hist -d 1" "stat -d 1" "mm"; do
	# shellcheck disable=SC2086
	timeout -k 2 20 "$K" $args 2>"$tmp/pipe.err" | true
	rc=${PIPESTATUS[0]}
	eq "$args | true: exit 0 (EPIPE ends quietly)" "$rc" 0
	count_is "$args | true: no write error" "$tmp/pipe.err" 'write error' 0
done

# --- --perfetto files are private ------------------------------------------------------
"$K" trace -d 0.3 --perfetto "$tmp/new.json" >/dev/null 2>&1
eq "trace --perfetto NEW: exit 0" "$?" 0
eq "trace --perfetto NEW: created 0600" "$(stat -c %a "$tmp/new.json")" 600
"$K" mm --perfetto "$tmp/mm.json" -- "$T" -n 1 -s 1 >/dev/null 2>&1
eq "mm --perfetto NEW: created 0600" "$(stat -c %a "$tmp/mm.json")" 600
(umask 0 && : >"$tmp/old.json" && chmod 0664 "$tmp/old.json")
"$K" trace -d 0.3 --perfetto "$tmp/old.json" >/dev/null 2>&1
eq "trace --perfetto EXISTING (0664): now 0600" "$(stat -c %a "$tmp/old.json")" 600
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/old.json" 2>/dev/null; then
	ok "trace --perfetto EXISTING: rewritten, valid JSON"
else
	not_ok "trace --perfetto EXISTING: rewritten, valid JSON" "$(head -c 200 "$tmp/old.json")"
fi

# --- BPF programs and links held and released: bpf_* of tests/lib.sh --------------------
ended() { # PID: wait for it (20 s at most); $rc its exit status
	timeout 20 tail --pid="$1" -f /dev/null
	wait "$1"
	rc=$?
}
summary() { # FILE KEY: the summary's numeric KEY
	grep '^{"event":"summary"' "$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

# --- the traced command is killed with SIGKILL --------------------------------------------
: >"$tmp/held"
"$K" trace --json -- "$S" -m msg -s 100 -d 30 >"$tmp/kill.out" 2>"$tmp/kill.err" &
kp=$!
bpf_attached $kp
sleep 0.5
pkill -KILL -P $kp -x kstorm
ended $kp
eq "traced command SIGKILLed: kmtrace exits 137 (its status)" "$rc" 137
eq "traced command SIGKILLed: summary exit_status 137 (128 + SIGKILL)" \
	"$(summary "$tmp/kill.out" exit_status)" 137
n=$(grep -c '"event":"kmalloc".*"comm":"kstorm".*"bytes_req":148,' "$tmp/kill.out")
if [ "$n" -gt 0 ]; then ok "traced command SIGKILLed: its $n kmallocs were traced"; else
	not_ok "traced command SIGKILLed: its kmallocs were traced" "none"
fi
has "traced command SIGKILLed: its process_exit (exit_code 9)" "$tmp/kill.out" \
	'"event":"process_exit".*"comm":"kstorm".*"exit_code":9,'
bpf_gone "traced command SIGKILLed"

# --- tracefs unmounted under a running kmtrace ----------------------------------------------
# In a private mount namespace (unshare execs kmtrace: $kp is kmtrace), so
# only kmtrace loses tracefs.  Both attach ways: raw_tp and classic tracepoints.
for mode in raw_tp tracepoint; do
	: >"$tmp/held"
	env=()
	[ $mode = tracepoint ] && env=(KMTRACE_NO_RAW_TP=1)
	env "${env[@]}" unshare -m --propagation private -- "$K" trace --json -c kstorm \
		>"$tmp/umount.out" 2>"$tmp/umount.err" &
	kp=$!
	bpf_attached $kp
	nsenter -t $kp -m sh -c 'umount -l /sys/kernel/tracing; umount -l /sys/kernel/debug 2>/dev/null; true'
	if nsenter -t $kp -m sh -c 'test -e /sys/kernel/tracing/events'; then
		not_ok "tracefs unmounted ($mode): tracefs is gone for kmtrace" "still mounted"
	else
		ok "tracefs unmounted ($mode): tracefs is gone for kmtrace"
	fi
	"$S" -m msg -s 200 -n 1000 >/dev/null
	sleep 0.5
	kill -INT $kp
	ended $kp
	eq "tracefs unmounted ($mode): kmtrace exits 0 on SIGINT" "$rc" 0
	count_is "tracefs unmounted ($mode): all 1000 kmallocs of kstorm traced" "$tmp/umount.out" \
		'"event":"kmalloc".*"comm":"kstorm".*"bytes_req":248,' 1000
	eq "tracefs unmounted ($mode): summary lost 0" "$(summary "$tmp/umount.out" lost)" 0
	bpf_gone "tracefs unmounted ($mode)"
done

# --- a small ring buffer: events are lost, and counted -----------------------------------------
# kstorm runs 2 s (long enough to see kmtrace's programs) and prints how many
# kmallocs of 48 + 300 bytes it made: the truth to compare with.
: >"$tmp/held"
KMTRACE_RING_SIZE=4096 "$K" trace --json -- "$S" -m msg -s 300 -d 2 \
	>"$tmp/ring.out" 2>"$tmp/ring.err" &
kp=$!
bpf_attached $kp
ended $kp
eq "ring of 4096 bytes: kmtrace exits 0" "$rc" 0
lost=$(summary "$tmp/ring.out" lost)
want=$(sed -n 's/.* expected_kmallocs=\([0-9]*\).*/\1/p' "$tmp/ring.out")
n=$(grep -c '"event":"kmalloc".*"comm":"kstorm".*"bytes_req":348,' "$tmp/ring.out")
errlost=$(sed -n 's/^kmtrace: lost events: \([0-9]*\).*/\1/p' "$tmp/ring.err")
echo "# ring of 4096 bytes: $n of ${want:-?} kmallocs seen, lost ${lost:-?}"
if [ "${lost:-0}" -gt 0 ] && [ -n "$want" ] && [ "$n" -lt "$want" ]; then
	ok "ring of 4096 bytes: events lost ($lost) and counted in the summary"
else
	not_ok "ring of 4096 bytes: events lost and counted" "lost='$lost', $n of '$want' kmallocs seen"
fi
# what is missing of kstorm's kmallocs was counted as lost (lost also counts
# other events: kstorm's kfrees)
if [ -n "$lost" ] && [ -n "$want" ] && [ $((n + lost)) -ge "$want" ]; then
	ok "ring of 4096 bytes: kmallocs seen + lost >= kstorm's count ($n + $lost >= $want)"
else
	not_ok "ring of 4096 bytes: kmallocs seen + lost >= kstorm's count" "$n + '$lost' < '$want'"
fi
eq "ring of 4096 bytes: stderr says the same lost count" "$errlost" "$lost"
has "ring of 4096 bytes: stderr says why" "$tmp/ring.err" '^kmtrace: lost events: [1-9][0-9]* \(ring buffer full'
eq "ring of 4096 bytes: summary exit_status 0" "$(summary "$tmp/ring.out" exit_status)" 0
bpf_gone "ring of 4096 bytes"
exits_with "KMTRACE_RING_SIZE=5000: not a power of two, exit 2" 2 \
	'^kmtrace: KMTRACE_RING_SIZE' env KMTRACE_RING_SIZE=5000 "$K" trace -d 0.1
