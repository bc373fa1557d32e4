/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The af_xdp suite: the AF_XDP poll-mode driver (eth.h) on veth pairs.
 *
 * Each test that needs a wire makes its own: a network namespace
 * hmxdp-<runner pid>-<tag> and one or two veth pairs with one queue each
 * way, the host end here and the peer end in the namespace. The helper
 * (xdp_helper.c) enters the namespace and sends test frames (xdp_frames.h:
 * 60 to 1514 bytes, a sequence number and a hash) with an AF_PACKET socket,
 * or listens there for the frames the driver sends. The tests check that
 * every frame arrives intact in a buffer of the pool on hugepages, that sent
 * and forwarded frames come out of the other side, that the XDP program is
 * attached only while a port runs (and goes away when its process dies), and
 * that after stop every buffer is back in the pool and its audit is clean.
 * A test deletes its namespace (and with it the veth pairs) when done, and
 * the tcase's unchecked teardown, which runs in the runner even when a test
 * crashed, deletes whatever a test of this runner left behind.
 *
 * Tests skip loudly when the kernel has no AF_XDP, when namespaces or veth
 * cannot be made, or when no hugepages can be had.
 */

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include <hugemem/hugemem.h>
#include <hugemem/eth.h>

#include "../common/hm_test.h"
#include "xdp_frames.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

#define NS_PREFIX "hmxdp-"
#define POOL_N	  4096u /* buffers of the test pools */
#define DATA_ROOM 2048u
#define COUNT	  600u /* frames per run: 50 of each size */

/* ------------------------------------------------------------ the wire */

/* A namespace with up to two veth pairs: host[i] here, peer[i] there. */
struct net {
	char ns[40];
	char host[2][HM_ETH_NAMESIZE];
	char peer[2][HM_ETH_NAMESIZE];
	unsigned int pairs;
};

/* Run a command (argv[0] is looked up in PATH) quietly; @return its exit status. */
static int
run(const char *const *argv)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void
net_destroy(struct net *n)
{
	for (unsigned int i = 0; i < n->pairs; i++)
		run((const char *[]){"ip", "link", "del", n->host[i], NULL});
	run((const char *[]){"ip", "netns", "del", n->ns, NULL});
}

