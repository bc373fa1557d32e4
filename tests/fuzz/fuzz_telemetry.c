/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target of the telemetry request decoder, hm_telemetry_handle():
 * every input is one request packet, as the socket server would pass it.
 *
 * The library is brought up once, as a --no-huge primary without a
 * telemetry socket, in a runtime directory of its own under $TMPDIR; the
 * commands of every subsystem are registered all the same, and a pool, a
 * memzone, a ring and a slab cache exist so that the commands taking a
 * name have something to find.
 *
 * Every reply must be:
 *   - valid JSON of at most HM_TELEMETRY_MAX_OUTPUT bytes;
 *   - one object with one key;
 *   - that key "error" (with a string) if the request is no command at all:
 *     empty, over HM_TELEMETRY_MAX_INPUT bytes, not printable ASCII once
 *     its trailing CR/LF are dropped, or not starting with '/';
 *   - else that key the command: the request up to its first ','.
 * Anything else aborts, and libFuzzer keeps the input.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <hugemem/hugemem.h>

#include "hm_common.h"
#include "telemetry_pvt.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[256];

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Say what is wrong and abort: libFuzzer keeps the input as a crash. */
static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fuzz_telemetry: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static void
fuzz_cleanup(void)
{
	hm_eal_cleanup();
	if (fuzz_dir[0] != '\0')
		rmdir(fuzz_dir);
}

/* The command list, as a client sees it; dies if one subsystem is missing. */
static void
check_registered(void)
{
	static const char *const one_per_subsystem[] = {
	    "/info",	     "/eal/params",    "/hugemem/memsegs", "/eal/heap_info",
	    "/hugemem/slab", "/hugemem/rings", "/mempool/info",
	};
	char *reply = hm_telemetry_handle("/", 1);
	json_t *root = reply != NULL ? json_loads(reply, 0, NULL) : NULL;
	json_t *list = json_object_get(root, "/");

	if (!json_is_array(list))
		die("/ gives no list: %s", reply != NULL ? reply : "(null)");
	for (size_t i = 0; i < HM_DIM(one_per_subsystem); i++) {
		size_t k;
		json_t *v;
		bool found = false;

		json_array_foreach(list, k, v)
		{
			if (strcmp(json_string_value(v), one_per_subsystem[i]) == 0)
				found = true;
		}
		if (!found)
			die("%s is not registered: %s", one_per_subsystem[i], reply);
	}
	json_decref(root);
	free(reply);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *eal_argv[] = {
	    "fuzz_telemetry", "-l",   "0",	     "--no-huge", "-m", "64", "--no-telemetry",
	    "--file-prefix",  "fuzz", "--log-level", "emerg",	  NULL,
	};
	const char *tmp = getenv("TMPDIR");
	struct hm_slab_cache *sc;

	(void)argc;
	(void)argv;
	if (tmp == NULL || tmp[0] != '/')
		tmp = "/tmp";
	if ((size_t)snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/hm-fuzz.XXXXXX", tmp) >=
		sizeof(fuzz_dir) ||
	    mkdtemp(fuzz_dir) == NULL)
		die("mkdtemp %s: %s", fuzz_dir, strerror(errno));
	setenv("RUNTIME_DIRECTORY", fuzz_dir, 1);
	if (hm_eal_init((int)HM_DIM(eal_argv) - 1, eal_argv) < 0)
		die("hm_eal_init failed");
	atexit(fuzz_cleanup);
	check_registered();

	if (hm_mempool_create("fuzz_pool", 63, 64, 8, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0) == NULL ||
	    hm_memzone_reserve("fuzz_zone", 5000, HM_SOCKET_ID_ANY, 0, 0) == NULL ||
	    hm_ring_create("fuzz_ring", 64, HM_SOCKET_ID_ANY, 0) == NULL)
		die("cannot create the pool, memzone and ring");
	sc = hm_slab_cache_create("fuzz_slab", 100, 0, 0, NULL, NULL);
	if (sc == NULL || hm_slab_alloc(sc, 0) == NULL)
		die("cannot create the slab cache");
	return 0;
}

/*
 * What the decoder must make of a request: whether it is a command at all
 * and, if so, the command's name (its key in the reply) in cmd.
 */
static bool
request_command(const uint8_t *data, size_t size, char *cmd)
{
	size_t len = size, n;

	if (size == 0 || size > HM_TELEMETRY_MAX_INPUT)
		return false;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == 0 || data[0] != '/')
		return false;
	for (size_t i = 0; i < len; i++)
		if (data[i] < 0x20 || data[i] > 0x7e)
			return false;
	for (n = 0; n < len && data[n] != ','; n++)
		cmd[n] = (char)data[n];
	cmd[n] = '\0';
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char cmd[HM_TELEMETRY_MAX_INPUT + 1];
	char *reply = hm_telemetry_handle((const char *)data, size);
	bool is_command = request_command(data, size, cmd);
	json_error_t err;
	const char *key;
	json_t *root;
	size_t len;

	if (reply == NULL)
		die("no reply to a request of %zu bytes", size);
	len = strlen(reply);
	if (len > HM_TELEMETRY_MAX_OUTPUT)
		die("reply of %zu bytes, over max_output_len", len);
	root = json_loadb(reply, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		die("reply is no JSON (%s): %s", err.text, reply);
	if (!json_is_object(root) || json_object_size(root) != 1)
		die("reply is not an object with one key: %s", reply);
	key = json_object_iter_key(json_object_iter(root));
	if (is_command && strcmp(key, cmd) != 0)
		die("request for %s answered under key \"%s\": %s", cmd, key, reply);
	if (!is_command &&
	    (strcmp(key, "error") != 0 || !json_is_string(json_object_get(root, "error"))))
		die("a request that is no command got no error: %s", reply);
	json_decref(root);
	free(reply);
	return 0;
}
