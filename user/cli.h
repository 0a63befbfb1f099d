// SPDX-License-Identifier: GPL-2.0
/*
 * The command line of every kmtrace subcommand, from tables.
 *
 * Every option kmtrace has is defined once (user/specs.c: kmt_optdefs[]):
 * its names, value, limits, help text and where its value goes in struct
 * kmt_args.  A command (struct kmt_cmd_spec, also in user/specs.c) lists the
 * options it takes; parsing, limits, --help and the one-line errors all come
 * from those two tables (user/cli.c), so an option means the same in every
 * command.  An option of another command is refused by name ("-c/--comm is
 * not supported").  No libbpf here: unit-tested and fuzzed on its own.
 */
#ifndef KMT_CLI_H
#define KMT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "common.h"

/* Every option of every command. */
enum kmt_opt {
	KMT_O_NONE = 0,
	KMT_O_PID,
	KMT_O_COMM,
	KMT_O_MODULE,
	KMT_O_MIN_SIZE,
	KMT_O_MAX_SIZE,
	KMT_O_CALLER, /* stat's table: --caller, --alloc, --page */
	KMT_O_ALLOC,
	KMT_O_PAGE,
	KMT_O_CACHE,
	KMT_O_FIELD, /* hist */
	KMT_O_BY,
	KMT_O_LINEAR,
	KMT_O_SORT, /* stat */
	KMT_O_LINES,
	KMT_O_MAX_TRACKED,
	KMT_O_LISTEN, /* stat's Prometheus export */
	KMT_O_TEXTFILE,
	KMT_O_INTERVAL,
	KMT_O_TOP,
	KMT_O_FAMILY,
	KMT_O_DIRECT,
	KMT_O_SETTLE,
	KMT_O_DURATION,
	KMT_O_JSON,
	KMT_O_KO,
	KMT_O_PERFETTO,
	KMT_O_STACKS, /* trace: kernel stacks; trace, stat: folded stacks */
	KMT_O_FOLDED,
	KMT_O_FOLDED_WEIGHT,
	KMT_O_STACK_STORAGE,
	KMT_O_STATS,
	KMT_O_VERBOSE,
	KMT_O_HELP,
	KMT_O_MAX,
};

/* How an option's value is parsed (and into which type of field). */
enum kmt_kind {
	KMT_K_FLAG,	/* bool, no value */
	KMT_K_U64,	/* uint64_t, strict decimal within [lo, hi] */
	KMT_K_PID,	/* pid_t, decimal within [lo, hi] */
	KMT_K_SECONDS,	/* double, > 0 and <= hi seconds */
	KMT_K_PATH,	/* const char *, not empty */
	KMT_K_COMM,	/* char[KMT_COMM_LEN], 1..15 bytes (the kernel's comm) */
	KMT_K_MODULE,	/* char[KMT_MODNAME_LEN], [A-Za-z0-9_-], '-' stored as '_' */
	KMT_K_CHOICE,	/* int, one of choices[] */
	KMT_K_MODE,	/* int = choices[0].value; options sharing the field exclude each other */
	KMT_K_FAMILIES, /* unsigned int: 1 << enum kmt_family for each name of a comma list */
};

/* --folded-weight */
enum kmt_folded_weight {
	KMT_WEIGHT_BYTES = 0,
	KMT_WEIGHT_COUNT,
};

struct kmt_choice {
	const char *name;
	int value;
};

struct kmt_optdef {
	enum kmt_opt id;
	char letter;	  /* short option, 0: none */
	const char *name; /* long option */
	const char *arg;  /* value name in --help ("PID"); NULL: a flag */
	const char *help; /* --help text; '\n' continues on an indented line */
	enum kmt_kind kind;
	size_t off;			  /* offsetof(struct kmt_args, field) */
	uint64_t lo, hi;		  /* KMT_K_U64 / KMT_K_PID bounds; KMT_K_SECONDS: hi */
	const struct kmt_choice *choices; /* KMT_K_CHOICE (NULL-named end), KMT_K_MODE */
};