static bool
af_xdp_available(const char *test)
{
	int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		printf("SKIPPED %s: no AF_XDP sockets in this kernel (%s)\n", test,
		       strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/*
 * A namespace and `pairs` veth pairs with one queue each way, up, without
 * IPv6 addresses (so the stacks stay quiet). Prints SKIPPED and returns false
 * when it cannot be had.
 */
static bool
net_create(struct net *n, char tag, unsigned int pairs, const char *test)
{
	int ppid = (int)getppid();

	memset(n, 0, sizeof(*n));
	snprintf(n->ns, sizeof(n->ns), NS_PREFIX "%d-%c", ppid, tag);
	if (!af_xdp_available(test))
		return false;
	if (run((const char *[]){"ip", "netns", "add", n->ns, NULL}) != 0) {
		printf("SKIPPED %s: cannot create network namespace %s (ip netns add)\n", test,
		       n->ns);
		return false;
	}
	for (unsigned int i = 0; i < pairs; i++) {
		snprintf(n->host[i], sizeof(n->host[i]), "hx%c%uh%d", tag, i, ppid % 1000000);
		snprintf(n->peer[i], sizeof(n->peer[i]), "hx%c%up%d", tag, i, ppid % 1000000);
		if (run((const char *[]){"ip",		"link",	       "add",	      n->host[i],
					 "numtxqueues", "1",	       "numrxqueues", "1",
					 "type",	"veth",	       "peer",	      "name",
					 n->peer[i],	"netns",       n->ns,	      "numtxqueues",
					 "1",		"numrxqueues", "1",	      NULL}) != 0) {
			printf("SKIPPED %s: cannot create a veth pair %s/%s\n", test, n->host[i],
			       n->peer[i]);
			net_destroy(n);
			return false;
		}
		n->pairs++;
		ck_assert_int_eq(run((const char *[]){"ip", "link", "set", n->host[i],
						      "addrgenmode", "none", "up", NULL}),
				 0);
		ck_assert_int_eq(run((const char *[]){"ip", "-n", n->ns, "link", "set", n->peer[i],
						      "addrgenmode", "none", "up", NULL}),
				 0);
	}
	return true;
}

/* Delete every namespace a test of this runner left (runs in the runner itself). */
static void
leftovers_teardown(void)
{
	char prefix[32];
	DIR *d = opendir("/var/run/netns");
	struct dirent *e;

	if (d == NULL)
		return;
	snprintf(prefix, sizeof(prefix), NS_PREFIX "%d-", (int)getpid());
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			run((const char *[]){"ip", "netns", "del", e->d_name, NULL});
	closedir(d);
}

/* ------------------------------------------------------------ helpers */

static const char *
helper(void)
{
	return hm_test_env_path("HM_TEST_XDP_HELPER");
}

/* The EAL on hugepages (a primary of prefix); NULL and SKIPPED without them. */
static struct hm_test_huge *
init_huge(const char *test, const char *prefix)
{
	struct hm_test_huge *h = hm_test_hugepages_get(2048, 24, test);

	if (h == NULL)
		return NULL;
	struct hm_test_args a = hm_test_huge_primary(h, "0", "40", prefix, "error", NULL);

	ck_assert_int_ge(hm_test_eal_init(a.v), 0);
	return h;
}

/* A test's wire and its EAL on hugepages; NULL (SKIPPED printed, nothing left) without them. */
static struct hm_test_huge *
test_setup(struct net *n, char tag, unsigned int pairs, const char *test, const char *prefix)
{
	struct hm_test_huge *h;

	if (!net_create(n, tag, pairs, test))
		return NULL;
	h = init_huge(test, prefix);
	if (h == NULL)
		net_destroy(n);
	return h;
}

static void
test_teardown(struct net *n, struct hm_test_huge *h)
{
	net_destroy(n);
	hm_eal_cleanup();
	hm_test_hugepages_put(h);
}

static struct hm_mempool *
make_pool(const char *name)
{
	struct hm_mempool *mp = hm_pktpool_create(name, POOL_N, 64, 0, DATA_ROOM, HM_SOCKET_ID_ANY);

	ck_assert_ptr_nonnull(mp);
	return mp;
}

static struct hm_eth_port *
start_port(const char *ifname, struct hm_mempool *mp)
{
	struct hm_eth_port *port = hm_eth_configure(
	    &(struct hm_eth_conf){.ifname = ifname, .pool = mp, .ring_size = 1024});

	ck_assert_msg(port != NULL, "configure %s: %s", ifname, strerror(errno));
	ck_assert_int_eq(hm_eth_start(port), 0);
	return port;
}

/* Every buffer back, none in use, the audit clean. */
static void
check_pool_whole(struct hm_mempool *mp)
{
	unsigned int in_use = 1;

	ck_assert_uint_eq(hm_mempool_avail_count(mp), mp->size);
	ck_assert_int_eq(hm_mempool_audit(mp, &in_use), 0);
	ck_assert_uint_eq(in_use, 0);
}

/* Wait until `out` (a helper's stdout) says "ready", or the helper ends. */
static void
wait_ready(pid_t pid, const char *out)
{
	char buf[256];

	for (int i = 0; i < 1000; i++) {
		hm_test_read_file(out, buf, sizeof(buf));
		if (strstr(buf, "ready") != NULL)
			return;
		ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), 0);
		usleep(10000);
	}
	ck_abort_msg("the helper never got ready");
}

static uint32_t
xdp_prog_id(const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	ck_assert_int_eq(bpf_xdp_query((int)if_nametoindex(ifname), 0, &q), 0);
	return q.skb_prog_id ? q.skb_prog_id : q.drv_prog_id;
}

/*
 * Receive on port until every frame of run seed came (each checked: intact,
 * in a buffer of mp on hugepages, with the right port and IOVA) or the time
 * is up; frames that are no test frames are freed. @return frames got.
 */
