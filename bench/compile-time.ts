/**
 * Compile-time cost of the type-level projection: how long the compiler takes to compute
 * `Local<typeof P, "A">` and to type-check a `Role.program` that walks it, as the protocol
 * grows from 10 to 1000 global steps.
 *
 * For each size N the script generates, under .bench-tmp/compile-time/ (git-ignored), a real
 * source file:
 *
 *   - `P = Protocol.make(...)` over four roles A, B, C, D with exactly N global steps (every
 *     message, choice, loop and recur counts as one step, in every branch). The protocol is
 *     made of segments of at most SEGMENT steps (default 200): each segment is plain messages,
 *     a choice, a loop whose body ends in a choice (go round / leave), more messages, and,
 *     unless it is the last, a final choice whose `go` branch holds the next segment. Every
 *     choice's chooser first messages every other role with a branch-specific label, so
 *     every role learns the branch. No method chain is longer than a segment.
 *   - `type LocalA = Local<typeof P, "A">`, forced by a tail-recursive walk (`Walk`) that
 *     follows A's local type along one path, one segment at a time, and must reach `End`.
 *   - `Role.program(P, "A", (c0) => Effect.gen(function*() { ... }))`, straight-line code that
 *     walks A's whole local type along the same path with the typed endpoint (send, recv,
 *     select, offer, close; each loop is gone round once, then left), so the compiler
 *     computes every continuation on the path. Past CHUNK operations the program goes on in
 *     `.pipe(Effect.flatMap((cK) => Effect.gen(...)))` blocks: one generator of more than
 *     ~300 dependent endpoint variables overflows tsc 5.9's call stack (a TypeScript limit,
 *     not the library's: see bench/COMPILE-TIME.md).
 *
 * plus an "empty" file that only imports the library, whose figures are subtracted. Each file
 * is checked with its own tsconfig (the project's: strict, NodeNext, skipLibCheck), with
 * `tsc --noEmit --extendedDiagnostics`, by TypeScript 5.9 and TypeScript 7, in RUNS rounds that
 * each check every file once (the machine may be shared: a burst of load then hits a whole
 * round, and "over empty" is the median of the differences within a round); the tables give
 * medians, also of the compiler's CPU time and peak RSS (GNU time). Every generated protocol is also built at run time, with
 * `Protocol.makeEither` from the same step tree and by importing the generated file, so a
 * protocol that the run-time projection rejects cannot pass for a fast one.
 *
 * Usage: `npx tsx bench/compile-time.ts`
 *   env: SIZES=10,50,100,200,500,1000  RUNS=3  SEGMENT=200  COMPILERS=5.9,7
 *        CHUNK=100 (operations per Effect.gen block of the program)
 *        VARIANTS=0 skips the extra files that check, for the largest N, only the Walk of
 *        Local, only the program (what dominates), and the program in one Effect.gen.
 *        LIB=src  the library (a folder like src/) the generated files import and the run-time
 *                 check uses, relative to the repository or absolute (to time a patched copy)
 *        REF=HEAD times the library of a commit instead: its src/ is exported with `git archive`
 *                 to a folder under the OS temp dir (so uncommitted edits do not disturb the run)
 *        GENERATE_ONLY=1 writes and validates the files without timing them.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { cpus, loadavg, tmpdir, totalmem } from "node:os"
import { join, parse, relative, resolve, sep } from "node:path"
import { pathToFileURL } from "node:url"
import { Either, Schema } from "effect"
import type { Protocol as ProtocolModule } from "../src/index.js"

const root = resolve(import.meta.dirname, "..")
const tmp = join(root, ".bench-tmp", "compile-time")

const SIZES = (process.env.SIZES ?? "10,50,100,200,500,1000").split(",").map(Number)
const RUNS = Number(process.env.RUNS ?? 3)
const SEGMENT = Number(process.env.SEGMENT ?? 200)
const CHUNK = Number(process.env.CHUNK ?? 100)
const COMPILERS = (process.env.COMPILERS ?? "5.9,7").split(",")
const VARIANTS = process.env.VARIANTS !== "0"
const GENERATE_ONLY = process.env.GENERATE_ONLY === "1"
const REF = process.env.REF
/** The library the generated files import and the run-time check uses (see LIB and REF above). */
const libDir = (): { dir: string; name: string } => {
  if (REF === undefined) {
    const lib = process.env.LIB ?? "src"
    return { dir: resolve(root, lib), name: lib }
  }
  const sha = execFileSync("git", ["rev-parse", REF], { cwd: root, encoding: "utf8" }).trim()
  const base = join(tmpdir(), `quadrille-${sha.slice(0, 12)}`)
  if (!existsSync(join(base, "src", "index.ts"))) {
    mkdirSync(base, { recursive: true })
    execFileSync("sh", ["-c", `git archive ${sha} src | tar -x -C '${base}'`], { cwd: root })
    // Resolve "effect" and run as ESM like the repository does.
    symlinkSync(join(root, "node_modules"), join(base, "node_modules"))
    writeFileSync(join(base, "package.json"), JSON.stringify({ type: "module" }))
  }
  return { dir: join(base, "src"), name: `${REF} (${sha.slice(0, 12)})` }
}
const LIB = libDir()

