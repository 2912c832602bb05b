#!/usr/bin/env node
// The package as a user gets it: `npm pack` (which builds dist/ first), the tarball installed
// into a temporary app with the peer dependency effect (and @types/node and fp-ts, which the
// app imports), but no fast-check; then tests/consumer/app.ts, which imports every
// non-Node entry point (quadrille, quadrille/testing, quadrille/promise, quadrille/fp-ts), is
// type-checked against the installed typings with skipLibCheck off, by TypeScript 5.9 and 7.0,
// under moduleResolution bundler, node16 and nodenext (every option that matters set
// explicitly: 6.0 and 7.0 changed defaults); tests/consumer/errors.ts must fail to compile where
// its expect-error markers say; then app.ts, compiled, is run with node (it runs `simulate`
// from quadrille/testing where fast-check is not installed). Also checks that the declaration
// maps of the package point at its src/ files, and that the tarball has LICENSE.
//
// npm install uses --prefer-offline: after `npm ci` in the repository every package is in the
// npm cache, so nothing is fetched; on a machine without them, it fetches them. Each step has
// a time limit; the temporary directory is removed at the end, whatever happened.
//
// usage: node scripts/consumer-test.mjs [--built]   (--built: dist/ is fresh, pack it without
// building it again; `npm test` builds it just before)
import { execFileSync } from "node:child_process"
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"

const root = resolve(import.meta.dirname, "..")
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const started = Date.now()
const seconds = (since = started) => `${((Date.now() - since) / 1000).toFixed(1)} s`
const step = (name, f) => {
  const t = Date.now()
  const out = f()
  console.log(`consumer: ${name} (${seconds(t)})`)
  return out
}

/** Runs a command; throws with its output when it fails or takes more than `timeout` ms. */
const run = (file, args, cwd, timeout = 120_000) => {
  try {
    return execFileSync(file, args, { cwd, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] })
  } catch (e) {
    const output = `${e.stdout ?? ""}${e.stderr ?? ""}`.trim()
    throw new Error(`${[file, ...args].join(" ")} failed${e.signal ? ` (${e.signal}, timeout ${timeout} ms)` : ""}:\n${output}`)
  }
}
const version = (name) => JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version

const compilers = { "5.9": "node_modules/typescript/bin/tsc", "7.0": "node_modules/typescript-7/bin/tsc" }
const common = {
  target: "ES2022",
  lib: ["ES2022"],
  types: ["node"],
  strict: true,
  skipLibCheck: false,
  noEmit: true,
  esModuleInterop: true,
  allowSyntheticDefaultImports: true,
  forceConsistentCasingInFileNames: true,
  isolatedModules: true,
  verbatimModuleSyntax: false,
  noUncheckedSideEffectImports: false,
  allowJs: false,
  checkJs: false,
  resolveJsonModule: false,
  exactOptionalPropertyTypes: false,
  noUncheckedIndexedAccess: false,
  rootDir: "."
}
const resolutions = {
  bundler: { module: "ESNext", moduleResolution: "bundler" },
  node16: { module: "Node16", moduleResolution: "Node16" },
  nodenext: { module: "NodeNext", moduleResolution: "NodeNext" }
}