static unsigned int
receive_run(struct hm_eth_port *port, struct hm_mempool *mp, uint16_t seed, unsigned int count)
{
	uint8_t *seen = calloc(count, 1);
	unsigned int got = 0;
	uint64_t end = (uint64_t)time(NULL) + 20;

	ck_assert_ptr_nonnull(seen);
	while (got < count && (uint64_t)time(NULL) < end) {
		struct hm_pktbuf *pkts[32];
		uint16_t n = hm_eth_rx_burst(port, 0, pkts, 32);

		for (uint16_t i = 0; i < n; i++) {
			struct hm_pktbuf *m = pkts[i];
			uint8_t *d = hm_pktbuf_mtod(m, uint8_t *);
			uint32_t seq;

			ck_assert(hm_mempool_obj_valid(mp, m));
			ck_assert_ptr_eq(m->pool, mp);
			ck_assert_uint_eq(m->port, hm_eth_port_id(port));
			ck_assert_uint_eq(m->nb_segs, 1);
			ck_assert_uint_eq(m->pkt_len, m->data_len);
			ck_assert_uint_eq(hm_pktbuf_data_iova(m), hm_virt2iova(d));
			ck_assert_ptr_nonnull(hm_mem_virt2memseg(d));
			ck_assert_uint_ge(hm_mem_virt2memseg(d)->hugepage_sz, 2u << 20);
			if (xf_is_test_frame(d, m->data_len)) {
				ck_assert_msg(xf_check(d, m->data_len, seed, false, &seq),
					      "frame of %u bytes damaged", m->data_len);
				ck_assert_uint_lt(seq, count);
				ck_assert_msg(!seen[seq], "frame %u came twice", seq);
				seen[seq] = 1;
				got++;
			}
			ck_assert_int_eq(hm_pktbuf_free(m), 0);
		}
		if (n == 0)
			usleep(100);
	}
	free(seen);
	return got;
}

static pid_t
spawn_sender(const struct net *n, unsigned int pair, unsigned int count, uint16_t seed)
{
	char c[16], s[16];

	snprintf(c, sizeof(c), "%u", count);
	snprintf(s, sizeof(s), "%u", seed);
	return hm_test_spawn(helper(), (const char *[]){"send", n->ns, n->peer[pair], c, s, NULL});
}

/* The helper listening on peer[recv] (sending on peer[send] unless send < 0). */
static pid_t
spawn_expect(const struct net *n, int send, unsigned int recv, unsigned int count, uint16_t seed,
	     bool swapped, const char *out)
{
	char c[16], s[16];

	snprintf(c, sizeof(c), "%u", count);
	snprintf(s, sizeof(s), "%u", seed);
	pid_t pid = hm_test_spawn_io(helper(),
				     (const char *[]){"expect", n->ns,
						      send < 0 ? "-" : n->peer[send], n->peer[recv],
						      c, s, swapped ? "1" : "0", "20000", NULL},
				     out, out);
	wait_ready(pid, out);
	return pid;
}

static void
swap_macs(struct hm_pktbuf *m)
{
	uint8_t *d = hm_pktbuf_mtod(m, uint8_t *), tmp[6];

	memcpy(tmp, d, 6);
	memcpy(d, d + 6, 6);
	memcpy(d + 6, tmp, 6);
}

/* ------------------------------------------------------------- tests */

