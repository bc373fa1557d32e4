/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The runtime directory of a file prefix and the lock that makes one process
 * its primary.
 *
 * <runtime>/config is the shared configuration file. The primary holds an
 * open-file-description write lock (F_OFD_SETLK) on it for its whole life;
 * the kernel drops the lock when the primary exits, however it exits. So:
 *   - a second primary fails to take the lock: refused;
 *   - --proc-type=auto becomes primary if it gets the lock, else secondary;
 *   - a secondary tests the lock (F_OFD_GETLK, which places nothing): no
 *     lock means no live primary;
 *   - a primary that takes the lock and finds a non-empty config file knows
 *     the previous primary died without cleaning up, and removes what it
 *     left in the runtime directory (the memory subsystem removes its
 *     hugepage files).
 * The directory is created 0700 and must be a real directory owned by us.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eal_pvt.h"

#define EAL "eal"

static struct {
	int fd;
	bool created;
	bool stale;
	enum hm_proc_type type;
	char dir[PATH_MAX];
	char config[PATH_MAX];
} rt = {.fd = -1};

/* mkdir that accepts an existing directory only if it is ours and not a link. */
static int
make_private_dir(const char *path, bool *created)
{
	struct stat st;

	if (mkdir(path, 0700) == 0) {
		if (created != NULL)
			*created = true;
		return 0;
	}
	if (errno != EEXIST)
		return -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -ENOTDIR;
	return 0;
}

static void
remove_stale_entries(void)
{
	DIR *d = opendir(rt.dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, "config") == 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			HM_LOG(INFO, EAL, "removed stale %s/%s", rt.dir, e->d_name);
	}
	closedir(d);
}

static int
lock_config(int fd, int cmd, struct flock *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = F_WRLCK;
	fl->l_whence = SEEK_SET;
	return fcntl(fd, cmd, fl);
}

/*
 * The locked fd must still be the file at rt.config: a primary that exits
 * unlinks it before its close drops the lock, and a process that opened it
 * just before would otherwise own a lock on a file nobody can find.
 */
static bool
locked_file_is_current(int fd)
{
	struct stat by_fd, by_path;

	if (fstat(fd, &by_fd) < 0 || stat(rt.config, &by_path) < 0)
		return false;
	return by_fd.st_nlink > 0 && by_fd.st_dev == by_path.st_dev &&
	       by_fd.st_ino == by_path.st_ino;
}

static int
open_primary_once(const struct hm_eal_config *cfg, enum hm_proc_type *type)
{
	struct flock fl;
	struct stat st;

	rt.fd = open(rt.config, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (rt.fd < 0) {
		int err = errno;

		HM_LOG(ERR, EAL, "prefix %s: cannot open %s: %s", cfg->file_prefix, rt.config,
		       strerror(err));
		return -err;
	}
	if (lock_config(rt.fd, F_OFD_SETLK, &fl) < 0) {
		int err = errno;

		close(rt.fd);
		rt.fd = -1;
		if (err != EAGAIN && err != EACCES) {
			HM_LOG(ERR, EAL, "prefix %s: cannot lock %s: %s", cfg->file_prefix,
			       rt.config, strerror(err));
			return -err;
		}
		if (cfg->proc_type == HM_PROC_AUTO) {
			*type = HM_PROC_SECONDARY;
			return 1; /* caller opens as a secondary */
		}
		HM_LOG(ERR, EAL,
		       "prefix %s: another primary process is running (it holds %s); use "
		       "--proc-type=secondary to attach or another --file-prefix",
		       cfg->file_prefix, rt.config);
		return -EEXIST;
	}
	if (!locked_file_is_current(rt.fd)) {
		close(rt.fd);
		rt.fd = -1;
		return -EAGAIN;
	}
	if (fstat(rt.fd, &st) == 0 && st.st_size > 0) {
		/*
		 * A dead primary's config. Its secondaries may still map it: unlink it
		 * and start on a new file rather than truncate what they read.
		 */
		rt.stale = true;
		HM_LOG(NOTICE, EAL,
		       "prefix %s: the previous primary died without cleaning up; removing its "
		       "files",
		       cfg->file_prefix);
		unlink(rt.config);
		remove_stale_entries();
		close(rt.fd);
		rt.fd = -1;
		return -EAGAIN;
	}
	*type = HM_PROC_PRIMARY;
	return 0;
}

static int
open_primary(const struct hm_eal_config *cfg, enum hm_proc_type *type)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		int ret = open_primary_once(cfg, type);

		if (ret != -EAGAIN)
			return ret;
	}
	HM_LOG(ERR, EAL, "prefix %s: %s keeps changing under us; is another primary starting?",
	       cfg->file_prefix, rt.config);
	return -EBUSY;
}

