# SPDX-License-Identifier: GPL-2.0
# Sourced by the kmdemo guest tests (busybox sh, as root, in the VM): the
# kernel's own tracefs events as the ground truth of what kmdemo allocated
# and freed, computed without kmdemo or kmtrace.  Not a test by itself.
#
#   kt_start          clear the trace and turn tracing on; the first call
#                     enables, once for all (each enable or disable patches
#                     kernel text, which under TCG has been seen to oops):
#                     kmem:kmalloc/kfree, kmem:kmem_cache_alloc/kmem_cache_free,
#                     kmem:mm_page_alloc/mm_page_free(_batched),
#                     percpu:percpu_alloc_percpu/percpu_free_percpu,
#                     vmalloc:alloc_vmap_area/free_vmap_area_noflush (6.12),
#                     module:module_load, and a kprobe event on
#                     kmem_cache_free_bulk() (kfree_bulk() emits no kmem:kfree);
#                     a stacktrace trigger on every allocation event
#   kt_stop FILE      turn tracing off, write the summary (below) to FILE and
#                     the raw trace to FILE.trace
# The events stay enabled (tracing off) after the last kt_stop: the VM powers
# off after the guest script anyway.
#
# Who allocated: a stack frame (or call_site) is kmdemo's when it is named
# "[kmdemo]" or, as kmdemo's frames are once its __init code is freed or the
# module unloaded, an address in the module area (0xffffffffa0000000 and up)
# that no symbol names; no other module loads in the guest while tracing.
# An allocation is attributed to one family:
#   kmalloc    kmem:kmalloc, call_site in kmdemo, bytes_req != 64
#   bulk       kmem:kmalloc, call_site in kmdemo, bytes_req == 64
#   cache      kmem:kmem_cache_alloc, call_site in kmdemo
#   pages      kmem:mm_page_alloc, __get_free_pages called from kmdemo
#   vmalloc    vmalloc:alloc_vmap_area, a vmalloc function called from kmdemo
#   percpu     percpu:percpu_alloc_percpu, call_site in kmdemo
#   kstrdup    kmem:kmalloc made by kstrdup() for kmdemo (call_site is then
#              kstrdup's caller, kmdemo: told apart by the stack)
#   cache_create, debugfs_dir, debugfs_file, vmalloc_internal:
#              any slab/percpu allocation with kmem_cache_create,
#              debugfs_create_dir, debugfs_create_blob/file or a vmalloc
#              function and kmdemo on its stack
#   kernel_pages  any other page allocation with kmdemo on its stack: the
#              slab, percpu or vmalloc allocator's own pages, kept by that
#              allocator (kmalloc caches' slabs, populated percpu chunks)
#   vmap_lazy  vmap_area objects of alloc_vmap_area(): freed by the lazy
#              purge, whenever it runs, or kept as a per-CPU spare; the vmap
#              area itself is the vmalloc family (free_vmap_area_noflush)
#   other      anything else with kmdemo on its stack
# An allocation is freed when a later free event names the same pointer
# (pfn for pages, va_start for vmap areas, the kprobe's array for bulk).
# Summary lines: "alloc FAMILY KEY" for each allocation attributed to kmdemo
# (KEY: S<ptr>, P<pfn>, C<percpu ptr>, V<va_start>, hex without 0x),
# "complete yes" when the ring buffer lost nothing (entries-in-buffer equals
# entries-written), "loads N"
# (module:module_load events), "kmdemo_obj_frees N" (kmem_cache_free events
# naming that cache), per family "family NAME allocs N freed N"; then
# "outstanding FAMILY KEY EVENT-LINE" for each allocation not freed, of any
# family but kernel_pages and vmap_lazy.

KT=/sys/kernel/tracing
KT_EVENTS="kmem/kmalloc kmem/kfree kmem/kmem_cache_alloc kmem/kmem_cache_free kmem/mm_page_alloc
kmem/mm_page_free kmem/mm_page_free_batched percpu/percpu_alloc_percpu percpu/percpu_free_percpu
vmalloc/alloc_vmap_area vmalloc/free_vmap_area_noflush module/module_load"
KT_STACKED="kmem/kmalloc kmem/kmem_cache_alloc kmem/mm_page_alloc percpu/percpu_alloc_percpu
vmalloc/alloc_vmap_area"
KT_COMMS='comm == "modprobe" || comm == "rmmod" || comm == "insmod"'

