# SPDX-License-Identifier: GPL-2.0
# tests/guest/lib/kmtruth.awk on hand-written tracefs text (busybox awk, the
# guest's): what counts as the module's (symbolised frames, raw addresses in its
# core text until module_free, in its __init text until the "loaded" marker,
# not in another module's), page vs page_backing, kmalloc/cache_backing
# (allocator bookkeeping: vmalloc metadata, radix tree preload), frees by pointer/pfn/vmap
# address, the kvfree_call_rcu kprobe in its 6.12 (head, ptr) and 6.1 (head,
# offset) forms, vmalloc from a kretprobe (6.1), a reused pointer as free_unseen, stacks of two CPUs
# interleaved, the loss header. The real thing runs in tests/vm/stockmods.sh.
. tests/lib.sh
A=tests/guest/lib/kmtruth.awk
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v busybox >/dev/null || {
	not_ok "kmtruth.awk: busybox" "no busybox (scripts/deps.sh installs busybox-static)"
	exit 0
}

cat >"$tmp/ranges" <<'EOF'
noevent vmalloc vmalloc/alloc_vmap_area
other foo 0xffffffffc0003000 4096
core .text 0xffffffffc0002000 256
init .init.text 0xffffffffc0001000 256
EOF
# (noevent vmalloc above only for the "unavailable" line; events still parse)
cat >"$tmp/trace" <<'EOF'
# tracer: nop
#
# entries-in-buffer/entries-written: 40/43   #P:2
#
        modprobe-10      [000] .....     1.000000: kmalloc: call_site=0xffffffffc0002010 ptr=ffff000000000100 bytes_req=10 bytes_alloc=16 gfp_flags=GFP_KERNEL node=-1 accounted=false
        modprobe-10      [000] .....     1.000001: <stack trace>
 => __kmalloc
 => 0xffffffffc0002010
        modprobe-10      [000] .....     1.100000: module_load: m 
        modprobe-10      [000] .....     1.200000: kmalloc: call_site=0xffffffffc0001010 ptr=ffff000000000200 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL node=-1 accounted=false
        modprobe-10      [001] .....     1.200001: kmem_cache_alloc: call_site=alloc_inode+0x1/0x2 ptr=ffff000000000300 bytes_req=600 bytes_alloc=632 gfp_flags=GFP_KERNEL node=-1 accounted=false
        modprobe-10      [000] .....     1.200002: <stack trace>
 => __kmalloc
 => 0xffffffffc0001010
        modprobe-10      [001] .....     1.200003: <stack trace>
 => kmem_cache_alloc_lru
 => 0xffffffffc0002020
        modprobe-10      [000] .....     1.300000: mm_page_alloc: page=ffffea0000001000 pfn=0x1000 order=2 migratetype=0 gfp_flags=GFP_KERNEL
        modprobe-10      [000] .....     1.300001: <stack trace>
 => __alloc_pages
 => allocate_slab
 => ___slab_alloc
 => 0xffffffffc0002030
        modprobe-10      [000] .....     1.300002: mm_page_alloc: page=ffffea0000002000 pfn=0x2000 order=0 migratetype=0 gfp_flags=GFP_KERNEL
        modprobe-10      [000] .....     1.300003: <stack trace>
 => __alloc_pages
 => 0xffffffffc0002040
        modprobe-10      [000] .....     1.300004: percpu_alloc_percpu: call_site=0xffffffffc0002050 reserved=0 is_atomic=0 size=8 align=8 base_addr=ffff000000a00000 off=64 ptr=0000607fc0000040 bytes_alloc=16 gfp_flags=GFP_KERNEL
        modprobe-10      [000] .....     1.300005: <stack trace>
 => pcpu_alloc
 => 0xffffffffc0002050
        modprobe-10      [000] .....     1.300006: alloc_vmap_area: va_start: 18446683600570023936 size=12288 align=4096 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0
        modprobe-10      [000] .....     1.300007: <stack trace>
 => __get_vm_area_node
 => __vmalloc_node_range
 => 0xffffffffc0002060
        modprobe-10      [000] .....     1.300008: kmalloc: call_site=0xffffffffc0003010 ptr=ffff000000000400 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL node=-1 accounted=false
        modprobe-10      [000] .....     1.300009: <stack trace>
 => __kmalloc
 => 0xffffffffc0003010
        modprobe-10      [000] .....     1.300010: kmalloc: call_site=0xffffffffc0009010 ptr=ffff000000000500 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL node=-1 accounted=false
        modprobe-10      [000] .....     1.300011: <stack trace>
 => __kmalloc
 => 0xffffffffc0009010
        modprobe-10      [000] .....     1.300012: kmalloc: call_site=__get_vm_area_node+0x81/0x130 ptr=ffff000000000b00 bytes_req=96 bytes_alloc=96 gfp_flags=GFP_KERNEL node=-1 accounted=false
        modprobe-10      [000] .....     1.300013: <stack trace>
 => __kmalloc_cache_noprof
 => __vmalloc_node_range_noprof
 => 0xffffffffc0002060
        modprobe-10      [000] .....     1.300014: kmem_cache_alloc: call_site=__radix_tree_preload+0x69/0xc0 ptr=ffff000000000c00 bytes_req=576 bytes_alloc=584 gfp_flags=GFP_KERNEL node=-1 accounted=false
        modprobe-10      [000] .....     1.300015: <stack trace>
 => kmem_cache_alloc_noprof
 => __radix_tree_preload
 => 0xffffffffc0002064
              sh-11      [001] .....     1.400000: tracing_mark_write: kmtruth_loaded m
              dd-12      [001] .....     1.500000: kmalloc: call_site=0xffffffffc0001020 ptr=ffff000000000600 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL node=-1 accounted=false
              dd-12      [001] .....     1.500001: <stack trace>
 => __kmalloc
 => 0xffffffffc0001020
              dd-12      [001] .....     1.500002: kmalloc: call_site=m_write+0x1/0x2 [m] ptr=ffff000000000700 bytes_req=40 bytes_alloc=64 gfp_flags=GFP_KERNEL node=-1 accounted=false
              dd-12      [001] .....     1.500003: <stack trace>
 => __kmalloc
 => m_write+0x1/0x2 [m]
              dd-12      [001] .....     1.500004: kmalloc: call_site=kstrdup+0x1/0x2 ptr=ffff000000000800 bytes_req=40 bytes_alloc=64 gfp_flags=GFP_KERNEL node=-1 accounted=false
              dd-12      [001] .....     1.500005: <stack trace>
 => __kmalloc
 => kstrdup
 => 0xffffffffc0002070
              dd-12      [001] .....     1.500006: kmalloc: call_site=kstrdup+0x1/0x2 ptr=ffff000000000900 bytes_req=40 bytes_alloc=64 gfp_flags=GFP_KERNEL node=-1 accounted=false
              dd-12      [001] .....     1.500007: <stack trace>
 => __kmalloc
 => 0xffffffffc0002080
           rmmod-13      [000] .....     2.000000: kfree: call_site=0xffffffffc0002090 ptr=ffff000000000200
           rmmod-13      [000] .....     2.000001: kmem_cache_free: call_site=0xffffffffc0002090 ptr=ffff000000000300 name=inode_cache
           rmmod-13      [000] .....     2.000002: mm_page_free: page=ffffea0000002000 pfn=0x2000 order=0
           rmmod-13      [000] .....     2.000003: percpu_free_percpu: base_addr=ffff000000a00000 off=64 ptr=0000607fc0000040
           rmmod-13      [000] .....     2.000004: free_vmap_area_noflush: va_start=0xffffc90000000000 nr_lazy=3 nr_lazy_max=32768
           rmmod-13      [000] .....     2.000005: kvfree_rcu: (kvfree_call_rcu+0x0/0x30) head=0xffff000000000710 arg=0xffff000000000700
           rmmod-13      [000] .....     2.000006: kvfree_rcu: (kvfree_call_rcu+0x0/0x30) head=0xffff000000000810 arg=0x10
           rmmod-13      [000] .....     2.000007: kmalloc: call_site=foo+0x1/0x2 ptr=ffff000000000900 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL node=-1 accounted=false
           rmmod-13      [000] .....     2.100000: module_free: m
           rmmod-13      [000] .....     2.200000: kmalloc: call_site=0xffffffffc0002010 ptr=ffff000000000a00 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL node=-1 accounted=false
           rmmod-13      [000] .....     2.200001: <stack trace>
 => __kmalloc
 => 0xffffffffc0002010
