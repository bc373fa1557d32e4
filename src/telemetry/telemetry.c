/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command registry and the request decoder: one request in, one JSON
 * reply out. The socket server (telemetry_server.c) only moves packets.
 */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "telemetry_pvt.h"

struct tel_cmd {
	char name[HM_TELEMETRY_MAX_CMD_LEN + 1];
	hm_telemetry_cb_t *fn;
	const char *help;
	unsigned int per_page; /* a list paged by the core; 0: not paged */
};

static struct {
	pthread_mutex_t lock; /* the table: registration against the server */
	struct tel_cmd cmds[HM_TELEMETRY_MAX_CMDS];
	unsigned int nb_cmds;
} reg = {.lock = PTHREAD_MUTEX_INITIALIZER};

/*
 * The protocol is ASCII whatever the process's locale: <ctype.h> would take
 * an 8-bit locale's letters for printable, and jansson refuses a key that
 * is not UTF-8 (the reply would be {}).
 */
static bool
ascii_printable(char c)
{
	return (unsigned char)c >= 0x20 && (unsigned char)c <= 0x7e;
}

static bool
ascii_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '/';
}

static bool
cmd_name_ok(const char *cmd)
{
	size_t len;

	if (cmd == NULL || cmd[0] != '/')
		return false;
	len = strnlen(cmd, HM_TELEMETRY_MAX_CMD_LEN + 1);
	if (len > HM_TELEMETRY_MAX_CMD_LEN)
		return false;
	for (size_t i = 1; i < len; i++)
		if (!ascii_name_char(cmd[i]))
			return false;
	return true;
}

static struct tel_cmd *
cmd_find(const char *name)
{
	for (unsigned int i = 0; i < reg.nb_cmds; i++)
		if (strcmp(reg.cmds[i].name, name) == 0)
			return &reg.cmds[i];
	return NULL;
}

int
hm_telemetry_register(const char *cmd, hm_telemetry_cb_t *fn, const char *help)
{
	return hm_telemetry_register_list(cmd, fn, help, 0);
}

int
hm_telemetry_register_list(const char *cmd, hm_telemetry_cb_t *fn, const char *help,
			   unsigned int per_page)
{
	struct tel_cmd *c;
	int ret = 0;

	if (!cmd_name_ok(cmd) || fn == NULL || help == NULL)
		return -EINVAL;
	pthread_mutex_lock(&reg.lock);
	c = cmd_find(cmd);
	if (c == NULL) {
		if (reg.nb_cmds == HM_TELEMETRY_MAX_CMDS) {
			ret = -ENOSPC;
			goto out;
		}
		c = &reg.cmds[reg.nb_cmds++];
		strcpy(c->name, cmd);
	}
	c->fn = fn;
	c->help = help;
	c->per_page = per_page;
out:
	pthread_mutex_unlock(&reg.lock);
	return ret;
}

json_t *
hm_json_u64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

json_t *
hm_telemetry_hello(void)
{
	char version[64];

	snprintf(version, sizeof(version), "hugemem %s", hm_version());
	return json_pack("{s:s, s:i, s:i}", "version", version, "pid", (int)getpid(),
			 "max_output_len", HM_TELEMETRY_MAX_OUTPUT);
}

/* ------------------------------------------------------ built-in commands */

static json_t *
cmd_list(const char *cmd, const char *params)
{
	json_t *list = json_array();

	(void)cmd;
	(void)params;
	if (list == NULL)
		return NULL;
	/* Called under the table lock, like every callback. */
	for (unsigned int i = 0; i < reg.nb_cmds; i++)
		json_array_append_new(list, json_string(reg.cmds[i].name));
	return list;
}

static json_t *
cmd_info(const char *cmd, const char *params)
{
	(void)cmd;
	(void)params;
	return hm_telemetry_hello();
}

static json_t *
cmd_help(const char *cmd, const char *params)
{
	const struct tel_cmd *c;

	(void)cmd;
	c = cmd_find(params != NULL ? params : "/help");
	if (c == NULL)
		return NULL;
	return json_pack("{s:s}", c->name, c->help);
}

static json_t *
cmd_eal_params(const char *cmd, const char *params)
{
	const char *const *argv;
	int argc = hm_eal_args(&argv);
	json_t *list = json_array();

	(void)cmd;
	(void)params;
	if (list == NULL)
		return NULL;
	for (int i = 0; i < argc; i++)
		json_array_append_new(list, json_string(argv[i]));
	return list;
}

/* --------------------------------------------------------------- decoder */

