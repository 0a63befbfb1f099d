# SPDX-License-Identifier: GPL-2.0
# kstorm: its one result line parses, the counts it claims follow from its
# arguments, usage errors exit 2, its SysV queues are gone after it exits (also
# after SIGINT/SIGTERM).  The kernel-side exact-count check (kmalloc of 48+S per
# msgsnd) belongs to the tracer's tests; it was verified on 6.18 with bpftrace.
. tests/lib.sh
K=build/kstorm
out=$(mktemp)
err=$(mktemp)
num='[0-9]+'
flt='[0-9]+\.[0-9]+'

"$K" -n 1000 >"$out" 2>"$err"
eq "kstorm -n 1000 exits 0" "$?" 0
count_is "kstorm prints exactly one line" "$out" '' 1
has "kstorm default line: mode=msg threads=1 ops=1000 size=952 kmalloc_bytes=1000 ..." "$out" \
	"^mode=msg threads=1 ops=1000 size=952 kmalloc_bytes=1000 expected_kmallocs=1000 elapsed_s=$flt ops_per_s=$num\$"

"$K" -m msg -s 0 -n 500 -t 3 >"$out"
has "kstorm -s 0 -t 3 -n 500: ops and expected_kmallocs are totals, 48-byte kmallocs" "$out" \
	"^mode=msg threads=3 ops=1500 size=0 kmalloc_bytes=48 expected_kmallocs=1500 elapsed_s=$flt ops_per_s=$num\$"

"$K" --size 4048 --ops 10 >"$out"
has "kstorm -s 4048 (largest one-segment message): kmalloc_bytes=4096" "$out" \
	"^mode=msg threads=1 ops=10 size=4048 kmalloc_bytes=4096 expected_kmallocs=10 "

"$K" -m pipe -n 200 -t 2 >"$out"
has "kstorm -m pipe: one 640-byte kmalloc (pipe_buffer array) per op" "$out" \
	"^mode=pipe threads=2 ops=400 size=0 kmalloc_bytes=640 expected_kmallocs=400 elapsed_s=$flt ops_per_s=$num\$"

"$K" -t 2 -d 0.3 >"$out"
line=$(cat "$out")
ops=$(sed -n 's/.* ops=\([0-9]*\) .*/\1/p' "$out")
exp=$(sed -n 's/.* expected_kmallocs=\([0-9]*\) .*/\1/p' "$out")
el=$(sed -n 's/.* elapsed_s=\([0-9.]*\) .*/\1/p' "$out")
if [ -n "$ops" ] && [ "$ops" -gt 0 ] && [ "$ops" = "$exp" ] &&
	awk -v e="$el" 'BEGIN {exit !(e >= 0.25 && e < 3)}'; then
	ok "kstorm -d 0.3 runs about 0.3 s, expected_kmallocs = ops"
else
	not_ok "kstorm -d 0.3 runs about 0.3 s, expected_kmallocs = ops" "$line"
fi

# Queues: /proc/sysvipc/msg column 6 is lspid, the last sender (kstorm's pid).
queues_of() { awk -v p="$1" 'NR > 1 && $6 == p' /proc/sysvipc/msg | wc -l; }
"$K" -n 20000 -t 2 >/dev/null &
bg=$!
wait $bg
eq "kstorm removes its queues at a normal exit" "$(queues_of $bg)" 0

for sig in INT TERM; do
	"$K" -t 2 -d 30 >"$out" 2>"$err" &
	bg=$!
	sleep 0.5
	during=$(queues_of $bg)
	kill -s $sig $bg
	wait $bg
	rc=$?
	want=$((128 + $(kill -l $sig)))
	eq "kstorm SIG$sig: 2 queues while running, none after, exit $want, line printed" \
		"$during $(queues_of $bg) $rc $(grep -c '^mode=msg threads=2 ops=' "$out")" "2 0 $want 1"
done

for bad in "-m foo" "-m" "-s 4049" "-s -1" "-s 1k" "-n 0" "-n 5x" "-n" "-t 0" "-t 1025" \
	"-d 0" "-d abc" "-n 5 -d 1" "-m pipe -s 10" "-q" "--bogus" "extra"; do
	# shellcheck disable=SC2086
	"$K" $bad >"$out" 2>"$err"
	rc=$?
	if [ $rc -eq 2 ] && [ ! -s "$out" ] && grep -q '^kstorm: ' "$err" &&
		grep -q '^usage: kstorm' "$err"; then
		ok "kstorm $bad: 'kstorm: ...' and usage on stderr, exit 2"
	else
		not_ok "kstorm $bad: 'kstorm: ...' and usage on stderr, exit 2" "rc=$rc $(head -n 1 "$err")"
	fi
done
"$K" --help >"$out"
eq "kstorm --help prints usage on stdout, exit 0" "$? $(grep -c '^usage: kstorm' "$out")" "0 1"
rm -f "$out" "$err"