EOF
busybox awk -v mod=m -v ranges="$tmp/ranges" -f "$A" "$tmp/trace" >"$tmp/out" 2>"$tmp/err"
eq "kmtruth.awk: exits 0, nothing on stderr" "$?/$(wc -c <"$tmp/err")" 0/0
sed 's/^/# /' "$tmp/out"
line() { grep "^family=$1 " "$tmp/out"; }
has "kmtruth.awk: header: 43 written, 40 in buffer, 3 lost; one load, one unload" "$tmp/out" \
	'^kmtruth module=m .* written=43 in_buffer=40 lost=3 loads=1 unloads=1 span_s=1\.000 init_range=yes '
# kmalloc: 0x200 (__init, before the marker), 0x700 (symbolised [m]), 0x800
# (core frame under kstrdup), 0x900 (core) count; 0x100 (before module_load),
# 0x400 (other module), 0x500 (unknown), 0x600 (__init after the marker) and
# 0xa00 (after module_free) do not.
eq "kmtruth.awk: kmalloc line" "$(line kmalloc)" \
	"family=kmalloc count=4 bytes=320 bytes_req=220 direct=2 init=1 freed=3 freed_rcu=2 outstanding=0 outstanding_bytes=0"
has "kmtruth.awk: unknown raw address counted unresolved (once), reuse of 0x900 as free_unseen" "$tmp/out" \
	' unresolved=1 free_unseen=1 failed=0$'
