/**
 * The readiness loop behind every async call: one epoll set per process
 * and at most one blocking wait outstanding for all sockets.
 *
 * An async call tries its operation first and comes here only on EAGAIN.
 * Before blocking, the reactor asks epoll without waiting (a synchronous
 * `epoll_wait(0)`, ~1 us): loopback peers in the same process are usually
 * ready by then, and no thread hop is paid. Only when nothing is ready does
 * it block, off the JavaScript thread: on Deno through a `nonblocking`
 * FFI call, on Bun (no async FFI) in a Worker that reports through
 * `Atomics.waitAsync`. An eventfd interrupts that wait when the last waiter
 * leaves, so an idle process exits.
 *
 * Interest is registered edge-triggered (`EPOLLET`) and stays: a socket
 * that waits again for the same direction costs no `epoll_ctl`. Edges are
 * safe here because every wait follows an attempt that met `EAGAIN`, so
 * whatever arrives after it is a new edge; each edge is reported once,
 * whichever thread polls. An edge nobody waits for narrows the interest,
 * so an idle socket does not keep waking the loop.
 *
 * @module
 */
import { C, errnoCodes, layout } from "../constants/mod.ts";
import { errnoError } from "../errors.ts";
import { TimeoutError } from "../errors.ts";
import { errno, libc, LIBC_PATHS, runtime, size } from "./sys.ts";

const EPOLLIN = C.EPOLLIN;
const EPOLLOUT = C.EPOLLOUT;
const EPOLLERR = C.EPOLLERR;
const EPOLLHUP = C.EPOLLHUP;
const EPOLLRDHUP = C.EPOLLRDHUP ?? 0;
const EPOLLET = C.EPOLLET;
const EPOLL_CTL_ADD = C.EPOLL_CTL_ADD;
const EPOLL_CTL_MOD = C.EPOLL_CTL_MOD;
const EPOLL_CTL_DEL = C.EPOLL_CTL_DEL;
const EPOLL_CLOEXEC = C.EPOLL_CLOEXEC;
const EFD_CLOEXEC = C.EFD_CLOEXEC;
const EFD_NONBLOCK = C.EFD_NONBLOCK;
const EV = layout.epoll_event;
const ENOENT = errnoCodes.ENOENT;
const EBADF = errnoCodes.EBADF;
const MAX_EVENTS = 256;
/** Ready rounds served in microtasks before yielding a macrotask turn. */
const MAX_SPIN = 64;
const WAKE_TOKEN = 0xffffffff;

/** Readiness a waiter asks for. */
export const READ = 1;
/** Readiness a waiter asks for. */
export const WRITE = 2;

interface Waiter {
  events: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  cleanup: () => void;
}

interface FdState {
  waiters: Waiter[];
  /** epoll knows this fd (ADD done). */
  added: boolean;
  /** The epoll events registered (without EPOLLET). */
  mask: number;
}

/** Blocks off-thread until the epoll set has events; returns how many. */
interface BlockingWaiter {
  wait(): Promise<Uint8Array>;
  ref(on: boolean): void;
}

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const EIGHT = size(8);

/** The epoll events a set of waiters needs. */
function epollEvents(waiters: readonly Waiter[]): number {
  let want = 0;
  for (const w of waiters) want |= w.events;
  return ((want & READ) ? EPOLLIN | EPOLLRDHUP : 0) |
    ((want & WRITE) ? EPOLLOUT : 0);
}

/** Runs `fn` on the next macrotask turn (both runtimes have setImmediate). */
const immediate: (fn: () => void) => void =
  // deno-lint-ignore no-explicit-any
  (globalThis as any).setImmediate ?? ((fn) => setTimeout(fn, 0));

class Reactor {
  #epfd = -1;
  #wakefd = -1;
  #fds: Map<number, FdState> = new Map();
  #count = 0;
  #blocking: BlockingWaiter | undefined;
  #inFlight = false;
  #checkQueued = false;
  #idleQueued = false;
  /** Ready rounds served in microtasks since the last macrotask turn. */
  #spins = 0;
  readonly #syncEvents = new Uint8Array(EV.size * MAX_EVENTS);
  readonly #ctl = new Uint8Array(EV.size);
  readonly #ctlView = new DataView(this.#ctl.buffer);

