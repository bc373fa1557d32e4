/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_TELEMETRY_PVT_H
#define HM_TELEMETRY_PVT_H

/*
 * The telemetry subsystem: a registry of commands, the request decoder and
 * the socket server of the primary. Not installed.
 *
 * Protocol (DPDK's telemetry v2, so its dpdk-telemetry.py is a client): an
 * AF_UNIX SOCK_SEQPACKET socket, <runtime dir>/dpdk_telemetry.v2. On
 * connect the server sends {"version": ..., "pid": N, "max_output_len":
 * 16384}. A request is one packet, "/command" or "/command,params", of at
 * most HM_TELEMETRY_MAX_INPUT bytes; the reply is one packet,
 * {"/command": data}, with data null for an unknown command or bad
 * parameters. A request that is no command at all (binary, too long, not
 * starting with '/') gets {"error": "..."}; the connection stays open.
 *
 * Subsystems register their commands through hm_telemetry_register() from
 * the `telemetry` hook of their entry in hm_subsystems[], so this
 * subsystem knows no allocator's internals. Callbacks run on the server's
 * thread, which is no lcore; they only read, through each subsystem's
 * public queries.
 */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "eal_pvt.h"

#define TELEMETRY "telemetry"

#define HM_TELEMETRY_SOCKET	 "dpdk_telemetry.v2"
#define HM_TELEMETRY_MAX_INPUT	 1024  /* bytes of a request, as DPDK */
#define HM_TELEMETRY_MAX_OUTPUT	 16384 /* bytes of a reply: max_output_len */
#define HM_TELEMETRY_MAX_CMD_LEN 56    /* a command's name, without its NUL */
#define HM_TELEMETRY_MAX_CMDS	 64
#define HM_TELEMETRY_MAX_CLIENTS 32

/**
 * A command: return the reply's data (a new reference), or NULL for a bad
 * or missing parameter, which the client sees as null. params is NULL
 * when the request had none.
 */
typedef json_t *(hm_telemetry_cb_t)(const char *cmd, const char *params);

/**
 * Register a command ("/sub/name": '/', then letters, digits, '_' and
 * '/'). Registering a name again replaces its callback.
 *
 * @return 0, -EINVAL (bad name or NULL), -ENOSPC (table full).
 */
int hm_telemetry_register(const char *cmd, hm_telemetry_cb_t *fn, const char *help);

/**
 * hm_telemetry_register() for a command whose reply is a list that can
 * outgrow max_output_len: the core calls fn with no parameters and answers
 * per_page entries from the request's parameter, a decimal index (default
 * 0). "/cmd,N" past the end is null; at the end, an empty list. The help
 * should say so.
 */
int hm_telemetry_register_list(const char *cmd, hm_telemetry_cb_t *fn, const char *help,
			       unsigned int per_page);

/**
 * Answer one request of len bytes (not NUL-terminated).
 *
 * @return the reply as a NUL-terminated string to free(), or NULL without
 *   memory.
 */
char *hm_telemetry_handle(const char *req, size_t len);

/** The greeting sent on connect (and the data of /info); a new reference. */
json_t *hm_telemetry_hello(void);

/** What a callback looks for by name in a table walk, and what it found. */
struct hm_telemetry_by_name {
	const char *name;
	json_t *out;
};

/** Helpers for callbacks: a JSON integer of an unsigned 64-bit value. */
json_t *hm_json_u64(uint64_t v);

/* The subsystem. */
int hm_telemetry_init(const struct hm_eal_config *cfg, enum hm_proc_type type);
void hm_telemetry_cleanup(enum hm_proc_type type);

/* The server (telemetry_server.c). */
/* Listen in runtime_dir; gid >= 0 lets that group use the socket (and enter the dir). */
int hm_telemetry_server_start(const char *runtime_dir, int64_t gid);
void hm_telemetry_server_stop(void);

/* Each subsystem's commands. */
void hm_memory_telemetry(void);
void hm_buddy_telemetry(void);
void hm_slab_telemetry(void);
void hm_ring_telemetry(void);
void hm_mempool_telemetry(void);

#endif /* HM_TELEMETRY_PVT_H */
