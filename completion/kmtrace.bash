# SPDX-License-Identifier: GPL-2.0
# bash completion for kmtrace(1).
#
# The commands and each command's options are read from the binary itself
# ("kmtrace --help", "kmtrace COMMAND --help") the first time they are
# needed, so they follow the kmtrace that is installed. From a help text:
# every -x / --long token is an option; "OPT ARG" (ARG in capitals) takes a
# value, "OPT a|b|c" takes one of a, b, c. Values: PID -> process ids, COMM ->
# command names, MODULE/NAME -> kernel modules, PATH/FILE -> file names, ADDR
# -> Prometheus' usual kmtrace port on loopback; after "--" a command line is
# completed.

# _kmtrace_parse PROG [COMMAND]: "OPTION<TAB>ARG" lines from PROG's help.
_kmtrace_parse() {
	"$@" --help 2>/dev/null | awk '
	function note(o, a) {
		if (!(o in arg) || (a ~ /\|/) || (a != "" && arg[o] == ""))
			arg[o] = a
	}
	{
		line = $0
		# "  -p, --pid PID": the short alias takes the same value.
		if (match(line, /^ +-[A-Za-z], --[A-Za-z][A-Za-z0-9-]* [A-Z][A-Z_]*/)) {
			split(substr(line, RSTART, RLENGTH), w, /[ ,]+/)
			note(w[2], w[4])
		}
		while (match(line, /(^|[][ ,|(])--?[A-Za-z][A-Za-z0-9-]*( [A-Z][A-Z_]*| [a-z0-9]+(\|[a-z0-9]+)+)?/)) {
			tok = substr(line, RSTART, RLENGTH)
			line = substr(line, RSTART + RLENGTH)
			sub(/^[^-]+/, "", tok)
			n = split(tok, w, / /)
			note(w[1], n > 1 ? w[2] : "")
		}
	}
	END { for (o in arg) printf "%s\t%s\n", o, arg[o] }'
}

# _kmtrace_load PROG [COMMAND]: fills _kmtrace_args["PROG CMD OPT"] (the value
# an option takes, or "") and _kmtrace_opts["PROG CMD"] (all options), once.
_kmtrace_load() {
	local key="$1 ${2-}" o a
	[[ -n ${_kmtrace_opts[$key]+set} ]] && return
	_kmtrace_opts[$key]=
	while IFS=$'\t' read -r o a; do
		_kmtrace_opts[$key]+="$o "
		_kmtrace_args["$key $o"]=$a
	done < <(_kmtrace_parse "$@")
}

# The commands: the indented words under "commands:" in "kmtrace --help".
_kmtrace_commands() {
	"$1" --help 2>/dev/null | awk '/^commands:/ { f = 1; next }
		f && /^  [a-z][a-z-]*  / { print $1 } f && /^$/ { f = 0 }'
}

_kmtrace_values() { # ARG CUR: the candidate values of an ARG
	local arg=$1 cur=$2
	case $arg in
	*\|*) mapfile -t COMPREPLY < <(compgen -W "${arg//|/ }" -- "$cur") ;;
	PID) mapfile -t COMPREPLY < <(compgen -W "$(cd /proc && printf '%s ' [0-9]*)" -- "$cur") ;;
	COMM) mapfile -t COMPREPLY < <(compgen -W "$(cat /proc/[0-9]*/comm 2>/dev/null |
		tr ' ' '\n' | sort -u)" -- "$cur") ;;
	MODULE | NAME)
		mapfile -t COMPREPLY < <(compgen -W "$({
			cut -d' ' -f1 /proc/modules 2>/dev/null
			find "/lib/modules/$(uname -r)" -name '*.ko*' 2>/dev/null |
				sed 's,.*/,,; s,\.ko.*,,'
		} | sort -u)" -- "$cur")
		;;
	PATH | FILE)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		;;
	ADDR) # stat --listen [IP:]PORT: loopback unless told otherwise
		mapfile -t COMPREPLY < <(compgen -W "127.0.0.1:9464 [::1]:9464 9464" -- "$cur") ;;
	KEY) # stat --sort: its help lists the keys in prose
		mapfile -t COMPREPLY < <(compgen -W "hits bytes frag outstanding" -- "$cur") ;;
	*) COMPREPLY=() ;;
	esac
}

_kmtrace() {
	local prog=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} cmd='' ci i w
	COMPREPLY=()
	command -v "$prog" >/dev/null 2>&1 || prog=kmtrace
	declare -gA _kmtrace_opts _kmtrace_args

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w != -* ]]; then
			cmd=$w ci=$i
			break
		fi
	done
	if [[ -z $cmd ]]; then
		_kmtrace_load "$prog"
		mapfile -t COMPREPLY < <(compgen -W "$(_kmtrace_commands "$prog") ${_kmtrace_opts["$prog "]}" -- "$cur")
		return
	fi

	# After "--": the command to run and its arguments.
	for ((i = ci + 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -- ]] || continue
		if declare -F _command_offset >/dev/null; then
			_command_offset $((i + 1))
		elif ((COMP_CWORD == i + 1)); then
			mapfile -t COMPREPLY < <(compgen -c -- "$cur")
		else
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		return
	done

	_kmtrace_load "$prog" "$cmd"
	local key="$prog $cmd" prev=${COMP_WORDS[COMP_CWORD - 1]}
	if ((COMP_CWORD - 1 > ci)) && [[ -n ${_kmtrace_args["$key $prev"]-} ]]; then
		_kmtrace_values "${_kmtrace_args["$key $prev"]}" "$cur"
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "${_kmtrace_opts[$key]} --" -- "$cur")
	fi
}
complete -F _kmtrace kmtrace