const compilerPaths: Record<string, string> = {
  "5.9": "node_modules/typescript/bin/tsc",
  "7": "node_modules/typescript-7/bin/tsc"
}

// ---------------------------------------------------------------------------------------
// The message catalogue: eight data labels with payloads of several shapes, and the
// branch-specific labels of choices.

const ROLES = ["A", "B", "C", "D"] as const
type RoleName = (typeof ROLES)[number]

const DATA: ReadonlyArray<{ label: string; schema: string; runtime: Schema.Schema.AnyNoContext; value: string }> = [
  { label: "D0", schema: "Schema.Number", runtime: Schema.Number, value: "1" },
  { label: "D1", schema: "Schema.String", runtime: Schema.String, value: `"s"` },
  {
    label: "D2",
    schema: "Schema.Struct({ id: Schema.Number, note: Schema.String })",
    runtime: Schema.Struct({ id: Schema.Number, note: Schema.String }),
    value: `{ id: 1, note: "n" }`
  },
  { label: "D3", schema: "Schema.Array(Schema.Number)", runtime: Schema.Array(Schema.Number), value: "[1, 2]" },
  { label: "D4", schema: "Schema.Boolean", runtime: Schema.Boolean, value: "true" },
  {
    label: "D5",
    schema: "Schema.Struct({ items: Schema.Array(Schema.String) })",
    runtime: Schema.Struct({ items: Schema.Array(Schema.String) }),
    value: `{ items: ["i"] }`
  },
  {
    label: "D6",
    schema: `Schema.Literal("low", "high")`,
    runtime: Schema.Literal("low", "high"),
    value: `"low"`
  },
  {
    label: "D7",
    schema: "Schema.Struct({ at: Schema.Number, tags: Schema.Array(Schema.String) })",
    runtime: Schema.Struct({ at: Schema.Number, tags: Schema.Array(Schema.String) }),
    value: `{ at: 0, tags: [] }`
  }
]
const CONTROL = ["X", "Y", "More", "Done", "Go", "Stop"]
const valueOf = (label: string) => DATA.find((d) => d.label === label)?.value ?? "{}"

// ---------------------------------------------------------------------------------------
// Protocols as step trees

type Node =
  | { t: "msg"; from: RoleName; to: RoleName; label: string }
  | {
    t: "choice"
    at: RoleName
    name: string
    branches: Array<[string, Array<Node>]>
    /** The branch role A's program takes (the first time round, for a loop's choice). */
    take: string
    /** For the choice that ends a loop body: the loop, and the branch taken the second time round. */
    loop?: { name: string; leave: string }
    segment: number
  }
  | { t: "loop"; name: string; body: Array<Node> }
  | { t: "recur"; name: string }

const count = (seq: ReadonlyArray<Node>): number =>
  seq.reduce(
    (n, s) =>
      n + 1 +
      (s.t === "choice" ? s.branches.reduce((m, [, b]) => m + count(b), 0) : s.t === "loop" ? count(s.body) : 0),
    0
  )

/** Plain messages, cycling through pairs of roles (A takes part in 6 of 8) and data labels. */
let plainCounter = 0
const PAIRS: ReadonlyArray<readonly [RoleName, RoleName]> = [
  ["A", "B"],
  ["B", "A"],
  ["C", "D"],
  ["A", "C"],
  ["D", "A"],
  ["B", "C"],
  ["A", "D"],
  ["C", "A"]
]
const plain = (n: number): Array<Node> =>
  Array.from({ length: n }, () => {
    const [from, to] = PAIRS[plainCounter % PAIRS.length]
    const label = DATA[plainCounter % DATA.length].label
    plainCounter++
    return { t: "msg", from, to, label }
  })

