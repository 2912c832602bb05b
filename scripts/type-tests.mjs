#!/usr/bin/env node
// Compile-time tests: type-checks type-tests/ with each supported TypeScript compiler and
// checks every expectation. A line `// expect-error: <text>` says that the next line must
// have a compile error whose message contains <text>; `// expect-only-error: <text>` that it
// must have exactly one error, and that one contains <text> (for a misuse whose first error is
// to be the only one); every other line must have none. Positive assertions are ordinary code
// (expectTypeOf from vitest, which is exact).
//
// Then the declaration check: type-tests/decl/helpers.ts, exported helpers that take and
// return endpoints, is compiled with `declaration: true` (type-tests/decl/tsconfig.json) in a
// temporary package that depends on "quadrille" as a user's package does: the library's
// declarations, emitted from src/ by the same compiler, under node_modules/quadrille behind
// its package.json "exports". A type that "quadrille" does not export fails there with TS2742
// (TS2883 on 6.0 and 7.0), which a check inside this repository cannot see: here the
// declaration emitter can always name src/ by a relative path.
//
// usage: node scripts/type-tests.mjs [5.9|6.0|7.0 ...]   (default: all three)
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
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
    const m = /\/\/ expect-(only-)?error: (.*)$/.exec(line)
    if (m) expectations.push({ file, line: i + 2, text: m[2].trim(), only: m[1] !== undefined })
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
    } else if (e.only && here.length > 1) {
      problems.push(`${e.file}:${e.line}: expected only one error, containing "${e.text}", got ${here.length}:\n    ${here.map((x) => `${x.code}: ${x.message}`).join("\n    ")}`)
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
  const declStarted = Date.now()
  const decl = declarationCheck(version)
  const declSeconds = ((Date.now() - declStarted) / 1000).toFixed(1)
  if (decl.length > 0) {
    failed++
    console.log(`TypeScript ${version}: declaration check FAILED (${declSeconds} s)\n  ${decl.join("\n  ")}`)
  } else {
    console.log(`TypeScript ${version}: declarations of type-tests/decl/helpers.ts emitted against the package, no errors (${declSeconds} s)`)
  }
}
process.exit(failed > 0 ? 1 : 0)

/** The declaration check (see the top of this file); returns its problems. */
function declarationCheck(version) {
  const run = (args, cwd) => {
    try {
      return execFileSync(process.execPath, [join(root, compilers[version]), ...args, "--pretty", "false"], {
        cwd,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024
      })
    } catch (e) {
      return `${e.stdout ?? ""}${e.stderr ?? ""}` || String(e)
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "quadrille-decl-"))
  try {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
    const lib = join(dir, "node_modules", "quadrille")
    mkdirSync(lib, { recursive: true })
    writeFileSync(
      join(lib, "package.json"),
      JSON.stringify({ name: pkg.name, version: pkg.version, type: pkg.type, types: pkg.types, exports: pkg.exports }, null, 2)
    )
    const built = run(
      ["-p", "tsconfig.build.json", "--emitDeclarationOnly", "--declarationMap", "false", "--sourceMap", "false", "--outDir", join(lib, "dist")],
      root
    )
    if (built.trim() !== "") return [`emitting the declarations of src/ failed:\n    ${built.trim().split("\n").join("\n    ")}`]
    // The library's dependencies resolve from the repository's node_modules.
    for (const dep of ["effect", "@types"]) symlinkSync(join(root, "node_modules", dep), join(dir, "node_modules", dep), "junction")
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
    for (const f of ["helpers.ts", "tsconfig.json"]) copyFileSync(join(root, "type-tests", "decl", f), join(dir, f))
    const output = run(["-p", "tsconfig.json"], dir).trim()
    const problems = output === "" ? [] : output.split("\n").map((l) => `type-tests/decl/${l}`)
    if (problems.length === 0) {
      const emitted = readFileSync(join(dir, "out", "helpers.d.ts"), "utf8")
      const paths = [...emitted.matchAll(/import\("([^"]+)"/g)].map((m) => m[1]).filter((p) => p !== "quadrille" && p !== "effect")
      if (paths.length > 0) problems.push(`the declarations name modules other than "quadrille" and "effect": ${[...new Set(paths)].join(", ")}`)
    }
    return problems
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
