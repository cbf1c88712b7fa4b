#!/bin/sh
# Runs the benchmark under Deno, then under Bun (each prints its own full
# table with C and Python alongside). Extra arguments are ignored; set
# SOCKETS_BENCH_LIB=path/to/mod.ts to measure another copy of the library.
set -e
cd "$(dirname "$0")/.."
echo "== bench under Deno"
node_modules/.bin/deno run -A bench/run.ts
echo
echo "== bench under Bun"
node_modules/.bin/bun bench/run.ts