kt_setup() {
	echo 0 >$KT/tracing_on
	echo 16384 >$KT/buffer_size_kb
	[ -f $KT/options/hash-ptr ] && echo 0 >$KT/options/hash-ptr
	echo 0 >$KT/options/stacktrace
	for e in $KT_EVENTS; do
		[ -f $KT/events/$e/enable ] && echo 1 >$KT/events/$e/enable
	done
	# kmdemo allocates only in modprobe's (init) and rmmod's (exit) context.
	for e in $KT_STACKED; do
		[ -f $KT/events/$e/filter ] || continue
		echo "$KT_COMMS" >$KT/events/$e/filter
		echo "stacktrace if $KT_COMMS" >$KT/events/$e/trigger
	done
	# Pages are freed by kmdemo itself (free_pages), in those contexts too;
	# kmdemo_obj's slab pages, freed elsewhere, are not counted.
	for e in kmem/mm_page_free kmem/mm_page_free_batched; do
		echo "$KT_COMMS" >$KT/events/$e/filter
	done
	# x86-64: %si is the count, %dx the array (at most 64 entries are read).
	echo 'p:kmdemo_kt/free_bulk kmem_cache_free_bulk n=%si:u64 objs=+0(%dx):x64[64]' \
		>>$KT/kprobe_events && echo 1 >$KT/events/kmdemo_kt/free_bulk/enable
	kt_ready=1
}

kt_start() {
	[ -n "${kt_ready:-}" ] || kt_setup
	: >$KT/trace
	echo 1 >$KT/tracing_on
}

kt_stop() {
	echo 0 >$KT/tracing_on
	cat $KT/trace >"$1.trace"
	: >$KT/trace
	kt_summary <"$1.trace" >"$1"
}

