// The one peer every benchmark client talks to (C, Python, ours, the
// runtime's native sockets), so that only the client differs between rows.
// Each connection is served by its own forked process, so the clients of
// one figure can stay connected and take turns repetition by repetition.
//
//   peer stream DIR   TCP listener on 127.0.0.1:0 and a unix stream
//                     listener at DIR/stream.sock; prints "ready PORT".
//                     Each request is a 16-byte header: op (1 byte), 7
//                     bytes padding, a little-endian u64 count:
//                       'e'  echo every byte until end of stream
//                       's'  sink: read count bytes, then send a 1-byte ack
//                       'r'  source: send count bytes in 64 KiB chunks
//   peer dgram DIR    control listener at DIR/ctrl.sock; prints "ready 0".
//                     A client connects and sends 16-byte headers:
//                       'u'/'x'  hello for UDP / unix: the peer makes a
//                                datagram socket for this client (UDP on
//                                127.0.0.1, or unix at DIR/peer-PID.sock)
//                                and answers its address as 1 length byte
//                                plus text (the port, or the path); the
//                                client sends one datagram from the socket
//                                it will use, and the peer answers "k".
//                                unix: each side connects to the other, so
//                                the receiver's queue-length limit
//                                (net.unix.max_dgram_qlen) does not apply.
//                       'F'  fill: send count 64-byte datagrams to the
//                            client, answer u64 dropped (UDP receive-buffer
//                            drops the kernel counted, else 0)
//                       'D'  drain: receive count datagrams (stops early
//                            after 200 ms of silence), answer u64 received
//
// Datagram sockets get 64 MiB buffers (SO_RCVBUFFORCE/SO_SNDBUFFORCE, which
// need CAP_NET_ADMIN; else SO_RCVBUF/SO_SNDBUF up to the sysctl maximum),
// so a whole round fits in the queue.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define BATCH 64
#define DGRAM 64

static unsigned char buf[CHUNK];

static void die(const char *what) {
  perror(what);
  exit(1);
}

static int read_full(int fd, void *p, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t k = recv(fd, (char *)p + off, n - off, 0);
    if (k == 0) return 0;
    if (k < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    off += (size_t)k;
  }
  return 1;
}

