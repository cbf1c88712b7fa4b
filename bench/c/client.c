// The C client: the reference loop for every figure, one system call per
// operation, blocking sockets, against bench/c/peer.c. It connects, then
// does one repetition per line "r" read from stdin and answers
// "t SECONDS [COUNT]", until stdin ends; so the orchestrator can interleave
// the repetitions of all clients of a figure.
//
//   client stream tcp PORT OP N
//   client stream unix PATH OP N
//     OP send      N bytes in 64 KiB send() calls to the sink, until its ack
//     OP recv      N bytes in 64 KiB recv() calls from the source
//     OP pingpong  N round trips of 1 byte with the echo peer
//   client dgram udp|unix CTRL MYPATH OP K
//     OP send      K sendto() calls of 64 bytes (the peer drains afterwards)
//     OP recv      K recvfrom() calls from a queue the peer filled
//     OP msend     the same with sendmmsg(), 64 datagrams per call
//     OP mrecv     the same with recvmmsg(), 64 datagrams per call
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define BATCH 64
#define DGRAM 64

static unsigned char buf[CHUNK];

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void read_full(int fd, void *p, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t k = recv(fd, (char *)p + off, n - off, 0);
    if (k == 0) {
      fprintf(stderr, "client: unexpected end of stream\n");
      exit(1);
    }
    if (k < 0) {
      if (errno == EINTR) continue;
      die("recv");
    }
    off += (size_t)k;
  }
}

static void send_all(int fd, const void *p, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t k = send(fd, (const char *)p + off, n - off, MSG_NOSIGNAL);
    if (k < 0) {
      if (errno == EINTR) continue;
      die("send");
    }
    off += (size_t)k;
  }
}

static void header(int fd, int op, uint64_t n) {
  unsigned char h[16] = {(unsigned char)op};
  for (int i = 0; i < 8; i++) h[8 + i] = (unsigned char)(n >> (8 * i));
  send_all(fd, h, sizeof h);
}

static uint64_t get_u64(int fd) {
  unsigned char b[8];
  read_full(fd, b, 8);
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
  return v;
}

static socklen_t unix_addr(struct sockaddr_un *a, const char *path) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof a->sun_path) {
    fprintf(stderr, "path too long: %s\n", path);
    exit(1);
  }
  strcpy(a->sun_path, path);
  return (socklen_t)sizeof *a;
}

static socklen_t inet_addr_of(struct sockaddr_in *a, const char *port) {
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a->sin_port = htons((uint16_t)atoi(port));
  return (socklen_t)sizeof *a;
}

/** One repetition; returns its seconds (the request header not counted). */
static double stream_rep(int fd, const char *op, uint64_t n) {
  double t0;
  if (strcmp(op, "send") == 0) {
    header(fd, 's', n);
    t0 = now();
    uint64_t left = n;
    while (left > 0) {
      size_t k = left < CHUNK ? left : CHUNK;
      send_all(fd, buf, k);
      left -= k;
    }
    read_full(fd, buf, 1);
  } else if (strcmp(op, "recv") == 0) {
    header(fd, 'r', n);
    t0 = now();
    uint64_t left = n;
    while (left > 0) {
      ssize_t k = recv(fd, buf, left < CHUNK ? left : CHUNK, 0);
      if (k == 0) die("source ended early");
      if (k < 0) {
        if (errno == EINTR) continue;
        die("recv");
      }
      left -= (uint64_t)k;
    }
  } else if (strcmp(op, "pingpong") == 0) {
    unsigned char b = 1;
    t0 = now();
    for (uint64_t i = 0; i < n; i++) {
      if (send(fd, &b, 1, MSG_NOSIGNAL) != 1) die("send");
      if (recv(fd, &b, 1, 0) != 1) die("recv");
    }
  } else {
    fprintf(stderr, "unknown op %s\n", op);
    exit(2);
  }
  return now() - t0;
}

/** Blocks until the next "r" line on stdin; false at end of input. */
static int next_rep(void) {
  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL) {
    if (line[0] == 'r') return 1;
  }
  return 0;
}

static int stream_main(char **argv) {
  const char *fam = argv[0], *addr = argv[1], *op = argv[2];
  uint64_t n = strtoull(argv[3], NULL, 10);
  memset(buf, 'c', sizeof buf);
  struct sockaddr_storage ss;
  socklen_t len;
  int fd;
  if (strcmp(fam, "tcp") == 0) {
    len = inet_addr_of((struct sockaddr_in *)&ss, addr);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  } else {
    len = unix_addr((struct sockaddr_un *)&ss, addr);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  }
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&ss, len) < 0) die("connect");
  // A ping-pong connection is an echo for its whole life: one header.
  if (strcmp(op, "pingpong") == 0) header(fd, 'e', 0);
  while (next_rep()) {
    printf("t %.9f\n", stream_rep(fd, op, n));
    fflush(stdout);
  }
  close(fd);
  return 0;
}

