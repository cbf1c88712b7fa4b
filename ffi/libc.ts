/**
 * The POSIX symbol table: every libc function the socket layer calls, as
 * data, with its C prototype. Platform files add their own symbols.
 *
 * `socklen_t` is 32-bit on every supported platform, hence `u32`.
 *
 * `ssize_t` results are bound as `i32`: Deno hands 64-bit results back as
 * BigInt, which costs on every call. The socket layer never asks for more
 * than `MAX_IO` bytes per call (Linux caps a transfer at 0x7ffff000
 * anyway), so the value always fits in the low 32 bits, and -1 stays -1.
 *
 * @module
 */
import type { SymbolSpec } from "./runtime.ts";

/** The most bytes one read/write-like call is asked to move. */
export const MAX_IO = 0x7ffff000;

/** Symbols every POSIX libc has. */
export const posixSymbols = {
  // int socket(int domain, int type, int protocol);
  socket: { args: ["i32", "i32", "i32"], result: "i32" },
  // int socketpair(int domain, int type, int protocol, int sv[2]);
  socketpair: { args: ["i32", "i32", "i32", "buf"], result: "i32" },
  // int close(int fd);
  close: { args: ["i32"], result: "i32" },
  // int bind(int fd, const struct sockaddr *addr, socklen_t len);
  bind: { args: ["i32", "buf", "u32"], result: "i32" },
  // int connect(int fd, const struct sockaddr *addr, socklen_t len);
  connect: { args: ["i32", "buf", "u32"], result: "i32" },
  // int listen(int fd, int backlog);
  listen: { args: ["i32", "i32"], result: "i32" },
  // int accept(int fd, struct sockaddr *addr, socklen_t *len);
  accept: { args: ["i32", "buf", "buf"], result: "i32" },
  // int getsockname(int fd, struct sockaddr *addr, socklen_t *len);
  getsockname: { args: ["i32", "buf", "buf"], result: "i32" },
  // int getpeername(int fd, struct sockaddr *addr, socklen_t *len);
  getpeername: { args: ["i32", "buf", "buf"], result: "i32" },
  // int getsockopt(int fd, int level, int name, void *val, socklen_t *len);
  getsockopt: { args: ["i32", "i32", "i32", "buf", "buf"], result: "i32" },
  // int setsockopt(int fd, int level, int name, const void *val, socklen_t len);
  setsockopt: { args: ["i32", "i32", "i32", "buf", "u32"], result: "i32" },
  // ssize_t send(int fd, const void *buf, size_t len, int flags);
  send: { args: ["i32", "buf", "usize", "i32"], result: "i32" },
  // ssize_t recv(int fd, void *buf, size_t len, int flags);
  recv: { args: ["i32", "buf", "usize", "i32"], result: "i32" },
  // ssize_t sendto(int fd, const void *buf, size_t len, int flags,
  //                const struct sockaddr *to, socklen_t tolen);
  sendto: {
    args: ["i32", "buf", "usize", "i32", "buf", "u32"],
    result: "i32",
  },
  // ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
  //                  struct sockaddr *from, socklen_t *fromlen);
  recvfrom: {
    args: ["i32", "buf", "usize", "i32", "buf", "buf"],
    result: "i32",
  },
  // ssize_t sendmsg(int fd, const struct msghdr *msg, int flags);
  sendmsg: { args: ["i32", "buf", "i32"], result: "i32" },
  // ssize_t recvmsg(int fd, struct msghdr *msg, int flags);
  recvmsg: { args: ["i32", "buf", "i32"], result: "i32" },
  // int shutdown(int fd, int how);
  shutdown: { args: ["i32", "i32"], result: "i32" },
  // int fcntl(int fd, int cmd, ... /* int arg */);
  fcntl: { args: ["i32", "i32", "i32"], result: "i32" },
  // int ioctl(int fd, unsigned long request, ... /* void *arg */);
  ioctl: { args: ["i32", "usize", "buf"], result: "i32" },
  // int poll(struct pollfd *fds, nfds_t nfds, int timeout);
  poll: { args: ["buf", "usize", "i32"], result: "i32" },
  // ssize_t read(int fd, void *buf, size_t count);
  read: { args: ["i32", "buf", "usize"], result: "i32" },
  // ssize_t write(int fd, const void *buf, size_t count);
  write: { args: ["i32", "buf", "usize"], result: "i32" },
  // off_t lseek(int fd, off_t offset, int whence);
  lseek: { args: ["i32", "i64", "i32"], result: "i64" },
  // ssize_t pread(int fd, void *buf, size_t count, off_t offset);
  pread: { args: ["i32", "buf", "usize", "i64"], result: "i32" },
  // int fstat(int fd, struct stat *st);  (only st_mode is read)
  fstat: { args: ["i32", "buf"], result: "i32", optional: true },
  // char *strerror(int errnum);
  strerror: { args: ["i32"], result: "ptr" },
  // int getaddrinfo(const char *node, const char *service,
  //                 const struct addrinfo *hints, struct addrinfo **res);
  getaddrinfo: { args: ["buf", "buf", "buf", "buf"], result: "i32" },
  // void freeaddrinfo(struct addrinfo *res);
  freeaddrinfo: { args: ["ptr"], result: "void" },
  // const char *gai_strerror(int errcode);
  gai_strerror: { args: ["i32"], result: "ptr" },
  // int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host,
  //                 socklen_t hostlen, char *serv, socklen_t servlen, int flags);
  getnameinfo: {
    args: ["buf", "u32", "buf", "u32", "buf", "u32", "i32"],
    result: "i32",
  },
  // unsigned int if_nametoindex(const char *ifname);
  if_nametoindex: { args: ["buf"], result: "u32" },
  // char *if_indextoname(unsigned int ifindex, char *ifname);
  if_indextoname: { args: ["u32", "buf"], result: "ptr" },
  // struct if_nameindex *if_nameindex(void);
  if_nameindex: { args: [], result: "ptr" },
  // void if_freenameindex(struct if_nameindex *ptr);
  if_freenameindex: { args: ["ptr"], result: "void" },
  // int inet_aton(const char *cp, struct in_addr *inp);
  inet_aton: { args: ["buf", "buf"], result: "i32" },
  // const char *hstrerror(int err);
  hstrerror: { args: ["i32"], result: "ptr", optional: true },
  // struct protoent *getprotobyname(const char *name);  (where no _r exists)
  getprotobyname: { args: ["buf"], result: "ptr" },
  // int gethostname(char *name, size_t len);
  gethostname: { args: ["buf", "usize"], result: "i32" },
  // int sethostname(const char *name, size_t len);
  sethostname: { args: ["buf", "usize"], result: "i32" },
  // pid_t getpid(void);
  getpid: { args: [], result: "i32" },
  // uid_t getuid(void);
  getuid: { args: [], result: "u32" },
  // gid_t getgid(void);
  getgid: { args: [], result: "u32" },
  // void *memmove(void *dst, const void *src, size_t n);
  // Called as (buf, buf, 0) it copies nothing and returns buf's address:
  // ~25 ns in both runtimes, where Deno's UnsafePointer.of takes ~250 ns.
  address_of: {
    args: ["buf", "buf", "usize"],
    result: "u64",
    name: "memmove",
  },
} as const satisfies Record<string, SymbolSpec>;
