// SPDX-License-Identifier: GPL-2.0
/*
 * kmdemo: the seed lab's two modules in one, grown to exercise every kernel
 * allocator family a tracer should see.
 *
 *   modprobe kmdemo [size=4096] [order=0] [pid=0] [dump=0] [leak=0] [bulk=0]
 *                   [cache=0] [vmalloc=0] [percpu=0] [helper=0] [fail=0]
 *
 * On load it kmalloc()s @size bytes, stores 55 at int index 1, prints the
 * buffer as 4-byte integers (run-length compressed unless dump=1), takes
 * 2^@order pages with __get_free_pages() and, when @pid is set, prints that
 * process's name, mm_users, mm_count and thread count.  The other families
 * are off by default:
 *
 *   bulk=N     N 64-byte kmalloc()s, freed with one kfree_bulk() call
 *              (kfree_rcu()'s way of freeing: no kmem:kfree event per object)
 *   cache=N    a slab cache "kmdemo_obj" (kmem_cache_create) and N objects
 *              from it (kmem_cache_alloc)
 *   vmalloc=B  one vmalloc of B bytes
 *   percpu=B   one per-CPU allocation of B bytes (1..PCPU_MIN_UNIT_SIZE)
 *   helper=1   allocations made through kernel helpers, so that a tracer
 *              has to attribute them by stack: a kstrdup() of a string and a
 *              debugfs directory "kmdemo" holding a file "helper" (a blob
 *              that reads back that string)
 *
 * Each family it allocated is announced by one line,
 *	family NAME: COUNT x BYTES bytes at ADDRESS[ (DETAIL)]
 * where ADDRESS (%px, the raw address, so that a tracer's output can be
 * matched to it) is that of the first object; for pages DETAIL carries the
 * pfn and order, for percpu ADDRESS is the __percpu cookie.  On unload
 * everything is freed (unless leak=1, which keeps the kmalloc buffer on
 * purpose so leak detectors have something to find) and each family says
 * "Released ...".
 *
 * Allocations happen in this order, which is also the order fail=N counts
 * them in (the families that are off are skipped and not counted):
 *
 *   1            kmalloc(size)
 *   2            __get_free_pages(order)
 *   next bulk    kmalloc(64), one per bulk object
 *   next 1       kmem_cache_create("kmdemo_obj")      (cache > 0)
 *   next cache   kmem_cache_alloc(kmdemo_obj), one per object
 *   next 1       vmalloc(vmalloc)                     (vmalloc > 0)
 *   next 1       __alloc_percpu_gfp(percpu)           (percpu > 0)
 *   next 3       kstrdup(), debugfs_create_dir(),
 *                debugfs_create_blob()                (helper=1)
 *
 * fail=N (testing only) makes the Nth of them behave as if it had failed:
 * the object is freed at once and the load goes on as it would on a real
 * failure, unwinding everything allocated before it; the load fails with
 * -ENOMEM.  With every family on there are 2 + bulk + 1 + cache + 3 + 3
 * allocations; a fail= beyond the last one changes nothing.  The pid check
 * comes after all of them, so a bad pid also unwinds every family.
 *
 * The buffer is printed as it is: kmalloc() does not zero memory (kzalloc()
 * does), so the values other than the 55 are whatever the allocator handed
 * out.  Debian kernels boot with init_on_alloc=1, so there they are zero and
 * the transcript is deterministic; with init_on_alloc=0 expect garbage.
 *
 * Compact format: one line per run of equal values, "V" for a single value
 * and "V (xN)" for N consecutive copies, in index order, e.g.
 *	0
 *	55
 *	0 (x1022)
 * With dump=1 every value gets its own line (1024 lines for 4096 bytes).
 * Either way at most KMDEMO_PRINT_MAX_LINES lines are printed, then one line
 * saying how many values were left out.  Trailing bytes of a size that is
 * not a multiple of 4 are not printed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

/*
 * Highest valid page order (inclusive).  MAX_ORDER changed meaning in 6.4
 * (exclusive before, inclusive after) and became MAX_PAGE_ORDER in 6.8, but
 * MAX_ORDER_NR_PAGES has always been the size of the largest block.
 */