  #init(): void {
    if (this.#epfd >= 0) return;
    const ep = libc.epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) throw errnoError(errno(), "epoll_create1");
    const ev = libc.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ev < 0) {
      const e = errno();
      libc.close(ep);
      throw errnoError(e, "eventfd");
    }
    this.#epfd = ep;
    this.#wakefd = ev;
    this.#control(EPOLL_CTL_ADD, ev, EPOLLIN, WAKE_TOKEN);
    this.#blocking = runtime.name === "deno" ? denoWaiter(ep) : bunWaiter(ep);
  }

  #control(op: number, fd: number, events: number, token: number): void {
    if (this.#tryControl(op, fd, events, token) !== 0) {
      throw errnoError(errno(), "epoll_ctl");
    }
  }

  #tryControl(op: number, fd: number, events: number, token: number): number {
    const v = this.#ctlView;
    v.setUint32(EV.events, events, LITTLE);
    v.setUint32(EV.data, token, LITTLE);
    v.setUint32(EV.data + 4, 0, LITTLE);
    return libc.epoll_ctl(this.#epfd, op, fd, this.#ctl);
  }

  /** Makes sure the registration covers what the waiters want. */
  #arm(fd: number, st: FdState): void {
    const want = epollEvents(st.waiters);
    if (st.added && (st.mask & want) === want) return;
    this.#register(fd, st, st.added ? st.mask | want : want);
  }

  /** Registers `fd` for `mask` (edge-triggered). */
  #register(fd: number, st: FdState, mask: number): void {
    // ENOENT: the number was closed and reused behind our back.
    if (st.added) {
      if (this.#tryControl(EPOLL_CTL_MOD, fd, mask | EPOLLET, fd) === 0) {
        st.mask = mask;
        return;
      }
      if (errno() !== ENOENT) throw errnoError(errno(), "epoll_ctl");
    }
    this.#control(EPOLL_CTL_ADD, fd, mask | EPOLLET, fd);
    st.added = true;
    st.mask = mask;
  }

  /**
   * Resolves when `fd` is (probably) ready for `events`; callers retry
   * their operation and come back on EAGAIN. Rejects with the signal's
   * reason on abort, with TimeoutError at `deadline` (performance.now()).
   */
  wait(
    fd: number,
    events: number,
    signal?: AbortSignal,
    deadline = -1,
    syscall = "wait",
  ): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.#init();
    let st = this.#fds.get(fd);
    if (st === undefined) {
      st = { waiters: [], added: false, mask: 0 };
      this.#fds.set(fd, st);
    }
    const state = st;
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        this.#drop(state, w);
        reject(signal!.reason);
      };
      const w: Waiter = {
        events,
        resolve,
        reject,
        cleanup: () => {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      if (deadline >= 0) {
        const left = Math.max(0, deadline - performance.now());
        timer = setTimeout(() => {
          this.#drop(state, w);
          reject(new TimeoutError(undefined, undefined, syscall));
        }, Math.ceil(left));
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      state.waiters.push(w);
      this.#count++;
      try {
        this.#arm(fd, state);
      } catch (e) {
        this.#drop(state, w);
        reject(e);
        return;
      }
      if (this.#count === 1) this.#blocking!.ref(true);
      this.#schedule();
    });
  }

  /** Removes a waiter that gave up (abort, timeout, close). */
  #drop(st: FdState, w: Waiter): void {
    const i = st.waiters.indexOf(w);
    if (i < 0) return;
    st.waiters.splice(i, 1);
    w.cleanup();
    this.#count--;
    // Still armed for what it wanted: a later event is just ignored.
    if (this.#count === 0) this.#idle();
  }

  /** Removes the registration (before the fd is closed or handed off). */
  #release(fd: number, st: FdState): void {
    if (st.added) this.#tryControl(EPOLL_CTL_DEL, fd, 0, 0);
    this.#fds.delete(fd);
  }

  /** Nobody waits: the idle step ends the blocking wait, if any. */
  #idle(): void {
    this.#scheduleIdle();
  }

  /** Makes an in-flight blocking wait return (the eventfd turns readable). */
  #wake(): void {
    const one = new Uint8Array(8);
    new DataView(one.buffer).setBigUint64(0, 1n, LITTLE);
    libc.write(this.#wakefd, one, EIGHT);
  }

  /**
   * Fails every waiter on `fd` (its socket is closing) with EBADF and
   * forgets the registration. Call before close(2).
   */
  forget(fd: number): void {
    const st = this.#fds.get(fd);
    if (st === undefined) return;
    this.#release(fd, st);
    const err = errnoError(EBADF, "close");
    for (const w of st.waiters.slice()) {
      this.#drop(st, w);
      w.reject(err);
    }
  }

  /**
   * Someone waits: look for readiness once the current microtasks are done
   * (a same-process peer has usually acted by then), and at the latest on
   * the next macrotask turn, which also bounds how long a busy loop of
   * ready sockets can hold off timers and other I/O.
   */
  #schedule(): void {
    if (this.#spins < MAX_SPIN) {
      if (!this.#checkQueued) {
        this.#checkQueued = true;
        queueMicrotask(this.#check);
      }
    }
    this.#scheduleIdle();
  }

  #scheduleIdle(): void {
    if (this.#idleQueued) return;
    this.#idleQueued = true;
    immediate(this.#onIdle);
  }

  /** Serves what is ready now, without blocking; true if anything was. */
  #pollNow(): boolean {
    const n = libc.epoll_wait(this.#epfd, this.#syncEvents, MAX_EVENTS, 0);
    if (n <= 0) return false;
    this.#dispatch(this.#syncEvents, n);
    return true;
  }

  readonly #check = (): void => {
    this.#checkQueued = false;
    if (this.#count === 0) return;
    if (this.#pollNow()) {
      this.#spins++;
      return;
    }
    // Nothing yet: give the CPU to whoever we wait for (a peer on this CPU
    // cannot answer while we run) and look once more, still in this turn.
    // Measured: most waits on a local peer end here, without the macrotask
    // turn and without a thread hop.
    libc.sched_yield();
    if (this.#pollNow()) this.#spins++;
  };

  /**
   * The macrotask step: serve what is ready, then block off-thread if
   * anyone still waits; or, when nobody does, end the blocking wait so an
   * idle process can exit.
   */
  readonly #onIdle = (): void => {
    this.#idleQueued = false;
    this.#spins = 0;
    if (this.#count > 0 && !this.#pollNow() && !this.#inFlight) {
      // About to sleep off-thread: yield and look once more first (see #check).
      libc.sched_yield();
      this.#pollNow();
    }
    if (this.#count === 0) {
      this.#blocking?.ref(false);
      if (this.#inFlight) this.#wake();
      return;
    }
    if (this.#inFlight) return;
    this.#inFlight = true;
    this.#blocking!.wait().then((buf) => {
      this.#inFlight = false;
      const n = Math.min(
        new DataView(buf.buffer, buf.byteOffset).getInt32(0, LITTLE),
        MAX_EVENTS,
      );
      if (n > 0) this.#dispatch(buf.subarray(8), n);
      this.#scheduleIdle();
    }, (e) => {
      this.#inFlight = false;
      this.#failAll(e);
    });
  };

  #dispatch(buf: Uint8Array, n: number): void {
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < n; i++) {
      const base = i * EV.size;
      const got = v.getUint32(base + EV.events, LITTLE);
      const token = v.getUint32(base + EV.data, LITTLE);
      if (token === WAKE_TOKEN) {
        libc.read(this.#wakefd, new Uint8Array(8), EIGHT);
        continue;
      }
      const st = this.#fds.get(token);
      if (st === undefined) continue;
      const all = (got & (EPOLLERR | EPOLLHUP)) !== 0;
      const ready = (all ? READ | WRITE : 0) |
        ((got & (EPOLLIN | EPOLLRDHUP)) ? READ : 0) |
        ((got & EPOLLOUT) ? WRITE : 0);
      const keep: Waiter[] = [];
      const wake: Waiter[] = [];
      for (const w of st.waiters) (w.events & ready ? wake : keep).push(w);
      st.waiters = keep;
      this.#count -= wake.length;
      if (wake.length === 0) {
        // Nobody wanted this edge: narrow the interest to what is wanted.
        const want = epollEvents(keep);
        if (want !== st.mask) this.#tryControlFor(token, st, want);
      }
      for (const w of wake) {
        w.cleanup();
        w.resolve();
      }
    }
    if (this.#count === 0) this.#idle();
  }

  #tryControlFor(fd: number, st: FdState, mask: number): void {
    if (this.#tryControl(EPOLL_CTL_MOD, fd, mask | EPOLLET, fd) === 0) {
      st.mask = mask;
    }
  }

  #failAll(e: unknown): void {
    for (const st of this.#fds.values()) {
      for (const w of st.waiters.slice()) {
        this.#drop(st, w);
        w.reject(e);
      }
    }
  }
}

