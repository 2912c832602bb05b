// Runs a bench compiled, as a program that uses the package runs `dist/`: `tsc` (5.9) emits
// src/, bench/ and examples/ into scratch/compiled/ (git-ignored), and the bench's emitted
// `.js` runs with plain `node --expose-gc` (the sessions bench needs `gc`; the others ignore it).
// Through tsx, esbuild's `keepNames` makes every named closure an `Object.defineProperty`,
// which the package's users never pay: see BENCHMARKS.md, "Through tsx and compiled".
//
// Usage: npm run bench:compiled -- <bench> [node flags…]
//   <bench>: ping-pong | sessions | protocol-make | observe | … (a file bench/<bench>.ts)
//   The bench's own env (RUNS, ONLY, …) passes through, e.g.
//   ONLY=fastest,quadrille RUNS=5 npm run bench:compiled -- ping-pong
//   npm run bench:compiled -- ping-pong --cpu-prof --cpu-prof-dir=prof
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const [bench, ...flags] = process.argv.slice(2)
if (bench === undefined || !existsSync(join(root, "bench", `${bench}.ts`))) {
  console.error(`usage: npm run bench:compiled -- <bench> [node flags…], where bench/<bench>.ts exists${bench === undefined ? "" : ` (no bench/${bench}.ts)`}`)
  process.exit(2)
}
const scratch = join(root, "scratch")
const out = join(scratch, "compiled")
rmSync(out, { recursive: true, force: true })
mkdirSync(scratch, { recursive: true })
const config = join(scratch, "tsconfig.compiled.json")
writeFileSync(config, JSON.stringify({
  extends: "../tsconfig.json",
  compilerOptions: { noEmit: false, rootDir: "..", outDir: "compiled", declaration: false, sourceMap: false },
  include: ["../src", "../bench", "../examples"]
}, null, 2))
const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", config], { stdio: "inherit" })
if (tsc.status !== 0) process.exit(tsc.status ?? 1)
// The emitted modules find `effect` in the project's node_modules and are ES modules by its package.json.
const run = spawnSync(process.execPath, ["--expose-gc", ...flags, join(out, "bench", `${bench}.js`)], { stdio: "inherit", cwd: root })
process.exit(run.status ?? 1)
