#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a Debian kernel in QEMU with kmtrace's programs and kmdemo, run one
# command in it, power off, and exit with that command's exit status.
#   scripts/vm.sh [OPTIONS] [-- GUEST-COMMAND...]
#     --kernel SERIES   6.1 or 6.12 (default 6.12), see scripts/kernel.sh
#     --timeout S       give up after S seconds, exit 124 (default 300)
#     --keep            keep the run directory (initramfs, full console log)
#     --verbose         show the whole serial console, boot messages included
#     --accel A         tcg,thread=single (default; KMT_VM_ACCEL in the
#                       environment: one host thread runs both vCPUs), tcg
#                       (multi-threaded: it sometimes runs a stale int3 where the
#                       kernel live-patches a tracepoint, "Oops: int3", 2 of 8
#                       heavy kmem-tracing runs against 0 of 15 single-threaded)
#                       or kvm (stock kernels may hang under kvm)
#     --no-build        use the existing build/ outputs, run no make
#     --modules "M..."  also make these stock modules of the Debian kernel
#                       loadable (`modprobe M`), with the modules they depend on
#                       (modinfo depends and softdeps, resolved on the host);
#                       .ko.xz are decompressed on the host (busybox's
#                       modprobe loads .ko.xz too, but kmtrace's -m finds
#                       only plain .ko for its __init names), packed into
#                       this run's initramfs only, and indexed with kmdemo
#                       by depmod; KMT_VM_MODULES in the environment is the
#                       default
#     -h, --help        this text
# The guest command is joined with spaces and run by `sh -c` (like ssh) in
# /kmtrace, which holds copies of the repo's tests/ and scripts/; build/static/*
# is on PATH, `modprobe kmdemo` works, proc, sys, tracefs and debugfs are
# mounted. No command: the demo (scripts/demo-scenario.sh).
# Exit status: the guest command's; 124 on timeout; 125 when the VM failed
# before the command reported its status (boot failure, panic, crash).
set -euo pipefail

