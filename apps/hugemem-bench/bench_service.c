/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service section: how long a secondary process waits on the memory
 * service of its primary. hugemem's hm_dma_alloc() + hm_dma_free() of a
 * 4 KiB block, called in secondaries, against DPDK 22.11's own channel from
 * a secondary to its primary, rte_mp_request_sync(), to an action that
 * answers at once.
 *
 * Processes
 *   The section's child of main.c is the primary of a file prefix of its
 *   own, on lcore 0 ("-l 0"). It starts K clients, K = 1 and then K = 3,
 *   with posix_spawn() of this executable and the hidden first argument
 *   BENCH_SERVICE_CLIENT_OPT: an EAL is initialised once per process, and a
 *   fork of an initialised primary is not a secondary. Client i (from 0)
 *   initialises its EAL with "--proc-type=secondary --file-prefix <the
 *   primary's> --lcores <1+i>@0": an lcore id of its own (hugemem refuses
 *   one that another process holds), on CPU 0 like the primary's lcore.
 *   Each side's service runs off that CPU: hugemem keeps its service thread
 *   off the CPUs of the primary's lcores, and DPDK's multi-process thread
 *   is a control thread, which DPDK puts on the CPUs that no lcore of the
 *   process uses.
 *
 *   A client talks to the primary over a socketpair (fd SERVICE_CLIENT_FD
 *   in the client), one struct service_msg each way at a time:
 *     READY  client: its EAL is up and its warm-up done (or why not);
 *     GO     primary, to the K clients once all are READY: the start time
 *            and the deadline, the same for all, SERVICE_START_DELAY_NS
 *            ahead so that every client is asleep waiting for the start;
 *     DONE   client, after its timed loop and its EAL cleanup: its first
 *            and last clock reads and its latencies.
 *   A client that stops before the deadline (SERVICE_MAX_ITERS) sleeps
 *   until it before cleaning up, so that nothing but the timed loops runs
 *   in the window. A primary that fails closes the sockets; a client that
 *   reads the end of its socket cleans up its EAL and exits 1, and one that
 *   has not exited SERVICE_TIMEOUT_MS later is killed.
 *
 * What is timed
 *   One iteration is two calls, each timed on its own with CLOCK_MONOTONIC,
 *   read before the first call and after each (the read after a call is
 *   the one before the next, so a figure includes one vDSO clock read):
 *     hugemem  p = hm_dma_alloc(4096, 0, HM_SOCKET_ID_ANY, 0, NULL);
 *              hm_dma_free(p);
 *     DPDK     rte_mp_request_sync() of a message SERVICE_MP_NAME, twice
 *              (its parameter: the iteration, the call, the pid), each
 *              followed by the free() of the reply array, which the caller
 *              owns. The primary's action, registered with
 *              rte_mp_action_register(), copies the request into a reply
 *              and sends it with rte_mp_reply(): nothing else.
 *   Every process runs SERVICE_WARMUP_NS of untimed iterations before it is
 *   READY, then, from the common start, timed iterations until the deadline
 *   (SERVICE_WINDOW_NS later) or SERVICE_MAX_ITERS, keeping every latency
 *   in two arrays written through once before the warm-up (no page fault
 *   in the window). The reference row is the same loop in the hugemem
 *   primary, in its child before any client starts: the same calls with no
 *   other process involved. hm_dma_alloc() in a secondary is timed as it
 *   is, whatever path it takes in this build.
 *
 * Figures (per round; the table shows medians of the rounds)
 *   Median and p99 (nearest rank) of each call, over all the calls of the
 *   K processes taken together. Requests per second: the calls of all K
 *   processes that completed within the window common to them (from the
 *   latest first clock read to the earliest last one), over its length; a
 *   call's completion time is its process's first clock read plus the
 *   latencies up to it, as the loop reads the clock back to back. Two
 *   calls (requests) per iteration on both sides.
 *
 * Checks
 *   Every hm_dma_alloc() must return a block and every hm_dma_free() 0;
 *   every DPDK request must get exactly one reply, the request's parameter
 *   echoed; no call may take SERVICE_MAX_CALL_NS or more. A hugemem failure
 *   fails the run; a DPDK one (as a client whose rte_eal_init() fails)
 *   makes the DPDK rows skipped, with the reason.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hugemem/hugemem.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "bench.h"

#define SERVICE_DMA_SIZE       4096
#define SERVICE_MAX_CLIENTS    3	       /* the rows run 1 and 3 clients */
#define SERVICE_CLIENT_FD      3	       /* the client's end of its socketpair */
#define SERVICE_WARMUP_NS      20000000ULL     /* untimed, before READY */
#define SERVICE_WINDOW_NS      200000000ULL    /* from the common start to the deadline */
#define SERVICE_START_DELAY_NS 5000000ULL      /* from GO to the common start */
#define SERVICE_MAX_ITERS      (1u << 21)      /* per process: 16 MiB of latencies */
#define SERVICE_MAX_CALL_NS    4000000000ULL   /* a call this slow fails (and fits uint32_t) */
#define SERVICE_TIMEOUT_MS     60000	       /* a client silent this long is stuck */
#define SERVICE_CLIENT_ALARM_S 300	       /* a client still alive after this is killed */
#define SERVICE_MP_NAME	       "bench_service" /* the DPDK primary's action */
#define SERVICE_MP_TIMEOUT_S   5	       /* of each rte_mp_request_sync() */
#define SERVICE_LOG_LEVEL      "--log-level=warning"