START_TEST(configure_refuses_bad_arguments_and_fast_paths_refuse_a_stopped_port)
{
	const char *args[] = {
	    "-l",	   "0",	    "--no-huge", "-m", "64", "--file-prefix", hm_test_prefix("xb"),
	    "--log-level", "emerg", NULL};
	static struct hm_mempool not_a_pool; /* zeroes: no pool's magic */
	struct hm_mempool *mp, *plain, *small;
	struct hm_eth_port *port;
	struct hm_eth_stats st;
	struct hm_pktbuf *pkts[4];
	uint8_t mac[6];

	errno = 0;
	ck_assert_ptr_null(hm_eth_configure(&(struct hm_eth_conf){.ifname = "lo"}));
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_int_ge(hm_test_eal_init(args), 0);
	mp = hm_pktpool_create("xb-pool", 512, 0, 0, DATA_ROOM, HM_SOCKET_ID_ANY);
	plain = hm_mempool_create("xb-plain", 512, 2200, 0, 0, NULL, NULL, HM_SOCKET_ID_ANY, 0);
	small = hm_pktpool_create("xb-small", 512, 0, 0, 1024, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(mp);
	ck_assert_ptr_nonnull(plain);
	ck_assert_ptr_nonnull(small);

	const struct hm_eth_conf bad[] = {
	    {.ifname = NULL, .pool = mp},
	    {.ifname = "", .pool = mp},
	    {.ifname = "a-name-far-too-long", .pool = mp},
	    {.ifname = "lo", .pool = NULL},
	    {.ifname = "lo", .pool = &not_a_pool},
	    {.ifname = "lo", .pool = plain},
	    {.ifname = "lo", .pool = small},
	    {.ifname = "lo", .pool = mp, .nb_queues = HM_ETH_MAX_QUEUES + 1},
	    {.ifname = "lo", .pool = mp, .ring_size = 1000},
	    {.ifname = "lo", .pool = mp, .ring_size = 32},
	    {.ifname = "lo", .pool = mp, .ring_size = 1u << 20},
	    {.ifname = "lo", .pool = mp, .frame_size = 1024},
	    {.ifname = "lo", .pool = mp, .frame_size = 8192},
	    {.ifname = "lo", .pool = mp, .first_queue = UINT16_MAX},
	    {.ifname = "lo", .pool = mp, .flags = 0x80},
	};
	errno = 0;
	ck_assert_ptr_null(hm_eth_configure(NULL));
	ck_assert_int_eq(errno, EINVAL);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_msg(hm_eth_configure(&bad[i]) == NULL, "bad configuration %u taken", i);
		ck_assert_msg(errno == EINVAL, "bad configuration %u: errno %d", i, errno);
	}
	errno = 0;
	ck_assert_ptr_null(
	    hm_eth_configure(&(struct hm_eth_conf){.ifname = "hmnosuch0", .pool = mp}));
	ck_assert_int_eq(errno, ENODEV);

	port = hm_eth_configure(&(struct hm_eth_conf){.ifname = "lo", .pool = mp});
	ck_assert_ptr_nonnull(port);
	errno = 0;
	ck_assert_ptr_null(hm_eth_configure(&(struct hm_eth_conf){.ifname = "lo", .pool = mp}));
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_str_eq(hm_eth_ifname(port), "lo");
	ck_assert_uint_lt(hm_eth_port_id(port), HM_ETH_MAX_PORTS);
	ck_assert_int_eq(hm_eth_macaddr_get(port, mac), 0);
	ck_assert_int_eq(hm_eth_macaddr_get(port, NULL), -EINVAL);
	ck_assert_int_eq(hm_eth_macaddr_get(NULL, mac), -EINVAL);

	/* Not started: bursts take nothing and say why; stop has nothing to stop. */
	errno = 0;
	ck_assert_uint_eq(hm_eth_rx_burst(port, 0, pkts, 4), 0);
	ck_assert_int_eq(errno, ENETDOWN);
	errno = 0;
	ck_assert_uint_eq(hm_eth_tx_burst(port, 0, pkts, 4), 0);
	ck_assert_int_eq(errno, ENETDOWN);
	errno = 0;
	ck_assert_uint_eq(hm_eth_rx_burst(NULL, 0, pkts, 4), 0);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(hm_eth_stop(port), -EALREADY);
	ck_assert_int_eq(hm_eth_start(NULL), -EINVAL);
	ck_assert_int_eq(hm_eth_stop(NULL), -EINVAL);
	ck_assert_int_eq(hm_eth_stats_get(NULL, &st), -EINVAL);
	ck_assert_int_eq(hm_eth_stats_get(port, NULL), -EINVAL);
	ck_assert_int_eq(hm_eth_stats_reset(NULL), -EINVAL);
	ck_assert_int_eq(hm_eth_stats_get(port, &st), 0);
	ck_assert_uint_eq(st.ipackets + st.opackets + st.rx_dropped, 0);
	ck_assert_uint_eq(hm_eth_port_id(NULL), UINT16_MAX);
	ck_assert_ptr_null(hm_eth_ifname(NULL));
	ck_assert_uint_eq(hm_eth_buffers_held(port), 0);
	ck_assert_int_eq(hm_eth_close(NULL), 0);
	ck_assert_int_eq(hm_eth_close(port), 0);
	/* The interface is free again. */
	port = hm_eth_configure(&(struct hm_eth_conf){.ifname = "lo", .pool = mp});
	ck_assert_ptr_nonnull(port);
	ck_assert_int_eq(hm_eth_close(port), 0);
	check_pool_whole(mp);
	hm_eal_cleanup();
}
END_TEST

