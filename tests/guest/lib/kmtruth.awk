# SPDX-License-Identifier: GPL-2.0
# kmtruth.awk: the analysis half of tests/guest/lib/kmtruth.sh (busybox awk).
#   awk -v mod=NAME -v ranges=RANGES [-v list=1] -f kmtruth.awk TRACE
# RANGES: lines "KIND SECTION 0xADDR SIZE" written by kmtruth.sh, KIND being
# "core"/"init" (the module's executable sections) or "other" (another
# module's [base, base+size) from /proc/modules). list=1: also one "alloc …" line
# per attributed allocation, as it is read. TRACE: the tracefs "trace"
# file, recorded with options/stacktrace. Output: see docs/stock-modules.md.
#
# Addresses are 64-bit; awk's numbers are doubles, so an address is handled as
# its upper 8 hex digits (a string) and its lower 32 bits (a number).

function hexval(h, i, c, v) {
	v = 0
	h = tolower(h)
	for (i = 1; i <= length(h); i++) {
		c = index("0123456789abcdef", substr(h, i, 1))
		if (c == 0)
			return -1
		v = v * 16 + c - 1
	}
	return v
}

# norm(p): a pointer as printed (0x…, bare hex, leading zeros) -> bare lower hex.
function norm(p) {
	p = tolower(p)
	sub(/^0x/, "", p)
	sub(/^0+/, "", p)
	return p == "" ? "0" : p
}

# dec2hex(d): a decimal string of any length -> bare lower hex (long division).
function dec2hex(d, out, q, r, i, digit) {
	out = ""
	sub(/^0+/, "", d)
	while (d != "") {
		q = ""
		r = 0
		for (i = 1; i <= length(d); i++) {
			r = r * 10 + substr(d, i, 1)
			digit = int(r / 16)
			r = r % 16
			if (q != "" || digit)
				q = q digit
		}
		out = substr("0123456789abcdef", r + 1, 1) out
		d = q
	}
	return out == "" ? "0" : out
}

# hexsub(h, n): bare hex h minus a small number n (h has at most 16 digits).
function hexsub(h, n, hi, lo) {
	while (length(h) < 16)
		h = "0" h
	hi = hexval(substr(h, 1, 8))
	lo = hexval(substr(h, 9, 8)) - n
	if (lo < 0) {
		lo += 4294967296
		hi -= 1
	}
	return norm(hex8(hi) hex8(lo))
}

# hex8(n): n (0 <= n < 2^32) as 8 hex digits (busybox awk's %x stops at 2^31).
function hex8(n, out, i) {
	out = ""
	for (i = 0; i < 8; i++) {
		out = substr("0123456789abcdef", n % 16 + 1, 1) out
		n = int(n / 16)
	}
	return out
}

# hexdiff(a, b): hex a minus hex b, both 64-bit, a >= b, the difference small.
function hexdiff(a, b, ahi, alo) {
	split_addr(a)
	ahi = hexval(AHI)
	alo = ALO
	split_addr(b)
	return (ahi - hexval(AHI)) * 4294967296 + alo - ALO
}

function split_addr(a) {
	a = norm(a)
	while (length(a) < 16)
		a = "0" a
	AHI = substr(a, 1, 8)
	ALO = hexval(substr(a, 9, 8))
}

# in_kind(a, kind): address a (hex) lies in a range of that kind.
function in_kind(a, kind, i) {
	split_addr(a)
	for (i = 1; i <= nr; i++)
		if (rkind[i] == kind && rhi[i] == AHI && ALO >= rlo[i] && ALO < rlo[i] + rsize[i])
			return 1
	return 0
}

# site_is_mod(s, ts): a symbolised "func+0x…/0x… [mod]" or raw "0x…" address
# (a frame or a call_site) is the module's code at time ts. Sets VIA_INIT when
# only its (since freed) init text says so, UNRES when a raw address is in no
# known range.
function site_is_mod(s, ts) {
	VIA_INIT = 0
	UNRES = 0
	if (length(s) > length(mod) + 3 && substr(s, length(s) - length(mod) - 2) == " [" mod "]")
		return 1
	if (s !~ /^0x[0-9a-f]+$/)
		return 0
	# Core text counts from the module's module_load to its module_free event, init
	# text until the module went live (after that the memory may be reused).
	if ((loaded || preloaded) && !unloaded && in_kind(s, "core"))
		return 1
	if (!went_live && loaded && in_kind(s, "init")) {
		VIA_INIT = 1
		return 1
	}
	if (!in_kind(s, "other") && !in_kind(s, "core") && !in_kind(s, "init"))
		UNRES = 1
	return 0
}