const built = process.argv.includes("--built")
const dir = mkdtempSync(join(tmpdir(), "quadrille-consumer-"))
let failed = false
try {
  const [packed] = step(built ? "npm pack of dist/ as built" : "npm pack (builds dist/)", () =>
    JSON.parse(run(npm, ["pack", "--json", "--pack-destination", dir, ...(built ? ["--ignore-scripts"] : [])], root, 300_000).replace(/^[^[]*/s, "")))
  const listed = packed.files.map((f) => f.path)
  for (const needed of ["LICENSE", "dist/index.d.ts.map", "src/index.ts", "dist/testing/arbitrary/effect.js", "dist/promise/index.js", "dist/fp-ts/index.js"]) {
    if (!listed.includes(needed)) throw new Error(`the tarball has no ${needed}`)
  }

  const app = join(dir, "app")
  run(process.execPath, ["-e", `require("fs").mkdirSync(${JSON.stringify(app)})`], dir)
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify(
      {
        name: "quadrille-consumer",
        private: true,
        type: "module",
        dependencies: {
          quadrille: `file:../${packed.filename}`,
          effect: version("effect"),
          "fp-ts": version("fp-ts"),
          "@types/node": version("@types/node")
        }
      },
      null,
      2
    )
  )
  step("npm install of the tarball, effect, fp-ts, @types/node", () =>
    run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock", "--loglevel", "error"], app, 300_000))
  const installed = join(app, "node_modules", "quadrille")
  // npm 11 places fast-check 4 at the top of the app, marked extraneous: effect depends on
  // fast-check 3, and quadrille's optional peer range must hold for the copy quadrille sees,
  // so 3 is nested under effect and 4 put where quadrille sees it. A user of pnpm, or one who
  // prunes it, has none: removed here, so that the app runs without fast-check 4 (effect keeps
  // its own nested copy). The app checks that quadrille/testing/arbitrary then fails to load.
  const top = join(app, "node_modules", "fast-check")
  if (existsSync(top)) {
    const v = JSON.parse(readFileSync(join(top, "package.json"), "utf8")).version
    if (v.startsWith("4.")) {
      rmSync(top, { recursive: true, force: true })
      console.log(`consumer: removed node_modules/fast-check ${v}, which npm installed though nothing asks for it`)
    }
  }

  // Declaration maps: each points at a source file that is in the package.
  step("declaration maps point into the package's src/", () => {
    for (const map of ["dist/index.d.ts.map", "dist/promise/Session.d.ts.map", "dist/testing/simulate.d.ts.map"]) {
      const file = join(installed, map)
      const sources = JSON.parse(readFileSync(file, "utf8")).sources
      for (const s of sources) {
        if (!existsSync(resolve(dirname(file), s))) throw new Error(`${map} names ${s}, which is not in the package`)
      }
    }
  })

  for (const f of readdirSync(join(root, "tests", "consumer"))) copyFileSync(join(root, "tests", "consumer", f), join(app, f))
  const expectations = []
  readFileSync(join(app, "errors.ts"), "utf8").split("\n").forEach((line, i) => {
    const m = /\/\/ expect-error: (.*)$/.exec(line)
    if (m) expectations.push({ line: i + 2, text: m[1].trim() })
  })

  for (const [name, resolution] of Object.entries(resolutions)) {
    const config = `tsconfig.${name}.json`
    writeFileSync(join(app, config), JSON.stringify({ compilerOptions: { ...common, ...resolution }, files: ["app.ts", "errors.ts"] }, null, 2))
    for (const [tsVersion, tsc] of Object.entries(compilers)) {
      step(`TypeScript ${tsVersion}, moduleResolution ${name}: app.ts compiles, errors.ts fails where expected`, () => {
        // The last check also emits app.js (errors.ts has errors, which do not stop the emit).
        const emit = name === "nodenext" && tsVersion === "5.9" ? ["--noEmit", "false", "--outDir", "out"] : []
        let output = ""
        try {
          output = run(process.execPath, [join(root, tsc), "-p", config, "--pretty", "false", ...emit], app, 180_000)
        } catch (e) {
          output = e.message
        }
        // An error's first line, then its indented elaboration.
        const errors = []
        for (const line of output.split("\n")) {
          const m = /^(\S+?)\((\d+),\d+\): error (TS\d+): (.*)$/.exec(line)
          if (m) errors.push({ file: m[1], line: Number(m[2]), text: `${m[3]}: ${m[4]}` })
          else if (errors.length > 0 && /^\s/.test(line)) errors[errors.length - 1].text += ` ${line.trim()}`
        }
        const problems = []
        for (const x of errors) {
          if (!(x.file === "errors.ts" && expectations.some((e) => e.line === x.line))) problems.push(`unexpected ${x.file}:${x.line}: ${x.text}`)
        }
        for (const e of expectations) {
          const here = errors.filter((x) => x.file === "errors.ts" && x.line === e.line)
          if (!here.some((x) => x.text.includes(e.text))) {
            problems.push(`errors.ts:${e.line}: expected an error containing "${e.text}", got ${here.length === 0 ? "none" : here.map((x) => x.text).join("; ")}`)
          }
        }
        if (errors.length === 0 && output.trim() !== "" && !/error TS/.test(output)) problems.push(output.trim())
        if (problems.length > 0) throw new Error(`TypeScript ${tsVersion}, ${name}:\n  ${problems.join("\n  ")}`)
      })
    }
  }

  step("app.js (emitted by TypeScript 5.9 under nodenext) run with node", () => {
    const output = run(process.execPath, [join(app, "out", "app.js")], app, 60_000).trim()
    const last = JSON.parse(output.split("\n").at(-1))
    const expected = {
      session: "sold",
      simulated: "sold",
      traceValid: true,
      sampled: 3,
      withoutFastCheck: "ERR_MODULE_NOT_FOUND",
      promise: "sold",
      rejected: "Timeout",
      fpts: "sold",
      made: "Right"
    }
    if (JSON.stringify(last) !== JSON.stringify(expected)) throw new Error(`app.js printed ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}`)
  })
} catch (e) {
  failed = true
  console.log(`consumer: FAILED\n${e.message ?? e}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
console.log(`consumer: ${failed ? "FAILED" : "passed"} (${seconds()})`)
process.exit(failed ? 1 : 0)
