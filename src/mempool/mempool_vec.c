/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bulk copies of the inline get and put, out of line for bulks of
 * HM_MEMPOOL_VEC_MIN objects and more: a put checks every pointer (the
 * divisibility test of hm_mempool_stride_index()) as it copies it into the
 * lcore cache, or only checks them when they go to the ring. Each has a
 * plain C version and two vector ones; the dynamic linker picks one once
 * (an ifunc), so the call costs no more than a direct one:
 *
 *  - AVX-512F, DQ and VL: four pointers per instruction (256-bit vectors,
 *    see check_copy_avx512()), vpmullq for the multiply, vprorq for the
 *    rotate, a masked load for the tail, for blocks of any span;
 *  - AVX2, which has neither a 64-bit multiply nor rotates: four pointers
 *    per instruction, with the test done in 32 bits. Where the pool's block
 *    spans at most 4 GiB, p is an object iff the offset p - first has a
 *    high half of 0 and its low half passes the 32-bit test (the inverse
 *    mod 2^32 is the low half of the one mod 2^64). One vpmulld multiplies
 *    the low halves by that inverse and the high halves by 1, shifts make
 *    the rotate, an unsigned max per half keeps the largest of the bulk,
 *    and one compare at the end against the limits (nb_objs - 1 for low
 *    halves, 0 for high ones) checks every pointer. Pools whose block spans
 *    more take the plain version.
 */

#include <stdbool.h>
#include <stdint.h>

#include <hugemem/mempool.h>

#include "mempool_pvt.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HM_MEMPOOL_HAVE_VEC 1
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

#ifdef HM_MEMPOOL_HAVE_VEC

/*
 * Four pointers as two 16-byte loads: the pointers a put checks were
 * mostly written just before, by a get's copy in 8- or 16-byte stores, and
 * a 32-byte load that spans two stores cannot take its data from the
 * store buffer: it waits for both to reach the cache. Two halves forward.
 * (On a Zen 4, the bulk of 32 without a cache went from 0.94x to 1.16x
 * DPDK's time by this alone.)
 */
#define LOAD4(p)                                                                                   \
	_mm256_inserti128_si256(                                                                   \
	    _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(p))),           \
	    _mm_loadu_si128((const __m128i *)(const void *)((p) + 2)), 1)

/* ------------------------------------------------------------- AVX-512 */

#define AVX512 __attribute__((target("avx512f,avx512dq,avx512vl")))

/*
 * The lanes of v that are no object of the pool's largest block: (v - first) *
 * inv rotated right by 6 (the stride is an odd number of cache lines) is
 * the object index if v is on an object boundary, and at least nb
 * otherwise.
 */
static inline AVX512 __mmask8
bad_lanes(__mmask8 lanes, __m256i v, __m256i first, __m256i inv, __m256i nb)
{
	__m256i q = _mm256_mullo_epi64(_mm256_sub_epi64(v, first), inv);

	return _mm256_mask_cmpge_epu64_mask(lanes, _mm256_ror_epi64(q, HM_MEMPOOL_FAST_ROT), nb);
}

/*
 * Check n pointers four at a time, and copy them to dst unless it is NULL.
 * 256-bit vectors, not 512, loaded in halves (LOAD4()): with 512-bit loads
 * the cached bulk of 32 ran at DPDK's speed on a Zen 4, with these 1.3x.
 */