eq "kmtruth.awk: cache line (stack on the other CPU, interleaved)" "$(line cache)" \
	"family=cache count=1 bytes=632 bytes_req=600 direct=0 init=0 freed=1 freed_rcu=0 outstanding=0 outstanding_bytes=0"
eq "kmtruth.awk: page line (no allocator in between)" "$(line page)" \
	"family=page count=1 bytes=4096 bytes_req=4096 direct=0 init=0 freed=1 freed_rcu=0 outstanding=0 outstanding_bytes=0"
eq "kmtruth.awk: page_backing line (allocate_slab in between, order 2)" "$(line page_backing)" \
	"family=page_backing count=1 bytes=16384 bytes_req=16384 direct=0 init=0 freed=0 freed_rcu=0 outstanding=1 outstanding_bytes=16384"
eq "kmtruth.awk: percpu line" "$(line percpu)" \
	"family=percpu count=1 bytes=16 bytes_req=8 direct=1 init=0 freed=1 freed_rcu=0 outstanding=0 outstanding_bytes=0"
eq "kmtruth.awk: vmalloc's own vm_struct kmalloc is kmalloc_backing" "$(line kmalloc_backing)" \
	"family=kmalloc_backing count=1 bytes=96 bytes_req=96 direct=0 init=0 freed=0 freed_rcu=0 outstanding=1 outstanding_bytes=96"
eq "kmtruth.awk: the radix tree preload pool's node is cache_backing" "$(line cache_backing)" \
	"family=cache_backing count=1 bytes=584 bytes_req=576 direct=0 init=0 freed=0 freed_rcu=0 outstanding=1 outstanding_bytes=584"
eq "kmtruth.awk: vmalloc without its events: unavailable" "$(line vmalloc)" "family=vmalloc unavailable"
has "kmtruth.awk: the outstanding page named by pfn, site and frame" "$tmp/out" \
	'^outstanding family=page_backing pfn=0x1000 bytes=16384 site=0xffffffffc0002030 call_site=-$'

# vmalloc: the decimal va_start of alloc_vmap_area matches free_vmap_area_noflush's hex
grep -v '^noevent' "$tmp/ranges" >"$tmp/ranges2"
busybox awk -v mod=m -v ranges="$tmp/ranges2" -f "$A" "$tmp/trace" >"$tmp/out2"
eq "kmtruth.awk: vmalloc area (decimal address) freed by its hex free" "$(grep '^family=vmalloc ' "$tmp/out2")" \
	"family=vmalloc count=1 bytes=12288 bytes_req=12288 direct=0 init=0 freed=1 freed_rcu=0 outstanding=0 outstanding_bytes=0"

