# SPDX-License-Identifier: GPL-2.0
# vm-checks: 49
# vm-modules: brd dummy vfat nls_cp437 nls_ascii
# Stock Debian modules in the VM (busybox sh, as root, cwd /kmtrace): for each
# of brd (block), dummy (net) and fat (fs, under vfat) the kernel's own
# allocation events, with stacks, are turned into a per-family ground truth by
# tests/guest/lib/kmtruth.sh while the module is loaded with modprobe,
# exercised and unloaded. Checked: load and unload, the families each module
# must use (count > 0), nothing lost, every raw address placed, the report of
# what is outstanding after the unload, and what `kmtrace trace -m MODULE
# --json`, run at the same time, attributed to the module: pages, per-CPU and
# vmalloc exactly the truth's, kmalloc and named caches within 1 % (count and
# bytes). The numbers are printed as TAP comments. Run in a VM by tests/run.sh with the
# modules of its vm-modules line; the last line is the marker
# "# stockmods guest: done".
. /kmtrace/tests/lib.sh

K=/kmtrace/tests/guest/lib/kmtruth.sh
kt=

# kmtrace_start MODULE: kmtrace trace -m MODULE --json in the background.
kmtrace_start() {
	start_kmtrace "/tmp/kmt.$1.json" "/tmp/kmt.$1.err" trace --json -m "$1" || echo "# kmtrace -m $1 did not start: $(tr '\n' '|' <"/tmp/kmt.$1.err")"
}

kmtrace_stop() {
	kill -INT $kt 2>/dev/null
	wait $kt
	echo "# kmtrace -m $1 exited $?"
}

# val FILE FAMILY KEY: KEY=… of the family=FAMILY line of a kmtruth report.
val() {
	awk -v f="family=$2" -v k="$3" '$1 == f { for (i = 2; i <= NF; i++) {
		split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}

# head_val FILE KEY: KEY=… of the report's first ("kmtruth …") line.
head_val() {
	awk -v k="$2" '$1 == "kmtruth" && $2 ~ /^module=/ { for (i = 2; i <= NF; i++) {
		split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}

# kmt_count M EVENT: kmtrace's events of that type attributed to module M.
kmt_count() {
	grep "^{.*\"event\":\"$2\"" "/tmp/kmt.$1.json" | grep -c "\"module\":\"$1\""
}

# report M "FAMILIES WITH COUNT > 0": the checks and comments on $R.
report() {
	_m=$1
	R=/tmp/truth.$_m
	sed 's/^/# /' "$R"
	echo "# kmtruth timing ($_m): $(cat /tmp/kmtruth/timing)"
	has "$_m: kmtruth report" "$R" "^kmtruth module=$_m "
	eq "$_m: loaded once, unloaded once (module_load/module_free events)" \
		"$(head_val "$R" loads)/$(head_val "$R" unloads)" 1/1
	w=$(head_val "$R" written)
	if [ "${w:-0}" -gt 0 ] && [ "$(head_val "$R" lost)" = 0 ]; then
		ok "$_m: no event lost ($w entries written, all in the buffer)"
	else
		not_ok "$_m: no event lost" "written ${w:-none}, lost $(head_val "$R" lost)"
	fi
	eq "$_m: no ring-buffer overrun or drop" "$(head_val "$R" overrun)" 0
	eq "$_m: its __init text range was read" "$(head_val "$R" init_range)" yes
	eq "$_m: every raw stack address placed (unresolved 0)" "$(head_val "$R" unresolved)" 0
	for f in $2; do
		c=$(val "$R" "$f" count)
		if [ "${c:-0}" -gt 0 ]; then ok "$_m: $f allocations seen ($c)"; else
			not_ok "$_m: $f allocations seen" "count ${c:-none}"
		fi
	done
	for f in kmalloc cache page vmalloc percpu; do
		o=$(val "$R" "$f" outstanding)
		if grep -q "^family=$f unavailable" "$R"; then continue; fi
		if [ -n "$o" ]; then ok "$_m: $f outstanding after unload reported ($o)"; else
			not_ok "$_m: $f outstanding after unload reported" "no family=$f line"
		fi
	done
	# kmtrace's view of the same run, per family: count and bytes_alloc of
	# the allocations attributed to the module (a measurement: printed).
	for f in kmalloc cache page vmalloc percpu; do
		case $f in
		kmalloc) ev=kmalloc ;; cache) ev=cache_alloc ;; page) ev=page_alloc ;;
		vmalloc) ev=vmalloc ;; percpu) ev=percpu_alloc ;;
		esac
		tc=$(val "$R" "$f" count)
		tb=$(val "$R" "$f" bytes)
		kc=$(kmt_count "$_m" $ev)
		kb=$(grep "^{.*\"event\":\"$ev\"" "/tmp/kmt.$_m.json" | grep "\"module\":\"$_m\"" |
			sed -n 's/.*"bytes_alloc":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
		echo "# kmtrace-vs-truth module=$_m kernel=$(uname -r) family=$f count: kmtrace=$kc truth=${tc:-n/a}" \
			"bytes: kmtrace=$kb truth=${tb:-n/a}" \
			"$(awk -v a="$kc" -v b="${tc:-0}" 'BEGIN { if (b > 0) printf "seen=%.1f%%", 100 * a / b; else print "seen=n/a" }')"
		# pages, per-CPU and vmalloc areas: exactly the truth; kmalloc and
		# named caches within 1 % in count and in bytes (a slab object the
		# kernel frees with no event, e.g. in a bulk free, can be reused
		# under the same address: docs/stock-modules.md)
		[ -n "$tc" ] || continue
		case $f in
		page | percpu | vmalloc)
			eq "$_m: kmtrace -m $_m attributes exactly the truth's $f allocations (count bytes)" \
				"$kc $kb" "$tc $tb"
			;;
		*)
			if awk -v kc="$kc" -v tc="$tc" -v kb="$kb" -v tb="$tb" 'function d(a, b) { return a > b ? a - b : b - a }
				BEGIN { exit !(d(kc, tc) * 100 <= tc && d(kb, tb) * 100 <= tb) }'; then
				ok "$_m: kmtrace -m $_m attributes the truth's $f allocations within 1 % (count $kc/$tc, bytes $kb/$tb)"
			else
				not_ok "$_m: kmtrace -m $_m attributes the truth's $f allocations within 1 %" \
					"count $kc/$tc, bytes $kb/$tb"
			fi
			;;
		esac
	done
	grep '"event":"summary"' "/tmp/kmt.$_m.json" | sed 's/^/# kmtrace summary: /'
	# a correct stock module, loaded, exercised and unloaded: no leak, none late
	has "$_m: kmtrace -m $_m: no leak reported after the unload, none freed late, none lost" \
		"/tmp/kmt.$_m.json" '^\{"event":"summary",.*"lost":0,.*"leaks":0,"freed_late":0,'
}

