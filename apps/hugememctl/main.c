/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hugememctl: asks the primary of a file prefix, through its telemetry
 * socket, for its memory, allocators and processes, and prints the
 * answers as tables or, with --json, as JSON.
 */

#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void
usage(FILE *f)
{
	fprintf(f, "Usage: hugememctl [-f PREFIX] [--json] COMMAND\n"
		   "       hugememctl [-f PREFIX] [--json] top [-d SECONDS] [-n ITERATIONS]\n"
		   "\n"
		   "Asks the hugemem primary (hugememd) through its telemetry socket.\n"
		   "\n"
		   "Commands:\n");
	for (const struct ctl_command *cmd = ctl_commands; cmd->name != NULL; cmd++)
		fprintf(f, "  %-10s %s\n", cmd->name, cmd->help);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -f, --file-prefix PREFIX  the primary's --file-prefix (default %s), or its\n"
		"                            runtime directory as an absolute path\n"
		"  -j, --json                the primary's data as one pretty JSON document\n"
		"                            (top: one line of JSON a frame)\n"
		"  -d, --delay SECONDS       top: seconds between frames (default 1)\n"
		"  -n, --iterations N        top: stop after N frames (default: at q or Ctrl-C)\n"
		"  -h, --help                this text\n"
		"  -V, --version             the version\n"
		"\n"
		"The socket is <runtime dir>/%s; the runtime dir is\n"
		"$RUNTIME_DIRECTORY/hugemem/PREFIX, else /var/run/hugemem/PREFIX for root,\n"
		"else $XDG_RUNTIME_DIR/hugemem/PREFIX or /tmp/hugemem/PREFIX.\n"
		"\n"
		"Exit status: 0 done, 1 error (no primary, a command the primary does not\n"
		"have, a failed query), 2 bad command line.\n",
		CTL_DEFAULT_PREFIX, CTL_SOCKET_NAME);
}

static int __attribute__((format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hugememctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'hugememctl --help'.\n");
	return CTL_EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"file-prefix", required_argument, NULL, 'f'},
	    {"json", no_argument, NULL, 'j'},
	    {"delay", required_argument, NULL, 'd'},
	    {"iterations", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct ctl_opts o = {.prefix = CTL_DEFAULT_PREFIX, .delay = 1.0};
	const struct ctl_command *cmd;
	struct ctl_conn conn;
	char *end;
	int opt, ret;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":f:jd:n:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (optarg[0] == '\0')
				return usage_error("the file prefix is empty");
			o.prefix = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'd':
			o.delay = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !isfinite(o.delay) || o.delay < 0.01 ||
			    o.delay > 86400)
				return usage_error("-d %s: give seconds between 0.01 and 86400",
						   optarg);
			o.delay_set = true;
			break;
		case 'n':
			o.iterations = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || o.iterations < 1)
				return usage_error("-n %s: give a number of frames, 1 or more",
						   optarg);
			o.iterations_set = true;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("hugememctl %s\n", HM_VERSION_STRING);
			return CTL_EXIT_OK;
		case ':':
			return usage_error("option %s needs a value", argv[optind - 1]);
		default:
			if (optopt != 0) {
				char name[3] = {'-', (char)optopt, '\0'};

				return usage_error("unknown option %s", name);
			}
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no command given");
	for (cmd = ctl_commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[optind]) == 0)
			break;
	if (cmd->name == NULL)
		return usage_error("unknown command '%s'", argv[optind]);
	if (optind + 1 < argc)
		return usage_error("unexpected argument '%s'", argv[optind + 1]);
	if ((o.delay_set || o.iterations_set) && strcmp(cmd->name, "top") != 0)
		return usage_error("-d and -n go with top, not with %s", cmd->name);

	if (ctl_connect(&conn, o.prefix) < 0)
		return CTL_EXIT_ERROR;
	ret = cmd->run(&conn, &o);
	ctl_close(&conn);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("hugememctl: writing the output");
		return CTL_EXIT_ERROR;
	}
	return ret;
}
