/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A secondary process of the ring suite's cross-process test, started by
 * the primary with fork+exec:
 *
 *   HM_TEST_RING_ROLE=produce|consume hm_test_ring_helper [EAL args of a secondary]
 *
 * and told the rest by the environment:
 *
 *   HM_TEST_RING_DATA      the primary's ring of pointers (MP/MC)
 *   HM_TEST_RING_SEEN      the ring the consumer creates for what it took
 *   HM_TEST_RING_PRODUCER  the producer's id
 *   HM_TEST_RING_COUNT     values per producer
 *
 * Values are as test_ring.c makes them: (producer + 1) << 32 | sequence,
 * and UINT64_MAX is the end marker the primary enqueues once every
 * producer is done.
 *
 * produce: enqueue the producer's COUNT values in sequence order, mixing
 *   bulk, burst and single, creation-mode and forced mp_ forms.
 * consume: create SEEN (8-byte elements, SP/SC, room for everything two
 *   producers send and one more), put in it the address at which DATA was
 *   found, then take values from DATA and forward each to SEEN in the order
 *   taken, until the end marker, which goes back into DATA for the other
 *   consumer. The primary checks the stream.
 *
 * Exit status: 0 when all is well, else the step that failed (see the
 * returns), with a line on stderr.
 */

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hugemem/hugemem.h>
#include <hugemem/ring.h>

#define BURST	   32
#define END	   UINT64_MAX
#define TIMEOUT_MS 60000 /* how long the ring may stay full (or empty) before a helper gives up */

static int
fail(int code, const char *what)
{
	fprintf(stderr, "ring_helper: %s (errno %d: %s)\n", what, errno, strerror(errno));
	return code;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t
next_rand(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

static int
produce(struct hm_ring *data, unsigned int id, uint32_t count)
{
	uint64_t start = now_ms();
	uint32_t seed = 777 + id, seq = 0;
	void *objs[BURST];

	while (seq < count) {
		uint32_t rnd = next_rand(&seed);
		unsigned int n = 1 + rnd % BURST, got;

		if (n > count - seq)
			n = count - seq;
		for (unsigned int k = 0; k < n; k++)
			objs[k] = (void *)(uintptr_t)(((uint64_t)(id + 1) << 32) | (seq + k));
		switch ((rnd >> 8) % 5) {
		case 0:
			got = hm_ring_enqueue_bulk(data, objs, n, NULL);
			break;
		case 1:
			got = hm_ring_enqueue_burst(data, objs, n, NULL);
			break;
		case 2:
			got = hm_ring_mp_enqueue_bulk(data, objs, n, NULL);
			break;
		case 3:
			got = hm_ring_mp_enqueue_burst(data, objs, n, NULL);
			break;
		default:
			got = hm_ring_mp_enqueue(data, objs[0]) == 0;
			break;
		}
		seq += got;
		if (got != 0) {
			start = now_ms(); /* a stall, not the total, times out */
		} else {
			if (now_ms() - start > TIMEOUT_MS)
				return fail(20, "produce: the ring stayed full");
			sched_yield();
		}
	}
	return 0;
}

static int
consume(struct hm_ring *data, const char *seen_name, uint32_t count)
{
	uint64_t start = now_ms(), where = (uintptr_t)data;
	struct hm_ring *seen;
	uint32_t seed = 4242;
	void *objs[BURST];

	seen = hm_ring_create_elem(seen_name, 8, 2 * count + 1, HM_SOCKET_ID_ANY,
				   HM_RING_SP_ENQ | HM_RING_SC_DEQ | HM_RING_EXACT_SZ);
	if (seen == NULL)
		return fail(30, "consume: create of the ring for what was taken");
	if (hm_ring_enqueue_elem(seen, &where, 8) != 0)
		return fail(31, "consume: the address does not fit");
	for (;;) {
		uint32_t rnd = next_rand(&seed);
		unsigned int n = 1 + rnd % BURST, got;

		switch ((rnd >> 8) % 4) {
		case 0:
			got = hm_ring_dequeue_burst(data, objs, n, NULL);
			break;
		case 1:
			got = hm_ring_mc_dequeue_burst(data, objs, n, NULL);
			break;
		case 2:
			got = hm_ring_mc_dequeue_bulk(data, objs, n % 4 + 1, NULL);
			break;
		default:
			got = hm_ring_dequeue(data, &objs[0]) == 0;
			break;
		}
		for (unsigned int k = 0; k < got; k++) {
			uint64_t v = (uintptr_t)objs[k];

			if (v == END) {
				/* The marker goes back for the other consumer. */
				while (hm_ring_mp_enqueue(data, objs[k]) != 0)
					sched_yield();
				return 0;
			}
			if (hm_ring_enqueue_elem(seen, &v, 8) != 0)
				return fail(32, "consume: more values than two producers send");
		}
		if (got != 0) {
			start = now_ms();
		} else {
			if (now_ms() - start > TIMEOUT_MS)
				return fail(33, "consume: no end marker");
			sched_yield();
		}
	}
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "ring_helper: %s is not set\n", name);
		exit(4);
	}
	return v;
}

int
main(int argc, char **argv)
{
	const char *role = env("HM_TEST_RING_ROLE");
	const char *data_name = env("HM_TEST_RING_DATA");
	const char *seen_name = env("HM_TEST_RING_SEEN");
	unsigned int id = (unsigned int)strtoul(env("HM_TEST_RING_PRODUCER"), NULL, 10);
	uint32_t count = (uint32_t)strtoul(env("HM_TEST_RING_COUNT"), NULL, 10);
	struct hm_ring *data;
	int ret;

	ret = hm_eal_init(argc, argv);
	if (ret < 0) {
		errno = -ret;
		return fail(2, "hm_eal_init");
	}
	if (hm_eal_process_type() != HM_PROC_SECONDARY) {
		hm_eal_cleanup();
		return fail(3, "not a secondary");
	}
	data = hm_ring_lookup(data_name);
	if (data == NULL) {
		hm_eal_cleanup();
		return fail(10, "lookup of the primary's ring");
	}
	if (strcmp(data->name, data_name) != 0 || data->esize != sizeof(void *) ||
	    data->prod.single || data->cons.single) {
		hm_eal_cleanup();
		return fail(11, "the ring found is not the one the primary made");
	}
	if (strcmp(role, "produce") == 0)
		ret = produce(data, id, count);
	else if (strcmp(role, "consume") == 0)
		ret = consume(data, seen_name, count);
	else
		ret = fail(5, "unknown HM_TEST_RING_ROLE");
	hm_eal_cleanup();
	return ret;
}