/* One run of frames into the host end, received whole; `flags` of the port (XDP mode). */
static void
receive_test(char tag, uint32_t flags, const char *test)
{
	struct hm_test_huge *h;
	struct hm_eth_stats st;
	struct hm_eth_port *port;
	struct hm_mempool *mp;
	struct net n;

	h = test_setup(&n, tag, 1, test, hm_test_prefix("xr"));
	if (h == NULL)
		return;
	mp = make_pool("xr-pool");
	port = hm_eth_configure(&(struct hm_eth_conf){
	    .ifname = n.host[0], .pool = mp, .ring_size = 1024, .flags = flags});
	ck_assert_ptr_nonnull(port);
	ck_assert_int_eq(hm_eth_start(port), 0);
	LIBBPF_OPTS(bpf_xdp_query_opts, xq);
	ck_assert_int_eq(bpf_xdp_query((int)if_nametoindex(n.host[0]), 0, &xq), 0);
	/* Attached in the mode asked for: generic (SKB) unless native. */
	ck_assert_uint_ne(flags & HM_ETH_F_NATIVE_XDP ? xq.drv_prog_id : xq.skb_prog_id, 0);
	ck_assert_uint_eq(flags & HM_ETH_F_NATIVE_XDP ? xq.skb_prog_id : xq.drv_prog_id, 0);
	ck_assert_uint_eq(hm_eth_buffers_held(port), 1024);

	pid_t pid = spawn_sender(&n, 0, COUNT, 7);
	ck_assert_uint_eq(receive_run(port, mp, 7, COUNT), COUNT);
	ck_assert_int_eq(hm_test_wait(pid, 20000), 0);
	ck_assert_int_eq(hm_eth_stats_get(port, &st), 0);
	ck_assert_uint_ge(st.ipackets, COUNT);
	ck_assert_uint_eq(st.q_ipackets[0], st.ipackets);
	ck_assert_uint_ge(st.ibytes, (uint64_t)COUNT * 60);
	ck_assert_uint_eq(st.rx_dropped + st.rx_ring_full, 0);
	ck_assert_uint_eq(st.rx_nombuf, 0);
	/* The fill ring was kept topped up from the pool. */
	ck_assert_uint_ge(hm_eth_buffers_held(port), 1024 - 64);

	ck_assert_int_eq(hm_eth_stop(port), 0);
	ck_assert_uint_eq(xdp_prog_id(n.host[0]), 0);
	ck_assert_uint_eq(hm_eth_buffers_held(port), 0);
	check_pool_whole(mp);
	ck_assert_int_eq(hm_eth_close(port), 0);
	ck_assert_int_eq(hm_mempool_free(mp), 0);
	test_teardown(&n, h);
}

START_TEST(every_frame_sent_into_the_interface_arrives_intact_in_a_hugepage_buffer)
{
	receive_test('r', 0, "af_xdp every_frame_arrives");
}
END_TEST

/* veth has an XDP mode of its own; AF_XDP works over it in copy mode too. */
START_TEST(in_native_xdp_mode_on_veth_every_frame_arrives_intact_too)
{
	receive_test('n', HM_ETH_F_NATIVE_XDP, "af_xdp native_mode_frames_arrive");
}
END_TEST