#define KMDEMO_MAX_ORDER ilog2(MAX_ORDER_NR_PAGES)

#define KMDEMO_MAX_BULK 64
#define KMDEMO_BULK_SIZE 64
#define KMDEMO_MAX_CACHE 1024
#define KMDEMO_PRINT_MAX_LINES 1024

static long size = 4096;
module_param(size, long, 0444);
MODULE_PARM_DESC(size, "bytes to kmalloc (1..KMALLOC_MAX_SIZE, default 4096)");

static int order;
module_param(order, int, 0444);
MODULE_PARM_DESC(order, "page order for __get_free_pages (0..max page order, default 0)");

static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "process whose mm_users/mm_count/threads to print (default 0: none)");

static bool dump;
module_param(dump, bool, 0444);
MODULE_PARM_DESC(dump,
		 "print every integer, not a run-length summary; at most 1024 lines either way (default 0)");

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "testing only: keep (leak) the kmalloc buffer on unload (default 0)");

static int bulk;
module_param(bulk, int, 0444);
MODULE_PARM_DESC(bulk,
		 "also kmalloc this many 64-byte objects, freed with one kfree_bulk() (0..64, default 0)");

static int cache_count;
module_param_named(cache, cache_count, int, 0444);
MODULE_PARM_DESC(cache,
		 "create slab cache kmdemo_obj and allocate this many objects from it (0..1024, default 0)");

static unsigned long vmalloc_bytes;
module_param_named(vmalloc, vmalloc_bytes, ulong, 0444);
MODULE_PARM_DESC(vmalloc, "bytes to vmalloc (default 0: none)");

static unsigned long percpu_bytes;
module_param_named(percpu, percpu_bytes, ulong, 0444);
MODULE_PARM_DESC(percpu,
		 "bytes to allocate per CPU with alloc_percpu (1..PCPU_MIN_UNIT_SIZE, default 0: none)");

static bool helper;
module_param(helper, bool, 0444);
MODULE_PARM_DESC(helper,
		 "allocate through kernel helpers: kstrdup() and debugfs kmdemo/helper (default 0)");

static int fail;
module_param(fail, int, 0444);
MODULE_PARM_DESC(fail,
		 "testing only: the Nth allocation (in init order) fails, the load with -ENOMEM (default 0: none)");

/* An object of the kmdemo_obj cache. */
struct kmdemo_obj {
	unsigned int magic;
	unsigned int index;
	char payload[56];
};

#define KMDEMO_OBJ_MAGIC 0x6b6d6f62 /* "kmob" */

static int *buf;
static unsigned long page_addr;
static void *bulk_objs[KMDEMO_MAX_BULK];
static int nr_bulk_objs;
static struct kmem_cache *obj_cache;
static struct kmdemo_obj *cache_objs[KMDEMO_MAX_CACHE];
static int nr_cache_objs;
static void *vmalloc_buf;
static void __percpu *percpu_buf;
static char *helper_str;
static struct debugfs_blob_wrapper helper_blob;
static struct dentry *debugfs_dir;

/* Allocations attempted so far by kmdemo_init(), for fail=. */
static int nr_allocs;

static const char kmdemo_helper_text[] = "kmdemo: allocated by kstrdup()\n";

/*
 * Count one allocation; true when it is the one fail= names, and the caller
 * must free it and carry on as if the allocator had returned NULL.
 */
static bool kmdemo_inject_failure(const char *what)
{
	if (++nr_allocs != fail)
		return false;
	pr_info("fail=%d: allocation %d (%s) fails on purpose\n", fail, nr_allocs, what);
	return true;
}

static void kmdemo_print_buf(void)
{
	size_t n = size / sizeof(int);
	size_t i, run, lines = 0;

	pr_info("Printing the contents of the memory segment interpreted as 4byte integers\n");
	for (i = 0; i < n && lines < KMDEMO_PRINT_MAX_LINES; i += run, lines++) {
		run = 1;
		if (!dump)
			while (i + run < n && buf[i + run] == buf[i])
				run++;
		if (run == 1)
			pr_info("%d\n", buf[i]);
		else
			pr_info("%d (x%zu)\n", buf[i], run);
		cond_resched();
	}
	if (i < n)
		pr_info("(%zu more values not printed: at most %d lines)\n", n - i,
			KMDEMO_PRINT_MAX_LINES);
	pr_info("Done!\n");
}

