// SPDX-License-Identifier: GPL-2.0
/*
 * kmdemo: the seed lab's two modules in one.
 *
 *   modprobe kmdemo [size=4096] [order=0] [pid=0] [dump=0] [leak=0] [bulk=0]
 *
 * On load it kmalloc()s @size bytes, stores 55 at int index 1, prints the
 * buffer as 4-byte integers (run-length compressed unless dump=1), takes
 * 2^@order pages with __get_free_pages() and, when @pid is set, prints that
 * process's name, mm_users, mm_count and thread count.  On unload it frees
 * everything (unless leak=1, which keeps the kmalloc buffer on purpose so
 * leak detectors have something to find).  bulk=N adds N small kmalloc()s,
 * freed on unload with one kfree_bulk() call (kfree_rcu()'s way of freeing,
 * which emits no kmem:kfree event per object).
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
 * Trailing bytes of a size that is not a multiple of 4 are not printed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/version.h>

/*
 * Highest valid page order (inclusive).  Until 6.4 MAX_ORDER was exclusive
 * (orders 0..MAX_ORDER-1); 6.4 made it inclusive and 6.8 renamed it
 * MAX_PAGE_ORDER.
 */
#if defined(MAX_PAGE_ORDER)
#define KMDEMO_MAX_ORDER MAX_PAGE_ORDER
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define KMDEMO_MAX_ORDER MAX_ORDER
#else
#define KMDEMO_MAX_ORDER (MAX_ORDER - 1)
#endif

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
MODULE_PARM_DESC(dump, "print every integer, not a run-length summary (default 0)");

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "testing only: keep (leak) the kmalloc buffer on unload (default 0)");

#define KMDEMO_MAX_BULK 64
#define KMDEMO_BULK_SIZE 64
static int bulk;
module_param(bulk, int, 0444);
MODULE_PARM_DESC(bulk,
		 "also kmalloc this many 64-byte objects, freed with one kfree_bulk() (0..64, default 0)");

static int *buf;
static unsigned long pages;
static void *bulk_objs[KMDEMO_MAX_BULK];
static int bulk_n;

static void kmdemo_print_buf(void)
{
	size_t n = size / sizeof(int);
	size_t i, run;

	pr_info("Printing the contents of the memory segment interpreted as 4byte integers\n");
	for (i = 0; i < n; i += run) {
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
	pr_info("Done!\n");
}

static void kmdemo_free(void)
{
	if (bulk_n) {
		kfree_bulk(bulk_n, bulk_objs);
		pr_info("Released %d objects of %d bytes with kfree_bulk()\n", bulk_n,
			KMDEMO_BULK_SIZE);
		memset(bulk_objs, 0, sizeof(bulk_objs));
		bulk_n = 0;
	}
	if (buf) {
		kfree(buf);
		buf = NULL;
		pr_info("Released %ld bytes!\n", size);
	}
	if (pages) {
		free_pages(pages, order);
		pages = 0;
		pr_info("Released %lu %s (order %d)\n", 1UL << order,
			order ? "pages" : "page", order);
	}
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

static int __init kmdemo_init(void)
{
	int ret;

	if (size <= 0 || (unsigned long)size > KMALLOC_MAX_SIZE) {
		pr_err("size=%ld: must be 1..%lu (KMALLOC_MAX_SIZE)\n", size,
		       (unsigned long)KMALLOC_MAX_SIZE);
		return -EINVAL;
	}
	if (order < 0 || order > KMDEMO_MAX_ORDER) {
		pr_err("order=%d: must be 0..%d (the page-order limit)\n", order, KMDEMO_MAX_ORDER);
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

	buf = kmalloc(size, GFP_KERNEL);
	if (!buf) {
		pr_err("Failed to allocate %ld bytes!\n", size);
		return -ENOMEM;
	}
	pr_info("Allocated %ld bytes!\n", size);
	if (size >= 2 * sizeof(int))
		buf[1] = 55;
	else
		pr_info("size=%ld is too small to store 55 at index 1\n", size);
	kmdemo_print_buf();

	pages = __get_free_pages(GFP_KERNEL, order);
	if (!pages) {
		pr_err("Failed to get %lu pages at order %d!\n", 1UL << order, order);
		ret = -ENOMEM;
		goto err_free;
	}
	pr_info("Got %lu %s (%lu bytes) at order %d\n", 1UL << order, order ? "pages" : "page",
		PAGE_SIZE << order, order);

	for (bulk_n = 0; bulk_n < bulk; bulk_n++) {
		bulk_objs[bulk_n] = kmalloc(KMDEMO_BULK_SIZE, GFP_KERNEL);
		if (!bulk_objs[bulk_n]) {
			pr_err("Failed to allocate bulk object %d!\n", bulk_n);
			ret = -ENOMEM;
			goto err_free;
		}
	}
	if (bulk)
		pr_info("Allocated %d objects of %d bytes\n", bulk, KMDEMO_BULK_SIZE);

	if (pid) {
		ret = kmdemo_show_pid();
		if (ret)
			goto err_free;
	}
	return 0;

err_free:
	kmdemo_free();
	return ret;
}

static void __exit kmdemo_exit(void)
{
	if (leak && buf) {
		/* %px: the raw address, so a tracer's leak report can be matched to it. */
		pr_warn("leak=1: NOT freeing the %ld-byte buffer at %px (deliberate leak for testing)\n",
			size, buf);
		buf = NULL;
	}
	kmdemo_free();
}

module_init(kmdemo_init);
module_exit(kmdemo_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmtrace contributors");
MODULE_DESCRIPTION("kmalloc/__get_free_pages/mm_users demo from the kmtrace seed lab");
