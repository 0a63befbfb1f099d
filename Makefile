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
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
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
	@cp kmod/kmdemo.c kmod/Kbuild $(BUILD)/kmod/$(KVER)/
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