/** Deno: `epoll_wait` as a nonblocking FFI call (a worker thread). */
function denoWaiter(epfd: number): BlockingWaiter {
  const lib = runtime.open(LIBC_PATHS, {
    epoll_wait: {
      args: ["i32", "buf", "i32", "i32"],
      result: "i32",
      nonblocking: true,
    },
  });
  // The in-flight call owns this buffer until its promise settles.
  const buf = new Uint8Array(8 + EV.size * MAX_EVENTS);
  const view = new DataView(buf.buffer);
  return {
    async wait(): Promise<Uint8Array> {
      // errno is unreadable after a nonblocking call: -1 (EINTR) just
      // counts as "no events" and the loop asks again.
      const n = await lib.epoll_wait(epfd, buf.subarray(8), MAX_EVENTS, -1);
      view.setInt32(0, n, LITTLE);
      return buf;
    },
    ref(): void {
      // A pending nonblocking call keeps Deno alive by itself; #idle()
      // ends it through the eventfd.
    },
  };
}

/**
 * Bun: a Worker blocks in `epoll_wait` and hands the events over in a
 * SharedArrayBuffer; the main thread learns of them via Atomics.waitAsync.
 * Control word: 0 idle, 1 go (main -> worker), 2 done (worker -> main).
 */
function bunWaiter(epfd: number): BlockingWaiter {
  const sab = new SharedArrayBuffer(16 + EV.size * MAX_EVENTS);
  const ctl = new Int32Array(sab, 0, 4);
  const src = `(${bunWorkerMain.toString()})(${
    JSON.stringify({
      paths: LIBC_PATHS,
      epfd,
      max: MAX_EVENTS,
      evSize: EV.size,
    })
  })`;
  // deno-lint-ignore no-explicit-any
  const W = (globalThis as any).Worker;
  const url = URL.createObjectURL(
    new Blob([src], { type: "application/javascript" }),
  );
  const worker = new W(url);
  worker.postMessage(sab);
  worker.unref?.();
  const out = new Uint8Array(8 + EV.size * MAX_EVENTS);
  const outView = new DataView(out.buffer);
  const shared = new Uint8Array(sab, 16);
  return {
    async wait(): Promise<Uint8Array> {
      Atomics.store(ctl, 0, 1);
      Atomics.notify(ctl, 0);
      for (;;) {
        const r = Atomics.waitAsync(ctl, 0, 1);
        if (r.async) await r.value;
        if (Atomics.load(ctl, 0) === 2) break;
      }
      const n = Math.min(Atomics.load(ctl, 1), MAX_EVENTS);
      out.set(shared.subarray(0, n * EV.size), 8);
      outView.setInt32(0, n, LITTLE);
      Atomics.store(ctl, 0, 0);
      return out;
    },
    ref(on: boolean): void {
      if (on) worker.ref?.();
      else worker.unref?.();
    },
  };
}