static void kmdemo_obj_ctor(void *p)
{
	struct kmdemo_obj *obj = p;

	/* A constructor also keeps the cache from being merged into another. */
	obj->magic = KMDEMO_OBJ_MAGIC;
}

/* Free the objects of kmdemo_obj and the cache itself (NULL-safe). */
static void kmdemo_destroy_cache(void)
{
	while (nr_cache_objs > 0)
		kmem_cache_free(obj_cache, cache_objs[--nr_cache_objs]);
	kmem_cache_destroy(obj_cache);
	obj_cache = NULL;
}

/* Print @pid's mm counters without taking an mm_users reference ourselves. */
static int kmdemo_show_pid(void)
{
	char comm[TASK_COMM_LEN];
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *p;
	int users, count, threads;

	p = find_get_pid(pid);
	task = get_pid_task(p, PIDTYPE_PID);
	put_pid(p);
	if (!task) {
		pr_err("pid %d: no such process\n", pid);
		return -ESRCH;
	}

	/*
	 * get_task_mm() would raise mm_users, the very counter we print.
	 * mmgrab() pins the mm_struct through mm_count instead.
	 */
	task_lock(task);
	mm = (task->flags & PF_KTHREAD) ? NULL : task->mm;
	if (mm)
		mmgrab(mm);
	task_unlock(task);
	get_task_comm(comm, task);
	if (!mm) {
		pr_err("pid %d (%s) has no mm (kernel thread or exiting process)\n", pid, comm);
		put_task_struct(task);
		return -EINVAL;
	}

	users = atomic_read(&mm->mm_users);
	count = atomic_read(&mm->mm_count);
	threads = get_nr_threads(task);
	mmdrop(mm);
	put_task_struct(task);

	pr_info("pid: %d, name: %s\n", pid, comm);
	pr_info("mm_users: %d\n", users);
	pr_info("mm_count: %d (including this module's reference)\n", count);
	pr_info("threads: %d\n", threads);
	return 0;
}

static int __init kmdemo_check_params(void)
{
	if (size <= 0 || (unsigned long)size > KMALLOC_MAX_SIZE) {
		pr_err("size=%ld: must be 1..%lu (KMALLOC_MAX_SIZE)\n", size,
		       (unsigned long)KMALLOC_MAX_SIZE);
		return -EINVAL;
	}
	if (order < 0 || order > KMDEMO_MAX_ORDER) {
		pr_err("order=%d: must be 0..%d (the page-order limit)\n", order,
		       (int)KMDEMO_MAX_ORDER);
		return -EINVAL;
	}
	if (pid < 0) {
		pr_err("pid=%d: must not be negative\n", pid);
		return -EINVAL;
	}
	if (bulk < 0 || bulk > KMDEMO_MAX_BULK) {
		pr_err("bulk=%d: must be 0..%d\n", bulk, KMDEMO_MAX_BULK);
		return -EINVAL;
	}
	if (cache_count < 0 || cache_count > KMDEMO_MAX_CACHE) {
		pr_err("cache=%d: must be 0..%d\n", cache_count, KMDEMO_MAX_CACHE);
		return -EINVAL;
	}
	if (percpu_bytes > PCPU_MIN_UNIT_SIZE) {
		pr_err("percpu=%lu: must be 0..%lu (PCPU_MIN_UNIT_SIZE)\n", percpu_bytes,
		       (unsigned long)PCPU_MIN_UNIT_SIZE);
		return -EINVAL;
	}
	if (fail < 0) {
		pr_err("fail=%d: must not be negative\n", fail);
		return -EINVAL;
	}
	return 0;
}