static int dgram_main(char **argv) {
  const char *fam = argv[0], *ctlpath = argv[1], *mypath = argv[2];
  const char *op = argv[3];
  uint64_t k = strtoull(argv[4], NULL, 10);
  int udp = strcmp(fam, "udp") == 0;
  memset(buf, 'c', sizeof buf);

  struct sockaddr_un ca;
  socklen_t clen = unix_addr(&ca, ctlpath);
  int ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(ctl, (struct sockaddr *)&ca, clen) < 0) die("connect ctrl");
  header(ctl, udp ? 'u' : 'x', 0);
  unsigned char tlen;
  char text[256];
  read_full(ctl, &tlen, 1);
  read_full(ctl, text, tlen);
  text[tlen] = '\0';

  struct sockaddr_storage peer, me;
  socklen_t plen, mlen;
  int fd;
  if (udp) {
    plen = inet_addr_of((struct sockaddr_in *)&peer, text);
    mlen = inet_addr_of((struct sockaddr_in *)&me, "0");
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  } else {
    plen = unix_addr((struct sockaddr_un *)&peer, text);
    mlen = unix_addr((struct sockaddr_un *)&me, mypath);
    unlink(mypath);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  }
  if (fd < 0) die("socket");
  int sz = 64 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  }
  if (bind(fd, (struct sockaddr *)&me, mlen) < 0) die("bind");
  if (!udp && connect(fd, (struct sockaddr *)&peer, plen) < 0) die("connect");
  if (sendto(fd, "h", 1, 0, (struct sockaddr *)&peer, plen) != 1) die("hello");
  read_full(ctl, buf, 1);

  static struct mmsghdr m[BATCH];
  static struct iovec io[BATCH];
  static unsigned char data[BATCH][DGRAM];
  static struct sockaddr_storage from[BATCH];
  memset(data, 'c', sizeof data);
  int sending = strcmp(op, "send") == 0 || strcmp(op, "msend") == 0;
  int batched = op[0] == 'm';
  for (int i = 0; i < BATCH; i++) {
    io[i].iov_base = data[i];
    io[i].iov_len = DGRAM;
    m[i].msg_hdr.msg_iov = &io[i];
    m[i].msg_hdr.msg_iovlen = 1;
    if (sending) {
      m[i].msg_hdr.msg_name = &peer;
      m[i].msg_hdr.msg_namelen = plen;
    }
  }
  while (next_rep()) {
    uint64_t want = k;
    if (!sending) {
      header(ctl, 'F', k);
      want = k - get_u64(ctl);
    }
    double t0 = now();
    uint64_t done = 0;
    while (done < want) {
      if (batched) {
        unsigned int n = want - done < BATCH ? (unsigned int)(want - done) : BATCH;
        if (!sending) {
          for (unsigned int i = 0; i < n; i++) {
            m[i].msg_hdr.msg_name = &from[i];
            m[i].msg_hdr.msg_namelen = sizeof from[i];
          }
        }
        int got = sending ? sendmmsg(fd, m, n, 0) : recvmmsg(fd, m, n, 0, NULL);
        if (got < 0) {
          if (errno == EINTR) continue;
          die(sending ? "sendmmsg" : "recvmmsg");
        }
        done += (uint64_t)got;
      } else {
        ssize_t got;
        if (sending) {
          got = sendto(fd, buf, DGRAM, 0, (struct sockaddr *)&peer, plen);
        } else {
          struct sockaddr_storage f;
          socklen_t flen = sizeof f;
          got = recvfrom(fd, buf, DGRAM, 0, (struct sockaddr *)&f, &flen);
        }
        if (got < 0) {
          if (errno == EINTR) continue;
          die(sending ? "sendto" : "recvfrom");
        }
        done++;
      }
    }
    double t1 = now();
    if (sending) {
      header(ctl, 'D', k);
      uint64_t got = get_u64(ctl);
      if (got < k) fprintf(stderr, "client: peer received %llu of %llu\n",
                           (unsigned long long)got, (unsigned long long)k);
    }
    printf("t %.9f %llu\n", t1 - t0, (unsigned long long)want);
    fflush(stdout);
  }
  close(ctl);
  close(fd);
  if (!udp) unlink(mypath);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "stream") == 0) return stream_main(argv + 2);
  if (argc == 7 && strcmp(argv[1], "dgram") == 0) return dgram_main(argv + 2);
  fprintf(stderr,
          "usage: client stream tcp|unix ADDR OP N\n"
          "       client dgram udp|unix CTRL MYPATH OP K\n");
  return 2;
}
