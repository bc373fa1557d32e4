/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Debug caches: poison, red zones, the state word, and the reports.
 *
 * Every object of a debug cache has a state word just before it, FREE or
 * ALLOC, and the callers of its last allocation and free after its free
 * pointer. A free object is poisoned (POISON_FREE bytes ending in
 * POISON_END) unless the cache has a constructor; the red zone after the
 * object holds RED_BYTE. All checks run under the node lock of the object's
 * slab, on the direct path, so the state of each object is exact.
 *
 * What is found is reported once, the damage repaired where it can be (a
 * red zone refilled, a state word restored), and a free that would corrupt
 * the cache (double, invalid) refused. The process goes on.
 */

#include <dlfcn.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "slab_pvt.h"

#define STATE_FREE  0xf4eef4eef4eef4eeULL
#define STATE_ALLOC 0xa110ca7eda110ca7ULL
#define POISON_FREE 0x6b
#define POISON_END  0xa5
#define RED_BYTE    0xbb

static uint64_t *
state_word(void *obj)
{
	return (uint64_t *)obj - 1;
}

static uint8_t *
red_zone(const struct hm_slab_cache *c, void *obj, size_t *len)
{
	*len = c->fp_offset - c->size;
	return (uint8_t *)obj + c->size;
}

/* [0]: the caller of the last allocation, [1]: of the last free. */
static const void **
track(const struct hm_slab_cache *c, void *obj)
{
	return (const void **)((uint8_t *)obj + c->track_offset);
}

static void
poison(const struct hm_slab_cache *c, void *obj)
{
	memset(obj, POISON_FREE, c->size - 1);
	((uint8_t *)obj)[c->size - 1] = POISON_END;
}

/* Offset of the first byte that is not poison, or -1. */
static long
poison_damage(const struct hm_slab_cache *c, const void *obj)
{
	const uint8_t *p = obj;

	for (uint32_t i = 0; i + 1 < c->size; i++)
		if (p[i] != POISON_FREE)
			return i;
	return p[c->size - 1] == POISON_END ? -1 : (long)c->size - 1;
}

/* Offset past the object of the first red-zone byte that changed, or -1. */
static long
red_zone_damage(const struct hm_slab_cache *c, void *obj)
{
	size_t len;
	const uint8_t *rz = red_zone(c, obj, &len);

	if (!(c->flags & HM_SLAB_RED_ZONE))
		return -1;
	for (size_t i = 0; i < len; i++)
		if (rz[i] != RED_BYTE)
			return (long)i;
	return -1;
}

static void
red_zone_fill(const struct hm_slab_cache *c, void *obj)
{
	size_t len;
	uint8_t *rz = red_zone(c, obj, &len);

	if (c->flags & HM_SLAB_RED_ZONE)
		memset(rz, RED_BYTE, len);
}

/* "function+0x12", "library.so+0x1234", or the bare address. */
static const char *
caller_name(const void *addr, char *buf, size_t len)
{
	Dl_info info;

	if (addr == NULL)
		return "(none)";
	if (dladdr(addr, &info) == 0)
		snprintf(buf, len, "%p", addr);
	else if (info.dli_sname != NULL)
		snprintf(buf, len, "%s+0x%tx", info.dli_sname,
			 (const char *)addr - (const char *)info.dli_saddr);
	else {
		const char *base = strrchr(info.dli_fname, '/');

		snprintf(buf, len, "%s+0x%tx", base ? base + 1 : info.dli_fname,
			 (const char *)addr - (const char *)info.dli_fbase);
	}
	return buf;
}

