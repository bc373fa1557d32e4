/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HUGEMEM_H
#define HUGEMEM_H

/**
 * @file
 * hugemem: a hugepage memory service for packet processing.
 *
 * One header for everything: include this and link with `pkg-config
 * --libs libhugemem`. The subsystem headers can also be included one by one.
 */

#include <hugemem/eal.h>
#include <hugemem/memory.h>
#include <hugemem/buddy.h>
#include <hugemem/slab.h>
#include <hugemem/ring.h>
#include <hugemem/mempool.h>
#include <hugemem/service.h>

#endif /* HUGEMEM_H */
