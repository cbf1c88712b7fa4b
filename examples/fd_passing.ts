/**
 * Descriptor passing: one side owns a listening TCP socket and hands it
 * over a unix socket (`SCM_RIGHTS`); the other side adopts the received
 * descriptor and accepts on it. Here both sides live in one process for
 * brevity; across processes the code is the same.
 *
 * Run: `deno run --allow-ffi examples/fd_passing.ts` or
 * `bun examples/fd_passing.ts`.
 *
 * @module
 */
import {
  AF_INET,
  recvFds,
  sendFds,
  SOCK_STREAM,
  Socket,
  socket,
  socketpair,
} from "../mod.ts";

const [owner, worker] = socketpair();

// The owner binds and listens, then gives the listener away.
const listener = socket(AF_INET, SOCK_STREAM);
listener.bind({ host: "127.0.0.1", port: 0 });
listener.listen();
const address = listener.getsockname();
await sendFds(owner, [new TextEncoder().encode("listener")], [
  listener.fileno(),
]);
listener.close(); // the worker's duplicate keeps the port open

// The worker adopts what arrived (close-on-exec, family and type read
// from the descriptor) and serves on it.
const { data, fds } = await recvFds(worker, 64, 1);
console.log(`worker got "${new TextDecoder().decode(data)}":`, fds);
using adopted = new Socket(undefined, undefined, undefined, fds[0]);
console.log("adopted:", String(adopted));

using client = socket(AF_INET, SOCK_STREAM);
const accepting = adopted.accept();
await client.connect(address);
const [conn] = await accepting;
await client.sendAll(new TextEncoder().encode("hello through a passed socket"));
console.log(new TextDecoder().decode(await conn.recv(64)));
conn.close();
owner.close();
worker.close();
