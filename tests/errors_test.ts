import assert from "node:assert/strict";
import { test } from "./harness.ts";
import { python } from "./_util.ts";
import {
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileExistsError,
  FileNotFoundError,
  InterruptedError,
  OSError,
  PermissionError,
  TimeoutError,
} from "../mod.ts";
import { errnoError } from "../errors.ts";
import { errnoCodes } from "../constants/mod.ts";

test("errnoError() picks Python's OSError subclass for each errno", () => {
  // Python's own table (Objects/exceptions.c), read from the interpreter.
  const table = JSON.parse(python(`
import errno, json
names = ["EAGAIN","EWOULDBLOCK","EINPROGRESS","EALREADY","EPIPE","ESHUTDOWN",
 "ECONNABORTED","ECONNREFUSED","ECONNRESET","EINTR","EACCES","EPERM","ENOENT",
 "EEXIST","ETIMEDOUT","EBADF","EINVAL","EADDRINUSE","ENOTSOCK","EMSGSIZE"]
print(json.dumps({n: [getattr(errno, n), type(OSError(getattr(errno, n), "x")).__name__] for n in names}))
`)) as Record<string, [number, string]>;
  const classes: Record<string, unknown> = {
    BlockingIOError,
    BrokenPipeError,
    ConnectionAbortedError,
    ConnectionRefusedError,
    ConnectionResetError,
    InterruptedError,
    PermissionError,
    FileNotFoundError,
    FileExistsError,
    TimeoutError,
    OSError,
  };
  for (const [name, [value, pyClass]] of Object.entries(table)) {
    assert.equal(errnoCodes[name], value, name);
    const e = errnoError(value, "probe");
    assert.equal(e.constructor.name, pyClass, `${name} -> ${pyClass}`);
    assert.ok(e instanceof (classes[pyClass] as typeof OSError), name);
    assert.ok(e instanceof OSError);
    assert.equal(e.errno, value);
    assert.equal(e.syscall, "probe");
  }
  assert.ok(errnoError(errnoCodes.EPIPE) instanceof ConnectionError);
});

test("messages read like Python's: [Errno N] strerror, and code names match errno.errorcode", () => {
  const py = JSON.parse(python(`
import errno, os, json
print(json.dumps({v: [k, os.strerror(v)] for v, k in errno.errorcode.items()}))
`)) as Record<string, [string, string]>;
  for (const [v, [name, text]] of Object.entries(py)) {
    const e = errnoError(Number(v));
    assert.equal(e.message, `[Errno ${v}] ${text}`);
    assert.equal(e.code, name, `code of ${v}`);
  }
});

test("a socket timeout is TimeoutError('timed out') with ETIMEDOUT", () => {
  const t = new TimeoutError();
  assert.equal(t.message, "timed out");
  assert.equal(t.errno, errnoCodes.ETIMEDOUT);
  assert.equal(t.code, "ETIMEDOUT");
  assert.equal(t.name, "TimeoutError");
  assert.ok(t instanceof OSError && t instanceof Error);
});
