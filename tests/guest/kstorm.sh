# SPDX-License-Identifier: GPL-2.0
# vm-checks: 4
# kstorm -m sock in the VM (busybox sh, as root, cwd /kmtrace): its claim of
# exactly one allocation from the named slab cache sock_inode_cache per op,
# checked against the kernel's own tracefs on Debian's kernel:
# kmem:kmem_cache_alloc filtered by pid and by call site in the function
# kstorm names (cache_caller=sock_alloc_inode; 6.1 and 6.12 have no name field
# in the event; where it has one, by name too).  Run by tests/vm/kstorm.sh; the last line
# is the marker "# kstorm guest: done".
. /kmtrace/tests/lib.sh
. /kmtrace/tests/cachecount.sh
# The VM is thrown away: no rmdir of tracefs instances (6.1 soft-locked in it).
KMT_CACHECOUNT_KEEP=1

out=/tmp/kstorm.out
kstorm -m sock -n 1 >"$out"
c=$(sed -n 's/.* cache=\([^ ]*\) .*/\1/p' "$out")
f=$(sed -n 's/.* cache_caller=\([^ ]*\) .*/\1/p' "$out")
eq "kstorm -m sock names its cache and the caller" "$c $f" "sock_inode_cache sock_alloc_inode"
bys="caller=$f"
grep -q 'char\[\] name;' /sys/kernel/tracing/events/kmem/kmem_cache_alloc/format &&
	bys="$bys name=$c"
for by in $bys; do
	for args in "-n 2000" "-n 1000 -t 3"; do
		# shellcheck disable=SC2086
		cache_allocs "$by" "$out" kstorm -m sock $args
		e=$(sed -n 's/.* expected_cache_allocs=\([0-9]*\) .*/\1/p' "$out")
		if [ -z "$ca_err" ] && [ "$ca_rc" = 0 ] && [ -n "$e" ] && [ "$e" -gt 0 ] &&
			[ "$ca_count" = "$e" ]; then
			ok "kstorm -m sock $args: exactly $e kmem_cache_alloc from $c by its pid (tracefs, $by)"
		else
			not_ok "kstorm -m sock $args: exact $c allocations (tracefs, $by)" \
				"kstorm says $e from '$c', the kernel counted '$ca_count' (rc=$ca_rc${ca_err:+, $ca_err})"
		fi
	done
	cache_allocs "$by" "$out" kstorm -m msg -n 2000
	eq "kstorm -m msg: no $c allocations by its pid (tracefs, $by)" \
		"$ca_count${ca_err:+ ($ca_err)}" 0
done
echo "# kstorm guest: done"