# kt_summary: the summary of a trace text on stdin (see the header).
kt_summary() {
	awk -v verbose="${KT_VERBOSE:-0}" '
	function kmd(f) {
		return f ~ /\[kmdemo\]/ || (f ~ /^0xffffffff[a-f][0-9a-f]+$/ && length(f) == 18)
	}
	function norm(p) {
		p = tolower(p)
		sub(/^0x/, "", p)
		sub(/^0+/, "", p)
		return p
	}
	# fields(a): F[name] = value for each "name=value" (or "name: value") of a
	function fields(a,    w, nw, j, q, nm) {
		split("", F)
		gsub(/: /, "=", a)
		nw = split(a, w, " ")
		for (j = 1; j <= nw; j++) {
			q = index(w[j], "=")
			if (q > 1)
				F[substr(w[j], 1, q - 1)] = substr(w[j], q + 1)
		}
	}
	# decimal string to hex (no 0x), for 64-bit values awk cannot hold
	function dec2hex(d,    h, q, r, i, c, digits) {
		digits = "0123456789abcdef"
		h = ""
		while (d != "" && d != "0") {
			q = ""
			r = 0
			for (i = 1; i <= length(d); i++) {
				c = r * 10 + substr(d, i, 1)
				q = q int(c / 16)
				r = c % 16
			}
			sub(/^0+/, "", q)
			h = substr(digits, r + 1, 1) h
			d = q
		}
		return h
	}
	/^# entries-in-buffer\/entries-written: / {
		split($3, ew, "/")
		complete = (ew[1] == ew[2]) ? "yes" : "no"
		next
	}
	/^#/ { next }
	$1 == "=>" {
		if (cur[scpu] != "") {
			q = index($2, "+")
			frames[cur[scpu]] = frames[cur[scpu]] "|" (q ? substr($2, 1, q - 1) : $2) ($3 == "" ? "" : " " $3)
		}
		next
	}
	{
		if (!match($0, /\[[0-9]+\]/))
			next
		cpu = substr($0, RSTART, RLENGTH)
		if (!match($0, / [0-9]+\.[0-9]+: /))
			next
		rest = substr($0, RSTART + RLENGTH)
		if (rest ~ /^<stack trace>/) {
			scpu = cpu
			next
		}
		ev = rest
		sub(/:.*/, "", ev)
		n++
		evn[n] = ev
		line[n] = $0
		args[n] = substr(rest, length(ev) + 3)
		cur[cpu] = n
		scpu = ""
	}
	END {
		for (i = 1; i <= n; i++) {
			e = evn[i]
			fields(args[i])
			if (e == "module_load") {
				loads++
				continue
			}
			fam = ""
			key = ""
			if (e == "kmalloc" || e == "kmem_cache_alloc") {
				key = "S" norm(F["ptr"])
				cs = F["call_site"]
				if (kmd(cs) && frames[i] ~ /[|]kstrdup[|]0xffffffff[a-f]/)
					fam = "kstrdup"
				else if (kmd(cs)) {
					if (e == "kmem_cache_alloc")
						fam = "cache"
					else if (F["bytes_req"] == "64")
						fam = "bulk"
					else
						fam = "kmalloc"
				}
			} else if (e == "mm_page_alloc") {
				key = "P" norm(F["pfn"])
				if (key == "P")
					continue
			} else if (e == "percpu_alloc_percpu") {
				key = "C" norm(F["ptr"])
				if (kmd(F["call_site"]))
					fam = "percpu"
			} else if (e == "alloc_vmap_area") {
				if (F["failed"] != "0")
					continue
				key = "V" dec2hex(F["va_start"])
			} else if (e == "kfree" || e == "kmem_cache_free") {
				if (F["name"] == "kmdemo_obj")
					objfrees++
				k = "S" norm(F["ptr"])
				if (k in out) {
					freed[out[k]]++
					delete out[k]
				}
				continue
			} else if (e == "mm_page_free" || e == "mm_page_free_batched") {
				k = "P" norm(F["pfn"])
				if (k in out) {
					freed[out[k]]++
					delete out[k]
				}
				continue
			} else if (e == "percpu_free_percpu") {
				k = "C" norm(F["ptr"])
				if (k in out) {
					freed[out[k]]++
					delete out[k]
				}
				continue
			} else if (e == "free_vmap_area_noflush") {
				k = "V" norm(F["va_start"])
				if (k in out) {
					freed[out[k]]++
					delete out[k]
				}
				continue
			} else if (e == "free_bulk") {
				cnt = F["n"] + 0
				objs = F["objs"]
				gsub(/[{}]/, "", objs)
				m = split(objs, o, ",")
				for (j = 1; j <= cnt && j <= m; j++) {
					k = "S" norm(o[j])
					if (k in out) {
						freed[out[k]]++
						delete out[k]
					}
				}
				continue
			} else
				continue
			if (fam == "") {
				nf = split(substr(frames[i], 2), f, "|")
				has = 0
				for (j = 1; j <= nf; j++)
					if (kmd(f[j]))
						has = 1
				if (!has)
					continue
				for (j = 1; j < nf; j++) {
					if (!kmd(f[j + 1]))
						continue
					if (e == "mm_page_alloc" && f[j] ~ /get_free_pages/)
						fam = "pages"
					else if (e == "alloc_vmap_area" && f[j] ~ /vmalloc/)
						fam = "vmalloc"
					if (fam != "")
						break
				}
			}
			if (fam == "") {
				if (e == "mm_page_alloc")
					fam = "kernel_pages"
				else if (F["call_site"] ~ /^alloc_vmap_area/ || frames[i] ~ /preload_this_cpu_lock/)
					fam = "vmap_lazy"
				else if (frames[i] ~ /kmem_cache_create/)
					fam = "cache_create"
				else if (frames[i] ~ /\|debugfs_create_dir/)
					fam = "debugfs_dir"
				else if (frames[i] ~ /debugfs_create_(blob|file)/)
					fam = "debugfs_file"
				else if (frames[i] ~ /vmalloc/)
					fam = "vmalloc_internal"
				else
					fam = "other"
			}
			allocs[fam]++
			out[key] = fam
			desc[key] = line[i] " stack:" frames[i]
			if (verbose)
				print "alloc " fam " " key " " desc[key]
			else
				print "alloc " fam " " key
		}
		print "complete " (complete == "" ? "unknown" : complete)
		print "loads " loads + 0
		print "kmdemo_obj_frees " objfrees + 0
		nfam = split("kmalloc pages bulk cache vmalloc percpu kstrdup cache_create debugfs_dir debugfs_file vmalloc_internal kernel_pages vmap_lazy other", fams, " ")
		for (j = 1; j <= nfam; j++)
			print "family " fams[j] " allocs " allocs[fams[j]] + 0 " freed " freed[fams[j]] + 0
		for (k in out)
			if (out[k] != "kernel_pages" && out[k] != "vmap_lazy")
				print "outstanding " out[k] " " k " " desc[k]
	}'
}

# kt_get SUMMARY FAMILY allocs|freed: one number of a summary file.
kt_get() {
	awk -v f="$2" -v w="$3" '$1 == "family" && $2 == f { print (w == "allocs" ? $4 : $6) }' "$1"
}
