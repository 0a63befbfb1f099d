# SPDX-License-Identifier: GPL-2.0
# make install / make uninstall into a DESTDIR: exactly the expected files with
# sane modes, the installed kmtrace runs, the man pages are lint-clean, render,
# and list every option "kmtrace CMD --help" lists (and no other), the bash
# completion offers the commands and each command's options, and uninstall
# leaves an empty tree.
set -u
. tests/lib.sh
V=$(cat VERSION)
CMDS=(trace hist stat mm)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$work/root
log=$work/log

# The options (-x / --long tokens) a text mentions, one per line, sorted.
opts_of() { grep -oE -- '(^|[][*_ ,|(])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[^-]*//' | sort -u; }

# --- install -----------------------------------------------------------------
if make -s install DESTDIR="$dest" PREFIX=/usr >"$log" 2>&1; then
	ok "make install DESTDIR=… PREFIX=/usr"
else
	not_ok "make install DESTDIR=… PREFIX=/usr" "$(tail -n 5 "$log" | tr '\n' '|')"
fi
want=$(
	cat <<EOT | sort
755 usr/bin/kmtrace
755 usr/libexec/kmtrace/kstorm
755 usr/libexec/kmtrace/threads
644 usr/share/bash-completion/completions/kmtrace
644 usr/share/man/man1/kmtrace.1
644 usr/share/man/man1/kmtrace-hist.1
644 usr/share/man/man1/kmtrace-mm.1
644 usr/share/man/man1/kmtrace-stat.1
644 usr/share/man/man1/kmtrace-trace.1
644 usr/src/kmdemo-$V/Kbuild
644 usr/src/kmdemo-$V/dkms.conf
644 usr/src/kmdemo-$V/kmdemo.c
EOT
)
got=$(cd "$dest" 2>/dev/null && find . ! -type d -printf '%m %P\n' | sort)
eq "install: exactly the expected files, with their modes" "$got" "$want"
bad_dirs=$(find "$dest" -type d ! -perm 755 -printf '%m %P\n' 2>/dev/null)
eq "install: every directory is mode 755" "$bad_dirs" ""
eq "installed kmtrace --version is VERSION" "$("$dest/usr/bin/kmtrace" --version 2>&1)" "kmtrace $V"
check "installed threads runs (libexec/kmtrace/threads -n 1 -s 0)" \
	"$dest/usr/libexec/kmtrace/threads" -n 1 -s 0
check "installed kstorm --help runs" "$dest/usr/libexec/kmtrace/kstorm" --help
check "kmdemo.c installed unchanged" cmp kmod/kmdemo.c "$dest/usr/src/kmdemo-$V/kmdemo.c"
conf=$dest/usr/src/kmdemo-$V/dkms.conf
has "dkms.conf: PACKAGE_VERSION is VERSION" "$conf" "^PACKAGE_VERSION=\"$V\"\$"
has "dkms.conf: builds kmdemo" "$conf" '^BUILT_MODULE_NAME\[0\]="kmdemo"$'

# --- man pages -----------------------------------------------------------------
mandir=$dest/usr/share/man
for p in kmtrace "${CMDS[@]/#/kmtrace-}"; do
	f=$mandir/man1/$p.1
	lint=$(mandoc -T lint -W warning "$f" 2>&1)
	eq "man $p: mandoc -T lint, no warnings" "$lint" ""
	warn=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
	eq "man $p: man --warnings -l, nothing on stderr" "$warn" ""
	MANWIDTH=200 man -l "$f" 2>/dev/null | col -b >"$work/$p.txt"
	has "man $p: renders (NAME line)" "$work/$p.txt" "^ +$p - "
	has "man $p: version in the footer" "$work/$p.txt" "kmtrace $V"
done
eq "man -M finds kmtrace-trace by name" \
	"$(MANWIDTH=80 man -M "$mandir" kmtrace-trace 2>/dev/null | col -b | grep -cE '^ +kmtrace-trace - ')" 1

# Every command "kmtrace --help" lists has a page and is in kmtrace(1).
help_cmds=$("$dest/usr/bin/kmtrace" --help | awk '/^commands:/ {f=1; next} f && /^  [a-z]/ {print $1}' | sort)
eq "kmtrace --help lists the commands with man pages" "$(echo "$help_cmds" | tr '\n' ' ')" \
	"$(printf '%s\n' "${CMDS[@]}" | sort | tr '\n' ' ')"

