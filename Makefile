# SPDX-License-Identifier: GPL-2.0
#
# kmtrace — see README.md. The two commands that matter:
#   make demo   the seed's lab scenario, traced (in a VM when this kernel has no modules)
#   make test   every test; last line "N passed, N failed"
#
# 'make help' lists every target.

BUILD     ?= build
CACHE     ?= $(CURDIR)/.cache
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH      := x86

CFLAGS    ?= -O2 -g
CFLAGS    += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
CPPFLAGS  += -I$(BUILD) -Ibpf -Iuser -MMD -MP
LDLIBS    := -Wl,--as-needed -lbpf -lelf -lz -lmicrohttpd
STATIC_LDLIBS := -Wl,--start-group -l:libbpf.a -l:libelf.a -l:libz.a -Wl,--end-group
# -mcpu=v3: atomic compare-and-swap (bpf/ptrtab.h); kernels >= 5.12 have it.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ivmlinux -Ibpf

# Every user/*.c except the stand-alone programs is part of the kmtrace loader;
# user/kmtrace.c holds main().
PROGS         := threads kstorm kmfloor
LOADER_SRCS   := $(filter-out $(addprefix user/,$(addsuffix .c,$(PROGS))),$(wildcard user/*.c))
LOADER_OBJS   := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(LOADER_SRCS))
LIB_OBJS      := $(filter-out $(BUILD)/obj/kmtrace.o,$(LOADER_OBJS))
BPF_SRCS      := $(wildcard bpf/*.bpf.c)
SKELS         := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
UNIT_SRCS     := $(wildcard tests/unit/test_*.c)
UNIT_BINS     := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
HOST_BINS     := $(foreach p,kmtrace $(PROGS),$(if $(wildcard user/$(p).c),$(BUILD)/$(p)))
# The static kmtrace (for the VMs) has no libmicrohttpd (its static form needs
# GnuTLS's): user/httpd.c built with KMT_NO_HTTPD, so --listen says so.
STATIC_OBJS   := $(patsubst $(BUILD)/obj/httpd.o,$(BUILD)/obj/httpd-nohttp.o,$(LOADER_OBJS))
STATIC_BINS   := $(patsubst $(BUILD)/%,$(BUILD)/static/%,$(HOST_BINS))

# Kernel module: one output directory per kernel version, so builds coexist.
KVER      ?= $(shell uname -r)
KDIR      ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
		$(wildcard $(CACHE)/kernels/$(KVER)/usr/src/linux-headers-$(KVER)))

.PHONY: all static kmod vmlinux unit deps demo test bench soak fmt check-fmt clean help
.DELETE_ON_ERROR:
# Keep BPF objects and skeletons: they are inputs of several targets.
.SECONDARY:

all: $(HOST_BINS)

static: $(STATIC_BINS)

help:
	@echo "make demo       the seed's lab scenario, traced (in a VM when this kernel has no modules)"
	@echo "make test       every test; last line 'N passed, N failed'"
	@echo "make all        host programs in build/ (kmtrace, threads, kstorm, kmfloor)"
	@echo "make static     static programs for the VM in build/static/"
	@echo "make kmod [KVER=<version>]  kmdemo.ko against that kernel's headers"
	@echo "make unit       unit-test binaries in build/unit/"
	@echo "make deps       install the Debian packages the build and tests need"
	@echo "make vmlinux    regenerate vmlinux/vmlinux.h from this kernel's BTF"
	@echo "make fmt        clang-format the C sources in place; make check-fmt: check only"
	@echo "make bench      benchmark against untraced, the empty-program floor, bpftrace, perf"
	@echo "               (BENCH_ARGS='...': scripts/bench.sh options, e.g. --raw DIR)"
	@echo "make sanitize   loader and unit tests under ASan/UBSan"
	@echo "make fuzz       libFuzzer targets, FUZZ_SECONDS each (60)"
	@echo "make lint       cppcheck, clang-tidy, clang-format"
	@echo "make soak       long run, SOAK_SECONDS (600)"
	@echo "make clean      remove build/"

deps:
	@scripts/deps.sh

# --- BPF objects and skeletons ---------------------------------------------
$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) vmlinux/vmlinux.h | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	llvm-strip -g $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

# --- user programs -----------------------------------------------------------
$(BUILD)/obj/%.o: user/%.c | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Each command's object needs its own skeleton (generated); other headers
# are tracked by the compiler (-MMD).
$(BUILD)/obj/trace.o: $(BUILD)/trace.skel.h
$(BUILD)/obj/hist.o: $(BUILD)/hist.skel.h
$(BUILD)/obj/stat.o: $(BUILD)/stat.skel.h
$(BUILD)/obj/mm.o: $(BUILD)/mm.skel.h
$(BUILD)/obj/kmfloor.o: $(BUILD)/kmfloor.skel.h
-include $(wildcard $(BUILD)/obj/*.d)

$(BUILD)/kmtrace: $(LOADER_OBJS) | $(BUILD)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/obj/httpd-nohttp.o: user/httpd.c | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -DKMT_NO_HTTPD -c $< -o $@

$(BUILD)/static/kmtrace: $(STATIC_OBJS) | $(BUILD)/static
	$(CC) $(CFLAGS) -static $^ $(STATIC_LDLIBS) -o $@

# Stand-alone programs: one source file each (kmfloor also uses its own skeleton).
$(addprefix $(BUILD)/,$(PROGS)): $(BUILD)/%: $(BUILD)/obj/%.o | $(BUILD)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -pthread -o $@

$(addprefix $(BUILD)/static/,$(PROGS)): $(BUILD)/static/%: $(BUILD)/obj/%.o | $(BUILD)/static
	$(CC) $(CFLAGS) -static $^ $(STATIC_LDLIBS) -pthread -o $@

$(BUILD) $(BUILD)/obj $(BUILD)/static $(BUILD)/unit:
	@mkdir -p $@

# --- unit tests (cmocka) -----------------------------------------------------
$(BUILD)/unit/%: tests/unit/%.c $(LIB_OBJS) | $(BUILD)/unit
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIB_OBJS) -lcmocka $(LDLIBS) -o $@

# test_bpfstats loads the real kmfloor object
$(BUILD)/unit/test_bpfstats: $(BUILD)/kmfloor.skel.h

unit: $(UNIT_BINS)

# --- kernel module -------------------------------------------------------------
# make kmod [KVER=<version>]: builds kmod/kmdemo.c against that kernel's headers
# (/lib/modules/<ver>/build, or the copy scripts/kernel.sh unpacked into the
# cache) into $(BUILD)/kmod/<ver>/kmdemo.ko.
kmod:
	@if [ -z "$(KDIR)" ]; then \
		echo "kmtrace: no headers for kernel $(KVER) (looked in /lib/modules/$(KVER)/build" \
		     "and $(CACHE)/kernels/$(KVER)); install linux-headers-$(KVER)," \
		     "or use 'scripts/kernel.sh 6.12' and 'make kmod KVER=<its version>'" >&2; \
		exit 1; fi
	@mkdir -p $(BUILD)/kmod/$(KVER)
	@cp -p kmod/kmdemo.c kmod/Kbuild $(BUILD)/kmod/$(KVER)/
	$(MAKE) -C $(KDIR) M=$(abspath $(BUILD)/kmod/$(KVER)) modules

# --- the two commands ----------------------------------------------------------
demo: deps all static
	@scripts/demo.sh

test: deps all static unit
	@tests/run.sh

bench: all
	@scripts/deps.sh --bench
	@scripts/bench.sh $(BENCH_ARGS)

fmt:
	clang-format -i user/*.c user/*.h bpf/*.c bpf/*.h tests/unit/*.c

check-fmt:
	@clang-format --dry-run -Werror user/*.c $(wildcard user/*.h) bpf/*.c bpf/*.h $(UNIT_SRCS)

clean:
	rm -rf $(BUILD)

# --- hardening: sanitizers, fuzzing, lint, soak ---------------------------------
# make sanitize       loader + unit tests with ASan/UBSan (clang) in build/san/,
#                     then tests/host/sanitize.sh (units and host runs)
# make fuzz           libFuzzer targets in tests/fuzz/, FUZZ_SECONDS each (60)
# make lint           cppcheck, clang-tidy, clang-format on user/*.c
# make soak           scripts/soak.sh (SOAK_SECONDS, default 600)
SAN_BUILD   := $(BUILD)/san
SAN_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	       -fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	       -fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
# The user/*.c files each fuzz target needs besides its own source.
CLI_SRCS := user/cli.c user/specs.c user/fmt.c user/stat_report.c user/hist_report.c user/gfp.c \
	    user/netaddr.c
fuzz_ksyms_SRCS  := user/ksyms.c
fuzz_output_SRCS := user/trace_output.c user/gfp.c user/fmt.c user/folded.c
fuzz_cli_SRCS    := $(CLI_SRCS)
fuzz_prom_SRCS   := user/prom.c user/stat_report.c user/fmt.c

.PHONY: sanitize sanitize-build fuzz fuzz-build lint

sanitize-build:
	+$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) CC=$(CLANG) CFLAGS="$(SAN_CFLAGS)" \
		$(SAN_BUILD)/kmtrace unit

sanitize: all sanitize-build
	@KMT_SAN_NO_BUILD=1 bash tests/host/sanitize.sh | tee $(BUILD)/sanitize.log; \
		! grep -q '^not ok' $(BUILD)/sanitize.log

$(BUILD)/fuzz:
	@mkdir -p $@

.SECONDEXPANSION:
$(FUZZ_BINS): $(BUILD)/fuzz/%: tests/fuzz/%.c $$(%_SRCS) $(wildcard user/*.h bpf/*.h tests/fuzz/*.h) | $(BUILD)/fuzz
	$(CLANG) $(FUZZ_CFLAGS) -Iuser -Ibpf $< $($*_SRCS) -lelf -lz -o $@

fuzz-build: $(FUZZ_BINS)

# Each target runs FUZZ_SECONDS on its corpus (tests/fuzz/corpus/<target>,
# seeds; new inputs go to $(BUILD)/fuzz/corpus/<target>); a crash stops make
# and leaves crash-* in $(BUILD)/fuzz/.
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$t; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/$$t- \
			$$( [ -f tests/fuzz/$$t.dict ] && echo -dict=tests/fuzz/$$t.dict ) \
			$(BUILD)/fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>$(BUILD)/fuzz/$$t.log || \
			{ tail -n 40 $(BUILD)/fuzz/$$t.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^Done' $(BUILD)/fuzz/$$t.log | tail -n 1; \
	done

# Checks and suppressions: see tests/host/lint.sh (the one place they live).
lint: $(SKELS)
	@bash tests/host/lint.sh --make

soak: all
	@scripts/soak.sh

# --- packaging: version, install/uninstall, man pages, Debian packages ---------
# make man                 man pages (man/*.scd, scdoc) into $(BUILD)/man/
# make install             kmtrace, man pages, bash completion, the helper
#                          programs and kmdemo's DKMS source; PREFIX (/usr/local)
#                          and DESTDIR as usual
# make uninstall           removes exactly what install put there
# make deb                 kmtrace_<v>_amd64.deb and kmdemo-dkms_<v>_all.deb in
#                          $(BUILD)/deb/ (dpkg-buildpackage on a copy of the
#                          tree in $(BUILD)/deb/src/), then lintian (fails on
#                          errors; output in $(BUILD)/deb/lintian.log)
# The version's one source is the file VERSION (debian/changelog must agree).
KMT_VERSION   := $(shell cat VERSION)
CPPFLAGS      += -DKMTRACE_VERSION='"$(KMT_VERSION)"'
$(BUILD)/obj/kmtrace.o: VERSION
# Link with LDFLAGS too (dpkg-buildflags' -z relro -z now in debian/rules).
$(BUILD)/kmtrace $(addprefix $(BUILD)/,$(PROGS)): LDLIBS += $(LDFLAGS)

PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
LIBEXECDIR    ?= $(PREFIX)/libexec
MANDIR        ?= $(PREFIX)/share/man
BASHCOMPDIR   ?= $(PREFIX)/share/bash-completion/completions
SRCDIR        ?= $(PREFIX)/src
INSTALL       ?= install
SCDOC         ?= scdoc
MAN_SRCS      := $(wildcard man/*.scd)
MAN_PAGES     := $(patsubst man/%.scd,$(BUILD)/man/%,$(MAN_SRCS))
# Helper programs go to libexec/kmtrace/, where their short names cannot clash.
KMT_HELPERS   := threads kstorm
KMDEMO_SRC    := $(SRCDIR)/kmdemo-$(KMT_VERSION)
KMDEMO_FILES  := kmdemo.c Kbuild dkms.conf

.PHONY: man install uninstall deb

man: $(MAN_PAGES)

$(BUILD)/man/%: man/%.scd man/tidy.awk VERSION
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(KMT_VERSION)/g' $< > $@.scd
	$(SCDOC) < $@.scd > $@.tmp
	awk -f man/tidy.awk $@.tmp > $@
	@rm -f $@.scd $@.tmp

install: $(BUILD)/kmtrace $(addprefix $(BUILD)/,$(KMT_HELPERS)) $(MAN_PAGES)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/kmtrace \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(KMDEMO_SRC)
	$(INSTALL) -m 755 $(BUILD)/kmtrace $(DESTDIR)$(BINDIR)/kmtrace
	$(INSTALL) -m 755 $(addprefix $(BUILD)/,$(KMT_HELPERS)) $(DESTDIR)$(LIBEXECDIR)/kmtrace/
	$(INSTALL) -m 644 $(MAN_PAGES) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 644 completion/kmtrace.bash $(DESTDIR)$(BASHCOMPDIR)/kmtrace
	$(INSTALL) -m 644 kmod/kmdemo.c kmod/Kbuild $(DESTDIR)$(KMDEMO_SRC)/
	sed 's/#MODULE_VERSION#/$(KMT_VERSION)/' kmod/dkms.conf > $(DESTDIR)$(KMDEMO_SRC)/dkms.conf
	chmod 644 $(DESTDIR)$(KMDEMO_SRC)/dkms.conf

# Removes the files install wrote and kmtrace's own directories; with DESTDIR
# (a staging tree) also the then-empty directories above them, up to DESTDIR.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kmtrace \
		$(addprefix $(DESTDIR)$(LIBEXECDIR)/kmtrace/,$(KMT_HELPERS)) \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN_PAGES))) \
		$(DESTDIR)$(BASHCOMPDIR)/kmtrace \
		$(addprefix $(DESTDIR)$(KMDEMO_SRC)/,$(KMDEMO_FILES))
	rmdir $(DESTDIR)$(LIBEXECDIR)/kmtrace $(DESTDIR)$(KMDEMO_SRC) 2>/dev/null || true
	@if [ -n "$(DESTDIR)" ]; then \
		for d in $(BINDIR) $(LIBEXECDIR) $(MANDIR)/man1 $(BASHCOMPDIR) $(SRCDIR); do \
			while [ "$$d" != / ] && [ "$$d" != . ] && rmdir "$(DESTDIR)$$d" 2>/dev/null; do \
				d=$$(dirname "$$d"); done; \
		done; fi

DEB_DIR := $(BUILD)/deb
DEB_SRC := $(DEB_DIR)/src/kmtrace-$(KMT_VERSION)
deb:
	@v=$$(dpkg-parsechangelog -S Version); [ "$$v" = "$(KMT_VERSION)" ] || { \
		echo "kmtrace: debian/changelog is at $$v but VERSION says $(KMT_VERSION)" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
			tar -c --null -T - --ignore-failed-read -f - 2>/dev/null | tar -x -C $(DEB_SRC); \
	else \
		tar -c --exclude=./build --exclude=./.cache -f - . | tar -x -C $(DEB_SRC); \
	fi
	cd $(DEB_SRC) && dpkg-buildpackage -b -uc -us -jauto > ../build.log 2>&1 || { \
		tail -n 30 ../build.log >&2; echo "kmtrace: dpkg-buildpackage failed, see $(DEB_DIR)/src/build.log" >&2; exit 1; }
	mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/src/*.changes $(DEB_DIR)/
	@ls -1 $(DEB_DIR)/*.deb
	@echo "lintian $(DEB_DIR)/*.changes (full output: $(DEB_DIR)/lintian.log)"
	@lintian --fail-on error $(DEB_DIR)/*.changes > $(DEB_DIR)/lintian.log 2>&1; rc=$$?; \
		grep -v '^running with root privileges' $(DEB_DIR)/lintian.log; \
		echo "lintian: exit $$rc" >> $(DEB_DIR)/lintian.log; exit $$rc

# --- kmdemo: kernel style ----------------------------------------------------------
# make check-kmod     kmod/kmdemo.c through the kernel's scripts/checkpatch.pl
#                     --strict (tests/host/kmod-style.sh, which `make test` also
#                     runs; checkpatch.pl is fetched once into $(CACHE)/checkpatch)
.PHONY: check-kmod

check-kmod:
	@mkdir -p $(BUILD)
	@CACHE=$(CACHE) KMT_STYLE_VERBOSE=1 bash tests/host/kmod-style.sh | tee $(BUILD)/kmod-style.log; \
		! grep -q '^not ok' $(BUILD)/kmod-style.log