static int
open_secondary(const struct hm_eal_config *cfg)
{
	struct flock fl;

	rt.fd = open(rt.config, O_RDWR | O_CLOEXEC);
	if (rt.fd < 0 && errno == ENOENT) {
		HM_LOG(ERR, EAL,
		       "prefix %s: no primary process is running (no %s); start hugememd "
		       "--file-prefix %s first",
		       cfg->file_prefix, rt.config, cfg->file_prefix);
		return -ENOENT;
	}
	if (rt.fd < 0) {
		int err = errno;

		HM_LOG(ERR, EAL, "prefix %s: cannot open %s: %s", cfg->file_prefix, rt.config,
		       strerror(err));
		return -err;
	}
	if (lock_config(rt.fd, F_OFD_GETLK, &fl) < 0 || fl.l_type == F_UNLCK) {
		close(rt.fd);
		rt.fd = -1;
		HM_LOG(ERR, EAL,
		       "prefix %s: no primary process is running (%s is not locked: its primary "
		       "is dead)",
		       cfg->file_prefix, rt.config);
		return -ENOENT;
	}
	return 0;
}

int
hm_runtime_open(const struct hm_eal_config *cfg, enum hm_proc_type *type)
{
	char parent[PATH_MAX];
	int ret;

	rt.created = false;
	rt.stale = false;
	rt.fd = -1;
	rt.dir[0] = '\0';
	if (cfg->in_memory) {
		*type = HM_PROC_PRIMARY;
		rt.type = *type;
		return 0;
	}
	ret = hm_runtime_dir_path(cfg->file_prefix, rt.dir, sizeof(rt.dir));
	if (ret == 0 &&
	    snprintf(rt.config, sizeof(rt.config), "%s/config", rt.dir) >= (int)sizeof(rt.config))
		ret = -ENAMETOOLONG;
	if (ret < 0) {
		HM_LOG(ERR, EAL, "prefix %s: runtime directory path too long", cfg->file_prefix);
		rt.dir[0] = '\0';
		return ret;
	}
	snprintf(parent, sizeof(parent), "%s", rt.dir);
	*strrchr(parent, '/') = '\0';
	if (cfg->proc_type != HM_PROC_SECONDARY) {
		ret = make_private_dir(parent, NULL);
		if (ret == 0)
			ret = make_private_dir(rt.dir, &rt.created);
		if (ret < 0) {
			HM_LOG(ERR, EAL, "prefix %s: cannot create runtime directory %s: %s",
			       cfg->file_prefix, rt.dir, strerror(-ret));
			rt.dir[0] = '\0';
			return ret;
		}
		ret = open_primary(cfg, type);
		if (ret <= 0) {
			if (ret < 0)
				hm_runtime_close(false);
			rt.type = *type;
			return ret;
		}
	}
	ret = open_secondary(cfg);
	if (ret < 0) {
		rt.dir[0] = '\0';
		return ret;
	}
	*type = HM_PROC_SECONDARY;
	rt.type = *type;
	return 0;
}

void
hm_runtime_close(bool primary_exit)
{
	char parent[PATH_MAX];

	if (primary_exit && rt.dir[0] != '\0') {
		unlink(rt.config);
		if (rmdir(rt.dir) < 0 && errno != ENOENT)
			HM_LOG(WARNING, EAL, "cannot remove runtime directory %s: %s", rt.dir,
			       strerror(errno));
		snprintf(parent, sizeof(parent), "%s", rt.dir);
		*strrchr(parent, '/') = '\0';
		rmdir(parent); /* only succeeds when no other prefix is in use */
	} else if (rt.created && rt.dir[0] != '\0') {
		/* A primary that failed before it owned anything: undo the mkdir. */
		rmdir(rt.dir);
	}
	if (rt.fd >= 0)
		close(rt.fd);
	rt.fd = -1;
	rt.dir[0] = '\0';
	rt.created = false;
}

int
hm_eal_config_fd(void)
{
	return rt.fd;
}

bool
hm_eal_found_stale(void)
{
	return rt.stale;
}

const char *
hm_eal_runtime_dir(void)
{
	return rt.dir;
}