# --- brd: a RAM disk written and read through ---------------------------------
kmtrace_start brd
sh $K start brd
modprobe brd rd_nr=1 rd_size=4096
eq "brd: modprobe brd rd_nr=1 rd_size=4096" "$?" 0
sh $K loaded brd
dd if=/dev/zero of=/dev/ram0 bs=4096 count=256 2>/dev/null
eq "brd: 1 MiB written to /dev/ram0" "$?" 0
dd if=/dev/ram0 of=/dev/null bs=4096 count=256 2>/dev/null
sync
rmmod brd
eq "brd: rmmod brd" "$?" 0
sh $K stop brd >/tmp/truth.brd
kmtrace_stop brd
check "brd: unloaded (no /sys/module/brd)" test ! -d /sys/module/brd
# (6.1 has no vmalloc events; on 6.12 brd's load vmallocs one area)
if grep -q '^family=vmalloc unavailable' /tmp/truth.brd; then
	report brd "kmalloc cache page percpu"
else
	report brd "kmalloc cache page percpu vmalloc"
fi
eq "brd: every page brd allocated was freed by rmmod" "$(val /tmp/truth.brd page outstanding)" 0

# --- dummy: two interfaces made at load, one more by netlink ------------------
kmtrace_start dummy
sh $K start dummy
modprobe dummy numdummies=2
eq "dummy: modprobe dummy numdummies=2" "$?" 0
sh $K loaded dummy
ip link set dummy0 up && ip link set dummy0 mtu 1400 && ip link set dummy0 down
eq "dummy: dummy0 up, mtu, down" "$?" 0
ip link add kmt0 type dummy && ip link set kmt0 up && ip link del kmt0
eq "dummy: ip link add/up/del kmt0 type dummy" "$?" 0
rmmod dummy
eq "dummy: rmmod dummy" "$?" 0
sh $K stop dummy >/tmp/truth.dummy
kmtrace_stop dummy
check "dummy: unloaded, its interfaces gone" sh -c '! test -d /sys/module/dummy && ! test -e /sys/class/net/dummy0'
report dummy "kmalloc cache percpu"

# --- fat (under vfat): a FAT file system on a RAM disk, mounted and written ----
modprobe brd rd_nr=1 rd_size=4096 && mkdosfs /dev/ram0 >/dev/null 2>&1 &&
	modprobe nls_cp437 && modprobe nls_ascii
eq "fat: a FAT file system on /dev/ram0 (brd), nls_cp437 and nls_ascii loaded" "$?" 0
mkdir -p /mnt/fat
kmtrace_start fat
sh $K start fat
modprobe vfat
eq "fat: modprobe vfat (loads fat)" "$?" 0
sh $K loaded fat
mount -t vfat /dev/ram0 /mnt/fat
eq "fat: mount -t vfat /dev/ram0" "$?" 0
i=0
while [ $i -lt 20 ]; do
	echo "file $i" >/mnt/fat/f$i.txt
	i=$((i + 1))
done
dd if=/dev/zero of=/mnt/fat/big bs=4096 count=16 2>/dev/null && sync && ls /mnt/fat >/dev/null &&
	rm /mnt/fat/f1*.txt
eq "fat: 20 files and 64 KiB written, 10 removed" "$?" 0
umount /mnt/fat
eq "fat: umount" "$?" 0
rmmod vfat && rmmod fat
eq "fat: rmmod vfat fat" "$?" 0
sh $K stop fat >/tmp/truth.fat
kmtrace_stop fat
check "fat: unloaded (no /sys/module/fat)" test ! -d /sys/module/fat
report fat "kmalloc cache"
rmmod nls_ascii nls_cp437 brd 2>/dev/null

echo "# stockmods guest: done"