void
slab_debug_report(struct hm_slab_cache *c, const void *obj, const void *caller, const char *fmt,
		  ...)
{
	char what[256], who[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
	HM_LOG(ERR, SLAB, "cache %s: object %p: %s; caller %s", c->name, obj, what,
	       caller_name(caller, who, sizeof(who)));
}

void
slab_debug_init_object(const struct hm_slab_cache *c, void *obj)
{
	*state_word(obj) = STATE_FREE;
	red_zone_fill(c, obj);
	if (c->flags & HM_SLAB_POISON)
		poison(c, obj);
	track(c, obj)[0] = NULL;
	track(c, obj)[1] = NULL;
}

void
slab_debug_check_alloc(struct hm_slab_cache *c, void *obj, const void *caller)
{
	char who[128];
	long bad;

	if (*state_word(obj) != STATE_FREE)
		slab_debug_report(c, obj, caller,
				  "state word %#" PRIx64 " overwritten while the object was free "
				  "(a write before an object)",
				  *state_word(obj));
	if ((c->flags & HM_SLAB_POISON) && (bad = poison_damage(c, obj)) >= 0)
		slab_debug_report(c, obj, caller,
				  "use after free: byte %ld was written after the free by %s", bad,
				  caller_name(track(c, obj)[1], who, sizeof(who)));
	if ((bad = red_zone_damage(c, obj)) >= 0) {
		slab_debug_report(c, obj, caller,
				  "write past the end while free: byte %ld after the object", bad);
		red_zone_fill(c, obj);
	}
	*state_word(obj) = STATE_ALLOC;
	track(c, obj)[0] = caller;
}

static bool
on_free_list(const struct hm_slab_cache *c, const struct hm_slab *s, const void *obj)
{
	void *p = (void *)(uintptr_t)s->freelist;

	for (uint32_t i = 0; p != NULL && i < c->num; i++) {
		if (p == obj)
			return true;
		p = *obj_fp(c, p);
	}
	return false;
}

int
slab_debug_check_free(struct hm_slab_cache *c, struct hm_slab *s, void *obj, const void *caller)
{
	uint64_t state = *state_word(obj);
	char who[128];
	long bad;

	if (state == STATE_FREE || (state != STATE_ALLOC && on_free_list(c, s, obj))) {
		slab_debug_report(c, obj, caller, "double free: it was freed before by %s",
				  caller_name(track(c, obj)[1], who, sizeof(who)));
		*state_word(obj) = STATE_FREE;
		return -1;
	}
	if (state != STATE_ALLOC)
		slab_debug_report(c, obj, caller,
				  "state word %#" PRIx64 " overwritten (a write before the object)",
				  state);
	if ((bad = red_zone_damage(c, obj)) >= 0) {
		slab_debug_report(c, obj, caller,
				  "write past the end: byte %ld after the object (allocated by %s)",
				  bad, caller_name(track(c, obj)[0], who, sizeof(who)));
		red_zone_fill(c, obj);
	}
	*state_word(obj) = STATE_FREE;
	track(c, obj)[1] = caller;
	if (c->flags & HM_SLAB_POISON)
		poison(c, obj);
	return 0;
}

int
slab_debug_audit_object(const struct hm_slab_cache *c, const void *obj)
{
	void *o = (void *)(uintptr_t)obj;

	if (*state_word(o) != STATE_FREE) {
		HM_LOG(ERR, SLAB, "audit: cache %s: free object %p has state %#" PRIx64, c->name,
		       obj, *state_word(o));
		return -1;
	}
	if ((c->flags & HM_SLAB_POISON) && poison_damage(c, obj) >= 0) {
		HM_LOG(ERR, SLAB, "audit: cache %s: free object %p: poison overwritten at byte %ld",
		       c->name, obj, poison_damage(c, obj));
		return -1;
	}
	if (red_zone_damage(c, o) >= 0) {
		HM_LOG(ERR, SLAB, "audit: cache %s: free object %p: red zone overwritten", c->name,
		       obj);
		return -1;
	}
	return 0;
}

bool
slab_debug_object_allocated(const void *obj)
{
	return *state_word((void *)(uintptr_t)obj) == STATE_ALLOC;
}

bool
slab_debug_object_free(const void *obj)
{
	return *state_word((void *)(uintptr_t)obj) == STATE_FREE;
}