static inline AVX512 __attribute__((always_inline)) bool
check_copy_avx512(const struct hm_mempool *mp, void **dst, void *const *src, unsigned int n)
{
	const __m256i first = _mm256_set1_epi64x((long long)mp->fast_first);
	const __m256i inv = _mm256_set1_epi64x((long long)mp->stride_inv);
	const __m256i nb = _mm256_set1_epi64x((long long)mp->fast_nb_objs);
	__mmask8 bad = 0;
	unsigned int i = 0;

	for (; i + 4 <= n; i += 4) {
		__m256i v = LOAD4(src + i);

		bad |= bad_lanes(0xf, v, first, inv, nb);
		if (dst != NULL)
			_mm256_storeu_si256((__m256i *)(void *)(dst + i), v);
	}
	if (i < n) {
		const __mmask8 m = (__mmask8)((1u << (n - i)) - 1);
		__m256i v = _mm256_maskz_loadu_epi64(m, (const void *)(src + i));

		bad |= bad_lanes(m, v, first, inv, nb);
		if (dst != NULL)
			_mm256_mask_storeu_epi64((void *)(dst + i), m, v);
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

	for (; i + 4 <= n; i += 4)
		_mm256_storeu_si256((__m256i *)(void *)(dst + i),
				    _mm256_loadu_si256((const __m256i *)(const void *)(src + i)));
	if (i < n) {
		const __mmask8 m = (__mmask8)((1u << (n - i)) - 1);

		_mm256_mask_storeu_epi64((void *)(dst + i), m,
					 _mm256_maskz_loadu_epi64(m, (const void *)(src + i)));
	}
}

/* ---------------------------------------------------------------- AVX2 */

#define AVX2 __attribute__((target("avx2")))

/*
 * Whether the 32-bit test is exact for the pool: its block spans at most
 * 4 GiB. Not for pools the fast check is not for (fast_nb_objs 0): the
 * limit nb_objs - 1 would pass every lane.
 */
static inline bool
fits_32(const struct hm_mempool *mp)
{
	return mp->fast_nb_objs != 0 && mp->fast_nb_objs * mp->stride <= (UINT64_C(1) << 32);
}

/*
 * The divisibility test of the 64-bit lanes of v, in 32-bit halves: inv
 * holds the 32-bit inverse in the low half of each lane and 1 in the high
 * half, so the low half of the result is the object index of the lane's
 * offset if that is a multiple of the stride, and the high half is the
 * offset's high half. A lane is an object when its low half is at most
 * nb_objs - 1 and its high half 0.
 */
static inline AVX2 __m256i
lane_index(__m256i v, __m256i first, __m256i inv)
{
	__m256i q = _mm256_mullo_epi32(_mm256_sub_epi64(v, first), inv);

	return _mm256_or_si256(_mm256_srli_epi32(q, HM_MEMPOOL_FAST_ROT),
			       _mm256_slli_epi32(q, 32 - HM_MEMPOOL_FAST_ROT));
}

/*
 * Check n pointers four at a time, and copy them to dst unless it is NULL.
 * Only for pools that fits_32(). The largest half of every lane so far is
 * kept (one unsigned max per four pointers), and compared with the limits
 * (nb_objs - 1 low, 0 high) once at the end.
 */
static inline AVX2 __attribute__((always_inline)) bool
check_copy_avx2(const struct hm_mempool *mp, void **dst, void *const *src, unsigned int n)
{
	const __m256i first = _mm256_set1_epi64x((long long)mp->fast_first);
	const __m256i inv =
	    _mm256_set1_epi64x((long long)((UINT64_C(1) << 32) | (uint32_t)mp->stride_inv));
	const __m256i lim1 = _mm256_set1_epi64x((long long)(mp->fast_nb_objs - 1));
	__m256i most = _mm256_setzero_si256();
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		__m256i v = LOAD4(src + i);

		most = _mm256_max_epu32(most, lane_index(v, first, inv));
		if (dst != NULL)
			_mm256_storeu_si256((__m256i *)(void *)(dst + i), v);
	}
	if (i < n) {
		/* The tail: lanes past n load as 0, are masked to 0 (which
		 * passes), and store nothing. */
		const __m256i idx = _mm256_set_epi64x(3, 2, 1, 0);
		const __m256i m = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(n - i)), idx);
		__m256i v = _mm256_maskload_epi64((const long long *)(const void *)(src + i), m);

		most = _mm256_max_epu32(most, _mm256_and_si256(lane_index(v, first, inv), m));
		if (dst != NULL)
			_mm256_maskstore_epi64((long long *)(void *)(dst + i), m, v);
	}
	return _mm256_movemask_epi8(_mm256_cmpeq_epi32(_mm256_max_epu32(most, lim1), lim1)) == -1;
}