# attributed(): the pending event of CPU c has a frame in the module (decided
# frame by frame as its stack was read). BACKING: for a page event, an
# allocator of another family (slab, vmalloc, percpu: the only plain frames
# kmtruth.sh's grep keeps) sits between the page allocation and the module.
# POOL: for a slab or per-CPU event, an allocator doing its own bookkeeping on
# the module's behalf sits between (a vmalloc area's vm_struct, vmap_area and
# page array; the radix tree's per-CPU preload pool; a per-CPU chunk): the
# allocation is the allocator's (family kmalloc_backing, cache_backing,
# percpu_backing), as a slab refill's pages are (page_backing).
function attributed(c) {
	VIA_INIT = P_init[c]
	UNRES = P_unres[c]
	BACKING = P_back[c]
	POOL = P_pool[c]
	return P_mod[c]
}

# field(name): the value of name=… in the current event (index, not a regex:
# busybox awk compiles a dynamic regex at every call).
function field(name, i, v) {
	i = index(ev_rest, name "=")
	while (i > 1 && substr(ev_rest, i - 1, 1) != " ") {
		v = index(substr(ev_rest, i + 1), " " name "=")
		if (!v)
			return ""
		i += v + 1
	}
	if (!i)
		return ""
	v = substr(ev_rest, i + length(name) + 1)
	i = index(v, " ")
	return i ? substr(v, 1, i - 1) : v
}

function add(fam, bytes, bytes_req, direct) {
	count[fam]++
	nbytes[fam] += bytes
	nreq[fam] += bytes_req
	if (direct)
		ndirect[fam]++
	if (VIA_INIT)
		ninit[fam]++
}

# remember(table, key, fam, bytes): an attributed allocation is outstanding.
# A key still outstanding in the same table means its free was never seen.
function remember(tab, key, fam, bytes, site, x) {
	live_cs[tab, key] = ev_cs == "" ? "-" : ev_cs
	if (list) {
		x = live_cs[tab, key]
		gsub(/ /, "", x)
		printf "alloc family=%s %s=0x%s bytes=%d ts=%s site=%s call_site=%s\n", fam,
			tab == "page" ? "pfn" : "ptr", key, bytes, ev_ts, site, x
	}
	if ((tab SUBSEP key) in live_fam) {
		free_unseen++
		forget(tab, key)
	}
	live_fam[tab, key] = fam
	live_bytes[tab, key] = bytes
	live_site[tab, key] = site
	nlive++
}

function forget(tab, key) {
	delete live_fam[tab, key]
	delete live_bytes[tab, key]
	delete live_site[tab, key]
	delete live_cs[tab, key]
}

function freed_key(tab, key, how) {
	if (!((tab SUBSEP key) in live_fam))
		return
	nfreed[live_fam[tab, key]]++
	if (how == "rcu")
		nfreed_rcu[live_fam[tab, key]]++
	forget(tab, key)
}

# An allocation event whose pointer is handed out again, not attributed this
# time, proves that the earlier attributed one was freed without an event.
function reused(tab, key) {
	if ((tab SUBSEP key) in live_fam) {
		free_unseen++
		forget(tab, key)
	}
}

