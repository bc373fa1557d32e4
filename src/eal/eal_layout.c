/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The check that a program's inline calls and this library agree on the
 * layout of the structures the inline code reads (hugemem.h,
 * hm_layout_id_()). This file sees the structures as the library was built.
 */

#include <errno.h>
#include <inttypes.h>

#include <hugemem/hugemem.h>

#include "eal_pvt.h"

#define EAL "eal"

uint64_t
hm_layout_id(void)
{
	return hm_layout_id_();
}

int
hm_eal_init_layout_(int argc, char **argv, uint64_t layout)
{
	if (layout != hm_layout_id_()) {
		HM_LOG(ERR, EAL,
		       "this program was built against hugemem headers that lay out or size "
		       "the structures its inline code reads otherwise than this libhugemem "
		       "(layout %016" PRIx64 ", libhugemem %s: %016" PRIx64 "): rebuild it "
		       "against this library's headers",
		       layout, hm_version(), hm_layout_id_());
		return -EPROTO;
	}
	return (hm_eal_init)(argc, argv);
}