me=vm.sh
die() {
	echo "$me: $*" >&2
	exit 1
}
say() { echo "$me: $*" >&2; }
usage() { sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//'; }

series=6.12 timeout_s=300 keep=0 verbose=0 accel=${KMT_VM_ACCEL:-tcg,thread=single} build=1 modules=${KMT_VM_MODULES:-}
while [[ $# -gt 0 ]]; do
	case "$1" in
	--kernel)
		[[ $# -ge 2 ]] || die "--kernel needs a value (6.1 or 6.12)"
		series=$2
		shift 2
		;;
	--kernel=*) series=${1#*=} && shift ;;
	--timeout)
		[[ $# -ge 2 ]] || die "--timeout needs a value in seconds"
		timeout_s=$2
		shift 2
		;;
	--timeout=*) timeout_s=${1#*=} && shift ;;
	--accel)
		[[ $# -ge 2 ]] || die "--accel needs a value (tcg or kvm)"
		accel=$2
		shift 2
		;;
	--accel=*) accel=${1#*=} && shift ;;
	--modules)
		[[ $# -ge 2 ]] || die "--modules needs a list of module names"
		modules=$2
		shift 2
		;;
	--modules=*) modules=${1#*=} && shift ;;
	--keep) keep=1 && shift ;;
	--verbose) verbose=1 && shift ;;
	--no-build) build=0 && shift ;;
	-h | --help)
		usage
		exit 0
		;;
	--)
		shift
		break
		;;
	*) die "unknown argument '$1' (guest commands go after --); see --help" ;;
	esac
done
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || die "--timeout: '$timeout_s' is not a positive number of seconds"
[[ $accel == tcg || $accel == tcg,thread=single || $accel == kvm ]] ||
	die "--accel: '$accel' is not tcg, tcg,thread=single or kvm"
if [[ $# -gt 0 ]]; then
	cmd="$*"
else
	cmd="sh /kmtrace/scripts/demo-scenario.sh"
fi

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build}
for t in qemu-system-x86_64 cpio depmod busybox timeout flock; do
	command -v "$t" >/dev/null || die "$t not found (run scripts/deps.sh as root)"
done
busybox=$(command -v busybox)
file "$busybox" 2>/dev/null | grep -q 'dynamically linked' &&
	die "$busybox is dynamically linked; install busybox-static"

# --- kernel, module, programs, base initramfs (serialised between runs) -------
mkdir -p "$BUILD/vm"
exec 9>"$BUILD/vm/.lock"
flock 9

ver=$(KMT_LOG_PREFIX=$me scripts/kernel.sh "$series") || die "could not get kernel $series"
CACHE=${CACHE:-$root/.cache}
kroot=$CACHE/kernels/$ver
vmlinuz=$kroot/boot/vmlinuz-$ver
[[ -f $vmlinuz ]] || die "no $vmlinuz"

ko=$BUILD/kmod/$ver/kmdemo.ko
if [[ $build -eq 1 ]]; then
	blog=$BUILD/vm/build.log
	if [[ ! -f $ko || kmod/kmdemo.c -nt $ko || kmod/Kbuild -nt $ko ]]; then
		say "building kmdemo for $ver…"
		make kmod KVER="$ver" >"$blog" 2>&1 || {
			tail -n 20 "$blog" >&2
			die "make kmod KVER=$ver failed (full log: $blog)"
		}
	fi
	# static is phony: make -n tells whether there is anything to do.
	todo=$(make -n static 2>&1 || true)
	if grep -qv '^make.*Nothing to be done' <<<"$todo"; then
		say "building static programs…"
	fi
	make static >"$blog" 2>&1 || {
		tail -n 20 "$blog" >&2
		die "make static failed (full log: $blog)"
	}
fi
[[ -f $ko ]] || die "no $ko (run make kmod KVER=$ver)"
[[ -x $BUILD/static/threads ]] || say "warning: no $BUILD/static/threads (run make static)"

# The init script: mounts, runs /kmt/cmd in /kmtrace between two marker lines
# carrying this run's nonce, powers off.
read -r -d '' init <<'EOF' || true
#!/bin/sh
# kmtrace VM init, generated by scripts/vm.sh
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin
export HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
ulimit -l unlimited 2>/dev/null
hostname kmtrace-vm
ip link set lo up 2>/dev/null
nonce=$(cat /kmt/nonce)
cd /kmtrace
echo "kmtrace-vm: start $nonce"
sh -c "$(cat /kmt/cmd)"
echo "kmtrace-vm: exit $? $nonce"
sync
poweroff -f
EOF

base=$BUILD/vm/$ver
static_files=()
for f in "$BUILD"/static/*; do [[ -f $f && -x $f ]] && static_files+=("$f"); done
stamp=$(
	{
		echo "$init"
		echo "$ver"
		sha256sum "$busybox" "$ko" ${static_files[@]+"${static_files[@]}"}
	} | sha256sum | cut -d' ' -f1
)
if [[ ! -f $base.cpio || "$(cat "$base.stamp" 2>/dev/null)" != "$stamp" ]]; then
	say "building initramfs for $ver…"
	stage=$base.stage
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,kmt,kmtrace}
	cp "$busybox" "$stage/bin/busybox"
	"$busybox" --list-full | while read -r a; do
		[[ -e $stage/$a ]] || ln -s /bin/busybox "$stage/$a"
	done
	for f in ${static_files[@]+"${static_files[@]}"}; do
		rm -f "$stage/usr/bin/${f##*/}"
		cp "$f" "$stage/usr/bin/"
	done
	mkdir -p "$stage/lib/modules/$ver/extra"
	cp "$ko" "$stage/lib/modules/$ver/extra/"
	for f in modules.builtin modules.builtin.modinfo; do
		[[ -f $kroot/lib/modules/$ver/$f ]] && cp "$kroot/lib/modules/$ver/$f" "$stage/lib/modules/$ver/"
	done
	depmod -b "$stage" "$ver" 2>/dev/null || die "depmod -b $stage $ver failed"
	printf '%s\n' "$init" >"$stage/init"
	chmod 755 "$stage/init"
	echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
	echo "root:x:0:" >"$stage/etc/group"
	# The kernel opens /dev/console for init; without the node (building as
	# non-root) init still redirects to the devtmpfs one itself.
	mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$base.cpio.tmp"
	mv "$base.cpio.tmp" "$base.cpio"
	echo "$stamp" >"$base.stamp"
	rm -rf "$stage"
fi

# --- stock modules (--modules): an extra cpio laid over the base one ----------
# Names are resolved through the kernel's modules.order (dashes and
# underscores are the same, as for modprobe), dependencies through the
# modules' own modinfo (depends=, softdep= pre:/post:), recursively. The
# overlay carries the decompressed modules, kmdemo.ko again and a modules.dep
# (and friends) that depmod writes for all of them; its files replace the base
# cpio's as the kernel unpacks the initramfs in order.
mods_cpio=
if [[ -n ${modules//[[:space:]]/} ]]; then
	command -v modinfo >/dev/null || die "modinfo not found (install kmod)"
	mdir=$kroot/lib/modules/$ver
	[[ -f $mdir/modules.order ]] || die "no $mdir/modules.order"
	norm() { tr - _ <<<"$1"; }
	# path_of NAME: the module's path under $mdir (as in modules.order), or empty.
	path_of() {
		awk -v n="$(norm "$1")" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko$/, "", b);
			gsub(/-/, "_", b); if (b == n) { print; exit } }' "$mdir/modules.order"
	}
	declare -A seen=()
	want=()
	queue=()
	read -r -a queue <<<"$modules"
	while [[ ${#queue[@]} -gt 0 ]]; do
		m=$(norm "${queue[0]}")
		queue=("${queue[@]:1}")
		[[ -n $m && -z ${seen[$m]+x} ]] || continue
		seen[$m]=1
		[[ $m == kmdemo ]] && continue
		p=$(path_of "$m")
		if [[ -z $p ]]; then
			if awk -v n="$m" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko$/, "", b);
				gsub(/-/, "_", b); if (b == n) f = 1 } END { exit !f }' "$mdir/modules.builtin"; then
				say "--modules: $m is built into $ver (nothing to load)"
				continue
			fi
			die "--modules: no module '$m' in $ver (see $mdir/modules.order)"
		fi
		f=$mdir/$p
		[[ -f $f ]] || f=$f.xz
		[[ -f $f ]] || die "--modules: $mdir/$p(.xz) is missing"
		want+=("$p")
		deps=$(modinfo -F depends "$f" | tr ',' ' ')
		soft=$(modinfo -F softdep "$f" | sed 's/\(pre\|post\)://g')
		for d in $deps $soft; do
			# A softdep may name a module that is built in or absent: skip it.
			if [[ " $deps " != *" $d "* ]] && [[ -z $(path_of "$d") ]]; then continue; fi
			queue+=("$d")
		done
	done
	mstamp=$( (
		echo "$ver"
		printf '%s\n' ${want[@]+"${want[@]}"} | LC_ALL=C sort
		sha256sum "$ko"
	) | sha256sum | cut -c1-16)
	mods_cpio=$BUILD/vm/$ver.mods-$mstamp.cpio
	if [[ ! -f $mods_cpio ]]; then
		say "packing stock modules for $ver: ${want[*]:-none}…"
		mstage=$base.mstage
		rm -rf "$mstage"
		mkdir -p "$mstage/lib/modules/$ver/extra"
		cp "$ko" "$mstage/lib/modules/$ver/extra/"
		for f in modules.builtin modules.builtin.modinfo; do
			cp "$mdir/$f" "$mstage/lib/modules/$ver/"
		done
		for p in ${want[@]+"${want[@]}"}; do
			mkdir -p "$mstage/lib/modules/$ver/${p%/*}"
			if [[ -f $mdir/$p ]]; then
				cp "$mdir/$p" "$mstage/lib/modules/$ver/$p"
			else
				# (busybox's xz: no xz-utils needed on the host)
				"$busybox" xz -dc "$mdir/$p.xz" >"$mstage/lib/modules/$ver/$p" ||
					die "--modules: xz -d $mdir/$p.xz failed"
			fi
		done
		depmod -b "$mstage" "$ver" 2>/dev/null || die "depmod -b $mstage $ver failed"
		(cd "$mstage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$mods_cpio.tmp"
		mv "$mods_cpio.tmp" "$mods_cpio"
		rm -rf "$mstage"
	fi
fi
flock -u 9

# --- per-run part: the command and fresh copies of tests/ and scripts/ --------
work=$(mktemp -d "${TMPDIR:-/tmp}/kmtrace-vm.XXXXXX")
qpid=
tty_state=
[[ -t 0 ]] && tty_state=$(stty -g 2>/dev/null || true)
# shellcheck disable=SC2317 # (called from the EXIT trap)
cleanup() {
	local p
	if [[ -f $work/qemu.pid ]]; then
		p=$(cat "$work/qemu.pid" 2>/dev/null || true)
		if [[ -n $p ]]; then kill "$p" 2>/dev/null || true; fi
	fi
	if [[ -n $qpid ]]; then kill "$qpid" 2>/dev/null || true; fi
	if [[ -n $tty_state ]]; then stty "$tty_state" 2>/dev/null || true; fi
	if [[ $keep -eq 1 ]]; then
		say "kept $work (console.log, initrd.cpio)"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

nonce=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
mkdir -p "$work/run/kmt" "$work/run/kmtrace"
printf '%s\n' "$cmd" >"$work/run/kmt/cmd"
echo "$nonce" >"$work/run/kmt/nonce"
cp -r tests scripts "$work/run/kmtrace/"
(cd "$work/run" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$work/run.cpio"
cat "$base.cpio" ${mods_cpio:+"$mods_cpio"} "$work/run.cpio" >"$work/initrd.cpio"

append="console=ttyS0 panic=-1 oops=panic no_timer_check"
if [[ $verbose -eq 1 ]]; then append+=" loglevel=7"; else append+=" quiet loglevel=2"; fi
qemu=(qemu-system-x86_64 -accel "$accel" -cpu max -m 512 -smp 2 -nographic -no-reboot
	-nic none -kernel "$vmlinuz" -initrd "$work/initrd.cpio" -append "$append"
	-pidfile "$work/qemu.pid")
qin=/dev/stdin
[[ -t 0 ]] || qin=/dev/null

# Stream the console: everything before the start marker is boot noise (shown
# with --verbose), the guest command's output is passed through, the exit
# marker's status is saved to $work/rc. (A bash loop, not awk: mawk buffers
# its input, which would hold the output back until the VM ends.)
console_filter() {
	local line state=0 re="^(.*)kmtrace-vm: exit ([0-9]+) $nonce"
	exec 8>"$work/console.log"
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		printf '%s\n' "$line" >&8
		case $state in
		0)
			if [[ $line == *"kmtrace-vm: start $nonce"* ]]; then
				state=1
			elif [[ $verbose -eq 1 ]]; then
				printf '%s\n' "$line"
			fi
			;;
		1)
			if [[ $line =~ $re ]]; then
				[[ -z ${BASH_REMATCH[1]} ]] || printf '%s\n' "${BASH_REMATCH[1]}"
				echo "${BASH_REMATCH[2]}" >"$work/rc"
				state=2
			else
				printf '%s\n' "$line"
			fi
			;;
		*) [[ $verbose -eq 0 ]] || printf '%s\n' "$line" ;;
		esac
	done
	exec 8>&-
}
# A VM that dies while booting, before the guest command has started (seen
# rarely under TCG: an oops in early boot), is booted once more; a failure
# once the command has started is always the command's result.
for attempt in 1 2; do
	rm -f "$work/rc" "$work/qemu.rc" "$work/console.log"
	say "booting $ver ($accel)…"
	start=$SECONDS
	{
		set +e
		timeout --foreground -k 5 "$timeout_s" "${qemu[@]}" <"$qin" 2>"$work/qemu.err"
		{ echo $? >"$work/qemu.rc"; } 2>/dev/null
	} | console_filter &
	qpid=$!
	wait "$qpid" || true
	qpid=
	qrc=$(cat "$work/qemu.rc" 2>/dev/null || echo 1)
	elapsed=$((SECONDS - start))

	if [[ -f $work/rc ]]; then
		rc=$(cat "$work/rc")
		say "guest command exited $rc after ${elapsed}s"
		exit "$rc"
	fi
	if [[ $qrc -eq 124 ]]; then
		say "timed out after ${timeout_s}s (kernel $ver, $accel); last console lines:"
		tail -n 15 "$work/console.log" 2>/dev/null | sed 's/^/    /' >&2 || true
		exit 124
	fi
	if grep -q "kmtrace-vm: start $nonce" "$work/console.log" 2>/dev/null; then
		say "the VM stopped before the guest command reported its status (qemu exit $qrc; kernel panic or crash? console output above)"
		exit 125
	fi
	say "the VM stopped before the guest command started (qemu exit $qrc); last console lines:"
	{
		tail -n 25 "$work/console.log"
		cat "$work/qemu.err"
	} 2>/dev/null | sed 's/^/    /' >&2 || true
	[[ $attempt -eq 1 ]] && say "booting once more"
done
exit 125