function flush(c, cs, ptr, a, b, r, o, pfn, fam, d, x) {
	if (!(c in P_name) || P_name[c] == "")
		return
	ev_name = P_name[c]
	ev_ts = P_ts[c]
	ev_rest = P_rest[c]
	ev_cs = P_cs[c]
	P_name[c] = ""
	events++
	if (ev_name == "module_load" || ev_name == "module_free" || ev_name == "tracing_mark_write")
		sub(/ +$/, "", ev_rest)
	if (ev_name == "kmalloc" || ev_name == "kmem_cache_alloc") {
		fam = ev_name == "kmalloc" ? "kmalloc" : "cache"
		ptr = norm(field("ptr"))
		if (ptr == "0") {
			failed++
		} else if (attributed(c)) {
			if (POOL)
				fam = fam "_backing"
			d = site_is_mod(ev_cs, ev_ts)
			VIA_INIT = P_init[c]
			a = field("bytes_alloc") + 0
			r = field("bytes_req") + 0
			add(fam, a, r, d)
			remember("slab", ptr, fam, a, P_site[c])
		} else {
			if (UNRES)
				unresolved++
			reused("slab", ptr)
		}
	} else if (ev_name == "kfree" || ev_name == "kmem_cache_free") {
		freed_key("slab", norm(field("ptr")), "")
	} else if (ev_name == "kvfree_rcu") {
		# kvfree_call_rcu(head, ptr) (6.12) or (head, offset of head) (6.1).
		a = norm(field("head"))
		b = norm(field("arg"))
		if (length(b) <= 3 && hexval(b) < 4096)
			ptr = hexsub(a, hexval(b))
		else
			ptr = b
		freed_key("slab", ptr, "rcu")
	} else if (ev_name == "mm_page_alloc") {
		pfn = norm(field("pfn"))
		o = field("order") + 0
		for (a = 4096; o > 0; o--)
			a *= 2
		if (field("page") == "(null)" || field("page") == "0000000000000000") {
			failed++
		} else if (attributed(c)) {
			fam = BACKING ? "page_backing" : "page"
			add(fam, a, a, 0)
			remember("page", pfn, fam, a, P_site[c])
		} else {
			if (UNRES)
				unresolved++
			reused("page", pfn)
		}
	} else if (ev_name == "mm_page_free" || ev_name == "mm_page_free_batched") {
		freed_key("page", norm(field("pfn")), "")
	} else if (ev_name == "percpu_alloc_percpu") {
		ptr = norm(field("ptr"))
		if (ptr == "0") {
			failed++
		} else if (attributed(c)) {
			a = field("bytes_alloc")
			if (a == "")
				a = field("size")
			fam = POOL ? "percpu_backing" : "percpu"
			d = ev_cs != "" && site_is_mod(ev_cs, ev_ts)
			VIA_INIT = P_init[c]
			add(fam, a + 0, field("size") + 0, d)
			remember("percpu", ptr, fam, a + 0, P_site[c])
		} else {
			if (UNRES)
				unresolved++
			reused("percpu", ptr)
		}
	} else if (ev_name == "percpu_free_percpu") {
		freed_key("percpu", norm(field("ptr")), "")
	} else if (ev_name == "alloc_vmap_area") {
		x = field("va_start")
		if (x != "") {
			# kmtruth.sh's kretprobe (kernels without vmalloc events):
			# "(caller <- alloc_vmap_area) va_start=0x… va_end=0x…", a
			# fault where it returned an ERR_PTR
			b = field("va_end")
			o = x !~ /^0x[0-9a-f]+$/ || b !~ /^0x[0-9a-f]+$/
			ptr = norm(x)
			a = o ? 0 : hexdiff(b, x)
		} else {
			# "va_start: %lu size=%lu …": the address is printed in decimal.
			x = ev_rest
			sub(/^va_start: /, "", x)
			sub(/ .*/, "", x)
			ptr = dec2hex(x)
			a = field("size") + 0
			o = field("failed") != "0"
		}
		if (o) {
			failed++
		} else if (attributed(c)) {
			add("vmalloc", a, a, 0)
			remember("vmalloc", ptr, "vmalloc", a, P_site[c])
		} else {
			if (UNRES)
				unresolved++
			reused("vmalloc", ptr)
		}
	} else if (ev_name == "free_vmap_area_noflush") {
		freed_key("vmalloc", norm(field("va_start")), "")
	} else if (ev_name == "module_load") {
		x = ev_rest
		sub(/ .*/, "", x)
		if (x == mod) {
			loaded = 1
			loads++
			load_ts = ev_ts
		}
	} else if (ev_name == "module_free") {
		if (ev_rest == mod) {
			unloaded = 1
			unloads++
			free_ts = ev_ts
		}
	} else if (ev_name == "tracing_mark_write") {
		if (ev_rest == "kmtruth_live " mod || ev_rest == "kmtruth_loaded " mod)
			went_live = 1
	}
	ev_name = ""
}

BEGIN {
	nr = 0
	# the events kmtruth.sh gives a stacktrace trigger
	split("kmalloc kmem_cache_alloc mm_page_alloc percpu_alloc_percpu alloc_vmap_area", w, " ")
	for (i in w)
		stacked[w[i]] = 1
	fams = "kmalloc kmalloc_backing cache cache_backing page page_backing vmalloc percpu percpu_backing"
	while ((getline line < ranges) > 0) {
		split(line, w, " ")
		if (w[1] == "preloaded") {
			preloaded = 1
			continue
		}
		if (w[1] == "noevent") {
			noevent[w[2]] = 1
			continue
		}
		nr++
		rkind[nr] = w[1]
		split_addr(w[3])
		rhi[nr] = AHI
		rlo[nr] = ALO
		rsize[nr] = w[4] + 0
		if (w[1] == "init")
			have_init = 1
	}
	close(ranges)
}

# Each kernel stack is an entry of its own, right after its event on the same
# CPU; the "trace" file merges the CPUs by time, so another CPU's entry can
# fall between an event and its stack. On the same CPU an interrupt can too:
# a softirq's free, or an allocation with its own stack, between an
# allocation event and its stack. So allocation events (the ones with a
# stacktrace trigger) wait for their stack on a per-CPU stack of pending
# events ("CPU SUBSEP depth"), innermost first; every other event is taken at
# once (depth 0).
/^# entries-in-buffer\/entries-written:/ {
	split($3, e, "/")
	in_buffer = e[1] + 0
	written = e[2] + 0
	header = 1
	next
}
/^#/ { next }

