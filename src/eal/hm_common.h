/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_COMMON_H
#define HM_COMMON_H

/*
 * Small helpers every subsystem uses. Not installed.
 *
 * HM_ASSERT states an invariant that no input can break. It is compiled in
 * debug builds (meson's buildtype=debug/debugoptimized define HM_DEBUG) and
 * costs nothing in release builds. Bad input is never an assertion: it is an
 * error return and a log line.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define hm_likely(x)   __builtin_expect(!!(x), 1)
#define hm_unlikely(x) __builtin_expect(!!(x), 0)
/* Thread-locals of the fast paths: no __tls_get_addr call from the shared library. */
#define HM_TLS_IE __attribute__((tls_model("initial-exec")))

/*
 * A name for a table of names (memzones, caches): 1 to size-1 characters,
 * each one that char_ok (isprint, isgraph) accepts.
 */
static inline bool
hm_name_ok(const char *name, size_t size, int (*char_ok)(int))
{
	size_t n;

	if (name == NULL)
		return false;
	n = strnlen(name, size);
	if (n == 0 || n == size)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!char_ok((unsigned char)name[i]))
			return false;
	return true;
}

/*
 * A counter with one writer (an lcore's own statistics), read from anywhere:
 * a relaxed load and store, never a locked read-modify-write.
 */
static inline void
hm_counter_inc_local(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

#define HM_ALIGN_CEIL(v, a)  (((v) + ((a)-1)) & ~((__typeof__(v))(a)-1))
#define HM_ALIGN_FLOOR(v, a) ((v) & ~((__typeof__(v))(a)-1))
#define HM_IS_POW2(v)	     ((v) != 0 && (((v) & ((v)-1)) == 0))
#define HM_DIM(a)	     (sizeof(a) / sizeof((a)[0]))

#define HM_KB (1ULL << 10)
#define HM_MB (1ULL << 20)
#define HM_GB (1ULL << 30)

#ifdef HM_DEBUG
#define HM_ASSERT(cond)                                                                            \
	do {                                                                                       \
		if (hm_unlikely(!(cond))) {                                                        \
			fprintf(stderr, "hugemem: assertion failed: %s at %s:%d\n", #cond,         \
				__FILE__, __LINE__);                                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)
#else
#define HM_ASSERT(cond)                                                                            \
	do {                                                                                       \
		(void)sizeof(cond);                                                                \
	} while (0)
#endif

/* Monotonic nanoseconds. */
uint64_t hm_time_ns(void);

/* Format a byte count as "512 MiB", "1 GiB", "2 MiB" into buf. */
const char *hm_size_str(uint64_t bytes, char *buf, size_t len);

#endif /* HM_COMMON_H */
