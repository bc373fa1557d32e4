/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_TEST_XDP_FRAMES_H
#define HM_TEST_XDP_FRAMES_H

/*
 * The test frames of the af_xdp suite, built and checked the same way by
 * test_af_xdp.c and its helper: Ethernet to XF_DST from XF_SRC, ethertype
 * 0x88b5 (IEEE local experimental), then
 *
 *   "HMXF" | seq (u32) | length (u16) | seed (u16) | pattern ... | FNV-1a (u32)
 *
 * where byte k of the pattern depends on seq, k and seed, and the last four
 * bytes are the FNV-1a hash of everything before them. Frame seq is
 * xf_len(seq) bytes long, from 60 to 1514, so every run has frames of many
 * sizes. A frame passes xf_check() only if all of it arrived as it was sent.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define XF_ETHERTYPE 0x88b5
#define XF_HDR	     (14 + 12) /* Ethernet + magic, seq, length, seed */
#define XF_MAX_LEN   1514u

static const uint8_t XF_DST[6] = {0x02, 0x48, 0x4d, 0x00, 0x00, 0x02};
static const uint8_t XF_SRC[6] = {0x02, 0x48, 0x4d, 0x00, 0x00, 0x01};

static inline unsigned int
xf_len(uint32_t seq)
{
	static const unsigned int sizes[] = {60,  64,	98,   128,  256,  511,
					     512, 1000, 1024, 1280, 1500, 1514};

	return sizes[seq % (sizeof(sizes) / sizeof(sizes[0]))];
}

static inline uint32_t
xf_fnv(const uint8_t *p, unsigned int n)
{
	uint32_t h = 2166136261u;

	for (unsigned int i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Write frame seq of the run `seed` into buf (room for xf_len(seq)); @return its length. */
static inline unsigned int
xf_build(uint8_t *buf, uint32_t seq, uint16_t seed)
{
	unsigned int len = xf_len(seq);
	uint16_t l16 = (uint16_t)len;
	uint32_t h;

	memcpy(buf, XF_DST, 6);
	memcpy(buf + 6, XF_SRC, 6);
	buf[12] = XF_ETHERTYPE >> 8;
	buf[13] = XF_ETHERTYPE & 0xff;
	memcpy(buf + 14, "HMXF", 4);
	memcpy(buf + 18, &seq, 4);
	memcpy(buf + 22, &l16, 2);
	memcpy(buf + 24, &seed, 2);
	for (unsigned int k = XF_HDR; k < len - 4; k++)
		buf[k] = (uint8_t)(seq * 31u + k * 7u + seed);
	h = xf_fnv(buf, len - 4);
	memcpy(buf + len - 4, &h, 4);
	return len;
}

/*
 * Whether buf (len bytes) is an intact test frame of run seed; its seq in
 * *seq. With swapped, the MAC addresses are expected exchanged (l2fwd style).
 */
static inline bool
xf_check(const uint8_t *buf, unsigned int len, uint16_t seed, bool swapped, uint32_t *seq)
{
	uint16_t l16, s16;
	uint32_t h;

	if (len < XF_HDR + 4 || buf[12] != (XF_ETHERTYPE >> 8) ||
	    buf[13] != (XF_ETHERTYPE & 0xff) || memcmp(buf + 14, "HMXF", 4) != 0)
		return false;
	memcpy(seq, buf + 18, 4);
	memcpy(&l16, buf + 22, 2);
	memcpy(&s16, buf + 24, 2);
	if (l16 != len || s16 != seed || len != xf_len(*seq))
		return false;
	if (memcmp(buf, swapped ? XF_SRC : XF_DST, 6) != 0 ||
	    memcmp(buf + 6, swapped ? XF_DST : XF_SRC, 6) != 0)
		return false;
	memcpy(&h, buf + len - 4, 4);
	/* The hash covers the addresses as sent. */
	if (swapped) {
		uint8_t tmp[XF_MAX_LEN];

		memcpy(tmp, buf, len);
		memcpy(tmp, XF_DST, 6);
		memcpy(tmp + 6, XF_SRC, 6);
		return h == xf_fnv(tmp, len - 4);
	}
	return h == xf_fnv(buf, len - 4);
}

/* Whether buf is a test frame at all (of any run): the noise of a stack is not. */
static inline bool
xf_is_test_frame(const uint8_t *buf, unsigned int len)
{
	return len >= XF_HDR && buf[12] == (XF_ETHERTYPE >> 8) &&
	       buf[13] == (XF_ETHERTYPE & 0xff) && memcmp(buf + 14, "HMXF", 4) == 0;
}

#endif /* HM_TEST_XDP_FRAMES_H */