/^ => / {
	if (stk == "" || P_mod[stk])
		next
	f = substr($0, 5)
	if (substr(f, length(f)) == "]" || substr(f, 1, 2) == "0x") {
		if (site_is_mod(f, P_ts[stk])) {
			P_mod[stk] = 1
			P_site[stk] = f
			P_init[stk] = VIA_INIT
			P_back[stk] = P_inner[stk]
			P_pool[stk] = P_inpool[stk]
		} else if (UNRES) {
			P_unres[stk] = 1
		}
	} else if (f ~ /^(__radix_tree_preload|__vmalloc_node_range|__vmalloc_node_range_noprof|pcpu_create_chunk|pcpu_populate_chunk)(\+|$)/) {
		P_inner[stk] = 1
		P_inpool[stk] = 1
	} else if (f ~ /^_*(kmalloc|kmem_cache_alloc|kmalloc_large|kmalloc_order|kmalloc_trace|slab_alloc|allocate_slab|new_slab|alloc_slab_page|vmalloc|vzalloc|vm_area_alloc_pages|kvmalloc|kvzalloc|alloc_percpu|pcpu_)/) {
		# (the same list as kmtruth.sh's grep, which drops every other plain frame)
		P_inner[stk] = 1
	}
	next
}

{
	if (!match($0, /[0-9]+\.[0-9]+: /))
		next
	h = substr($0, RSTART, RLENGTH)
	rest = substr($0, RSTART + RLENGTH)
	cpu = ""
	if (match($0, /\[[0-9]+\]/))
		cpu = substr($0, RSTART + 1, RLENGTH - 2) + 0
	if (stk != "") {
		flush(stk)
		depth[stk_cpu]--
		stk = ""
	}
	if (rest == "<stack trace>") {
		if (depth[cpu] > 0) {
			stk = cpu SUBSEP depth[cpu]
			stk_cpu = cpu
		}
		next
	}
	if (!match(rest, /^[a-zA-Z_0-9]+: /))
		next
	name = substr(rest, 1, RLENGTH - 2)
	d = 0
	if (name in stacked)
		d = ++depth[cpu]
	s = cpu SUBSEP d
	P_name[s] = name
	P_ts[s] = h + 0
	rest = substr(rest, RLENGTH + 1)
	P_mod[s] = P_init[s] = P_unres[s] = P_back[s] = P_inner[s] = 0
	P_pool[s] = P_inpool[s] = 0
	P_site[s] = "?"
	# A call_site symbolised in a module carries " [mod]": take it whole.
	P_cs[s] = ""
	if (match(rest, /call_site=[^ ]+( \[[^]]+\])?/)) {
		P_cs[s] = substr(rest, RSTART + 10, RLENGTH - 10)
		rest = substr(rest, 1, RSTART - 1) substr(rest, RSTART + RLENGTH)
	}
	P_rest[s] = rest
	if (!(name in stacked))
		flush(s)
}

END {
	if (stk != "")
		flush(stk)
	for (c in P_name)
		flush(c)
	# Without the header nothing can be said of losses: say so.
	lost = header ? written - in_buffer : "unknown"
	printf "kmtruth module=%s events=%d written=%d in_buffer=%d lost=%s loads=%d unloads=%d span_s=%s init_range=%s unresolved=%d free_unseen=%d failed=%d\n",
		mod, events, written, in_buffer, lost, loads + 0, unloads + 0,
		loads && unloads ? sprintf("%.3f", free_ts - load_ts) : "-", have_init ? "yes" : "no",
		unresolved, free_unseen, failed
	n = split(fams, f, " ")
	for (i = 1; i <= n; i++) {
		fam = f[i]
		if (fam == "vmalloc" && noevent["vmalloc"]) {
			print "family=vmalloc unavailable"
			continue
		}
		out = 0
		ob = 0
		for (k in live_fam)
			if (live_fam[k] == fam) {
				out++
				ob += live_bytes[k]
			}
		printf "family=%s count=%d bytes=%d bytes_req=%d direct=%d init=%d freed=%d freed_rcu=%d outstanding=%d outstanding_bytes=%d\n",
			fam, count[fam], nbytes[fam], nreq[fam], ndirect[fam], ninit[fam], nfreed[fam],
			nfreed_rcu[fam], out, ob
	}
	for (k in live_fam) {
		split(k, kk, SUBSEP)
		x = live_cs[k]
		gsub(/ /, "", x)
		printf "outstanding family=%s %s=0x%s bytes=%d site=%s call_site=%s\n", live_fam[k],
			kk[1] == "page" ? "pfn" : "ptr", kk[2], live_bytes[k], live_site[k], x
	}
}