static int write_full(int fd, const void *p, size_t n) {
  size_t off = 0;
  while (off < n) {
    ssize_t k = send(fd, (const char *)p + off, n - off, MSG_NOSIGNAL);
    if (k < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    off += (size_t)k;
  }
  return 1;
}

static uint64_t header(int fd, int *op) {
  unsigned char h[16];
  if (!read_full(fd, h, sizeof h)) return *op = 0, 0;
  *op = h[0];
  uint64_t n = 0;
  for (int i = 7; i >= 0; i--) n = (n << 8) | h[8 + i];
  return n;
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

static int unix_socket(const char *path, int type) {
  struct sockaddr_un a;
  socklen_t len = unix_addr(&a, path);
  unlink(path);
  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  if (bind(fd, (struct sockaddr *)&a, len) < 0) die("bind unix");
  if (type == SOCK_STREAM && listen(fd, 64) < 0) die("listen");
  return fd;
}

static int inet_socket(int type, int *port) {
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  if (bind(fd, (struct sockaddr *)&a, len) < 0) die("bind inet");
  if (type == SOCK_STREAM && listen(fd, 64) < 0) die("listen");
  if (getsockname(fd, (struct sockaddr *)&a, &len) < 0) die("getsockname");
  *port = ntohs(a.sin_port);
  return fd;
}

static void serve_stream(int fd) {
  for (;;) {
    int op;
    uint64_t n = header(fd, &op);
    if (op == 0) return;
    if (op == 'e') {
      ssize_t k;
      while ((k = recv(fd, buf, CHUNK, 0)) > 0) {
        if (!write_full(fd, buf, (size_t)k)) return;
      }
      return;
    } else if (op == 's') {
      while (n > 0) {
        ssize_t k = recv(fd, buf, n < CHUNK ? n : CHUNK, 0);
        if (k <= 0) {
          if (k < 0 && errno == EINTR) continue;
          return;
        }
        n -= (uint64_t)k;
      }
      if (!write_full(fd, "k", 1)) return;
    } else if (op == 'r') {
      while (n > 0) {
        size_t k = n < CHUNK ? n : CHUNK;
        if (!write_full(fd, buf, k)) return;
        n -= k;
      }
    } else {
      fprintf(stderr, "peer: unknown op %d\n", op);
      return;
    }
  }
}

/** Accepts on `listeners` forever; a forked child serves each connection. */
static _Noreturn void accept_loop(int *listeners, int count,
                                  void (*serve)(int, int)) {
  struct pollfd p[2];
  for (int i = 0; i < count; i++) p[i] = (struct pollfd){.fd = listeners[i], .events = POLLIN};
  for (;;) {
    if (poll(p, (nfds_t)count, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    for (int i = 0; i < count; i++) {
      if (!(p[i].revents & POLLIN)) continue;
      int c = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
      if (c < 0) continue;
      pid_t pid = fork();
      if (pid < 0) die("fork");
      if (pid == 0) {
        for (int j = 0; j < count; j++) close(listeners[j]);
        serve(c, i);
        _exit(0);
      }
      close(c);
    }
  }
}

static void stream_conn(int fd, int which) {
  if (which == 0) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  serve_stream(fd);
}

// ---- datagrams ------------------------------------------------------------

static const char *dgram_dir;

static void big_buffers(int fd) {
  int sz = 64 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  }
}

/** Udp RcvbufErrors from /proc/net/snmp (drops at a full receive buffer). */
static long long udp_rcvbuf_errors(void) {
  FILE *f = fopen("/proc/net/snmp", "r");
  if (f == NULL) return 0;
  char names[1024], values[1024];
  long long out = 0;
  while (fgets(names, sizeof names, f) && fgets(values, sizeof values, f)) {
    if (strncmp(names, "Udp:", 4) != 0) continue;
    char *sn, *sv;
    char *n = strtok_r(names, " \n", &sn);
    char *v = strtok_r(values, " \n", &sv);
    while (n && v) {
      if (strcmp(n, "RcvbufErrors") == 0) out = atoll(v);
      n = strtok_r(NULL, " \n", &sn);
      v = strtok_r(NULL, " \n", &sv);
    }
    break;
  }
  fclose(f);
  return out;
}

static void put_u64(int fd, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
  write_full(fd, b, 8);
}

static void dgram_conn(int ctl, int which) {
  (void)which;
  static struct mmsghdr m[BATCH];
  static struct iovec io[BATCH];
  static unsigned char data[BATCH][DGRAM];
  static struct sockaddr_storage client;
  memset(data, 'p', sizeof data);
  for (int i = 0; i < BATCH; i++) {
    io[i].iov_base = data[i];
    io[i].iov_len = DGRAM;
    m[i].msg_hdr.msg_iov = &io[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  int fd = -1, udp = 0;
  char path[256] = "";
  for (;;) {
    int op;
    uint64_t n = header(ctl, &op);
    if (op == 0) break;
    if ((op == 'u' || op == 'x') && fd < 0) {
      udp = op == 'u';
      char text[256];
      if (udp) {
        int port;
        fd = inet_socket(SOCK_DGRAM, &port);
        snprintf(text, sizeof text, "%d", port);
      } else {
        snprintf(path, sizeof path, "%s/peer-%d.sock", dgram_dir, (int)getpid());
        fd = unix_socket(path, SOCK_DGRAM);
        snprintf(text, sizeof text, "%s", path);
      }
      big_buffers(fd);
      unsigned char len = (unsigned char)strlen(text);
      write_full(ctl, &len, 1);
      write_full(ctl, text, len);
      struct sockaddr_storage from;
      socklen_t flen = sizeof from;
      ssize_t k;
      do {
        k = recvfrom(fd, buf, CHUNK, 0, (struct sockaddr *)&from, &flen);
      } while (k < 0 && errno == EINTR);
      if (k < 0) die("recvfrom hello");
      if (!udp && connect(fd, (struct sockaddr *)&from, flen) < 0) {
        die("connect back");
      }
      client = from;
      for (int i = 0; i < BATCH; i++) {
        m[i].msg_hdr.msg_name = &client;
        m[i].msg_hdr.msg_namelen = flen;
      }
      write_full(ctl, "k", 1);
    } else if (op == 'F' && fd >= 0) {
      long long before = udp ? udp_rcvbuf_errors() : 0;
      uint64_t left = n;
      while (left > 0) {
        unsigned int want = left < BATCH ? (unsigned int)left : BATCH;
        int k = sendmmsg(fd, m, want, 0);
        if (k < 0) {
          if (errno == EINTR) continue;
          die("sendmmsg");
        }
        left -= (uint64_t)k;
      }
      long long after = udp ? udp_rcvbuf_errors() : 0;
      put_u64(ctl, (uint64_t)(after - before));
    } else if (op == 'D' && fd >= 0) {
      uint64_t got = 0;
      struct pollfd p = {.fd = fd, .events = POLLIN};
      for (int i = 0; i < BATCH; i++) m[i].msg_hdr.msg_name = NULL;
      while (got < n) {
        int r = poll(&p, 1, 200);
        if (r == 0) break;
        if (r < 0) {
          if (errno == EINTR) continue;
          die("poll");
        }
        int k = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
        if (k > 0) got += (uint64_t)k;
      }
      for (int i = 0; i < BATCH; i++) m[i].msg_hdr.msg_name = &client;
      put_u64(ctl, got);
    } else {
      fprintf(stderr, "peer: unexpected op %d\n", op);
      break;
    }
  }
  if (path[0] != '\0') unlink(path);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: peer stream|dgram DIR\n");
    return 2;
  }
  memset(buf, 'p', sizeof buf);
  // Children are reaped by the kernel.
  signal(SIGCHLD, SIG_IGN);
  char path[256];
  if (strcmp(argv[1], "stream") == 0) {
    snprintf(path, sizeof path, "%s/stream.sock", argv[2]);
    int port;
    int l[2] = {inet_socket(SOCK_STREAM, &port), unix_socket(path, SOCK_STREAM)};
    printf("ready %d\n", port);
    fflush(stdout);
    accept_loop(l, 2, stream_conn);
  }
  if (strcmp(argv[1], "dgram") == 0) {
    dgram_dir = argv[2];
    snprintf(path, sizeof path, "%s/ctrl.sock", argv[2]);
    int l[1] = {unix_socket(path, SOCK_STREAM)};
    printf("ready 0\n");
    fflush(stdout);
    accept_loop(l, 1, dgram_conn);
  }
  fprintf(stderr, "usage: peer stream|dgram DIR\n");
  return 2;
}