/** The chooser tells every other role the branch, with the branch's label. */
const announce = (at: RoleName, label: string): Array<Node> =>
  ROLES.filter((r) => r !== at).map((to) => ({ t: "msg", from: at, to, label }))

/** A choice of 7 steps plus `extra` messages (half in each branch). */
const midChoice = (k: number, at: RoleName, extra: number): Node => {
  const x = Math.ceil(extra / 2)
  return {
    t: "choice",
    at,
    name: `pick${k}`,
    branches: [["x", [...announce(at, "X"), ...plain(x)]], ["y", [...announce(at, "Y"), ...plain(extra - x)]]],
    take: "x",
    segment: k
  }
}

/** A loop of 10 steps plus `extra` messages in its body: body, then go round or leave. */
const loopOf = (k: number, at: RoleName, extra: number): Node => ({
  t: "loop",
  name: `round${k}`,
  body: [
    ...plain(1 + extra),
    {
      t: "choice",
      at,
      name: `again${k}`,
      branches: [["more", [...announce(at, "More"), { t: "recur", name: `round${k}` }]], [
        "done",
        announce(at, "Done")
      ]],
      take: "more",
      loop: { name: `round${k}`, leave: "done" },
      segment: k
    }
  ]
})

/**
 * A segment of exactly `n` steps, `n` >= 10 (a loop alone); `next` (if any) goes in the
 * `go` branch of a final choice (7 steps of this segment's own).
 */
const segment = (k: number, n: number, next?: Array<Node>): Array<Node> => {
  const final = next === undefined ? 0 : 7
  let left = n - final - 10 // the loop
  const chooser = ROLES[(k + 1) % 4]
  const loopChooser = ROLES[k % 4]
  const out: Array<Node> = []
  let choice: Node | undefined
  if (left >= 7) {
    left -= 7
    const inChoice = Math.floor(left / 8)
    left -= inChoice
    choice = midChoice(k, chooser, inChoice)
  }
  const inLoop = Math.floor(left / 4)
  left -= inLoop
  const before = Math.floor(left / 3)
  const between = Math.floor(left / 3)
  out.push(...plain(before))
  if (choice) out.push(choice)
  out.push(...plain(between))
  out.push(loopOf(k, loopChooser, inLoop))
  out.push(...plain(left - before - between))
  if (next !== undefined) {
    const at = ROLES[(k * 2) % 4] // A, C, A, C...
    out.push({
      t: "choice",
      at,
      name: `next${k}`,
      branches: [["go", [...announce(at, "Go"), ...next]], ["stop", announce(at, "Stop")]],
      take: "go",
      segment: k
    })
  }
  return out
}

/** A protocol of exactly `n` steps, in segments of at most SEGMENT steps. */
const protocolOf = (n: number): Array<Node> => {
  plainCounter = 0
  const segments = Math.ceil(n / SEGMENT)
  const sizes = Array.from({ length: segments }, (_, i) => Math.floor(n / segments) + (i < n % segments ? 1 : 0))
  // The segment that holds the next one counts the 3 `Go` messages of its `go` branch, but
  // the next segment is nested inside; build from the innermost out.
  let inner: Array<Node> | undefined
  for (let k = segments - 1; k >= 0; k--) inner = segment(k, sizes[k], inner)
  const seq = inner!
  if (count(seq) !== n) throw new Error(`generator: ${count(seq)} steps instead of ${n}`)
  return seq
}

/** The longest method chain, in calls (tsc's binder overflows at ~1000). */
const longestChain = (seq: ReadonlyArray<Node>): number =>
  Math.max(
    seq.length,
    ...seq.map((s) =>
      s.t === "choice" ? Math.max(...s.branches.map(([, b]) => longestChain(b))) : s.t === "loop" ? longestChain(s.body) : 0
    )
  )

// ---------------------------------------------------------------------------------------
// Source code of the protocol

const chain = (seq: ReadonlyArray<Node>, b: string, indent: string): string => {
  const lines = [b]
  for (const s of seq) {
    switch (s.t) {
      case "msg":
        lines.push(`${indent}.msg("${s.from}", "${s.to}", "${s.label}")`)
        break
      case "recur":
        lines.push(`${indent}.recur("${s.name}")`)
        break
      case "loop":
        lines.push(`${indent}.loop("${s.name}", (l) =>\n${indent}  ${chain(s.body, "l", indent + "    ")})`)
        break
      case "choice": {
        const branches = s.branches.map(([label, steps]) =>
          `${indent}  ${label}: (c) =>\n${indent}    ${chain(steps, "c", indent + "      ")}`
        )
        lines.push(`${indent}.choice("${s.at}", "${s.name}", {\n${branches.join(",\n")}\n${indent}})`)
        break
      }
    }
  }
  return lines.join("\n")
}

