/**
 * Checks the generated platform data (constants/linux.ts, exports.ts)
 * against the machine: CPython's `socket` and `errno` modules for the
 * values, and a C program compiled here with gcc for the struct layouts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "./harness.ts";
import { CPU, errnoCodes, layout, OS } from "../constants/mod.ts";
import * as exported from "../constants/exports.ts";

function missing(command: string): string | false {
  try {
    execFileSync(command, ["--version"], { stdio: "ignore" });
    return false;
  } catch {
    return `${command} is not installed`;
  }
}

function python(code: string): Record<string, number> {
  return JSON.parse(
    execFileSync("python3", ["-c", code], { encoding: "utf8" }),
  );
}

const noPython = missing("python3");
const exports = exported as Record<string, unknown>;

test(
  "every integer constant of python3's socket module is exported with the same value",
  () => {
    const py = python(
      "import json, socket; print(json.dumps({k: int(v) for k, v in " +
        "vars(socket).items() if k.isupper() and isinstance(v, int) " +
        "and not isinstance(v, bool)}))",
    );
    const wrong = Object.entries(py)
      .filter(([name, value]) => exports[name] !== value)
      .map(([name, value]) =>
        `${name}: python ${value}, ours ${exports[name]}`
      );
    assert.ok(Object.keys(py).length > 0, "python3 reported no constants");
    assert.deepEqual(
      wrong,
      [],
      `${wrong.length} mismatches:\n${wrong.join("\n")}`,
    );
  },
  { ignore: noPython },
);

test(
  "the errno table matches python3's errno module name by name",
  () => {
    const py = python(
      "import errno, json; print(json.dumps({k: v for k, v in vars(errno)" +
        ".items() if k.startswith('E') and isinstance(v, int)}))",
    );
    const codes = python(
      "import errno, json; print(json.dumps({n: c for c, n in " +
        "errno.errorcode.items()}))",
    );
    const wrong = [...new Set([...Object.keys(py), ...Object.keys(errnoCodes)])]
      .filter((name) => py[name] !== errnoCodes[name])
      .map((name) => `${name}: python ${py[name]}, ours ${errnoCodes[name]}`);
    for (const [name, code] of Object.entries(codes)) {
      if (errnoCodes[name] !== code) {
        wrong.push(`errorcode[${code}] = ${name}: ours ${errnoCodes[name]}`);
      }
    }
    assert.deepEqual(
      wrong,
      [],
      `${wrong.length} mismatches:\n${wrong.join("\n")}`,
    );
  },
  { ignore: noPython },
);

const SCALARS: Record<string, string> = {
  int: "int",
  long: "long",
  pointer: "void *",
  size_t: "size_t",
  socklen_t: "socklen_t",
  sa_family_t: "sa_family_t",
};

// The same exceptions to offsetof() as scripts/gen_linux.py's LAYOUT_SPECIAL.
function cExpression(struct: string, field: string): string {
  if (struct === "sockaddr_un" && field === "sun_path_size") {
    return "sizeof(((struct sockaddr_un *)0)->sun_path)";
  }
  if (struct === "cmsghdr" && field === "align") return "CMSG_ALIGN(1)";
  if (field === "size") return `sizeof(struct ${struct})`;
  return `offsetof(struct ${struct}, ${field})`;
}

function layoutProgram(): { source: string; expected: Map<string, number> } {
  const expected = new Map<string, number>();
  const lines: string[] = [];
  for (const [struct, fields] of Object.entries(layout)) {
    if (typeof fields === "number") continue; // sa_len: checked on its own
    for (const [field, value] of Object.entries(fields as object)) {
      const key = `${struct}.${field}`;
      const expr = struct === "sizes"
        ? `sizeof(${SCALARS[field]})`
        : cExpression(struct, field);
      expected.set(key, value as number);
      lines.push(`  printf("${key} %zu\\n", (size_t)(${expr}));`);
    }
  }
  const source = `#define _GNU_SOURCE 1
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/time.h>
#include <sys/epoll.h>
#include <time.h>
#include <poll.h>
#include <netinet/in.h>
#include <netdb.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <linux/netlink.h>

int main(void) {
${lines.join("\n")}
  return 0;
}
`;
  return { source, expected };
}

const layoutSkip = OS !== "linux"
  ? `the C program is written for Linux headers, not ${OS}`
  : missing("gcc");

test(
  `struct layouts for ${CPU} match a C program compiled with gcc`,
  () => {
    assert.equal(layout.sa_len, -1, "Linux's sockaddr has no sa_len");
    const { source, expected } = layoutProgram();
    const dir = mkdtempSync(join(tmpdir(), "layout-"));
    try {
      const c = join(dir, "layout.c");
      const exe = join(dir, "layout");
      writeFileSync(c, source);
      execFileSync("gcc", ["-o", exe, c], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      const actual = new Map<string, number>();
      for (const line of execFileSync(exe, { encoding: "utf8" }).split("\n")) {
        const [key, value] = line.split(" ");
        if (key) actual.set(key, Number(value));
      }
      const wrong = [...expected]
        .filter(([key, value]) => actual.get(key) !== value)
        .map(([key, value]) => `${key}: C ${actual.get(key)}, ours ${value}`);
      assert.deepEqual(
        wrong,
        [],
        `${wrong.length} mismatches:\n${wrong.join("\n")}`,
      );
      assert.equal(actual.size, expected.size);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  { ignore: layoutSkip },
);