START_TEST(sent_frames_come_out_of_the_peer_intact_copied_when_foreign_or_chained)
{
	const char *test = "af_xdp sent_frames_come_out";
	char out[64];
	struct hm_mempool *mp, *other;
	struct hm_test_huge *h;
	struct hm_eth_stats st;
	struct hm_eth_port *port;
	struct net n;
	char buf[256];

	h = test_setup(&n, 't', 1, test, hm_test_prefix("xt"));
	if (h == NULL)
		return;
	snprintf(out, sizeof(out), "/tmp/hm_xdp_tx_%d.out", (int)getpid());
	mp = make_pool("xt-pool");
	other = hm_pktpool_create("xt-other", 256, 0, 0, DATA_ROOM, HM_SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(other);
	port = start_port(n.host[0], mp);
	pid_t pid = spawn_expect(&n, -1, 0, COUNT, 9, false, out);

	/* Frame seq % 3: 0 in a buffer of the port's pool, 1 of another pool, 2 a chain of two. */
	for (uint32_t seq = 0; seq < COUNT; seq++) {
		struct hm_pktbuf *m = hm_pktbuf_alloc(seq % 3 == 1 ? other : mp);
		uint8_t frame[XF_MAX_LEN];
		unsigned int len = xf_build(frame, seq, 9);

		ck_assert_ptr_nonnull(m);
		if (seq % 3 == 2) {
			struct hm_pktbuf *t = hm_pktbuf_alloc(other);
			unsigned int half = len / 2;

			ck_assert_ptr_nonnull(t);
			memcpy(hm_pktbuf_append(m, (uint16_t)half), frame, half);
			memcpy(hm_pktbuf_append(t, (uint16_t)(len - half)), frame + half,
			       len - half);
			m->next = t;
			m->nb_segs = 2;
			m->pkt_len = len;
		} else {
			memcpy(hm_pktbuf_append(m, (uint16_t)len), frame, len);
		}
		for (int tries = 0; hm_eth_tx_burst(port, 0, &m, 1) != 1; tries++) {
			ck_assert_int_lt(tries, 100000);
			usleep(10);
		}
	}
	ck_assert_int_eq(hm_test_wait(pid, 30000), 0);
	hm_test_read_file(out, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "received 600 of 600, bad 0, repeated 0"));
	ck_assert_int_eq(hm_eth_stats_get(port, &st), 0);
	ck_assert_uint_eq(st.opackets, COUNT);
	ck_assert_uint_eq(st.q_opackets[0], COUNT);
	ck_assert_uint_eq(st.oerrors, 0);
	ck_assert_uint_eq(st.tx_invalid_descs, 0);
	/* The copied frames' own buffers went back at once. */
	ck_assert_uint_eq(hm_mempool_avail_count(other), other->size);

	/* A frame longer than a frame of the port is dropped and counted. */
	struct hm_pktbuf *big = hm_pktbuf_alloc(mp);
	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(hm_pktbuf_append(big, DATA_ROOM - 128));
	big->pkt_len = DATA_ROOM + 1;
	ck_assert_uint_eq(hm_eth_tx_burst(port, 0, &big, 1), 1);
	ck_assert_int_eq(hm_eth_stats_get(port, &st), 0);
	ck_assert_uint_eq(st.oerrors, 1);

	ck_assert_int_eq(hm_eth_stop(port), 0);
	check_pool_whole(mp);
	check_pool_whole(other);
	ck_assert_int_eq(hm_eth_close(port), 0);
	unlink(out);
	test_teardown(&n, h);
}
END_TEST