/* The helper family: kstrdup() and debugfs kmdemo/helper, counted as three. */
static int __init kmdemo_alloc_helper(void)
{
	struct dentry *d;
	int ret;

	helper_str = kstrdup(kmdemo_helper_text, GFP_KERNEL);
	if (helper_str && kmdemo_inject_failure("kstrdup")) {
		kfree(helper_str);
		helper_str = NULL;
	}
	if (!helper_str)
		return -ENOMEM;

	debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (!IS_ERR(debugfs_dir) && kmdemo_inject_failure("debugfs_create_dir")) {
		debugfs_remove(debugfs_dir);
		debugfs_dir = ERR_PTR(-ENOMEM);
	}
	if (IS_ERR(debugfs_dir)) {
		ret = PTR_ERR(debugfs_dir);
		goto err_free_str;
	}

	helper_blob.data = helper_str;
	helper_blob.size = strlen(helper_str);
	d = debugfs_create_blob("helper", 0444, debugfs_dir, &helper_blob);
	if (!IS_ERR(d) && kmdemo_inject_failure("debugfs_create_blob")) {
		debugfs_remove(d);
		d = ERR_PTR(-ENOMEM);
	}
	if (IS_ERR(d)) {
		ret = PTR_ERR(d);
		goto err_remove_dir;
	}
	pr_info("family helper: 1 x %zu bytes at %px (kstrdup, debugfs %s/helper)\n",
		helper_blob.size + 1, helper_str, KBUILD_MODNAME);
	return 0;

err_remove_dir:
	debugfs_remove(debugfs_dir);
err_free_str:
	debugfs_dir = NULL;
	kfree(helper_str);
	helper_str = NULL;
	return ret;
}

static int __init kmdemo_init(void)
{
	int ret;

	ret = kmdemo_check_params();
	if (ret)
		return ret;

	/* User-chosen sizes: a failure is reported by the load, not a warning. */
	buf = kmalloc(size, GFP_KERNEL | __GFP_NOWARN);
	if (buf && kmdemo_inject_failure("kmalloc")) {
		kfree(buf);
		buf = NULL;
	}
	if (!buf)
		return -ENOMEM;
	pr_info("Allocated %ld bytes!\n", size);
	pr_info("family kmalloc: 1 x %ld bytes at %px\n", size, buf);
	if (size >= 2 * sizeof(int))
		buf[1] = 55;
	else
		pr_info("size=%ld is too small to store 55 at index 1\n", size);
	kmdemo_print_buf();

	page_addr = __get_free_pages(GFP_KERNEL | __GFP_NOWARN, order);
	if (page_addr && kmdemo_inject_failure("__get_free_pages")) {
		free_pages(page_addr, order);
		page_addr = 0;
	}
	if (!page_addr) {
		ret = -ENOMEM;
		goto err_free_buf;
	}
	pr_info("Got %lu %s (%lu bytes) at order %d\n", 1UL << order, order ? "pages" : "page",
		PAGE_SIZE << order, order);
	pr_info("family pages: 1 x %lu bytes at %px (pfn 0x%lx, order %d)\n", PAGE_SIZE << order,
		(void *)page_addr, page_to_pfn(virt_to_page((void *)page_addr)), order);

	for (nr_bulk_objs = 0; nr_bulk_objs < bulk; nr_bulk_objs++) {
		void *obj = kmalloc(KMDEMO_BULK_SIZE, GFP_KERNEL);

		if (obj && kmdemo_inject_failure("bulk kmalloc")) {
			kfree(obj);
			obj = NULL;
		}
		if (!obj) {
			ret = -ENOMEM;
			goto err_free_bulk;
		}
		bulk_objs[nr_bulk_objs] = obj;
	}
	if (bulk) {
		pr_info("Allocated %d objects of %d bytes\n", bulk, KMDEMO_BULK_SIZE);
		pr_info("family bulk: %d x %d bytes at %px\n", bulk, KMDEMO_BULK_SIZE,
			bulk_objs[0]);
	}

	if (cache_count) {
		obj_cache = kmem_cache_create("kmdemo_obj", sizeof(struct kmdemo_obj), 0, 0,
					      kmdemo_obj_ctor);
		if (obj_cache && kmdemo_inject_failure("kmem_cache_create")) {
			kmem_cache_destroy(obj_cache);
			obj_cache = NULL;
		}
		if (!obj_cache) {
			ret = -ENOMEM;
			goto err_free_bulk;
		}
		for (nr_cache_objs = 0; nr_cache_objs < cache_count; nr_cache_objs++) {
			struct kmdemo_obj *obj = kmem_cache_alloc(obj_cache, GFP_KERNEL);

			if (obj && kmdemo_inject_failure("kmem_cache_alloc")) {
				kmem_cache_free(obj_cache, obj);
				obj = NULL;
			}
			if (!obj) {
				ret = -ENOMEM;
				goto err_destroy_cache;
			}
			obj->index = nr_cache_objs;
			cache_objs[nr_cache_objs] = obj;
		}
		pr_info("family cache: %d x %zu bytes at %px (kmdemo_obj)\n", cache_count,
			sizeof(struct kmdemo_obj), cache_objs[0]);
	}

	if (vmalloc_bytes) {
		vmalloc_buf = __vmalloc(vmalloc_bytes, GFP_KERNEL | __GFP_NOWARN);
		if (vmalloc_buf && kmdemo_inject_failure("vmalloc")) {
			vfree(vmalloc_buf);
			vmalloc_buf = NULL;
		}
		if (!vmalloc_buf) {
			ret = -ENOMEM;
			goto err_destroy_cache;
		}
		pr_info("family vmalloc: 1 x %lu bytes at %px\n", vmalloc_bytes, vmalloc_buf);
	}

	if (percpu_bytes) {
		percpu_buf = __alloc_percpu_gfp(percpu_bytes, sizeof(unsigned long long),
						GFP_KERNEL | __GFP_NOWARN);
		if (percpu_buf && kmdemo_inject_failure("alloc_percpu")) {
			free_percpu(percpu_buf);
			percpu_buf = NULL;
		}
		if (!percpu_buf) {
			ret = -ENOMEM;
			goto err_vfree;
		}
		pr_info("family percpu: 1 x %lu bytes at %px\n", percpu_bytes,
			(void __force *)percpu_buf);
	}

	if (helper) {
		ret = kmdemo_alloc_helper();
		if (ret)
			goto err_free_percpu;
	}

	if (pid) {
		ret = kmdemo_show_pid();
		if (ret)
			goto err_free_helper;
	}
	return 0;

err_free_helper:
	debugfs_remove(debugfs_dir);
	kfree(helper_str);
err_free_percpu:
	free_percpu(percpu_buf);
err_vfree:
	vfree(vmalloc_buf);
err_destroy_cache:
	kmdemo_destroy_cache();
err_free_bulk:
	kfree_bulk(nr_bulk_objs, bulk_objs);
	free_pages(page_addr, order);
err_free_buf:
	kfree(buf);
	return ret;
}

