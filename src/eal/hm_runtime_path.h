/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HM_RUNTIME_PATH_H
#define HM_RUNTIME_PATH_H

/*
 * Where a prefix's runtime directory is: $RUNTIME_DIRECTORY (systemd's),
 * else /var/run for root, else $XDG_RUNTIME_DIR, else /tmp; then
 * "hugemem/<prefix>". Header-only, so that hugememctl, which does not link
 * libhugemem, follows the same rules as the EAL.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* @return 0, or -ENAMETOOLONG if the path does not fit len bytes. */
static inline int
hm_runtime_dir_path(const char *prefix, char *buf, size_t len)
{
	const char *base = getenv("RUNTIME_DIRECTORY");
	int n;

	if (base == NULL || base[0] != '/') {
		if (geteuid() == 0)
			base = "/var/run";
		else {
			base = getenv("XDG_RUNTIME_DIR");
			if (base == NULL || base[0] != '/')
				base = "/tmp";
		}
	}
	n = snprintf(buf, len, "%s/hugemem/%s", base, prefix);
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

#endif /* HM_RUNTIME_PATH_H */
