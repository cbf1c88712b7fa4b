/**
 * Shapes of the per-platform data in `constants/`: struct layouts (byte
 * offsets and sizes, named after the C fields) and integer tables.
 *
 * @module
 */

/** A C struct: its `sizeof` and the byte offset of each field by C name. */
export type Struct<F extends string> =
  & { readonly size: number }
  & {
    readonly [K in F]: number;
  };

/** Struct layouts and scalar sizes of one platform (OS + CPU). */
export interface Layout {
  /** `sizeof` of scalar C types. */
  readonly sizes: {
    readonly int: number;
    readonly long: number;
    readonly pointer: number;
    readonly size_t: number;
    readonly socklen_t: number;
    readonly sa_family_t: number;
  };
  /** Offset of `sa_len` (BSD, macOS); -1 where the platform has none. */
  readonly sa_len: number;
  readonly sockaddr: Struct<"sa_family" | "sa_data">;
  readonly sockaddr_storage: Struct<"ss_family">;
  readonly sockaddr_in: Struct<"sin_family" | "sin_port" | "sin_addr">;
  readonly sockaddr_in6: Struct<
    | "sin6_family"
    | "sin6_port"
    | "sin6_flowinfo"
    | "sin6_addr"
    | "sin6_scope_id"
  >;
  /** `sun_path_size` is `sizeof(sun_path)`. */
  readonly sockaddr_un: Struct<"sun_family" | "sun_path" | "sun_path_size">;
  readonly sockaddr_nl: Struct<"nl_family" | "nl_pid" | "nl_groups">;
  readonly sockaddr_ll: Struct<
    | "sll_family"
    | "sll_protocol"
    | "sll_ifindex"
    | "sll_hatype"
    | "sll_pkttype"
    | "sll_halen"
    | "sll_addr"
  >;
  readonly iovec: Struct<"iov_base" | "iov_len">;
  readonly msghdr: Struct<
    | "msg_name"
    | "msg_namelen"
    | "msg_iov"
    | "msg_iovlen"
    | "msg_control"
    | "msg_controllen"
    | "msg_flags"
  >;
  readonly mmsghdr: Struct<"msg_hdr" | "msg_len">;
  /** `align` is the alignment `CMSG_ALIGN` rounds to. */
  readonly cmsghdr: Struct<"cmsg_len" | "cmsg_level" | "cmsg_type" | "align">;
  readonly pollfd: Struct<"fd" | "events" | "revents">;
  readonly epoll_event: Struct<"events" | "data">;
  readonly linger: Struct<"l_onoff" | "l_linger">;
  readonly timeval: Struct<"tv_sec" | "tv_usec">;
  readonly timespec: Struct<"tv_sec" | "tv_nsec">;
  readonly addrinfo: Struct<
    | "ai_flags"
    | "ai_family"
    | "ai_socktype"
    | "ai_protocol"
    | "ai_addrlen"
    | "ai_addr"
    | "ai_canonname"
    | "ai_next"
  >;
  readonly ucred: Struct<"pid" | "uid" | "gid">;
  readonly in_pktinfo: Struct<"ipi_ifindex" | "ipi_spec_dst" | "ipi_addr">;
  readonly in6_pktinfo: Struct<"ipi6_addr" | "ipi6_ifindex">;
  readonly ip_mreq: Struct<"imr_multiaddr" | "imr_interface">;
  readonly ip_mreqn: Struct<"imr_multiaddr" | "imr_address" | "imr_ifindex">;
  readonly ipv6_mreq: Struct<"ipv6mr_multiaddr" | "ipv6mr_interface">;
  /** `ifr_name` is `IFNAMSIZ` bytes; the union starts at `ifr_ifru`. */
  readonly ifreq: Struct<"ifr_name" | "ifr_ifru">;
  readonly hostent: Struct<
    "h_name" | "h_aliases" | "h_addrtype" | "h_length" | "h_addr_list"
  >;
  readonly servent: Struct<"s_name" | "s_aliases" | "s_port" | "s_proto">;
  readonly protoent: Struct<"p_name" | "p_aliases" | "p_proto">;
  readonly if_nameindex: Struct<"if_index" | "if_name">;
}

/** Integer tables of one OS. */
export interface PlatformTables {
  /** Every socket-module constant the platform defines, by C name. */
  readonly constants: Readonly<Record<string, number>>;
  /** errno values by symbolic name (`ECONNREFUSED` -> 111). */
  readonly errno: Readonly<Record<string, number>>;
  /** Struct layouts by CPU (`x86_64`, `aarch64`). */
  readonly layouts: Readonly<Record<string, Layout>>;
}
