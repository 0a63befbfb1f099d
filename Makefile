# SPDX-License-Identifier: GPL-2.0
#
# kmtrace — see README.md. The two commands that matter:
#   make demo   the seed's lab scenario, traced (in a VM when this kernel has no modules)
#   make test   every test; last line "N passed, N failed"
#
# Other targets: all (host programs), static (programs for the VM), kmod [KVER=],
# vmlinux, unit, fmt, check-fmt, bench, clean, help.

BUILD     ?= build
CACHE     ?= $(CURDIR)/.cache
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
ARCH      := x86

CFLAGS    ?= -O2 -g
CFLAGS    += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
CPPFLAGS  += -I$(BUILD) -Ibpf -Iuser
LDLIBS    := -Wl,--as-needed -lbpf -lelf -lz
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
	@sed -n '3,9p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@scripts/deps.sh

# --- BPF objects and skeletons ---------------------------------------------
$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) vmlinux/vmlinux.h | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	llvm-strip -g $@ 2>/dev/null || true

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

# --- user programs -----------------------------------------------------------
$(BUILD)/obj/%.o: user/%.c $(wildcard user/*.h bpf/*.h) $(SKELS) | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/kmtrace: $(LOADER_OBJS) | $(BUILD)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/static/kmtrace: $(LOADER_OBJS) | $(BUILD)/static
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
	@scripts/bench.sh

fmt:
	clang-format -i user/*.c user/*.h bpf/*.c bpf/*.h tests/unit/*.c 2>/dev/null || true

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
fuzz_ksyms_SRCS  := user/ksyms.c
fuzz_output_SRCS := user/output.c user/gfp.c
fuzz_opts_SRCS   := user/opts.c
fuzz_mm_opts_SRCS := user/mmopts.c user/opts.c
fuzz_hist_opts_SRCS := user/histopts.c user/opts.c

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

# --- kmdemo: kernel style ----------------------------------------------------------
# make check-kmod     kmod/kmdemo.c through the kernel's scripts/checkpatch.pl
#                     --strict (tests/host/kmod-style.sh, which `make test` also
#                     runs; checkpatch.pl is fetched once into $(CACHE)/checkpatch)
.PHONY: check-kmod

check-kmod:
	@mkdir -p $(BUILD)
	@CACHE=$(CACHE) KMT_STYLE_VERBOSE=1 bash tests/host/kmod-style.sh | tee $(BUILD)/kmod-style.log; \
		! grep -q '^not ok' $(BUILD)/kmod-style.log
