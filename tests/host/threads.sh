# SPDX-License-Identifier: GPL-2.0
# threads: PID line first, Threads = N+1 in /proc while it runs, usage errors exit 2.
. tests/lib.sh
T=build/threads
out=$(mktemp)
"$T" -n 4 -s 3 >"$out" &
bg=$!
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
pid=$(sed -n 's/^PID: \([0-9]*\)$/\1/p' "$out")
eq "threads prints 'PID: <pid>' first" "$pid" "$bg"
sleep 0.5
eq "threads -n 4: /proc/<pid>/status Threads is 5" \
	"$(awk '/^Threads:/ {print $2}' /proc/"$bg"/status 2>/dev/null)" 5
wait "$bg"
eq "threads exits 0 after its threads end" "$?" 0

"$T" -n 2 -s 1 --stagger 300 >/dev/null &
bg=$!
sleep 0.15
a=$(awk '/^Threads:/ {print $2}' /proc/$bg/status)
sleep 0.4
b=$(awk '/^Threads:/ {print $2}' /proc/$bg/status)
wait $bg
eq "threads --stagger starts threads apart (2 then 3)" "$a $b" "2 3"

for bad in "-n 0" "-n 4x" "-n -1" "-s" "--stagger abc" "-q" "extra"; do
	# shellcheck disable=SC2086
	"$T" $bad >/dev/null 2>"$out"
	rc=$?
	if [ $rc -eq 2 ] && grep -q '^usage: threads' "$out"; then
		ok "threads $bad: usage on stderr, exit 2"
	else
		not_ok "threads $bad: usage on stderr, exit 2" "rc=$rc"
	fi
done
"$T" --help | grep -q '^usage: threads'
eq "threads --help prints usage, exit 0" "$?" 0
rm -f "$out"