const protocolSource = (name: string, seq: ReadonlyArray<Node>) =>
  `export const P = Protocol.make("${name}", {
  roles: ["A", "B", "C", "D"],
  messages: {
${[...DATA.map((d) => `    ${d.label}: ${d.schema}`), ...CONTROL.map((l) => `    ${l}: Schema.Struct({})`)].join(",\n")}
  }
}, (g) =>
  ${chain(seq, "g", "    ")})`

/** The library's Protocol module, loaded from LIB at start (the run-time check uses the library timed). */
let Protocol: typeof ProtocolModule

/** The same protocol at run time, with `Protocol.makeEither`. */
const makeAtRuntime = (name: string, seq: ReadonlyArray<Node>) => {
  const messages: Record<string, Schema.Schema.AnyNoContext> = {}
  for (const d of DATA) messages[d.label] = d.runtime
  for (const l of CONTROL) messages[l] = Schema.Struct({})
  // The builder's precise types are what the generated file checks; here it is driven loosely.
  type Loose = Record<string, (...args: ReadonlyArray<unknown>) => Loose>
  const apply = (b: Loose, steps: ReadonlyArray<Node>): Loose =>
    steps.reduce((acc, s) => {
      switch (s.t) {
        case "msg":
          return acc.msg(s.from, s.to, s.label)
        case "recur":
          return acc.recur(s.name)
        case "loop":
          return acc.loop(s.name, (l: unknown) => apply(l as Loose, s.body))
        case "choice":
          return acc.choice(
            s.at,
            s.name,
            Object.fromEntries(s.branches.map(([label, steps]) => [label, (c: unknown) => apply(c as Loose, steps)]))
          )
      }
    }, b)
  return Protocol.makeEither(name, { roles: [...ROLES], messages }, (g) => apply(g as unknown as Loose, seq) as never)
}

// ---------------------------------------------------------------------------------------
// Role A's program, and the path it takes, along the same walk of the global tree

interface Walked {
  /** A's operations in order: the statements of each, and the endpoint variable it leaves. */
  readonly ops: Array<{ readonly lines: Array<string>; readonly after: string }>
  /** For each segment, the branches A's local type goes through (Select: branch; Offer: label). */
  readonly path: Array<Array<string>>
}

const walkA = (seq: ReadonlyArray<Node>, segments: number): Walked => {
  const out: Walked = { ops: [], path: Array.from({ length: segments }, () => []) }
  let v = 0 // the current endpoint is `c${v}`
  const loops = new Map<string, { body: ReadonlyArray<Node>; after: () => void; round: number }>()
  const next = () => `c${++v}`
  const op = (...lines: Array<string>) => out.ops.push({ lines, after: `c${v}` })
  let ended = false

  /** Walks `steps` from `i`; `after` walks what follows them. `skip`: a message the offer already consumed. */
  const walk = (steps: ReadonlyArray<Node>, i: number, after: () => void, skip?: Node): void => {
    for (; i < steps.length; i++) {
      const s = steps[i]
      if (s === skip) continue
      switch (s.t) {
        case "msg": {
          if (s.from === "A") {
            const c = `c${v}`
            op(`const ${next()} = yield* ${c}.send("${s.to}", "${s.label}", ${valueOf(s.label)})`)
          } else if (s.to === "A") {
            const c = `c${v}`
            op(`const [, ${next()}] = yield* ${c}.recv("${s.from}", "${s.label}")`)
          }
          break
        }
        case "choice": {
          const rest = () => walk(steps, i + 1, after)
          const loop = s.loop === undefined ? undefined : loops.get(s.loop.name)!
          const take = loop !== undefined && loop.round > 0 ? s.loop!.leave : s.take
          const branch = s.branches.find(([label]) => label === take)![1]
          const c = `c${v}`
          if (s.at === "A") {
            op(`const ${next()} = yield* ${c}.select("${take}")`)
            out.path[s.segment].push(take)
          } else {
            // A's first action in the branch is the chooser's announcement: offer() receives it.
            const first = branch.find((m) => m.t !== "msg" || m.from === "A" || m.to === "A")
            if (first === undefined || first.t !== "msg" || first.from !== s.at) {
              throw new Error(`generator: A cannot learn branch ${take} of ${s.name}`)
            }
            const o = `o${v}`
            op(
              `const ${o} = yield* ${c}.offer()`,
              `if (${o}.label !== "${first.label}") return yield* Effect.die("not this path")`,
              `const ${next()} = ${o}.next`
            )
            out.path[s.segment].push(first.label)
            walk(branch, 0, rest, first)
            return
          }
          walk(branch, 0, rest)
          return
        }
        case "loop": {
          // A path through the body that does not recur leaves the loop: what follows it.
          const leave = () => walk(steps, i + 1, after)
          loops.set(s.name, { body: s.body, after: leave, round: 0 })
          walk(s.body, 0, leave)
          return
        }
        case "recur": {
          const loop = loops.get(s.name)!
          loop.round++
          // Leaving the loop (a path that does not recur) goes on after the loop.
          walk(loop.body, 0, loop.after)
          return
        }
      }
    }
    after()
  }
  walk(seq, 0, () => {
    op(`return yield* c${v}.close(${out.ops.length + 1})`)
    ended = true
  })
  if (!ended) throw new Error("generator: A's walk did not reach the end")
  return out
}

