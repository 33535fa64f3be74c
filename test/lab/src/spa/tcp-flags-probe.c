/*
 * One TCP segment with chosen flags, and what comes back: for the lab's stealth test (can a
 * scanner tell a hidden open port from a hidden closed one?). Root, inside a lab namespace.
 *
 *   tcp-flags-probe SRC_IPV4 DST_IPV4 DST_PORT FLAGS TIMEOUT_MS
 *
 * FLAGS: letters of F S R P A U (or "-" for none, a NULL probe). Sends one segment from a
 * random source port through a raw socket, then waits up to TIMEOUT_MS for a TCP segment
 * from DST:DST_PORT to that source port. Prints one word: "none", or the reply's flags in
 * the same letters (e.g. "RA"). Exit 0 if it could probe, 2 on bad arguments or socket errors.
 * Bounded: one packet out, one wait.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint16_t checksum(const uint8_t *data, size_t len, uint32_t sum) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(data[i] << 8 | data[i + 1]);
  if (len & 1) sum += (uint32_t)(data[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static int flag_bits(const char *text) {
  if (strcmp(text, "-") == 0) return 0;
  int bits = 0;
  for (const char *c = text; *c; c++) {
    const char *at = strchr("FSRPAU", *c);
    if (!at) return -1;
    bits |= 1 << (at - "FSRPAU");
  }
  return bits;
}

static void print_flags(int bits) {
  char out[8] = {0};
  int n = 0;
  for (int i = 0; i < 6; i++)
    if (bits & (1 << i)) out[n++] = "FSRPAU"[i];
  puts(n ? out : "-");
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s SRC_IPV4 DST_IPV4 DST_PORT FLAGS TIMEOUT_MS\n", argv[0]);
    return 2;
  }
  struct in_addr src, dst;
  int port = atoi(argv[3]);
  int flags = flag_bits(argv[4]);
  long timeout = atol(argv[5]);
  if (inet_pton(AF_INET, argv[1], &src) != 1 || inet_pton(AF_INET, argv[2], &dst) != 1 || port < 1 ||
      port > 65535 || flags < 0 || timeout < 1 || timeout > 10000) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  int s = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
  if (s < 0) {
    fprintf(stderr, "socket: %s\n", strerror(errno));
    return 2;
  }
  srand((unsigned)(time(NULL) ^ getpid()));
  uint16_t sport = (uint16_t)(20000 + rand() % 30000);
  uint8_t seg[20] = {0};
  seg[0] = sport >> 8, seg[1] = sport & 0xff;
  seg[2] = (uint8_t)(port >> 8), seg[3] = (uint8_t)(port & 0xff);
  uint32_t seq = (uint32_t)rand();
  memcpy(seg + 4, &seq, 4);
  if (flags & 0x10) memcpy(seg + 8, &seq, 4); /* some ack number when ACK is set */
  seg[12] = 5 << 4;
  seg[13] = (uint8_t)flags;
  seg[14] = 0x20, seg[15] = 0x00; /* window 8192 */
  uint8_t pseudo[12 + 20];
  memcpy(pseudo, &src.s_addr, 4);
  memcpy(pseudo + 4, &dst.s_addr, 4);
  pseudo[8] = 0, pseudo[9] = IPPROTO_TCP, pseudo[10] = 0, pseudo[11] = 20;
  memcpy(pseudo + 12, seg, 20);
  uint16_t sum = checksum(pseudo, sizeof pseudo, 0);
  seg[16] = sum >> 8, seg[17] = sum & 0xff;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};
  if (sendto(s, seg, sizeof seg, 0, (struct sockaddr *)&to, sizeof to) != sizeof seg) {
    fprintf(stderr, "sendto: %s\n", strerror(errno));
    return 2;
  }
  long deadline = now_ms() + timeout;
  for (int rounds = 0; rounds < 10000; rounds++) {
    long left = deadline - now_ms();
    if (left <= 0) break;
    struct pollfd p = {.fd = s, .events = POLLIN};
    if (poll(&p, 1, (int)left) <= 0) break;
    uint8_t buf[1500];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n < 20) continue;
    int ihl = (buf[0] & 0x0f) * 4;
    if (n < ihl + 20 || memcmp(buf + 12, &dst.s_addr, 4) != 0) continue;
    const uint8_t *t = buf + ihl;
    if (((t[0] << 8) | t[1]) != port || ((t[2] << 8) | t[3]) != sport) continue;
    print_flags(t[13] & 0x3f);
    return 0;
  }
  puts("none");
  return 0;
}