# an interrupt between an allocation event and its stack, on the same CPU: a
# softirq's free, and an allocation with its own stack (not the module's)
cat >"$tmp/trace4" <<'EOF'
        modprobe-10      [000] .....     1.000000: module_load: m 
              dd-12      [000] .....     1.100000: kmem_cache_alloc: call_site=alloc_buffer_head+0x1e/0x90 ptr=ffff000000001000 bytes_req=104 bytes_alloc=104 gfp_flags=GFP_NOFS node=-1 accounted=false
              dd-12      [000] ..s4.     1.100001: kmem_cache_free: call_site=rcu_do_batch+0x1/0x2 ptr=ffff000000009000 name=maple_node
              dd-12      [000] .....     1.100002: <stack trace>
 => kmem_cache_alloc_noprof
 => 0xffffffffc0002010
              dd-12      [000] .....     1.200000: kmalloc: call_site=0xffffffffc0002020 ptr=ffff000000002000 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL node=-1 accounted=false
              dd-12      [000] ..s4.     1.200001: kmalloc: call_site=foo+0x1/0x2 ptr=ffff000000003000 bytes_req=16 bytes_alloc=16 gfp_flags=GFP_ATOMIC node=-1 accounted=false
              dd-12      [000] ..s4.     1.200002: <stack trace>
 => __kmalloc
 => foo
              dd-12      [000] .....     1.200003: <stack trace>
 => __kmalloc
 => 0xffffffffc0002020
        modprobe-10      [001] .....     1.300000: alloc_vmap_area: (__get_vm_area_node+0x8f/0x170 <- alloc_vmap_area) va_start=0xffffc90000100000 va_end=0xffffc9000011a000
        modprobe-10      [001] .....     1.300001: <stack trace>
 => __kretprobe_trampoline
 => __get_vm_area_node
 => __vmalloc_node_range
 => 0xffffffffc0002068
        modprobe-10      [001] .....     1.300002: alloc_vmap_area: (__get_vm_area_node+0x8f/0x170 <- alloc_vmap_area) va_start=(fault) va_end=(fault)
        modprobe-10      [001] .....     1.300003: <stack trace>
 => __get_vm_area_node
 => 0xffffffffc0002068
           rmmod-13      [001] .....     1.900000: free_vmap_area_noflush: (free_vmap_area_noflush+0x0/0x30) va_start=0xffffc90000100000
           rmmod-13      [000] .....     2.000000: module_free: m
EOF
busybox awk -v mod=m -v ranges="$tmp/ranges2" -f "$A" "$tmp/trace4" >"$tmp/out4"
eq "kmtruth.awk: a softirq's free between an allocation and its stack: the stack is the allocation's" \
	"$(grep '^family=cache ' "$tmp/out4" | cut -d' ' -f2-3)" "count=1 bytes=104"
eq "kmtruth.awk: a nested allocation's stack is its own, the outer one's comes after" \
	"$(grep '^family=kmalloc ' "$tmp/out4" | cut -d' ' -f2-3)" "count=1 bytes=8"
eq "kmtruth.awk: vmalloc from the kretprobe form (6.1): the area, its size from va_end - va_start, freed" \
	"$(grep '^family=vmalloc ' "$tmp/out4")" \
	"family=vmalloc count=1 bytes=106496 bytes_req=106496 direct=0 init=0 freed=1 freed_rcu=0 outstanding=0 outstanding_bytes=0"
has "kmtruth.awk: a kretprobe that read a fault (ERR_PTR) counts as failed" "$tmp/out4" ' failed=1$'

# no header: losses unknown, never 0
grep -v 'entries-in-buffer' "$tmp/trace" >"$tmp/trace3"
busybox awk -v mod=m -v ranges="$tmp/ranges" -f "$A" "$tmp/trace3" >"$tmp/out3"
has "kmtruth.awk: without the header, lost=unknown" "$tmp/out3" ' written=0 in_buffer=0 lost=unknown '
