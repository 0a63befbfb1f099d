#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What `make demo` runs: the seed's scenario (scripts/demo-scenario.sh) on this
# host when its kernel loads modules and has headers (needs root), otherwise in
# a VM booting Debian's 6.12 kernel (scripts/vm.sh).
set -euo pipefail

me=demo.sh
cd "$(dirname "$0")/.."
kver=$(uname -r)

why=
if [[ ! -e /proc/modules ]]; then
	why="this kernel ($kver) has no loadable modules"
elif [[ ! -d /lib/modules/$kver/build ]]; then
	why="this kernel ($kver) has no headers (linux-headers-$kver)"
fi

if [[ -z $why ]]; then
	[[ $(id -u) -eq 0 ]] || {
		echo "$me: loading a module needs root; run as root (or: scripts/vm.sh)" >&2
		exit 1
	}
	make -s kmod KVER="$kver" >/dev/null || {
		echo "$me: make kmod KVER=$kver failed" >&2
		exit 1
	}
	exec sh scripts/demo-scenario.sh
fi

echo "demo: running in a VM (Debian 6.12 kernel) because $why" >&2
exec scripts/vm.sh --kernel 6.12
