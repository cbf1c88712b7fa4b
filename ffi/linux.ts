/**
 * Linux symbols (glibc and musl): the errno location, `accept4`, epoll,
 * eventfd, `sendfile` and the batched datagram calls.
 *
 * @module
 */
import type { SymbolSpec } from "./runtime.ts";

/** Library names to try, in order (glibc, then musl). */
export const LIBC_PATHS: readonly string[] = [
  "libc.so.6",
  "libc.musl-x86_64.so.1",
  "libc.musl-aarch64.so.1",
  "libc.so",
];

/** Symbols only Linux has (or has under these names). */
export const platformSymbols = {
  // int *__errno_location(void);
  errno_location: { args: [], result: "ptr", name: "__errno_location" },
  // int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
  accept4: { args: ["i32", "buf", "buf", "i32"], result: "i32" },
  // int epoll_create1(int flags);
  epoll_create1: { args: ["i32"], result: "i32" },
  // int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
  epoll_ctl: { args: ["i32", "i32", "i32", "buf"], result: "i32" },
  // int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout);
  epoll_wait: { args: ["i32", "buf", "i32", "i32"], result: "i32" },
  // int sched_yield(void);
  sched_yield: { args: [], result: "i32" },
  // int eventfd(unsigned int initval, int flags);
  eventfd: { args: ["u32", "i32"], result: "i32" },
  // ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count);
  sendfile: { args: ["i32", "i32", "buf", "usize"], result: "i32" },
  // int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
  //              struct timespec *timeout);
  recvmmsg: { args: ["i32", "buf", "u32", "i32", "buf"], result: "i32" },
  // int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen, int flags);
  sendmmsg: { args: ["i32", "buf", "u32", "i32"], result: "i32" },
  // int gethostbyname_r(const char *name, struct hostent *ret, char *buf,
  //                     size_t buflen, struct hostent **result, int *h_errnop);
  gethostbyname_r: {
    args: ["buf", "buf", "buf", "usize", "buf", "buf"],
    result: "i32",
  },
  // int gethostbyaddr_r(const void *addr, socklen_t len, int type,
  //                     struct hostent *ret, char *buf, size_t buflen,
  //                     struct hostent **result, int *h_errnop);
  gethostbyaddr_r: {
    args: ["buf", "u32", "i32", "buf", "buf", "usize", "buf", "buf"],
    result: "i32",
  },
  // int getservbyname_r(const char *name, const char *proto,
  //                     struct servent *ret, char *buf, size_t buflen,
  //                     struct servent **result);
  getservbyname_r: {
    args: ["buf", "buf", "buf", "buf", "usize", "buf"],
    result: "i32",
  },
  // int getservbyport_r(int port, const char *proto, struct servent *ret,
  //                     char *buf, size_t buflen, struct servent **result);
  getservbyport_r: {
    args: ["i32", "buf", "buf", "buf", "usize", "buf"],
    result: "i32",
  },
  // int getprotobyname_r(const char *name, struct protoent *ret, char *buf,
  //                      size_t buflen, struct protoent **result);
  // (glibc only; musl has just getprotobyname)
  getprotobyname_r: {
    args: ["buf", "buf", "buf", "usize", "buf"],
    result: "i32",
    optional: true,
  },
} as const satisfies Record<string, SymbolSpec>;