START_TEST(frames_received_on_one_port_are_forwarded_out_of_the_other_intact)
{
	const char *test = "af_xdp frames_are_forwarded";
	char out[64];
	struct hm_eth_port *in, *fwd;
	struct hm_eth_stats si, so;
	struct hm_test_huge *h;
	struct hm_mempool *mp;
	struct net n;
	int status = -1;

	h = test_setup(&n, 'f', 2, test, hm_test_prefix("xf"));
	if (h == NULL)
		return;
	snprintf(out, sizeof(out), "/tmp/hm_xdp_fwd_%d.out", (int)getpid());
	mp = make_pool("xf-pool");
	in = start_port(n.host[0], mp);
	fwd = start_port(n.host[1], mp);
	ck_assert_uint_ne(hm_eth_port_id(in), hm_eth_port_id(fwd));
	pid_t pid = spawn_expect(&n, 0, 1, COUNT, 11, true, out);

	/* l2fwd: in on host[0], MACs exchanged, out of host[1], until the helper has them all. */
	for (int i = 0; i < 400000 && status < 0; i++) {
		struct hm_pktbuf *pkts[32];
		uint16_t k = hm_eth_rx_burst(in, 0, pkts, 32), sent = 0;

		for (uint16_t j = 0; j < k; j++)
			swap_macs(pkts[j]);
		for (int tries = 0; sent < k && tries < 1000; tries++)
			sent += hm_eth_tx_burst(fwd, 0, pkts + sent, (uint16_t)(k - sent));
		ck_assert_uint_eq(sent, k);
		if (k == 0) {
			pid_t r = waitpid(pid, &status, WNOHANG);

			if (r == pid)
				status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
			else
				status = -1;
			usleep(50);
		}
	}
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(hm_eth_stats_get(in, &si), 0);
	ck_assert_int_eq(hm_eth_stats_get(fwd, &so), 0);
	ck_assert_uint_ge(si.ipackets, COUNT);
	ck_assert_uint_eq(so.opackets, si.ipackets);
	ck_assert_uint_eq(so.oerrors, 0);
	ck_assert_int_eq(hm_eth_stop(in), 0);
	ck_assert_int_eq(hm_eth_stop(fwd), 0);
	check_pool_whole(mp);
	ck_assert_int_eq(hm_eth_close(in), 0);
	ck_assert_int_eq(hm_eth_close(fwd), 0);
	unlink(out);
	test_teardown(&n, h);
}
END_TEST

START_TEST(stop_takes_back_the_frames_left_in_the_rings_and_a_restart_receives_again)
{
	const char *test = "af_xdp stop_takes_back";
	struct hm_test_huge *h;
	struct hm_eth_port *port;
	struct hm_eth_stats st;
	struct hm_pktbuf *pkts[8];
	struct hm_mempool *mp;
	struct net n;

	h = test_setup(&n, 's', 1, test, hm_test_prefix("xs"));
	if (h == NULL)
		return;
	mp = make_pool("xs-pool");
	port = start_port(n.host[0], mp);
	/* Frames come and wait in the RX ring; a few are taken and kept for a while. */
	ck_assert_int_eq(hm_test_wait(spawn_sender(&n, 0, COUNT, 3), 20000), 0);
	usleep(100 * 1000);
	ck_assert_uint_eq(hm_eth_rx_burst(port, 0, pkts, 8), 8);
	ck_assert_uint_eq(hm_mempool_in_use_count(mp), hm_eth_buffers_held(port) + 8);
	ck_assert_int_eq(hm_eth_stop(port), 0);
	ck_assert_uint_eq(hm_eth_buffers_held(port), 0);
	ck_assert_uint_eq(hm_mempool_in_use_count(mp), 8);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(hm_pktbuf_free(pkts[i]), 0);
	check_pool_whole(mp);

	/* Started again, the port receives a new run whole; the counters go on. */
	ck_assert_int_eq(hm_eth_start(port), 0);
	ck_assert_int_eq(hm_eth_start(port), -EALREADY);
	pid_t pid = spawn_sender(&n, 0, COUNT, 4);
	ck_assert_uint_eq(receive_run(port, mp, 4, COUNT), COUNT);
	ck_assert_int_eq(hm_test_wait(pid, 20000), 0);
	ck_assert_int_eq(hm_eth_stats_get(port, &st), 0);
	ck_assert_uint_ge(st.ipackets, COUNT + 8);
	ck_assert_int_eq(hm_eth_stats_reset(port), 0);
	ck_assert_int_eq(hm_eth_stats_get(port, &st), 0);
	ck_assert_uint_eq(st.ipackets + st.ibytes + st.rx_dropped, 0);
	/* Close stops a running port. */
	ck_assert_int_eq(hm_eth_close(port), 0);
	ck_assert_uint_eq(xdp_prog_id(n.host[0]), 0);
	check_pool_whole(mp);
	test_teardown(&n, h);
}
END_TEST

