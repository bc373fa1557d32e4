/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A secondary's side of its channel: hm_dma_alloc(), hm_memzone_reserve()
 * and the other calls that change buddy state become requests to the
 * primary's service loop (installed with hm_buddy_set_remote()).
 *
 * One request is in flight per process: a mutex orders the process's
 * threads, and each request carries a sequence number that its response
 * echoes. The wait spins, then yields, then naps, and every millisecond
 * of it checks the primary: when the primary has exited (its pidfd turns
 * readable) or stopped its service, the call fails with ENOTCONN, and so
 * does every later one, at once.
 *
 * A request unanswered after the timeout fails with ETIMEDOUT, but it may
 * still run: it is kept (the last ABANDONED_MAX of them), and when its late
 * answer turns up during a later call, what it allocated is given back (a
 * block is freed, a memzone freed) before that call returns, so a caller
 * told ETIMEDOUT holds nothing. A late answer to a free given up on is only
 * logged: the block is gone, as the caller feared.
 *
 * A child of fork() shares its parent's slot and channel; it must not
 * speak on them. Its calls fail with ENOTSUP.
 */

#include <errno.h>
#include <linux/futex.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "buddy_pvt.h"
#include "hm_common.h"
#include "memory_pvt.h"
#include "service_msg.h"
#include "service_pvt.h"

#define CLIENT_TIMEOUT_NS (5ull * 1000000000ull)
#define CHECK_EVERY_NS	  1000000ull /* look at the primary this often while waiting */
#define SPINS		  256	     /* then yield */
#define YIELDS		  64	     /* then nap */
#define ABANDONED_MAX	  8	     /* requests given up on, remembered for their late answers */

static struct {
	pthread_mutex_t lock;
	struct service_shared *sh;
	struct svc_chan *chan;
	int slot;
	uint32_t seq;
	int32_t primary;
	int pidfd;	     /* the primary's, -1 if pidfd_open failed: then kill(pid, 0) */
	bool gone;	     /* the primary exited: every call fails */
	_Atomic bool forked; /* this is a child of fork() of the attached process */
	int32_t pid;	     /* the attached process */
	unsigned int nb_abandoned;
	struct hm_svc_msg abandoned[ABANDONED_MAX]; /* oldest first */
	unsigned int nb_undo;
	struct hm_svc_msg undo[ABANDONED_MAX]; /* late successful answers to undo */
} cl = {.lock = PTHREAD_MUTEX_INITIALIZER, .pidfd = -1};

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void
child_after_fork(void)
{
	atomic_store(&cl.forked, true);
}

static void
atfork_register(void)
{
	pthread_atfork(NULL, NULL, child_after_fork);
}

void
hm_futex_wait(_Atomic uint32_t *addr, uint32_t val, uint64_t timeout_ns)
{
	struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000ull),
			      .tv_nsec = (long)(timeout_ns % 1000000000ull)};

	/* Shared, not private: the word is in memory other processes map. */
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT, val, &ts, NULL, 0);
}

