# SPDX-License-Identifier: GPL-2.0
# vm-checks: 10
# kmtrace hist in the VM (busybox sh, as root, cwd /kmtrace): -m kmdemo with
# --by caller names the module's __init call site (from its .ko) and counts
# its two kmallocs in the right bytes_alloc buckets; -- CMD counts exactly,
# with raw_tp and with classic tracepoints.  Run in a VM by tests/run.sh; the
# last line is the marker "# hist-kmdemo guest: done".
. /kmtrace/tests/lib.sh

out=/tmp/hist.json
err=/tmp/hist.err

start_kmtrace "$out" "$err" hist --json --by caller --field alloc -m kmdemo
kh=$kt
has "hist -m kmdemo: ready line on stderr" "$err" '^kmtrace: ready: hist of bytes_alloc: kmalloc via raw_tp, modules via raw_tp$'
modprobe kmdemo size=100 && rmmod kmdemo && modprobe kmdemo size=5000 && rmmod kmdemo
eq "modprobe/rmmod kmdemo size=100, then size=5000" "$?" 0
sleep 0.3
kill -INT $kh
wait $kh
eq "hist -m kmdemo: exit 0 on SIGINT" "$?" 0
count_is "hist -m kmdemo: one histogram" "$out" '^\{"hist":"bytes_alloc",' 1
has "--by caller: kmdemo_init named from the .ko; 128..256 and 8192..16384 once each" "$out" \
	'"key":\{"call_site":"0x[0-9a-f]+","sym":"kmdemo_init\+0x[0-9a-f]+ \[kmdemo\]"\},"buckets":\[\{"lo":128,"hi":256,"count":1\},\{"lo":8192,"hi":16384,"count":1\}\],"total":2,'

kmtrace hist --json --linear 1 -- kstorm -m msg -s 1234 -n 300 >"$out" 2>"$err"
eq "hist --linear 1 -- kstorm: exit 0" "$?" 0
has "-- CMD: [1282, 1283) holds exactly 300" "$out" '\{"lo":1282,"hi":1283,"count":300\}'
kmtrace hist --json --field alloc --min-size 1282 --max-size 1282 -- kstorm -m msg -s 1234 -n 300 \
	>"$out" 2>"$err"
has "--field alloc, req 1282..1282: only [2048, 4096), exactly 300" "$out" \
	'"buckets":\[\{"lo":2048,"hi":4096,"count":300\}\],"total":300,'
KMTRACE_NO_RAW_TP=1 kmtrace hist --json --linear 1 -- kstorm -m msg -s 1234 -n 300 >"$out" 2>"$err"
has "classic tracepoints: ready line says so" "$err" \
	'^kmtrace: ready: hist of bytes_req: kmalloc via tracepoint, threads off$'
has "classic tracepoints: [1282, 1283) holds exactly 300" "$out" '\{"lo":1282,"hi":1283,"count":300\}'
echo "# hist-kmdemo guest: done"