static char *
reply_error(const char *why)
{
	json_t *root = json_pack("{s:s}", "error", why);
	char *out = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;

	json_decref(root);
	return out;
}

/* Dump {key: data} (data stolen), or an error if it outgrows max_output_len. */
static char *
reply_of(const char *key, json_t *data)
{
	json_t *root = json_object();
	char *out;

	if (root == NULL) {
		json_decref(data);
		return NULL;
	}
	json_object_set_new(root, key, data != NULL ? data : json_null());
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (out != NULL && strlen(out) >= HM_TELEMETRY_MAX_OUTPUT) {
		free(out);
		root = json_pack("{s:{s:s}}", key, "error", "reply longer than max_output_len");
		out = json_dumps(root, JSON_COMPACT);
		json_decref(root);
	}
	return out;
}

/*
 * One page of a paged list: the entries from `first` (the request's
 * parameter, decimal, default 0), per_page at most. A page past the end is
 * null; the page at the end is empty, which tells a client it has all.
 */
static json_t *
page_of(const struct tel_cmd *c, const char *cmd, const char *params)
{
	unsigned long first = 0;
	json_t *all, *page;

	if (params != NULL) {
		char *end;

		if (params[0] < '0' || params[0] > '9' || strlen(params) > 9)
			return NULL;
		first = strtoul(params, &end, 10);
		if (*end != '\0')
			return NULL;
	}
	all = c->fn(cmd, NULL);
	if (all == NULL || !json_is_array(all) || first > json_array_size(all)) {
		json_decref(all);
		return NULL;
	}
	page = json_array();
	for (size_t i = first; page != NULL && i < json_array_size(all) && i < first + c->per_page;
	     i++)
		json_array_append(page, json_array_get(all, i));
	json_decref(all);
	return page;
}

char *
hm_telemetry_handle(const char *req, size_t len)
{
	char buf[HM_TELEMETRY_MAX_INPUT + 1];
	const struct tel_cmd *c;
	char *params, *out;
	json_t *data;

	if (req == NULL || len == 0)
		return reply_error("empty request");
	if (len > HM_TELEMETRY_MAX_INPUT)
		return reply_error("request longer than 1024 bytes");
	memcpy(buf, req, len);
	buf[len] = '\0';
	/* Trailing newlines, as a shell client sends them, are no part of it. */
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (strlen(buf) != len)
		return reply_error("request contains a NUL byte");
	for (size_t i = 0; i < len; i++)
		if (!ascii_printable(buf[i]))
			return reply_error("request is not printable ASCII");
	if (buf[0] != '/')
		return reply_error("a request is /command or /command,params");
	params = strchr(buf, ',');
	if (params != NULL)
		*params++ = '\0';
	if (!cmd_name_ok(buf))
		return reply_of(buf, NULL); /* no command has that name */
	pthread_mutex_lock(&reg.lock);
	c = cmd_find(buf);
	data = c == NULL ? NULL : c->per_page != 0 ? page_of(c, buf, params) : c->fn(buf, params);
	pthread_mutex_unlock(&reg.lock);
	out = reply_of(buf, data);
	return out;
}

/* ------------------------------------------------------------- subsystem */

int
hm_telemetry_init(const struct hm_eal_config *cfg, enum hm_proc_type type)
{
	hm_telemetry_register("/", cmd_list,
			      "Returns the list of available commands. Takes no parameters");
	hm_telemetry_register("/info", cmd_info,
			      "Returns the version, pid and max_output_len. Takes no parameters");
	hm_telemetry_register("/help", cmd_help,
			      "Returns the help text of a command. Parameter: the command");
	hm_telemetry_register(
	    "/eal/params", cmd_eal_params,
	    "Returns the EAL arguments the process started with. Takes no parameters");
	for (unsigned int i = 0; i < hm_nb_subsystems; i++)
		if (hm_subsystems[i].telemetry != NULL)
			hm_subsystems[i].telemetry();
	if (type != HM_PROC_PRIMARY || !cfg->telemetry)
		return 0;
	if (hm_eal_runtime_dir()[0] == '\0') {
		/* --in-memory: no runtime directory, so no socket either. */
		HM_LOG(NOTICE, TELEMETRY,
		       "no runtime directory (--in-memory): no telemetry socket");
		return 0;
	}
	return hm_telemetry_server_start(hm_eal_runtime_dir(), cfg->telemetry_gid);
}

void
hm_telemetry_cleanup(enum hm_proc_type type)
{
	if (type == HM_PROC_PRIMARY)
		hm_telemetry_server_stop();
}