// ---------------------------------------------------------------------------------------
// The generated files

const libIndex = ((p) => (p.startsWith(".") ? p : `./${p}`))(relative(tmp, join(LIB.dir, "index.js")).split(sep).join("/"))
const IMPORTS = `import { Effect, Schema } from "effect"
import { type End, type Local, Protocol, Role } from "${libIndex}"
import type { Branch, Offer, ProjectionFailure, Rec, Recv, Select, Send, Var } from "${libIndex}"
`

/** Follows a local type along a path of branches; stops at the next Select/Offer once the path is used up. */
const WALK = `
/** Follows local type \`L\` along \`Path\` (Select: branch; Offer: label); tail-recursive. */
type Walk<L, Path extends ReadonlyArray<string>, Env> = L extends Send<string, string, unknown, infer K>
  ? Walk<K, Path, Env>
  : L extends Recv<string, string, unknown, infer K> ? Walk<K, Path, Env>
  : L extends Select<infer B> ? Path extends readonly [infer H extends keyof B, ...infer T extends ReadonlyArray<string>]
      ? Walk<B[H], T, Env>
    : Path extends readonly [] ? Stopped<L, Env>
    : ["no branch", Path[0], "in", keyof B]
  : L extends Offer<string, infer B> ? Path extends readonly [infer H extends keyof B, ...infer T extends ReadonlyArray<string>]
      ? B[H] extends Branch<unknown, infer K> ? Walk<K, T, Env> : ["not a branch", B[H]]
    : Path extends readonly [] ? Stopped<L, Env>
    : ["no label", Path[0], "in", keyof B]
  : L extends Rec<infer N, infer Body> ? Walk<Body, Path, Env | [N, Body]>
  : L extends Var<infer N> ? Walk<Extract<Env, [N, unknown]>[1], Path, Env>
  : L extends End ? Path extends readonly [] ? "end" : ["path left", Path]
  : L extends ProjectionFailure<infer M> ? ["projection failure", M]
  : ["unexpected", L]
interface Stopped<out L, out Env> {
  readonly l: L
  readonly env: Env
}
type Resume<S, Path extends ReadonlyArray<string>> = S extends Stopped<infer L, infer Env> ? Walk<L, Path, Env> : S
type Assert<T extends true> = T
type Same<A, B> = [A] extends [B] ? [B] extends [A] ? true : false : false
`

interface Generated {
  readonly n: number
  readonly file: string
  readonly steps: number
  readonly segments: number
  readonly chain: number
  readonly ops: number
}

const EMPTY = `${IMPORTS}
export {}
`

/**
 * The program: `Effect.gen` blocks of at most CHUNK operations, each returning its last
 * endpoint to the next through `Effect.flatMap` (a single generator of more than about 300
 * dependent endpoint variables overflows tsc 5.9's stack: see bench/COMPILE-TIME.md).
 */