static const char *const lib_names[] = {[BENCH_LIB_HM] = "hm", [BENCH_LIB_DPDK] = "dpdk"};

/* --------------------------------------------------------- the two calls */

/* The state of one process's loop. */
struct service_ctx {
	enum bench_lib lib;
	uint64_t iteration;
	void *block;	       /* hugemem: the block between the two calls */
	struct rte_mp_msg req; /* DPDK: the request, its parameter rewritten each call */
	char *err;	       /* the first failure */
	size_t len;
};

/* What a DPDK request carries and its reply must echo. */
struct service_mp_param {
	uint64_t iteration;
	uint32_t call; /* 0 or 1 */
	int32_t pid;
};

static int
hm_alloc_call(struct service_ctx *c)
{
	c->block = hm_dma_alloc(SERVICE_DMA_SIZE, 0, HM_SOCKET_ID_ANY, 0, NULL);
	if (c->block != NULL)
		return 0;
	snprintf(c->err, c->len,
		 "hm_dma_alloc(%u, 0, HM_SOCKET_ID_ANY, 0, NULL) returned NULL at iteration "
		 "%" PRIu64 ": %s",
		 SERVICE_DMA_SIZE, c->iteration, strerror(errno));
	return -1;
}

static int
hm_free_call(struct service_ctx *c)
{
	int ret = hm_dma_free(c->block);

	if (ret == 0)
		return 0;
	snprintf(c->err, c->len, "hm_dma_free(%p) = %d at iteration %" PRIu64 ": %s", c->block, ret,
		 c->iteration, strerror(ret < 0 ? -ret : EINVAL));
	return -1;
}

/* One request and its reply, checked; the reply array freed, as its caller must. */
static int
dpdk_request(struct service_ctx *c, uint32_t call)
{
	const struct service_mp_param p = {c->iteration, call, (int32_t)getpid()};
	const struct timespec ts = {SERVICE_MP_TIMEOUT_S, 0};
	struct rte_mp_reply reply;
	bool echoed;
	int nb;

	memcpy(c->req.param, &p, sizeof(p));
	memset(&reply, 0, sizeof(reply));
	if (rte_mp_request_sync(&c->req, &reply, &ts) < 0) {
		snprintf(c->err, c->len,
			 "rte_mp_request_sync(\"%s\") failed at iteration %" PRIu64 ": %s",
			 SERVICE_MP_NAME, c->iteration, rte_strerror(rte_errno));
		free(reply.msgs);
		return -1;
	}
	nb = reply.nb_received;
	echoed = nb == 1 && reply.msgs[0].len_param == (int)sizeof(p) &&
		 memcmp(reply.msgs[0].param, &p, sizeof(p)) == 0;
	free(reply.msgs);
	if (echoed)
		return 0;
	snprintf(c->err, c->len,
		 "rte_mp_request_sync(\"%s\") at iteration %" PRIu64
		 ": %d replies, or not the request's parameter echoed",
		 SERVICE_MP_NAME, c->iteration, nb);
	return -1;
}

static int
dpdk_first_call(struct service_ctx *c)
{
	return dpdk_request(c, 0);
}

static int
dpdk_second_call(struct service_ctx *c)
{
	return dpdk_request(c, 1);
}

typedef int(service_call_fn)(struct service_ctx *c);

static service_call_fn *const first_calls[] = {
    [BENCH_LIB_HM] = hm_alloc_call, [BENCH_LIB_DPDK] = dpdk_first_call};
static service_call_fn *const second_calls[] = {
    [BENCH_LIB_HM] = hm_free_call, [BENCH_LIB_DPDK] = dpdk_second_call};

/* The DPDK primary's action: the request back to its sender, at once. */
static int
service_mp_answer(const struct rte_mp_msg *msg, const void *peer)
{
	struct rte_mp_msg reply;

	memset(&reply, 0, sizeof(reply));
	memcpy(reply.name, msg->name, sizeof(reply.name));
	if (msg->len_param > 0 && msg->len_param <= RTE_MP_MAX_PARAM_LEN) {
		reply.len_param = msg->len_param;
		memcpy(reply.param, msg->param, (size_t)msg->len_param);
	}
	return rte_mp_reply(&reply, peer);
}

static void
ctx_init(struct service_ctx *c, enum bench_lib lib, char *err, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->lib = lib;
	c->err = err;
	c->len = len;
	snprintf(c->req.name, sizeof(c->req.name), "%s", SERVICE_MP_NAME);
	c->req.len_param = (int)sizeof(struct service_mp_param);
}