/* Everything any command's command line can say. */
struct kmt_args {
	/* the target (-p / -c / -- CMD) */
	pid_t pid;		 /* 0: none */
	char comm[KMT_COMM_LEN]; /* "": none */
	char **cmd;		 /* -- CMD ARGS..., NULL-terminated; NULL: none */
	int cmd_argc;
	/* the allocation filter */
	char module[KMT_MODNAME_LEN]; /* -m, "" none */
	bool direct;		      /* --direct: -m by call site only */
	uint64_t min_size, max_size;  /* default 0 and UINT64_MAX */
	bool size_filter;	      /* either given */
	unsigned int families; /* --family: 1 << enum kmt_family each; 0: the command's default */
	/* hist */
	int field;     /* enum hist_field */
	int by;	       /* enum kmt_hist_by */
	uint64_t step; /* --linear; 0: log2 */
	/* stat */
	int mode; /* enum stat_mode */
	int sort; /* enum stat_sort */
	uint64_t lines;
	uint64_t max_tracked;
	const char *listen;   /* --listen [ADDR:]PORT: /metrics over HTTP */
	const char *textfile; /* --textfile FILE: node_exporter's textfile collector */
	double every;	      /* --interval: seconds between textfile rewrites */
	uint64_t top;	      /* --top: series per dimension before "other" */
	/* running and output */
	double duration; /* -d; 0: until stopped */
	double settle;	 /* --settle: seconds from -m's unload to its leak verdict */
	bool json, verbose, help;
	bool stats; /* --stats: the BPF programs' own cost at the end */
	const char *ko, *perfetto;
	/* kernel stacks: --stacks, --folded FILE, --folded-weight, --stack-storage */
	bool stacks;
	const char *folded;
	int folded_weight; /* enum kmt_folded_weight */
	uint64_t stack_storage;
	/* INTERVAL [COUNT] */
	double interval;       /* 0: none given */
	uint64_t count;	       /* 0: none */
	int npos;	       /* how many of them were given */
	bool given[KMT_O_MAX]; /* which options appeared */
};

struct kmt_cmd_spec {
	const char *name;	  /* "trace" */
	const char *synopsis;	  /* the usage lines after "usage: kmtrace NAME " */
	const char *about;	  /* what the command does (lines), after the synopsis */
	const enum kmt_opt *opts; /* the options it takes, in --help order, KMT_O_NONE-ended */
	bool takes_cmd;		  /* -- CMD [ARGS...] */
	bool takes_interval;	  /* INTERVAL [COUNT] */
	const char *interval_help;
	const char *notes; /* after the options, or NULL */
	/* Checks of the whole command line (after the generic ones): 0, or -1
	 * with a one-line reason (kmt_fail). */
	int (*check)(const struct kmt_args *a, char *err, size_t errlen);
	/* Defaults other than zero, applied before parsing. */
	void (*defaults)(struct kmt_args *a);
};

/* The options' definitions (user/specs.c), indexed by enum kmt_opt. */
extern const struct kmt_optdef kmt_optdefs[KMT_O_MAX];
/* The subcommands' specs (user/specs.c), and all of them, NULL-ended. */
extern const struct kmt_cmd_spec kmt_trace_spec, kmt_hist_spec, kmt_stat_spec, kmt_mm_spec;
extern const struct kmt_cmd_spec *const kmt_specs[];

/*
 * Parse ARGV (argv[0] is the subcommand) by SPEC into A.  Returns 0, or -1
 * with a one-line reason in ERR (no "kmtrace: " prefix): a usage error.
 * With -h/--help A->help is set and parsing stops there.
 */
int kmt_cli_parse(const struct kmt_cmd_spec *spec, int argc, char **argv, struct kmt_args *a,
		  char *err, size_t errlen);

/* SPEC's --help text, generated from the tables. */
void kmt_cli_usage(const struct kmt_cmd_spec *spec, FILE *f);

/*
 * kmt_cli_parse() for a command's main(): 0 to run; KMT_CLI_EXIT_OK after
 * printing --help (exit 0); 2 after printing "kmtrace: NAME: REASON (see
 * 'kmtrace NAME --help')" (usage error).
 */
#define KMT_CLI_EXIT_OK (-1)
int kmt_cli(const struct kmt_cmd_spec *spec, int argc, char **argv, struct kmt_args *a);

/* Strict unsigned decimal: no sign, no space, no trailing garbage, no overflow. */
int kmt_parse_u64(const char *s, uint64_t *out);
/* Seconds: a decimal number (no sign, no exponent letters after digits
 * like "1s"), > 0 and <= HI. */
int kmt_parse_seconds(const char *s, double hi, double *out);

/* printf FMT into ERR (LEN bytes) as one line (kmt_one_line); returns -1. */
int kmt_fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* KMT_CLI_H */
