/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bulk copies of the inline get and put, out of line for bulks of
 * HM_MEMPOOL_VEC_MIN objects and more: a put checks every pointer (the
 * divisibility test of hm_mempool_stride_index()) as it copies it into the
 * lcore cache, or only checks them when they go to the ring. Each has a
 * plain C version and, on CPUs with AVX-512F and DQ, one that takes eight
 * pointers per instruction (vpmullq for the multiply, vprorq for the
 * rotate, a masked load for the tail); the dynamic linker picks one once
 * (an ifunc), so the call costs no more than a direct one.
 */

#include <stdbool.h>
#include <stdint.h>

#include <hugemem/mempool.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HM_MEMPOOL_HAVE_AVX512 1
#endif

/* ------------------------------------------------------- plain versions */

static bool
put_copy_plain(const struct hm_mempool *mp, void **dst, void *const *src, unsigned int n)
{
	if (!hm_mempool_objs_valid_fast(mp, src, n))
		return false;
	hm_copy_ptrs(dst, src, n);
	return true;
}

static void
copy_plain(void **dst, void *const *src, unsigned int n)
{
	hm_copy_ptrs(dst, src, n);
}

static bool
objs_valid_plain(const struct hm_mempool *mp, void *const *src, unsigned int n)
{
	return hm_mempool_objs_valid_fast(mp, src, n);
}

#ifdef HM_MEMPOOL_HAVE_AVX512

/* ------------------------------------------------------------- AVX-512 */

#define AVX512 __attribute__((target("avx512f,avx512dq")))

/*
 * The lanes of v that are no object of the one-block pool: (v - first) *
 * inv rotated right by 6 (the stride is an odd number of cache lines) is
 * the object index if v is on an object boundary, and at least nb
 * otherwise.
 */
static inline AVX512 __mmask8
bad_lanes(__mmask8 lanes, __m512i v, __m512i first, __m512i inv, __m512i nb)
{
	__m512i q = _mm512_mullo_epi64(_mm512_sub_epi64(v, first), inv);

	return _mm512_mask_cmpge_epu64_mask(lanes, _mm512_ror_epi64(q, 6), nb);
}

/* Check n pointers eight at a time, and copy them to dst unless it is NULL. */
static inline AVX512 __attribute__((always_inline)) bool
check_copy_avx512(const struct hm_mempool *mp, void **dst, void *const *src, unsigned int n)
{
	const __m512i first = _mm512_set1_epi64((long long)mp->fast_first);
	const __m512i inv = _mm512_set1_epi64((long long)mp->stride_inv);
	const __m512i nb = _mm512_set1_epi64((long long)mp->fast_nb_objs);
	__mmask8 bad = 0;
	unsigned int i = 0;

	for (; i + 8 <= n; i += 8) {
		__m512i v = _mm512_loadu_si512((const void *)(src + i));

		bad |= bad_lanes(0xff, v, first, inv, nb);
		if (dst != NULL)
			_mm512_storeu_si512((void *)(dst + i), v);
	}
	if (i < n) {
		const __mmask8 m = (__mmask8)((1u << (n - i)) - 1);
		__m512i v = _mm512_maskz_loadu_epi64(m, (const void *)(src + i));

		bad |= bad_lanes(m, v, first, inv, nb);
		if (dst != NULL)
			_mm512_mask_storeu_epi64((void *)(dst + i), m, v);
	}
	return bad == 0;
}

static AVX512 bool
put_copy_avx512(const struct hm_mempool *mp, void **dst, void *const *src, unsigned int n)
{
	return check_copy_avx512(mp, dst, src, n);
}

static AVX512 bool
objs_valid_avx512(const struct hm_mempool *mp, void *const *src, unsigned int n)
{
	return check_copy_avx512(mp, NULL, src, n);
}

static AVX512 void
copy_avx512(void **dst, void *const *src, unsigned int n)
{
	unsigned int i = 0;

	for (; i + 8 <= n; i += 8)
		_mm512_storeu_si512((void *)(dst + i), _mm512_loadu_si512((const void *)(src + i)));
	if (i < n) {
		const __mmask8 m = (__mmask8)((1u << (n - i)) - 1);

		_mm512_mask_storeu_epi64((void *)(dst + i), m,
					 _mm512_maskz_loadu_epi64(m, (const void *)(src + i)));
	}
}

/*
 * Resolvers run while the dynamic linker relocates, before any constructor:
 * before the sanitizers' runtimes are up, so they must not be instrumented.
 */
#define RESOLVER __attribute__((no_sanitize("address", "undefined", "thread")))

static inline RESOLVER bool
have_avx512(void)
{
	/* Initialise the CPU model first. It checks that the OS saves the
	 * AVX-512 state, too. */
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}

typedef bool put_copy_fn(const struct hm_mempool *, void **, void *const *, unsigned int);
typedef void copy_fn(void **, void *const *, unsigned int);
typedef bool objs_valid_fn(const struct hm_mempool *, void *const *, unsigned int);

static RESOLVER put_copy_fn *
resolve_put_copy(void)
{
	return have_avx512() ? put_copy_avx512 : put_copy_plain;
}

static RESOLVER copy_fn *
resolve_copy(void)
{
	return have_avx512() ? copy_avx512 : copy_plain;
}

static RESOLVER objs_valid_fn *
resolve_objs_valid(void)
{
	return have_avx512() ? objs_valid_avx512 : objs_valid_plain;
}

bool hm_mempool_put_copy(const struct hm_mempool *mp, void **dst, void *const *src, unsigned int n)
    __attribute__((ifunc("resolve_put_copy")));
bool hm_mempool_objs_valid(const struct hm_mempool *mp, void *const *src, unsigned int n)
    __attribute__((ifunc("resolve_objs_valid")));
void hm_mempool_copy(void **dst, void *const *src, unsigned int n)
    __attribute__((ifunc("resolve_copy")));

#else /* !HM_MEMPOOL_HAVE_AVX512 */

bool
hm_mempool_put_copy(const struct hm_mempool *mp, void **dst, void *const *src, unsigned int n)
{
	return put_copy_plain(mp, dst, src, n);
}

void
hm_mempool_copy(void **dst, void *const *src, unsigned int n)
{
	copy_plain(dst, src, n);
}

bool
hm_mempool_objs_valid(const struct hm_mempool *mp, void *const *src, unsigned int n)
{
	return objs_valid_plain(mp, src, n);
}

#endif
