#!/usr/bin/env node
// Compile-time tests: type-checks type-tests/ with each supported TypeScript compiler and
// checks every expectation. A line `// expect-error: <text>` says that the next line must
// have a compile error whose message contains <text>; every other line must have none.
// Positive assertions are ordinary code (expectTypeOf from vitest, which is exact).
//
// usage: node scripts/type-tests.mjs [5.9|6.0|7.0 ...]   (default: all three)
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"

const root = resolve(import.meta.dirname, "..")
const compilers = {
  "5.9": "node_modules/typescript/bin/tsc",
  "6.0": "node_modules/typescript-6/bin/tsc",
  "7.0": "node_modules/typescript-7/bin/tsc"
}
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(compilers)

/** Every `expect-error` marker: file, the line it applies to (1-based), the text. */
const expectations = []
for (const name of readdirSync(join(root, "type-tests"))) {
  if (!name.endsWith(".ts")) continue
  const file = join("type-tests", name)
  readFileSync(join(root, file), "utf8").split("\n").forEach((line, i) => {
    const m = /\/\/ expect-error: (.*)$/.exec(line)
    if (m) expectations.push({ file, line: i + 2, text: m[1].trim() })
  })
}

let failed = 0
for (const version of wanted) {
  const started = Date.now()
  let output = ""
  try {
    output = execFileSync(process.execPath, [compilers[version], "-p", "type-tests/tsconfig.json", "--noEmit", "--pretty", "false"], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024
    })
  } catch (e) {
    output = `${e.stdout ?? ""}${e.stderr ?? ""}`
  }
  const errors = []
  for (const line of output.split("\n")) {
    const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line)
    if (m) errors.push({ file: m[1], line: Number(m[2]), code: m[4], message: m[5] })
    else if (errors.length > 0 && /^\s/.test(line)) errors[errors.length - 1].message += `\n${line.trim()}`
    else if (line.trim() !== "") errors.push({ file: "?", line: 0, code: "?", message: line })
  }
  const problems = []
  for (const e of expectations) {
    const here = errors.filter((x) => x.file === e.file && x.line === e.line)
    if (here.length === 0) problems.push(`${e.file}:${e.line}: expected an error containing "${e.text}", got none`)
    else if (!here.some((x) => x.message.includes(e.text))) {
      problems.push(`${e.file}:${e.line}: expected an error containing "${e.text}", got:\n    ${here.map((x) => `${x.code}: ${x.message}`).join("\n    ")}`)
    }
  }
  for (const x of errors) {
    if (!expectations.some((e) => e.file === x.file && e.line === x.line)) {
      problems.push(`${x.file}:${x.line}: unexpected error ${x.code}: ${x.message}`)
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  if (problems.length > 0) {
    failed++
    console.log(`TypeScript ${version}: FAILED (${seconds} s)\n  ${problems.join("\n  ")}`)
  } else {
    console.log(`TypeScript ${version}: ${expectations.length} expected errors found, no other errors (${seconds} s)`)
  }
}
process.exit(failed > 0 ? 1 : 0)