/* ------------------------------------------------------------- the loop */

/* One process's timed loop. */
struct service_samples {
	uint64_t first_ns, last_ns; /* the clock reads that open and close the loop */
	uint32_t n;		    /* iterations */
	uint32_t cap;		    /* of lat[]; UINT32_MAX and no arrays: the warm-up */
	uint32_t *lat[2];	    /* ns of each iteration's first and second call */
};

static int
samples_alloc(struct service_samples *s, uint32_t cap, char *err, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap;
	for (unsigned int i = 0; i < 2; i++) {
		s->lat[i] = malloc((size_t)cap * sizeof(uint32_t));
		if (s->lat[i] == NULL) {
			snprintf(err, len, "no memory for %u latencies", cap);
			return -1;
		}
		/* Fault every page in now, not inside the window. */
		memset(s->lat[i], 0, (size_t)cap * sizeof(uint32_t));
	}
	return 0;
}

static void
samples_free(struct service_samples *s)
{
	free(s->lat[0]);
	free(s->lat[1]);
	s->lat[0] = s->lat[1] = NULL;
}

/*
 * Iterations until the clock reaches deadline or s->cap of them ran; with
 * s->lat[] NULL (the warm-up) nothing is kept. @return 0, or -1 with the
 * failure in c->err.
 */
static int
service_loop(struct service_ctx *c, struct service_samples *s, uint64_t deadline)
{
	service_call_fn *first = first_calls[c->lib], *second = second_calls[c->lib];
	uint64_t t = bench_now_ns();

	s->first_ns = t;
	s->n = 0;
	while (t < deadline && s->n < s->cap) {
		uint64_t t1, t2;

		if (first(c) < 0)
			break;
		t1 = bench_now_ns();
		if (second(c) < 0)
			break;
		t2 = bench_now_ns();
		if (t2 - t >= SERVICE_MAX_CALL_NS) {
			snprintf(c->err, c->len,
				 "iteration %" PRIu64 " took %.1f s: a call that slow is a "
				 "failure",
				 c->iteration, (double)(t2 - t) / 1e9);
			break;
		}
		if (s->lat[0] != NULL) {
			s->lat[0][s->n] = (uint32_t)(t1 - t);
			s->lat[1][s->n] = (uint32_t)(t2 - t1);
		}
		c->iteration++;
		s->n++;
		t = t2;
	}
	s->last_ns = t;
	return t < deadline && s->n < s->cap ? -1 : 0;
}

static int
service_warmup(struct service_ctx *c)
{
	struct service_samples w = {.cap = UINT32_MAX};

	return service_loop(c, &w, bench_now_ns() + SERVICE_WARMUP_NS);
}

static void
sleep_until(uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* -------------------------------------------------------------- figures */

/* The k-th smallest (from 0) of v[0..n), n > k; reorders v (Hoare's select). */
static uint32_t
select_nth(uint32_t *v, int64_t n, int64_t k)
{
	int64_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
		uint32_t pivot =
		    a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		int64_t i = lo, j = hi;

		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				uint32_t x = v[i];

				v[i++] = v[j];
				v[j--] = x;
			}
		}
		/* Now v[lo..j] <= pivot, v[i..hi] >= pivot, and v[j+1..i-1] == pivot. */
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

/* The nearest-rank percentile per_mille / 10 of v[0..n), n > 0: the smallest value with
 * at least that share of v at or below it. */
static uint32_t
percentile(uint32_t *v, uint64_t n, unsigned int per_mille)
{
	uint64_t rank = (n * per_mille + 999) / 1000;

	return select_nth(v, (int64_t)n, (int64_t)(rank > 0 ? rank - 1 : 0));
}

/* A row's figures from the loops of its k processes. @return 0, or -1 and why in err. */
static int
service_row_of(struct service_samples *s, unsigned int k, struct bench_service_row *row, char *err,
	       size_t len)
{
	uint64_t start = 0, end = UINT64_MAX, total = 0, done = 0;
	uint32_t *pool;

	for (unsigned int i = 0; i < k; i++) {
		start = s[i].first_ns > start ? s[i].first_ns : start;
		end = s[i].last_ns < end ? s[i].last_ns : end;
		total += s[i].n;
	}
	if (total == 0 || end <= start) {
		snprintf(err, len, "%u process(es) ran %" PRIu64 " iterations and no common window",
			 k, total);
		return -1;
	}
	/* Completions in the common window, from the latencies (the clock read back to back). */
	for (unsigned int i = 0; i < k; i++) {
		uint64_t t = s[i].first_ns;

		for (uint32_t j = 0; j < s[i].n; j++)
			for (unsigned int call = 0; call < 2; call++) {
				t += s[i].lat[call][j];
				done += t > start && t <= end;
			}
	}
	pool = malloc(total * sizeof(*pool));
	if (pool == NULL) {
		snprintf(err, len, "no memory for %" PRIu64 " latencies", total);
		return -1;
	}
	row->clients = k;
	row->iterations = total;
	row->window_ns = end - start;
	row->requests = done;
	for (unsigned int call = 0; call < 2; call++) {
		uint64_t at = 0;

		for (unsigned int i = 0; i < k; i++) {
			memcpy(pool + at, s[i].lat[call], (size_t)s[i].n * sizeof(*pool));
			at += s[i].n;
		}
		row->median_ns[call] = percentile(pool, total, 500);
		row->p99_ns[call] = percentile(pool, total, 990);
	}
	free(pool);
	return 0;
}