# Drift: both ways between each --help and its page. The page's own options
# are its definition lines (a line of the source that starts with *-).
for c in "" "${CMDS[@]}"; do
	p=kmtrace${c:+-$c}
	# shellcheck disable=SC2086
	hopts=$("$dest/usr/bin/kmtrace" $c --help 2>/dev/null | opts_of)
	[ -n "$hopts" ] || not_ok "kmtrace $c --help lists options" "none found"
	missing=
	for o in $hopts; do
		grep -Eq -- "(^|[^-A-Za-z0-9])$o([^-A-Za-z0-9]|\$)" "$work/$p.txt" || missing+="$o "
	done
	eq "man $p mentions every option of 'kmtrace${c:+ $c} --help'" "$missing" ""
	extra=
	for o in $(grep -E '^\*-' "man/$p.1.scd" | opts_of); do
		grep -qx -- "$o" <<<"$hopts" || extra+="$o "
	done
	eq "man $p defines no option 'kmtrace${c:+ $c} --help' lacks" "$extra" ""
done

# --- bash completion -------------------------------------------------------------
# complete WORDS...: COMPREPLY, sorted, one line, after completing the last word.
cat >"$work/comp.sh" <<'EOT'
set -u
source "$1"
shift
complete -p kmtrace | grep -q -- '-F _kmtrace' || { echo "not registered"; exit 1; }
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
_kmtrace
((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' '
EOT
comp() { PATH="$dest/usr/bin:$PATH" bash "$work/comp.sh" "$dest/usr/share/bash-completion/completions/kmtrace" "$@"; }
eq "completion: kmtrace <TAB> gives the commands and --help/--version" "$(comp kmtrace '')" \
	"$(printf '%s\n' "${CMDS[@]}" --help --version | sort | tr '\n' ' ')"
for c in "${CMDS[@]}"; do
	eq "completion: kmtrace $c -<TAB> gives exactly its --help options" "$(comp kmtrace "$c" -)" \
		"$({ "$dest/usr/bin/kmtrace" "$c" --help | opts_of; echo --; } | sort -u | tr '\n' ' ')"
done
eq "completion: hist --by <TAB>" "$(comp kmtrace hist -j --by '')" "caller comm gfp pid "
eq "completion: hist --field a<TAB>" "$(comp kmtrace hist --field a)" "alloc "
eq "completion: stat --sort o<TAB>" "$(comp kmtrace stat --sort o)" "outstanding "
sleep 30 &
sp=$!
case " $(comp kmtrace trace -p "$sp") " in
*" $sp "*) ok "completion: trace -p <TAB> offers a running pid" ;;
*) not_ok "completion: trace -p <TAB> offers a running pid" "no $sp" ;;
esac
kill "$sp" 2>/dev/null
mkdir -p "$work/dir/perfetto-out"
eq "completion: trace --perfetto PATH<TAB> completes files" \
	"$(comp kmtrace trace --perfetto "$work/dir/perf")" "$work/dir/perfetto-out "
eq "completion: trace -- CMD<TAB> completes commands" "$(comp kmtrace trace -- kmtrac)" "kmtrace "
eq "completion: a flag is not followed by values" "$(comp kmtrace trace --json '')" ""

# --- version: debian/changelog must agree with VERSION ----------------------------
out=$(make -s deb KMT_VERSION=0.0~test 2>&1 >/dev/null)
rc=$?
if [ $rc -ne 0 ] && grep -q "^kmtrace: debian/changelog is at .* but VERSION says 0.0~test\$" <<<"$out"; then
	ok "make deb refuses a VERSION the changelog does not have"
else
	not_ok "make deb refuses a VERSION the changelog does not have" "rc=$rc: $(head -c 200 <<<"$out")"
fi
eq "debian/changelog's version is VERSION" "$(dpkg-parsechangelog -S Version)" "$V"

# --- uninstall -----------------------------------------------------------------
if make -s uninstall DESTDIR="$dest" PREFIX=/usr >"$log" 2>&1; then
	ok "make uninstall DESTDIR=… PREFIX=/usr"
else
	not_ok "make uninstall" "$(tail -n 5 "$log" | tr '\n' '|')"
fi
eq "uninstall leaves an empty tree" "$(find "$dest" -mindepth 1 2>/dev/null | head -n 5)" ""

# The default prefix, and uninstall keeping what it did not install.
mkdir -p "$work/root2/usr/local/bin"
touch "$work/root2/usr/local/bin/other"
make -s install DESTDIR="$work/root2" >"$log" 2>&1
check "default PREFIX is /usr/local" test -x "$work/root2/usr/local/bin/kmtrace"
make -s uninstall DESTDIR="$work/root2" >"$log" 2>&1
eq "uninstall removes only its own files" "$(cd "$work/root2" && find . -mindepth 1 | sort | tr '\n' ' ')" \
	"./usr ./usr/local ./usr/local/bin ./usr/local/bin/other "