/** The Worker's body; runs in its own thread with its own bun:ffi. */
function bunWorkerMain(
  cfg: { paths: string[]; epfd: number; max: number; evSize: number },
): void {
  // deno-lint-ignore no-explicit-any
  const self = globalThis as any;
  const spec = "bun:ffi";
  const loading = import(spec);
  // Set synchronously, or the first message could arrive before it.
  self.onmessage = async (m: { data: SharedArrayBuffer }): Promise<void> => {
    const ffi = await loading;
    let epollWait: ((...a: unknown[]) => number) | undefined;
    for (const p of cfg.paths) {
      try {
        epollWait = ffi.dlopen(p, {
          epoll_wait: { args: ["i32", "ptr", "i32", "i32"], returns: "i32" },
        }).symbols.epoll_wait;
        break;
      } catch {
        // next candidate
      }
    }
    const ctl = new Int32Array(m.data, 0, 4);
    const events = new Uint8Array(m.data, 16);
    for (;;) {
      for (let v = Atomics.load(ctl, 0); v !== 1; v = Atomics.load(ctl, 0)) {
        Atomics.wait(ctl, 0, v);
      }
      const n = epollWait!(cfg.epfd, events, cfg.max, -1);
      Atomics.store(ctl, 1, n > 0 ? n : 0);
      Atomics.store(ctl, 0, 2);
      Atomics.notify(ctl, 0);
    }
  };
}

let instance: Reactor | undefined;

/** The process's reactor, created on first use. */
export function reactor(): Reactor {
  return instance ??= new Reactor();
}

export type { Reactor };