static AVX2 bool
put_copy_avx2(const struct hm_mempool *mp, void **dst, void *const *src, unsigned int n)
{
	if (__builtin_expect(!fits_32(mp), 0))
		return put_copy_plain(mp, dst, src, n);
	return check_copy_avx2(mp, dst, src, n);
}

static AVX2 bool
objs_valid_avx2(const struct hm_mempool *mp, void *const *src, unsigned int n)
{
	if (__builtin_expect(!fits_32(mp), 0))
		return objs_valid_plain(mp, src, n);
	return check_copy_avx2(mp, NULL, src, n);
}

/*
 * Four pointers per ymm move (GCC's generic tuning splits a 32-byte
 * memcpy into two xmm moves), the last 1 to 3 by hm_copy_ptrs().
 */
static AVX2 void
copy_avx2(void **dst, void *const *src, unsigned int n)
{
	size_t i = 0;

	for (; i + 4 <= n; i += 4)
		_mm256_storeu_si256((__m256i *)(void *)(dst + i),
				    _mm256_loadu_si256((const __m256i *)(const void *)(src + i)));
	hm_copy_ptrs(dst + i, src + i, (unsigned int)(n - i));
}

/*
 * Resolvers run while the dynamic linker relocates, before any constructor:
 * before the sanitizers' runtimes are up, so they must not be instrumented.
 */
#define RESOLVER __attribute__((no_sanitize("address", "undefined", "thread")))

/* The variants, best first; the last is for every CPU. */
static const struct mempool_vec_impl impls[] = {
    {"avx512", put_copy_avx512, objs_valid_avx512, copy_avx512},
    {"avx2", put_copy_avx2, objs_valid_avx2, copy_avx2},
    {"plain", put_copy_plain, objs_valid_plain, copy_plain},
};

static inline RESOLVER bool
impl_supported(unsigned int i)
{
	/* Initialise the CPU model first. It checks that the OS saves the
	 * vector state, too. */
	__builtin_cpu_init();
	switch (i) {
	case 0:
		return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
		       __builtin_cpu_supports("avx512vl");
	case 1:
		return __builtin_cpu_supports("avx2");
	default:
		return true;
	}
}

static inline RESOLVER const struct mempool_vec_impl *
best_impl(void)
{
	unsigned int i = 0;

	while (!impl_supported(i))
		i++;
	return &impls[i];
}

static RESOLVER mempool_put_copy_fn *
resolve_put_copy(void)
{
	return best_impl()->put_copy;
}

static RESOLVER mempool_copy_fn *
resolve_copy(void)
{
	return best_impl()->copy;
}

static RESOLVER mempool_objs_valid_fn *
resolve_objs_valid(void)
{
	return best_impl()->objs_valid;
}

bool hm_mempool_put_copy(const struct hm_mempool *mp, void **dst, void *const *src, unsigned int n)
    __attribute__((ifunc("resolve_put_copy")));
bool hm_mempool_objs_valid(const struct hm_mempool *mp, void *const *src, unsigned int n)
    __attribute__((ifunc("resolve_objs_valid")));
void hm_mempool_copy(void **dst, void *const *src, unsigned int n)
    __attribute__((ifunc("resolve_copy")));

unsigned int
mempool_vec_nb_impls(void)
{
	return sizeof(impls) / sizeof(impls[0]);
}

const struct mempool_vec_impl *
mempool_vec_impl(unsigned int i)
{
	return i < mempool_vec_nb_impls() && impl_supported(i) ? &impls[i] : NULL;
}

const char *
mempool_vec_impl_name(void)
{
	return best_impl()->name;
}

#else /* !HM_MEMPOOL_HAVE_VEC */

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

static const struct mempool_vec_impl plain_impl = {"plain", put_copy_plain, objs_valid_plain,
						   copy_plain};

unsigned int
mempool_vec_nb_impls(void)
{
	return 1;
}

const struct mempool_vec_impl *
mempool_vec_impl(unsigned int i)
{
	return i == 0 ? &plain_impl : NULL;
}

const char *
mempool_vec_impl_name(void)
{
	return plain_impl.name;
}

#endif