void
hm_futex_wake(_Atomic uint32_t *addr)
{
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static bool
primary_gone(void)
{
	if (cl.gone)
		return true;
	if (atomic_load(&cl.sh->running_pid) != cl.primary)
		cl.gone = true; /* it stopped its service, or a new primary runs */
	else if (cl.pidfd >= 0) {
		struct pollfd p = {.fd = cl.pidfd, .events = POLLIN};

		cl.gone = poll(&p, 1, 0) > 0;
	} else {
		cl.gone = !hm_pid_alive(cl.primary);
	}
	if (cl.gone)
		HM_LOG(ERR, SERVICE,
		       "the primary (pid %d) has exited or stopped its service: calls that need it "
		       "fail with ENOTCONN from now on",
		       cl.primary);
	return cl.gone;
}

/* One step of a wait. @return 0 to go on, or -ETIMEDOUT/-ENOTCONN. */
static int
wait_step(unsigned int *spins, uint64_t *next_check, uint64_t deadline)
{
	uint64_t now;

	(*spins)++;
	if (*spins < SPINS) {
		hm_ring_pause();
		return 0;
	}
	if (*spins < SPINS + YIELDS)
		sched_yield();
	else
		nanosleep(&(struct timespec){.tv_nsec = 20000}, NULL);
	now = hm_time_ns();
	if (now < *next_check)
		return 0;
	*next_check = now + CHECK_EVERY_NS;
	if (primary_gone())
		return -ENOTCONN;
	if (now > deadline) {
		HM_LOG(ERR, SERVICE, "slot %d: no answer from the service in %llu ms", cl.slot,
		       CLIENT_TIMEOUT_NS / 1000000ull);
		return -ETIMEDOUT;
	}
	return 0;
}

/* Remember a request given up on, whose answer may still come. */
static void
abandon(const struct hm_svc_msg *m)
{
	if (cl.nb_abandoned == ABANDONED_MAX) {
		HM_LOG(ERR, SERVICE,
		       "slot %d: request %u (%s) is forgotten: %u later ones were given up on too",
		       cl.slot, cl.abandoned[0].seq, hm_svc_op_name(cl.abandoned[0].op),
		       ABANDONED_MAX);
		memmove(&cl.abandoned[0], &cl.abandoned[1],
			(ABANDONED_MAX - 1) * sizeof(cl.abandoned[0]));
		cl.nb_abandoned--;
	}
	cl.abandoned[cl.nb_abandoned++] = *m;
}

/* A response that is not the one waited for: a late answer, or nothing of ours. */
static void
late_answer(const struct hm_svc_msg *r)
{
	struct hm_svc_msg req;
	unsigned int i;

	for (i = 0; i < cl.nb_abandoned && cl.abandoned[i].seq != r->seq; i++)
		;
	if (i == cl.nb_abandoned)
		return; /* a stale answer of a forgotten request, or not ours */
	req = cl.abandoned[i];
	memmove(&cl.abandoned[i], &cl.abandoned[i + 1],
		(cl.nb_abandoned - i - 1) * sizeof(cl.abandoned[0]));
	cl.nb_abandoned--;
	if (r->status != 0)
		return;
	switch (req.op) {
	case HM_SVC_ALLOC:
	case HM_SVC_ALLOC_EXACT:
	case HM_SVC_MZ_RESERVE:
		if (r->addr == 0)
			break;
		if (cl.nb_undo == ABANDONED_MAX) {
			HM_LOG(ERR, SERVICE,
			       "slot %d: the late answer to request %u (%s) gave %#" PRIx64
			       ", kept until this process detaches: %u others wait to go back",
			       cl.slot, req.seq, hm_svc_op_name(req.op), r->addr, ABANDONED_MAX);
			break;
		}
		cl.undo[cl.nb_undo] = req;
		cl.undo[cl.nb_undo++].addr = r->addr;
		break;
	case HM_SVC_FREE:
	case HM_SVC_MZ_FREE:
		HM_LOG(NOTICE, SERVICE, "slot %d: the %s of %#" PRIx64 " given up on ran after all",
		       cl.slot, hm_svc_op_name(req.op), req.addr);
		break;
	default:
		break;
	}
}

static int call_locked(struct hm_svc_msg *m);

/*
 * Give back what requests given up on allocated after all.
 * @return whether one of them was a memzone named `name` (NULL: none).
 */
static bool
undo_late_allocations(const char *name)
{
	bool named = false;

	while (cl.nb_undo > 0 && !cl.gone) {
		struct hm_svc_msg was = cl.undo[--cl.nb_undo];
		struct hm_svc_msg m = {.addr = was.addr};
		int ret;

		if (was.op == HM_SVC_MZ_RESERVE) {
			m.op = HM_SVC_MZ_FREE;
			named |= name != NULL && strcmp(was.name, name) == 0;
		} else {
			m.op = HM_SVC_FREE;
			m.size = was.op == HM_SVC_ALLOC_EXACT ? was.size : 0;
		}
		ret = call_locked(&m);
		if (ret == 0)
			ret = m.status;
		hm_log(ret == 0 ? HM_LOG_NOTICE : HM_LOG_ERR, SERVICE,
		       "slot %d: the late answer to request %u (%s) gave %#" PRIx64
		       "; given back: %s",
		       cl.slot, was.seq, hm_svc_op_name(was.op), was.addr,
		       ret == 0 ? "done" : strerror(-ret));
	}
	return named;
}

/* Send m and wait for its answer, which replaces it; under cl.lock. */
static int
call_locked(struct hm_svc_msg *m)
{
	unsigned int spins = 0;
	uint64_t next_check, deadline;
	int ret;

	if (cl.gone)
		return -ENOTCONN;
	m->magic = HM_SVC_MAGIC;
	m->seq = ++cl.seq;
	m->status = 0;
	m->sent_ns = hm_time_ns();
	next_check = m->sent_ns + CHECK_EVERY_NS;
	deadline = m->sent_ns + CLIENT_TIMEOUT_NS;
	while (hm_ring_enqueue_elem(cl.chan->req, m, sizeof(*m)) != 0)
		if ((ret = wait_step(&spins, &next_check, deadline)) != 0)
			return ret;
	/* See idle_sleep() in service.c for why this cannot lose a wake-up. */
	atomic_fetch_add(&cl.sh->doorbell, 1);
	if (atomic_load(&cl.sh->sleeping))
		hm_futex_wake(&cl.sh->doorbell);
	spins = 0;
	for (;;) {
		struct hm_svc_msg r;

		while (hm_ring_dequeue_elem(cl.chan->rsp, &r, sizeof(r)) == 0) {
			if (r.seq == m->seq) {
				*m = r;
				return 0;
			}
			late_answer(&r);
		}
		if ((ret = wait_step(&spins, &next_check, deadline)) != 0) {
			if (ret == -ETIMEDOUT)
				abandon(m);
			return ret;
		}
	}
}

/* Send m and wait for its answer, which replaces it. @return 0 or -errno of the transport. */
static int
call(struct hm_svc_msg *m)
{
	struct hm_svc_msg sent;
	int ret;

	if (atomic_load_explicit(&cl.forked, memory_order_relaxed)) {
		/* Not even the lock: a thread of the parent may have held it at fork(). */
		HM_LOG(ERR, SERVICE,
		       "pid %d is a fork() of the attached process %d: it has no channel "
		       "to the service of its own",
		       (int)getpid(), cl.pid);
		return -ENOTSUP;
	}
	pthread_mutex_lock(&cl.lock);
	sent = *m;
	ret = call_locked(m);
	/*
	 * A reserve retried after a timeout finds the name taken by the late
	 * first try, which the undo has just freed: try once more.
	 */
	if (undo_late_allocations(sent.op == HM_SVC_MZ_RESERVE ? sent.name : NULL) && ret == 0 &&
	    m->status == -EEXIST) {
		*m = sent;
		ret = call_locked(m);
		undo_late_allocations(NULL);
	}
	pthread_mutex_unlock(&cl.lock);
	return ret;
}

/* HM_SOCKET_ID_ANY means the caller's socket, not the service thread's. */
static int
own_socket(int socket)
{
	return socket == HM_SOCKET_ID_ANY ? (int)hm_socket_id() : socket;
}

/* errno of a failed call: the transport's, or the service's answer. */
static int
result(int transport, const struct hm_svc_msg *m)
{
	return transport != 0 ? transport : m->status;
}

/* Send an allocation; the address it was answered, or NULL with errno. */
static void *
alloc_call(struct hm_svc_msg *m, int socket, unsigned int flags, int owner, unsigned int pgflags)
{
	int ret;

	m->socket = own_socket(socket);
	m->flags = flags;
	m->pgflags = pgflags;
	m->tag = owner == HM_OWNER_NONE ? 0 : HM_SVC_TAG_SELF;
	ret = result(call(m), m);
	if (ret != 0) {
		errno = -ret;
		return NULL;
	}
	return (void *)(uintptr_t)m->addr;
}

static void *
remote_alloc(unsigned int order, int socket, unsigned int flags, int owner, unsigned int pgflags)
{
	struct hm_svc_msg m = {.op = HM_SVC_ALLOC, .order = order};

	return alloc_call(&m, socket, flags, owner, pgflags);
}

static void *
remote_alloc_exact(size_t size, int socket, unsigned int flags, int owner, unsigned int pgflags)
{
	struct hm_svc_msg m = {.op = HM_SVC_ALLOC_EXACT, .size = size};

	return alloc_call(&m, socket, flags & ~HM_BUDDY_ZERO, owner, pgflags);
}

static int
remote_free(void *addr, size_t size, bool plain)
{
	struct hm_svc_msg m = {.op = HM_SVC_FREE,
			       .addr = (uint64_t)(uintptr_t)addr,
			       .size = size,
			       .tag = plain ? HM_SVC_TAG_PLAIN : 0};

	if (addr == NULL || (uintptr_t)addr % HM_BUDDY_PAGE_SIZE != 0) {
		HM_LOG(ERR, SERVICE, "free %p: not the start of a block", addr);
		return -EINVAL;
	}
	return result(call(&m), &m);
}

static const struct hm_memzone *
remote_mz_reserve(const char *name, size_t len, int socket, unsigned int flags, size_t align)
{
	struct hm_svc_msg m = {.op = HM_SVC_MZ_RESERVE,
			       .size = len,
			       .align = align,
			       .socket = own_socket(socket),
			       .flags = flags,
			       .tag = HM_SVC_TAG_SELF};
	int ret;

	/* hm_memzone_reserve() checked the name: 1 to 31 characters. */
	memcpy(m.name, name, strlen(name) + 1);
	ret = result(call(&m), &m);
	if (ret != 0) {
		HM_LOG(ERR, SERVICE, "memzone %s: the service refused it: %s", name,
		       strerror(-ret));
		errno = -ret;
		return NULL;
	}
	return (const struct hm_memzone *)(uintptr_t)m.addr;
}

static int
remote_mz_free(const struct hm_memzone *mz)
{
	struct hm_svc_msg m = {.op = HM_SVC_MZ_FREE, .addr = (uint64_t)(uintptr_t)mz};

	if (mz == NULL)
		return -EINVAL;
	return result(call(&m), &m);
}

static const struct hm_buddy_remote remote_ops = {
    .alloc = remote_alloc,
    .alloc_exact = remote_alloc_exact,
    .free = remote_free,
    .mz_reserve = remote_mz_reserve,
    .mz_free = remote_mz_free,
};

int
hm_service_client_init(struct service_shared *sh)
{
	int32_t primary = atomic_load(&sh->running_pid);
	int slot = hm_shared_config_proc_slot();

	if (primary == 0) {
		HM_LOG(INFO, SERVICE,
		       "the primary runs no service: this process changes the "
		       "allocators' state itself");
		return 0;
	}
	if (slot < 0 || slot >= HM_MAX_PROCS || sh->chan[slot].req == NULL) {
		HM_LOG(ERR, SERVICE, "no channel for process slot %d", slot);
		return -EPROTO;
	}
	cl.sh = sh;
	cl.chan = &sh->chan[slot];
	cl.slot = slot;
	cl.primary = primary;
	cl.gone = false;
	cl.pid = (int32_t)getpid();
	cl.nb_abandoned = 0;
	cl.nb_undo = 0;
	atomic_store(&cl.forked, false);
	pthread_once(&atfork_once, atfork_register);
	cl.pidfd = (int)syscall(SYS_pidfd_open, (pid_t)primary, 0);
	/* Answers to a process that had the slot before were dropped at its reclaim. */
	hm_buddy_set_remote(&remote_ops);
	return 0;
}

void
hm_service_client_cleanup(void)
{
	/* The remote stays installed until the buddy's cleanup: the cleanups of
	 * the subsystems above still give blocks back. */
	pthread_mutex_lock(&cl.lock); /* not under a thread's call() */
	if (cl.pidfd >= 0)
		close(cl.pidfd);
	cl.pidfd = -1;
	pthread_mutex_unlock(&cl.lock);
}

int
hm_service_ping(void)
{
	struct hm_svc_msg m = {.op = HM_SVC_NOP};

	if (hm_buddy_get_remote() != &remote_ops)
		return -ENOTSUP;
	return result(call(&m), &m);
}
