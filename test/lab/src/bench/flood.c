/*
 * flood: the benchmark's forged-packet generator. Compiled with gcc at bench time and run
 * inside the lab's attacker namespace (never in the root namespace).
 *
 * Sends UDP datagrams of random content to one address and one or more ports (round robin),
 * at a given rate or as fast as it can, until the duration or the packet cap is reached,
 * whichever comes first. Both are required and hard-capped (MAX_DURATION_MS, MAX_PACKETS).
 * Batches of up to BATCH datagrams go out with one sendmmsg(2) call.
 *
 *   flood --dst 192.0.2.1 --port 45123 [--port 45124 ...] --size 336 --rate 10000
 *         --duration-ms 5000 --max-packets 1000000 [--base64] [--spoof 198.18.0.0]
 *
 *   --rate 0       as fast as possible
 *   --base64       payload of random base64 characters (fwknop's packets are base64 text)
 *   --spoof NET    raw socket, random source address in NET/16 (a benchmarking range, RFC 2544:
 *                  198.18.0.0/15) and random source port; needs CAP_NET_RAW
 *   --spoof-bits N with --spoof: how many low bits of the source address are random (0..16,
 *                  default 16); 0 sends every packet from exactly NET (one spoofed host)
 *   --syn          with --spoof: TCP SYNs (no payload, --size ignored) instead of UDP datagrams
 *   --port-range LO-HI   a random destination port in LO..HI per packet, instead of --port
 *
 * At the end (or on SIGTERM/SIGINT) prints one JSON line:
 *   {"sent":N,"errors":N,"elapsedMs":X,"rate":R}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_PORTS 16
#define MAX_SIZE 1472 /* the largest UDP payload in one 1500-byte IPv4 packet */
#define POOL 256 /* distinct payloads, each also mutated per packet */
#define MAX_DURATION_MS 180000
#define MAX_PACKETS 100000000L

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) {
  /* xorshift64*: fast, not cryptographic; forged packets only need to look random */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dULL;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void fill(uint8_t *p, size_t n, int base64) {
  for (size_t i = 0; i < n; i++) {
    uint8_t b = (uint8_t)rnd();
    p[i] = base64 ? (uint8_t)B64[b & 63] : b;
  }
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void usage(const char *why) {
  fprintf(stderr, "flood: %s\n", why);
  fprintf(stderr,
          "usage: flood --dst IPV4 --port N [--port N...] --size N --rate PPS --duration-ms N "
          "--max-packets N [--base64] [--spoof NET [--spoof-bits N] [--syn]] [--port-range LO-HI]\n");
  exit(2);
}

static uint16_t ip_checksum(const void *data, size_t len) {
  const uint16_t *w = data;
  uint32_t sum = 0;
  for (; len > 1; len -= 2) sum += *w++;
  if (len) sum += *(const uint8_t *)w;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* TCP checksum over the IPv4 pseudo-header and a 20-byte header without payload. */
static uint16_t tcp_checksum(const struct iphdr *ip, const struct tcphdr *tcp) {
  struct {
    uint32_t src, dst;
    uint8_t zero, proto;
    uint16_t len;
    struct tcphdr tcp;
  } __attribute__((packed)) ph = {ip->saddr, ip->daddr, 0, IPPROTO_TCP, htons(sizeof *tcp), *tcp};
  ph.tcp.check = 0;
  return ip_checksum(&ph, sizeof ph);
}

int main(int argc, char **argv) {
  const char *dst = NULL, *spoof = NULL;
  int ports[MAX_PORTS], nports = 0, base64 = 0, syn = 0, range_lo = 0, range_hi = 0, spoof_bits = 16;
  long size = -1, rate = -1, duration_ms = -1, max_packets = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--base64")) {
      base64 = 1;
      continue;
    }
    if (!strcmp(a, "--syn")) {
      syn = 1;
      continue;
    }
    if (!v) usage("missing value");
    i++;
    if (!strcmp(a, "--dst")) dst = v;
    else if (!strcmp(a, "--spoof")) spoof = v;
    else if (!strcmp(a, "--spoof-bits")) spoof_bits = atoi(v);
    else if (!strcmp(a, "--port")) {
      if (nports == MAX_PORTS) usage("too many ports");
      ports[nports++] = atoi(v);
    } else if (!strcmp(a, "--port-range")) {
      if (sscanf(v, "%d-%d", &range_lo, &range_hi) != 2) usage("--port-range must be LO-HI");
    } else if (!strcmp(a, "--size")) size = atol(v);
    else if (!strcmp(a, "--rate")) rate = atol(v);
    else if (!strcmp(a, "--duration-ms")) duration_ms = atol(v);
    else if (!strcmp(a, "--max-packets")) max_packets = atol(v);
    else usage("unknown option");
  }
  if (!dst || (nports == 0 && range_lo == 0)) usage("--dst and --port (or --port-range) are required");
  for (int i = 0; i < nports; i++)
    if (ports[i] < 1 || ports[i] > 65535) usage("bad port");
  if (range_lo && (range_lo < 1 || range_hi > 65535 || range_lo > range_hi)) usage("bad --port-range");
  if (syn && !spoof) usage("--syn needs --spoof (raw socket)");
  if (spoof_bits < 0 || spoof_bits > 16) usage("--spoof-bits must be 0..16");
  if (syn) size = 0;
  else if (size < 1 || size > MAX_SIZE) usage("--size must be 1..1472");
  if (rate < 0) usage("--rate is required (0 = as fast as possible)");
  if (duration_ms < 1 || duration_ms > MAX_DURATION_MS) usage("--duration-ms must be 1..180000");
  if (max_packets < 1 || max_packets > MAX_PACKETS) usage("--max-packets must be 1..100000000");

  struct sockaddr_in to = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, dst, &to.sin_addr) != 1) usage("--dst must be an IPv4 address");
  struct in_addr spoof_net = {0};
  if (spoof && inet_pton(AF_INET, spoof, &spoof_net) != 1) usage("--spoof must be an IPv4 network");

  rng_state ^= (uint64_t)getpid() << 32 ^ (uint64_t)now_ms();
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);

  int fd = spoof ? socket(AF_INET, SOCK_RAW, IPPROTO_RAW) : socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    perror("flood: socket");
    return 1;
  }
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  /* Packet pool. In spoof mode each slot holds IP + UDP headers followed by the payload. */
  size_t hdr = spoof ? sizeof(struct iphdr) + (syn ? sizeof(struct tcphdr) : sizeof(struct udphdr)) : 0;
  size_t len = hdr + (size_t)size;
  static uint8_t pool[POOL][MAX_SIZE + 28];
  for (int i = 0; i < POOL; i++) fill(pool[i] + hdr, (size_t)size, base64);

  static uint8_t bufs[BATCH][MAX_SIZE + 28];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  static struct sockaddr_in tos[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = bufs[i];
    iov[i].iov_len = len;
    tos[i] = to;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &tos[i];
    msgs[i].msg_hdr.msg_namelen = sizeof tos[i];
  }

  long sent = 0, errors = 0, next_port = 0;
  double start = now_ms();
  double deadline = start + (double)duration_ms;
  /* Rate control: batches small enough to keep the rate smooth (about one per 1 ms). */
  long batch = rate == 0 ? BATCH : rate / 1000;
  if (batch < 1) batch = 1;
  if (batch > BATCH) batch = BATCH;

  while (!stop_flag && sent < max_packets) {
    double t = now_ms();
    if (t >= deadline) break;
    if (rate > 0) {
      double due = start + (double)sent * 1000.0 / (double)rate;
      if (due > t) {
        double wait = due - t;
        struct timespec ts = {(time_t)(wait / 1000), (long)(((long)(wait * 1e6)) % 1000000000L)};
        nanosleep(&ts, NULL);
        continue;
      }
    }
    long n = batch;
    if (n > max_packets - sent) n = max_packets - sent;
    for (long i = 0; i < n; i++) {
      uint8_t *b = bufs[i];
      memcpy(b, pool[rnd() % POOL], len);
      fill(b + hdr, size < 16 ? (size_t)size : 16, base64); /* every packet differs */
      int port = range_lo ? range_lo + (int)(rnd() % (uint64_t)(range_hi - range_lo + 1))
                          : ports[next_port++ % nports];
      tos[i].sin_port = htons((uint16_t)port);
      if (spoof) {
        struct iphdr *ip = (struct iphdr *)b;
        uint64_t r = rnd();
        memset(ip, 0, sizeof *ip);
        ip->version = 4;
        ip->ihl = 5;
        ip->ttl = 64;
        ip->protocol = syn ? IPPROTO_TCP : IPPROTO_UDP;
        ip->tot_len = htons((uint16_t)len);
        ip->saddr = spoof_net.s_addr | htonl((uint32_t)(r & ((1u << spoof_bits) - 1)));
        ip->daddr = to.sin_addr.s_addr;
        ip->check = ip_checksum(ip, sizeof *ip);
        uint16_t sport = htons((uint16_t)(1024 + ((r >> 16) % 64000)));
        if (syn) {
          struct tcphdr *tcp = (struct tcphdr *)(b + sizeof *ip);
          memset(tcp, 0, sizeof *tcp);
          tcp->source = sport;
          tcp->dest = htons((uint16_t)port);
          tcp->seq = htonl((uint32_t)(r >> 32));
          tcp->doff = 5;
          tcp->syn = 1;
          tcp->window = htons(64240);
          tcp->check = tcp_checksum(ip, tcp);
        } else {
          struct udphdr *udp = (struct udphdr *)(b + sizeof *ip);
          udp->source = sport;
          udp->dest = htons((uint16_t)port);
          udp->len = htons((uint16_t)(len - sizeof *ip));
          udp->check = 0; /* optional over IPv4 */
        }
      }
    }
    int r = sendmmsg(fd, msgs, (unsigned)n, 0);
    if (r < 0) {
      errors++;
      if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
        continue;
      }
      if (errors > 1000) {
        perror("flood: sendmmsg");
        break;
      }
      continue;
    }
    sent += r;
  }
  double elapsed = now_ms() - start;
  printf("{\"sent\":%ld,\"errors\":%ld,\"elapsedMs\":%.1f,\"rate\":%.0f}\n", sent, errors, elapsed,
         elapsed > 0 ? sent * 1000.0 / elapsed : 0.0);
  fflush(stdout);
  close(fd);
  return 0;
}