static void __exit kmdemo_exit(void)
{
	if (helper_str) {
		debugfs_remove(debugfs_dir);
		kfree(helper_str);
		pr_info("Released the kstrdup() string and debugfs %s/\n", KBUILD_MODNAME);
	}
	if (percpu_buf) {
		free_percpu(percpu_buf);
		pr_info("Released %lu per-CPU bytes\n", percpu_bytes);
	}
	if (vmalloc_buf) {
		vfree(vmalloc_buf);
		pr_info("Released %lu vmalloc bytes\n", vmalloc_bytes);
	}
	if (obj_cache) {
		kmdemo_destroy_cache();
		pr_info("Released %d objects and the kmdemo_obj cache\n", cache_count);
	}
	if (nr_bulk_objs) {
		kfree_bulk(nr_bulk_objs, bulk_objs);
		pr_info("Released %d objects of %d bytes with kfree_bulk()\n", nr_bulk_objs,
			KMDEMO_BULK_SIZE);
	}
	if (leak) {
		/* %px: the raw address, so a tracer's leak report can be matched to it. */
		pr_warn("leak=1: NOT freeing the %ld-byte buffer at %px (deliberate leak for testing)\n",
			size, buf);
	} else {
		kfree(buf);
		pr_info("Released %ld bytes!\n", size);
	}
	free_pages(page_addr, order);
	pr_info("Released %lu %s (order %d)\n", 1UL << order, order ? "pages" : "page", order);
}

module_init(kmdemo_init);
module_exit(kmdemo_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmtrace contributors");
MODULE_DESCRIPTION("kmalloc/pages/slab/vmalloc/percpu/mm_users demo from the kmtrace seed lab");
