#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install, only when missing, every Debian package kmtrace's build, demo and
# tests need (dwarves: pahole, which 6.12 headers run to add BTF to modules).
# Idempotent; quiet when everything is already there.
#   scripts/deps.sh [--bench]   (--bench adds bpftrace and linux-perf)
set -euo pipefail

pkgs=(make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
      kmod dwarves qemu-system-x86 busybox-static cpio gzip libcmocka-dev python3
      clang-format clang-tidy cppcheck libclang-rt-14-dev)
# Packaging (make man/install/deb, tests/host/install.sh, deb.sh, vm/dkms.sh):
# scdoc for the man pages, mandoc and man-db to lint and render them,
# bash-completion, debhelper + dh-dkms + dkms + lintian for the packages.
pkgs+=(scdoc mandoc man-db bash-completion debhelper dh-dkms dkms lintian xz-utils)
# stat --listen: libmicrohttpd; tests/host/prometheus.sh: the real Prometheus
# server and promtool (the prometheus package), curl.
pkgs+=(libmicrohttpd-dev prometheus curl)
[[ "${1:-}" == "--bench" ]] && pkgs+=(bpftrace linux-perf)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "kmtrace: missing packages: ${missing[*]} (run scripts/deps.sh as root)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's prometheus package enables and starts a system service; the tests
# start their own server.  While installing, a policy-rc.d (unless the system
# has one) refuses every service start; after, the service is disabled (and
# stopped, under systemd) when this script installed the package.
new_prometheus=0
[[ " ${missing[*]} " == *" prometheus "* ]] && new_prometheus=1
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ $new_prometheus == 1 && ! -e $policy ]]; then
	printf '#!/bin/sh\n# kmtrace scripts/deps.sh: no service starts while installing\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
	trap 'rm -f "$policy"' EXIT
fi
# An apt cache that has never been updated finds nothing; update once.
if ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/kmtrace-deps.log 2>&1; then
	apt-get update >>/tmp/kmtrace-deps.log 2>&1
	apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/kmtrace-deps.log 2>&1 || {
		echo "kmtrace: package install failed, see /tmp/kmtrace-deps.log" >&2
		tail -n 20 /tmp/kmtrace-deps.log >&2
		exit 1
	}
fi
if [[ $own_policy == 1 ]]; then
	rm -f "$policy"
	trap - EXIT
fi
if [[ $new_prometheus == 1 ]]; then
	if [[ -d /run/systemd/system ]]; then
		systemctl disable --now prometheus.service >>/tmp/kmtrace-deps.log 2>&1 || true
	else
		deb-systemd-helper disable prometheus.service >>/tmp/kmtrace-deps.log 2>&1 || true
		update-rc.d prometheus disable >>/tmp/kmtrace-deps.log 2>&1 || true
	fi
	echo "deps: the prometheus system service is disabled (the tests start their own)" >&2
fi
echo "deps: done" >&2