const programSource = (ops: Walked["ops"], chunk: number) => {
  const chunks: Array<Walked["ops"]> = []
  for (let i = 0; i < ops.length; i += chunk) chunks.push(ops.slice(i, i + chunk))
  const body = (c: Walked["ops"], last: boolean, indent: string) =>
    [...c.flatMap((o) => o.lines), ...(last ? [] : [`return ${c[c.length - 1].after}`])]
      .map((l) => `${indent}${l}`)
      .join("\n")
  const first = `Effect.gen(function*() {\n${body(chunks[0], chunks.length === 1, "    ")}\n  })`
  if (chunks.length === 1) return `  ${first}`
  const rest = chunks.slice(1).map((c, i) =>
    `    Effect.flatMap((${chunks[i][chunks[i].length - 1].after}) =>\n      Effect.gen(function*() {\n${
      body(c, i === chunks.length - 2, "        ")
    }\n      }))`
  )
  return `  ${first}.pipe(\n${rest.join(",\n")}\n  )`
}

const generate = (n: number, parts: "both" | "local" | "program" | "straight" = "both"): Generated => {
  const seq = protocolOf(n)
  const segments = Math.ceil(n / SEGMENT)
  const name = `Bench${n}`
  const made = makeAtRuntime(name, seq)
  if (Either.isLeft(made)) throw new Error(`N = ${n}: Protocol.makeEither rejects the protocol: ${made.left.message}`)
  const walked = walkA(seq, segments)
  const walks = walked.path.map((p, k) =>
    `export type W${k} = ${k === 0 ? "Walk<LocalA, " : `Resume<W${k - 1}, `}[${p.map((l) => `"${l}"`).join(", ")}]${
      k === 0 ? ", never>" : ">"
    }`
  )
  const local = `${WALK}
export type LocalA = Local<typeof P, "A">
${walks.join("\n")}
export type Reaches = Assert<Same<W${segments - 1}, "end">>
`
  const program = `
export const programA = Role.program(P, "A", (c0) =>
${programSource(walked.ops, parts === "straight" ? walked.ops.length : CHUNK)})
`
  const source = `// Generated by bench/compile-time.ts: ${n} global steps, ${segments} segment(s), A has ${walked.ops.length} operations.
${IMPORTS}
${protocolSource(name, seq)}
${parts === "both" || parts === "local" ? local : ""}${parts === "local" ? "" : program}`
  const base = parts === "both" ? `n${n}` : `n${n}-${parts}`
  const file = join(tmp, `${base}.ts`)
  writeFileSync(file, source)
  writeFileSync(join(tmp, `tsconfig.${base}.json`), tsconfigFor(`${base}.ts`))
  return { n, file, steps: count(seq), segments, chain: longestChain(seq), ops: walked.ops.length }
}

const tsconfigFor = (file: string) =>
  JSON.stringify(
    {
      extends: "../../tsconfig.json",
      // rootDir only shapes emitted paths (nothing is emitted); "/" admits a library outside the repository.
      compilerOptions: { rootDir: LIB.dir.startsWith(root) ? "../.." : parse(root).root, incremental: false },
      include: [file]
    },
    null,
    2
  ) + "\n"

// ---------------------------------------------------------------------------------------
// Timing

interface Run {
  readonly wall: number
  /** user + system CPU time of the compiler process (s) */
  readonly cpu?: number
  /** peak resident set size (KB) */
  readonly rss?: number
  readonly check?: number
  readonly total?: number
  readonly memory?: number
  readonly instantiations?: number
  readonly errors: ReadonlyArray<string>
}

const seconds = (text: string, key: string) => {
  const m = new RegExp(`^${key}:\\s+([\\d.]+)(m?s)\\s*$`, "m").exec(text)
  return m === null ? undefined : Number(m[1]) / (m[2] === "ms" ? 1000 : 1)
}
const integer = (text: string, key: string) => {
  const m = new RegExp(`^${key}:\\s+([\\d,]+)K?\\s*$`, "m").exec(text)
  return m === null ? undefined : Number(m[1].replace(/,/g, ""))
}

/** GNU time, when present, gives the child's CPU time and peak RSS (less disturbed by other load than wall time). */
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined

const typecheck = (compiler: string, tsconfig: string): Run => {
  const started = process.hrtime.bigint()
  const command = [process.execPath, compilerPaths[compiler]]
  const r = spawnSync(gnuTime ?? command[0], [
    ...(gnuTime ? ["-f", "__rusage__ %U %S %M", ...command] : command.slice(1)),
    "-p",
    tsconfig,
    "--noEmit",
    "--extendedDiagnostics",
    "--pretty",
    "false"
  ], { cwd: root, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 })
  const wall = Number(process.hrtime.bigint() - started) / 1e9
  const text = `${r.stdout}${r.stderr}`
  const rusage = /__rusage__ ([\d.]+) ([\d.]+) (\d+)/.exec(text)
  const errors = [...text.matchAll(/error (TS\d+): ([^\n]*)/g)].map((m) => `${m[1]}: ${m[2].slice(0, 200)}`)
  const crash = /^(RangeError|Error|FATAL|fatal error)[^\n]*/m.exec(text)
  if (crash !== null) errors.push(`compiler crashed: ${crash[0]}`)
  else if (r.status !== 0 && errors.length === 0) errors.push(`exit ${r.status} ${r.signal ?? ""}: ${text.slice(-300)}`)
  return {
    wall,
    cpu: rusage === null ? undefined : Number(rusage[1]) + Number(rusage[2]),
    rss: rusage === null ? undefined : Number(rusage[3]),
    check: seconds(text, "Check time"),
    total: seconds(text, "Total time"),
    memory: integer(text, "Memory used"),
    instantiations: integer(text, "Instantiations"),
    errors
  }
}

const median = (xs: ReadonlyArray<number | undefined>): number | undefined => {
  const ys = xs.filter((x): x is number => x !== undefined).sort((a, b) => a - b)
  if (ys.length === 0) return undefined
  const m = Math.floor(ys.length / 2)
  return ys.length % 2 === 1 ? ys[m] : (ys[m - 1] + ys[m]) / 2
}

/** One file checked by one compiler: its runs, one per round. */
interface Row {
  readonly label: string
  readonly base: string
  readonly compiler: string
  readonly runs: Array<Run>
}

type Metric = "wall" | "cpu" | "rss" | "check" | "memory" | "instantiations"

/** The median of a metric over the runs. */
const med = (row: Row, key: Metric) => median(row.runs.map((r) => r[key]))
/**
 * The median over rounds of the difference from the empty file in the same round: each round
 * checks every file once, so a burst of load from other processes hits both sides alike.
 */
const medOver = (row: Row, empty: Row, key: Metric) =>
  median(row.runs.map((r, i) => diff(r[key], empty.runs[i]?.[key])))
const errorsOf = (row: Row) => [...new Set(row.runs.flatMap((r) => r.errors))]
/** The error codes (or the crash), for the tables; the full messages are printed while running. */
const codesOf = (errors: ReadonlyArray<string>) =>
  [...new Set(errors.map((e) => (e.startsWith("TS") ? e.slice(0, e.indexOf(":")) : e)))].join(", ")

// ---------------------------------------------------------------------------------------
// Main

const fmt = (x: number | undefined, digits = 2) => (x === undefined ? "n/a" : x.toFixed(digits))
const signed = (x: number | undefined, digits = 2) =>
  x === undefined ? "n/a" : `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`
const mb = (k: number | undefined) => (k === undefined ? undefined : k / 1024)
const diff = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b)
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? "n/a" : (a / b).toFixed(2)