/* A secondary of this primary driving a port; `kill` it once ready instead of letting it run. */
static void
run_secondary(char tag, bool kill_it)
{
	const char *test = kill_it ? "af_xdp program_goes_with_its_process"
				   : "af_xdp secondary_receives_and_sends";
	char out[64], exp_out[64];
	struct hm_test_huge *h;
	struct hm_mempool *mp;
	const char *argv[32];
	unsigned int k = 0;
	struct net n;
	char buf[512];
	const char *prefix = hm_test_prefix(kill_it ? "xk" : "xp");

	h = test_setup(&n, tag, 1, test, prefix);
	if (h == NULL)
		return;
	mp = make_pool("xp-pool");
	snprintf(out, sizeof(out), "/tmp/hm_xdp_sec_%d.out", (int)getpid());
	snprintf(exp_out, sizeof(exp_out), "/tmp/hm_xdp_exp_%d.out", (int)getpid());
	struct hm_test_args sec = hm_test_secondary_args("1", "secondary", prefix, "error");
	argv[k++] = "secondary";
	for (unsigned int i = 0; sec.v[i] != NULL; i++)
		argv[k++] = sec.v[i];
	argv[k++] = "--";
	argv[k++] = "xp-pool";
	argv[k++] = n.host[0];
	argv[k++] = "600";
	argv[k++] = "13";
	argv[k++] = "20000";
	argv[k] = NULL;
	pid_t spid = hm_test_spawn_io(helper(), argv, out, out);
	wait_ready(spid, out);
	ck_assert_uint_ne(xdp_prog_id(n.host[0]), 0);
	if (kill_it) {
		/* The BPF link dies with the process: nothing stays attached. */
		kill(spid, SIGKILL);
		ck_assert_int_eq(hm_test_wait(spid, 10000), 128 + SIGKILL);
		for (int i = 0; i < 200 && xdp_prog_id(n.host[0]) != 0; i++)
			usleep(10000);
		ck_assert_uint_eq(xdp_prog_id(n.host[0]), 0);
	} else {
		pid_t epid = spawn_expect(&n, 0, 0, COUNT, 13, true, exp_out);
		int es = hm_test_wait(epid, 30000), ss = hm_test_wait(spid, 30000);

		hm_test_read_file(out, buf, sizeof(buf));
		ck_assert_msg(ss == 0, "secondary: status %d: %s", ss, buf);
		ck_assert_ptr_nonnull(strstr(buf, "secondary received 600 of 600, bad 0"));
		hm_test_read_file(exp_out, buf, sizeof(buf));
		ck_assert_msg(es == 0, "the frames sent back: status %d: %s", es, buf);
		/* What the secondary took and sent, it gave back to the primary's pool. */
		check_pool_whole(mp);
		ck_assert_uint_eq(xdp_prog_id(n.host[0]), 0);
	}
	unlink(out);
	unlink(exp_out);
	test_teardown(&n, h);
}

START_TEST(a_port_of_a_secondary_process_receives_and_sends_with_the_primarys_pool)
{
	run_secondary('p', false);
}
END_TEST

START_TEST(the_xdp_program_goes_away_when_its_process_is_killed)
{
	run_secondary('k', true);
}
END_TEST

static Suite *
af_xdp_suite(void)
{
	Suite *s = suite_create("af_xdp");
	TCase *tc = tcase_create("af_xdp");

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, NULL, leftovers_teardown);
	tcase_add_test(tc, configure_refuses_bad_arguments_and_fast_paths_refuse_a_stopped_port);
	tcase_add_test(tc, every_frame_sent_into_the_interface_arrives_intact_in_a_hugepage_buffer);
	tcase_add_test(tc, in_native_xdp_mode_on_veth_every_frame_arrives_intact_too);
	tcase_add_test(tc, sent_frames_come_out_of_the_peer_intact_copied_when_foreign_or_chained);
	tcase_add_test(tc, frames_received_on_one_port_are_forwarded_out_of_the_other_intact);
	tcase_add_test(tc,
		       stop_takes_back_the_frames_left_in_the_rings_and_a_restart_receives_again);
	tcase_add_test(tc, a_port_of_a_secondary_process_receives_and_sends_with_the_primarys_pool);
	tcase_add_test(tc, the_xdp_program_goes_away_when_its_process_is_killed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return hm_test_run_suite(af_xdp_suite());
}