/* ------------------------------------------------------ the socketpair */

/* What travels on a client's socketpair, either way. */
struct service_msg {
	int32_t status;	 /* 0, or -1 and error says why */
	uint32_t n;	 /* DONE: iterations; n first, then n second latencies follow */
	uint64_t t0, t1; /* GO: start and deadline; DONE: first and last clock read */
	char error[200];
};

/*
 * Send (out) or receive all of len bytes before deadline_ns. @return 0, or
 * -1 with errno: ETIMEDOUT, EPIPE (the other end closed), or the call's.
 */
static int
xfer_all(int fd, void *buf, size_t len, bool out, uint64_t deadline_ns)
{
	char *p = buf;

	while (len > 0) {
		struct pollfd pfd = {.fd = fd, .events = out ? POLLOUT : POLLIN};
		uint64_t now = bench_now_ns();
		ssize_t n;
		int ret;

		if (now >= deadline_ns) {
			errno = ETIMEDOUT;
			return -1;
		}
		ret = poll(&pfd, 1, (int)((deadline_ns - now) / 1000000 + 1));
		if (ret < 0 && errno != EINTR)
			return -1;
		if (ret <= 0)
			continue;
		n = out ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint64_t
timeout_from_now(void)
{
	return bench_now_ns() + SERVICE_TIMEOUT_MS * 1000000ULL;
}

/* ---------------------------------------------------------- the client */

/*
 * A client: argv is this executable, BENCH_SERVICE_CLIENT_OPT, "hm" or
 * "dpdk", the primary's file prefix and the client's index.
 */
int
bench_service_client_main(int argc, char **argv)
{
	const int fd = SERVICE_CLIENT_FD;
	struct service_samples s = {0};
	struct service_msg m;
	struct service_ctx c;
	enum bench_lib lib;
	char lcores[32], *eal_argv[12];
	int eal_argc = 0, ret;
	unsigned int index;
	char *end;

	if (argc != 5 || (strcmp(argv[2], "hm") != 0 && strcmp(argv[2], "dpdk") != 0)) {
		fprintf(stderr,
			"%s: hm|dpdk PREFIX INDEX: the service section's client, started "
			"by the bench itself\n",
			BENCH_SERVICE_CLIENT_OPT);
		return 2;
	}
	lib = strcmp(argv[2], "hm") == 0 ? BENCH_LIB_HM : BENCH_LIB_DPDK;
	index = (unsigned int)strtoul(argv[4], &end, 10);
	if (*end != '\0' || index >= SERVICE_MAX_CLIENTS) {
		fprintf(stderr, "%s: index %s: expected 0 to %d\n", BENCH_SERVICE_CLIENT_OPT,
			argv[4], SERVICE_MAX_CLIENTS - 1);
		return 2;
	}
	alarm(SERVICE_CLIENT_ALARM_S);

	memset(&m, 0, sizeof(m));
	ctx_init(&c, lib, m.error, sizeof(m.error));
	snprintf(lcores, sizeof(lcores), "%u@0", 1 + index);
	eal_argv[eal_argc++] = (char *)"hugemem-bench";
	eal_argv[eal_argc++] = (char *)"--lcores";
	eal_argv[eal_argc++] = lcores;
	eal_argv[eal_argc++] = (char *)"--proc-type=secondary";
	eal_argv[eal_argc++] = (char *)"--file-prefix";
	eal_argv[eal_argc++] = argv[3];
	eal_argv[eal_argc++] = (char *)"--no-telemetry";
	eal_argv[eal_argc++] = (char *)SERVICE_LOG_LEVEL;
	if (lib == BENCH_LIB_DPDK)
		eal_argv[eal_argc++] = (char *)"--no-pci";
	eal_argv[eal_argc] = NULL;

	ret = lib == BENCH_LIB_HM ? hm_eal_init(eal_argc, eal_argv)
				  : rte_eal_init(eal_argc, eal_argv);
	if (ret < 0) {
		m.status = -1;
		snprintf(m.error, sizeof(m.error),
			 "%s as a secondary of prefix %s on lcore %s failed: %s (see its log "
			 "above)",
			 lib == BENCH_LIB_HM ? "hm_eal_init()" : "rte_eal_init()", argv[3], lcores,
			 lib == BENCH_LIB_HM ? strerror(-ret) : rte_strerror(rte_errno));
		xfer_all(fd, &m, sizeof(m), true, timeout_from_now());
		return 1;
	}

	/* READY, or why not. */
	if (samples_alloc(&s, SERVICE_MAX_ITERS, m.error, sizeof(m.error)) < 0 ||
	    service_warmup(&c) < 0)
		m.status = -1;
	if (xfer_all(fd, &m, sizeof(m), true, timeout_from_now()) < 0 || m.status < 0)
		goto cleanup;
	/* GO, or the end of the socket: the primary gave up (and reports why itself). */
	if (xfer_all(fd, &m, sizeof(m), false, timeout_from_now()) < 0) {
		m.status = -1;
		m.t1 = 0; /* no DONE: nobody reads it */
		goto cleanup;
	}
	sleep_until(m.t0);
	if (service_loop(&c, &s, m.t1) < 0)
		m.status = -1;
	sleep_until(m.t1);

cleanup:
	ret = lib == BENCH_LIB_HM ? hm_eal_cleanup() : (rte_eal_cleanup() < 0 ? -rte_errno : 0);
	if (ret < 0 && m.status == 0) {
		m.status = -1;
		snprintf(m.error, sizeof(m.error), "%s in the client on lcore %s failed: %s",
			 lib == BENCH_LIB_HM ? "hm_eal_cleanup()" : "rte_eal_cleanup()", lcores,
			 strerror(-ret));
	}
	if (m.t1 != 0) {
		/* DONE: after GO only. */
		m.n = m.status == 0 ? s.n : 0;
		m.t0 = s.first_ns;
		m.t1 = s.last_ns;
		if (xfer_all(fd, &m, sizeof(m), true, timeout_from_now()) == 0 && m.n > 0 &&
		    xfer_all(fd, s.lat[0], (size_t)m.n * sizeof(uint32_t), true,
			     timeout_from_now()) == 0)
			xfer_all(fd, s.lat[1], (size_t)m.n * sizeof(uint32_t), true,
				 timeout_from_now());
	}
	samples_free(&s);
	return m.status == 0 ? 0 : 1;
}

/* ---------------------------------------------------------- the primary */

struct service_client {
	pid_t pid; /* -1: not started */
	int fd;	   /* the primary's end of the socketpair, or -1 */
};

/* Start client index of lib for prefix. @return 0, or -1 and why in err. */
static int
spawn_client(enum bench_lib lib, const char *prefix, unsigned int index, struct service_client *cl,
	     char *err, size_t len)
{
	char self[PATH_MAX], idx[16];
	char *argv[] = {
	    self, (char *)BENCH_SERVICE_CLIENT_OPT, (char *)lib_names[lib], (char *)prefix, idx,
	    NULL};
	posix_spawn_file_actions_t fa;
	ssize_t n;
	int sv[2], ret;

	/* The real path, not /proc/self/exe, so that ps shows the bench's name. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		snprintf(err, len, "cannot find its own executable: %s", strerror(errno));
		return -1;
	}
	self[n] = '\0';
	snprintf(idx, sizeof(idx), "%u", index);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, len, "socketpair: %s", strerror(errno));
		return -1;
	}
	if (sv[1] == SERVICE_CLIENT_FD) {
		/* dup2() onto itself would keep FD_CLOEXEC: move it out of the way. */
		int fd = fcntl(sv[1], F_DUPFD_CLOEXEC, SERVICE_CLIENT_FD + 1);

		close(sv[1]);
		sv[1] = fd;
		if (fd < 0) {
			snprintf(err, len, "fcntl(F_DUPFD_CLOEXEC): %s", strerror(errno));
			close(sv[0]);
			return -1;
		}
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], SERVICE_CLIENT_FD);
	/* Nothing else of the primary's: no hugepage file, no EAL socket. */
	posix_spawn_file_actions_addclosefrom_np(&fa, SERVICE_CLIENT_FD + 1);
	ret = posix_spawn(&cl->pid, self, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (ret != 0) {
		close(sv[0]);
		cl->pid = -1;
		snprintf(err, len, "posix_spawn(%s %s): %s", self, BENCH_SERVICE_CLIENT_OPT,
			 strerror(ret));
		return -1;
	}
	cl->fd = sv[0];
	return 0;
}

/*
 * Wait for a client to exit, SERVICE_TIMEOUT_MS at most, then kill it.
 * @return 0 if it exited with status 0, else -1; how it ended goes into how.
 */
static int
reap_client(struct service_client *cl, char *how, size_t len)
{
	const struct timespec tick = {0, 5000000};
	int st = 0;
	pid_t w = 0;

	for (unsigned int waited = 0; waited < SERVICE_TIMEOUT_MS; waited += 5) {
		w = waitpid(cl->pid, &st, WNOHANG);
		if (w > 0 || (w < 0 && errno != EINTR))
			break;
		nanosleep(&tick, NULL);
	}
	if (w == 0) {
		kill(cl->pid, SIGKILL);
		while (waitpid(cl->pid, &st, 0) < 0 && errno == EINTR)
			;
		snprintf(how, len, "did not exit within %u ms: killed", SERVICE_TIMEOUT_MS);
	} else if (w < 0) {
		snprintf(how, len, "cannot be waited for: %s", strerror(errno));
	} else if (WIFSIGNALED(st)) {
		snprintf(how, len, "was killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	} else {
		snprintf(how, len, "exited with status %d", WEXITSTATUS(st));
	}
	cl->pid = -1;
	return w > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Receive a message from client i; a failure it reports, or its silence, goes into err. */
static int
client_recv(struct service_client *cl, unsigned int i, enum bench_lib lib, struct service_msg *m,
	    const char *what, char *err, size_t len)
{
	pid_t pid = cl->pid;
	char how[96];

	if (xfer_all(cl->fd, m, sizeof(*m), false, timeout_from_now()) < 0) {
		if (errno == EPIPE) {
			reap_client(cl, how, sizeof(how));
			snprintf(err, len, "%s client %u (pid %d): no %s message: it %s",
				 lib_names[lib], i, (int)pid, what, how);
		} else {
			snprintf(err, len, "%s client %u (pid %d): no %s message: %s",
				 lib_names[lib], i, (int)pid, what, strerror(errno));
		}
		return -1;
	}
	m->error[sizeof(m->error) - 1] = '\0';
	if (m->status != 0) {
		snprintf(err, len, "%s client %u (pid %d): %s", lib_names[lib], i, (int)pid,
			 m->error);
		return -1;
	}
	return 0;
}

/* The row of k clients: start them, start their loops together, collect, reap. */
static int
run_clients(enum bench_lib lib, const char *prefix, unsigned int k, struct bench_service_row *row,
	    char *err, size_t len)
{
	struct service_client cl[SERVICE_MAX_CLIENTS];
	struct service_samples s[SERVICE_MAX_CLIENTS];
	struct service_msg m;
	uint64_t start, deadline;
	unsigned int i;
	int ret = -1;

	memset(s, 0, sizeof(s));
	for (i = 0; i < k; i++) {
		cl[i].pid = -1;
		cl[i].fd = -1;
	}
	for (i = 0; i < k; i++)
		if (spawn_client(lib, prefix, i, &cl[i], err, len) < 0)
			goto out;
	for (i = 0; i < k; i++)
		if (client_recv(&cl[i], i, lib, &m, "READY", err, len) < 0)
			goto out;
	start = bench_now_ns() + SERVICE_START_DELAY_NS;
	deadline = start + SERVICE_WINDOW_NS;
	for (i = 0; i < k; i++) {
		memset(&m, 0, sizeof(m));
		m.t0 = start;
		m.t1 = deadline;
		if (xfer_all(cl[i].fd, &m, sizeof(m), true, timeout_from_now()) < 0) {
			snprintf(err, len, "%s client %u (pid %d): cannot send GO: %s",
				 lib_names[lib], i, (int)cl[i].pid, strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < k; i++) {
		if (client_recv(&cl[i], i, lib, &m, "DONE", err, len) < 0)
			goto out;
		if (m.n == 0 || m.n > SERVICE_MAX_ITERS) {
			snprintf(err, len, "%s client %u (pid %d): %u iterations", lib_names[lib],
				 i, (int)cl[i].pid, m.n);
			goto out;
		}
		if (samples_alloc(&s[i], m.n, err, len) < 0)
			goto out;
		s[i].n = m.n;
		s[i].first_ns = m.t0;
		s[i].last_ns = m.t1;
		if (xfer_all(cl[i].fd, s[i].lat[0], (size_t)m.n * sizeof(uint32_t), false,
			     timeout_from_now()) < 0 ||
		    xfer_all(cl[i].fd, s[i].lat[1], (size_t)m.n * sizeof(uint32_t), false,
			     timeout_from_now()) < 0) {
			snprintf(err, len,
				 "%s client %u (pid %d): its latencies did not arrive: %s",
				 lib_names[lib], i, (int)cl[i].pid, strerror(errno));
			goto out;
		}
	}
	ret = 0;
out:
	/* Closed first: a client waiting for GO reads the end of it, cleans up and exits. */
	for (i = 0; i < k; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	for (i = 0; i < k; i++) {
		pid_t pid = cl[i].pid;
		char how[96];

		if (pid > 0 && reap_client(&cl[i], how, sizeof(how)) < 0 && ret == 0) {
			snprintf(err, len, "%s client %u (pid %d) %s", lib_names[lib], i, (int)pid,
				 how);
			ret = -1;
		}
	}
	if (ret == 0)
		ret = service_row_of(s, k, row, err, len);
	for (i = 0; i < k; i++)
		samples_free(&s[i]);
	return ret;
}

/* The reference row: the same loop in the primary itself. */
static int
run_in_process(enum bench_lib lib, struct bench_service_row *row, char *err, size_t len)
{
	struct service_samples s;
	struct service_ctx c;
	uint64_t start;
	int ret = -1;

	ctx_init(&c, lib, err, len);
	if (samples_alloc(&s, SERVICE_MAX_ITERS, err, len) < 0 || service_warmup(&c) < 0)
		goto out;
	start = bench_now_ns() + SERVICE_START_DELAY_NS;
	sleep_until(start);
	if (service_loop(&c, &s, start + SERVICE_WINDOW_NS) < 0)
		goto out;
	ret = service_row_of(&s, 1, row, err, len);
out:
	samples_free(&s);
	return ret;
}

int
bench_service_measure(enum bench_lib lib, const char *prefix, struct bench_service_result *out,
		      char *err, size_t len)
{
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (lib == BENCH_LIB_DPDK &&
	    rte_mp_action_register(SERVICE_MP_NAME, service_mp_answer) < 0) {
		snprintf(err, len, "rte_mp_action_register(\"%s\"): %s", SERVICE_MP_NAME,
			 rte_strerror(rte_errno));
		return 1;
	}
	if (lib == BENCH_LIB_HM)
		ret = run_in_process(lib, &out->row[BENCH_SERVICE_IN_PROCESS], err, len);
	if (ret == 0)
		ret = run_clients(lib, prefix, 1, &out->row[BENCH_SERVICE_ONE_CLIENT], err, len);
	if (ret == 0)
		ret = run_clients(lib, prefix, SERVICE_MAX_CLIENTS,
				  &out->row[BENCH_SERVICE_CLIENTS], err, len);
	if (lib == BENCH_LIB_DPDK)
		rte_mp_action_unregister(SERVICE_MP_NAME);
	if (ret < 0)
		return lib == BENCH_LIB_DPDK ? 1 : -1;
	out->ran = 1;
	return 0;
}

/* ---------------------------------------------------------------- table */

/* One row of one side over the rounds: medians (the spread: max/min of req/s). */
struct service_stat {
	unsigned int n; /* rounds with a result */
	double median_ns[2], p99_ns[2];
	double req_per_s, spread, requests;
};

static struct service_stat
service_stat_of(const struct bench_service_result *const *res, unsigned int rounds,
		unsigned int row)
{
	struct service_stat st;
	double v[6][rounds > 0 ? rounds : 1];
	unsigned int n = 0;

	memset(&st, 0, sizeof(st));
	for (unsigned int i = 0; i < rounds; i++) {
		const struct bench_service_row *r;

		if (res[i] == NULL || !res[i]->ran || res[i]->row[row].clients == 0)
			continue;
		r = &res[i]->row[row];
		v[0][n] = r->median_ns[0];
		v[1][n] = r->p99_ns[0];
		v[2][n] = r->median_ns[1];
		v[3][n] = r->p99_ns[1];
		v[4][n] = (double)r->requests * 1e9 / (double)r->window_ns;
		v[5][n] = (double)r->requests;
		n++;
	}
	st.n = n;
	if (n == 0)
		return st;
	for (unsigned int f = 0; f < 6; f++)
		bench_sort(v[f], n);
	st.median_ns[0] = bench_median(v[0], n);
	st.p99_ns[0] = bench_median(v[1], n);
	st.median_ns[1] = bench_median(v[2], n);
	st.p99_ns[1] = bench_median(v[3], n);
	st.req_per_s = bench_median(v[4], n);
	st.spread = v[4][n - 1] / v[4][0];
	st.requests = bench_median(v[5], n);
	return st;
}

static const char *
req_rate_str(double per_s, char *buf, size_t len)
{
	if (per_s >= 1e6)
		snprintf(buf, len, "%.2f M/s", per_s / 1e6);
	else
		snprintf(buf, len, "%.1f k/s", per_s / 1e3);
	return buf;
}

/* The figures of a row, without its ratios; @return whether it has any. */
static bool
print_service_figures(const char *label, unsigned int clients, const struct service_stat *st,
		      const char *none)
{
	char rate[32];

	printf("  %-28s %2u", label, clients);
	if (st->n == 0) {
		printf("  %s\n", none);
		return false;
	}
	printf(" %8.0f %8.0f %8.0f %8.0f %11s %6.2fx", st->median_ns[0], st->p99_ns[0],
	       st->median_ns[1], st->p99_ns[1], req_rate_str(st->req_per_s, rate, sizeof(rate)),
	       st->spread);
	return true;
}

void
bench_service_print(const struct bench_service_result *const *hm,
		    const struct bench_service_result *const *dpdk, unsigned int rounds,
		    const char *dpdk_skipped)
{
	static const unsigned int client_rows[] = {BENCH_SERVICE_ONE_CLIENT, BENCH_SERVICE_CLIENTS};
	static const unsigned int nb_clients[] = {[BENCH_SERVICE_IN_PROCESS] = 1,
						  [BENCH_SERVICE_ONE_CLIENT] = 1,
						  [BENCH_SERVICE_CLIENTS] = SERVICE_MAX_CLIENTS};
	bool skipped = dpdk_skipped != NULL && dpdk_skipped[0] != '\0';
	struct service_stat ref = service_stat_of(hm, rounds, BENCH_SERVICE_IN_PROCESS);

	printf("\nService: a secondary's request to its primary, round trip in ns per call "
	       "(medians of the\n  rounds; p99 over the calls of all K processes of a round; "
	       "req/s: both calls, all K,\n  in their common window)\n");
	printf("  %-28s %2s %17s %17s %11s %7s   %13s  %13s %7s\n", "", "", "alloc | 1st req",
	       "free | 2nd req", "", "", "/ in-process", "DPDK/hugemem", "hm/DPDK");
	printf("  %-28s %2s %8s %8s %8s %8s %11s %7s   %6s %6s  %6s %6s %7s\n", "", "K", "median",
	       "p99", "median", "p99", "req/s", "max/min", "alloc", "free", "alloc", "free",
	       "req/s");

	printf("  hm_dma_alloc(4096) + hm_dma_free()\n");
	if (print_service_figures("  in the primary itself", 1, &ref, "no result"))
		printf("\n");
	for (unsigned int i = 0; i < 2; i++) {
		unsigned int r = client_rows[i];
		struct service_stat st = service_stat_of(hm, rounds, r);
		struct service_stat peer = service_stat_of(dpdk, rounds, r);

		if (!print_service_figures(i == 0 ? "  from secondaries" : "", nb_clients[r], &st,
					   "no result"))
			continue;
		if (ref.n > 0)
			printf("   %5.2fx %5.2fx", st.median_ns[0] / ref.median_ns[0],
			       st.median_ns[1] / ref.median_ns[1]);
		else
			printf("   %6s %6s", "-", "-");
		if (peer.n > 0)
			printf("  %5.1fx %5.1fx %6.1fx", peer.median_ns[0] / st.median_ns[0],
			       peer.median_ns[1] / st.median_ns[1], st.req_per_s / peer.req_per_s);
		else
			printf("  %6s %6s %7s", "-", "-", "-");
		printf("\n");
	}
	printf("  rte_mp_request_sync(), twice, to an action that answers at once\n");
	for (unsigned int i = 0; i < 2; i++) {
		unsigned int r = client_rows[i];
		struct service_stat st = service_stat_of(dpdk, rounds, r);

		if (print_service_figures(i == 0 ? "  from secondaries" : "", nb_clients[r], &st,
					  skipped ? "skipped (below)" : "no result"))
			printf("\n");
	}
	if (skipped)
		printf("  SKIPPED rte_mp_request_sync(): %s\n", dpdk_skipped);
	printf("  (requests timed a round, median: hugemem in the primary %.0f; from "
	       "secondaries %.0f, %.0f;\n   DPDK %.0f, %.0f)\n",
	       ref.requests, service_stat_of(hm, rounds, BENCH_SERVICE_ONE_CLIENT).requests,
	       service_stat_of(hm, rounds, BENCH_SERVICE_CLIENTS).requests,
	       service_stat_of(dpdk, rounds, BENCH_SERVICE_ONE_CLIENT).requests,
	       service_stat_of(dpdk, rounds, BENCH_SERVICE_CLIENTS).requests);
	printf("  (how: the child is the primary (-l 0) and starts K clients, K = 1 then %u, each "
	       "a fresh\n"
	       "   process of this executable, a secondary on lcore 1..K of CPU 0 (--lcores "
	       "i@0); each\n"
	       "   warms up for %.0f ms, then all start together and loop for %.0f ms (at most %u "
	       "iterations):\n"
	       "   p = hm_dma_alloc(4096, 0, HM_SOCKET_ID_ANY, 0, NULL); hm_dma_free(p), or two\n"
	       "   rte_mp_request_sync() (5 s timeout) and the free() of each reply array; "
	       "CLOCK_MONOTONIC\n"
	       "   read between the calls, so each figure includes one clock read. In the primary "
	       "itself:\n"
	       "   the same loop, no other process. \"/ in-process\": a secondary's median over "
	       "that one)\n",
	       SERVICE_MAX_CLIENTS, SERVICE_WARMUP_NS / 1e6, SERVICE_WINDOW_NS / 1e6,
	       SERVICE_MAX_ITERS);
	printf("  (hm_dma_alloc() in a secondary is timed as it is, whatever path it takes: a "
	       "ratio near 1x\n"
	       "   to the primary's own call means it did not wait on another process. DPDK's "
	       "rows are the\n"
	       "   cost of its channel alone, with no allocation behind it; the K clients share "
	       "CPU 0, so\n"
	       "   with K = %u their figures include waiting for the CPU, on both sides)\n",
	       SERVICE_MAX_CLIENTS);
}