const main = async () => {
  Protocol = ((await import(pathToFileURL(join(LIB.dir, "index.ts")).href)) as typeof import("../src/index.js")).Protocol
  mkdirSync(tmp, { recursive: true })
  writeFileSync(join(tmp, "empty.ts"), EMPTY)
  writeFileSync(join(tmp, "tsconfig.empty.json"), tsconfigFor("empty.ts"))

  const generated = SIZES.map((n) => generate(n))
  for (const g of generated) {
    // The generated source itself, run once: Protocol.make throws on a protocol it rejects.
    const mod = await import(pathToFileURL(g.file).href)
    if (mod.P?.name !== `Bench${g.n}` || mod.programA?._tag !== "Implementation") {
      throw new Error(`N = ${g.n}: the generated file does not build its protocol and program`)
    }
    console.log(
      `N = ${g.n}: ${g.steps} steps, ${g.segments} segment(s), longest chain ${g.chain} calls, ` +
        `A's program: ${g.ops} operations; accepted by Protocol.makeEither and Protocol.make`
    )
  }
  const largest = Math.max(...SIZES)
  const variants = VARIANTS
    ? (["local", "program", "straight"] as const).map((parts) => {
      generate(largest, parts)
      const what = parts === "straight" ? "program in one Effect.gen" : `${parts} only`
      return { label: `N = ${largest}, ${what}`, base: `n${largest}-${parts}` }
    })
    : []
  if (GENERATE_ONLY) return

  const files = [
    { label: "empty", base: "empty" },
    ...generated.map((g) => ({ label: `N = ${g.n}`, base: `n${g.n}` })),
    ...variants
  ]
  console.log(
    `\nType-checking (${RUNS} rounds, each checks every file once; ${cpus().length} cores, ${
      (totalmem() / 2 ** 30).toFixed(0)
    } GiB, Node ${process.version}, library ${LIB.name})\n`
  )
  const results: Array<Row> = []
  const loads: Array<string> = []
  for (const compiler of COMPILERS) {
    const rows: Array<Row> = files.map((f) => ({ ...f, compiler, runs: [] }))
    for (let round = 0; round < RUNS; round++) {
      loads.push(loadavg()[0].toFixed(2))
      for (const row of rows) {
        row.runs.push(typecheck(compiler, join(".bench-tmp", "compile-time", `tsconfig.${row.base}.json`)))
      }
      console.log(
        `  tsc ${compiler} round ${round + 1}: ${
          rows.map((r) => `${r.base} ${fmt(r.runs[round].wall)}s${r.runs[round].errors.length > 0 ? "!" : ""}`).join(", ")
        }`
      )
    }
    for (const row of rows) {
      const errors = errorsOf(row)
      if (errors.length > 0) console.log(`  tsc ${compiler} ${row.label}: ERRORS: ${errors.join("; ")}`)
    }
    results.push(...rows)
  }

  // Tables
  const lines: Array<string> = [
    `${new Date().toISOString()}, Node ${process.version}, ${cpus().length} cores, library ${LIB.name}, ` +
    `${RUNS} rounds (medians; "over empty" is the median of the differences within a round), ` +
    `1-minute load average at the start of each round: ${loads.join(" ")}`,
    ""
  ]
  for (const compiler of COMPILERS) {
    const rows = results.filter((r) => r.compiler === compiler)
    const empty = rows[0]
    lines.push(`TypeScript ${compiler}`)
    lines.push("")
    lines.push(
      "| file | wall (s) | over empty | cpu (s) | over empty | check time (s) | over empty | memory used (MB) | over empty | peak RSS (MB) | instantiations | over empty | errors |"
    )
    lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for (const r of rows) {
      const e = r === empty
      const errors = errorsOf(r)
      lines.push(
        `| ${
          [
            r.label,
            fmt(med(r, "wall")),
            e ? "" : signed(medOver(r, empty, "wall")),
            fmt(med(r, "cpu")),
            e ? "" : signed(medOver(r, empty, "cpu")),
            fmt(med(r, "check")),
            e ? "" : signed(medOver(r, empty, "check")),
            fmt(mb(med(r, "memory")), 0),
            e ? "" : signed(mb(medOver(r, empty, "memory")), 0),
            fmt(mb(med(r, "rss")), 0),
            med(r, "instantiations") ?? "n/a",
            e ? "" : (medOver(r, empty, "instantiations") ?? "n/a"),
            errors.length === 0 ? "none" : codesOf(errors)
          ].join(" | ")
        } |`
      )
    }
    lines.push("")
    const at = (n: number) => rows.find((r) => r.label === `N = ${n}`)
    const r100 = at(100)
    const r200 = at(200)
    const r1000 = at(1000)
    if (r100 && r1000) {
      const over = (key: Metric) => ratio(medOver(r1000, empty, key), medOver(r100, empty, key))
      const raw = (key: Metric) => ratio(med(r1000, key), med(r100, key))
      lines.push(
        `- t(1000)/t(100) over the empty file: wall ${over("wall")}, cpu ${over("cpu")}, check time ${over("check")}; ` +
          `raw: wall ${raw("wall")}, cpu ${raw("cpu")}, check time ${raw("check")}`
      )
    }
    if (r200) {
      lines.push(
        `- N = 200 over the empty file: ${signed(medOver(r200, empty, "wall"))} s wall, ${
          signed(medOver(r200, empty, "cpu"))
        } s cpu, ${signed(medOver(r200, empty, "check"))} s check time`
      )
    }
    if (r1000) {
      const errors = errorsOf(r1000)
      lines.push(`- N = 1000: ${errors.length === 0 ? "no errors" : codesOf(errors)}`)
    }
    lines.push("")
  }
  console.log(`\n${lines.join("\n")}`)
  const slug = LIB.name === "src" ? "" : `-${LIB.name.replace(/[^A-Za-z0-9]+/g, "_")}`
  writeFileSync(join(tmp, `results${slug}.md`), lines.join("\n"))
  writeFileSync(join(tmp, `results${slug}.json`), JSON.stringify(results, null, 2))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
