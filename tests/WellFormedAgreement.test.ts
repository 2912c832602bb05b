/**
 * The check at `Protocol.make` (the compile error at the protocol's name) agrees with the
 * run-time projection on generated protocols: the test writes generated well-formed and
 * ill-formed protocols as source (`toCode`, `illFormedToCode`, as a user would write them),
 * compiles them with TypeScript 5.9's API (tests/fixtures/diagnostics.mjs), and checks each call's diagnostics against what
 * `Protocol.makeEither` says of the same protocol at run time:
 *
 *  - a well-formed protocol compiles, with no diagnostic at all;
 *  - no reason shown at a name holds a `${string}` (garbage from a body with its own error);
 *  - where the run-time rule is one the type level checks (a role that cannot tell the
 *    branches apart, a loop with no way out, end() inside a parallel branch, a timeout or a
 *    saga) and the body has no other error, the call has one error, at the name, and its
 *    reason is the run-time message without its protocol prefix, its sites and its "in 'x'
 *    it ... but in 'y' it ...; " detail: the same words;
 *  - a body with a type error of its own gets that error. The name is not checked again where
 *    the rejected call leaves a mark in the global type (a `${string}`, a union of roles or
 *    labels, an empty choice, a recur outside its loop); where it leaves none (e.g. a step
 *    missing after a `BuilderError`), a second error at the name may come from the broken
 *    body: those are counted and printed, not failed.
 *
 * Seeded: `QUADRILLE_WF_SEED`, `QUADRILLE_WF_RUNS` (ill-formed cases; default 40).
 */
import { Either } from "effect"
import fc from "fast-check"
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { afterAll, describe, expect, it } from "vitest"
import { Protocol, type Rule } from "../src/index.js"
import { buildIllFormed, illFormedProtocol, illFormedToCode, toCode, wellFormedTree } from "../src/testing/arbitrary/index.js"
import { marked } from "./fixtures/forever.js"

const run = promisify(execFile)
const seed = Number(process.env.QUADRILLE_WF_SEED ?? 20261201)
const runs = Number(process.env.QUADRILLE_WF_RUNS ?? 40)
const root = join(import.meta.dirname, "..")
const dir = join(root, ".bench-tmp", `wellformed-agreement-${process.pid}`)
afterAll(() => process.env.QUADRILLE_WF_KEEP === undefined && rmSync(dir, { recursive: true, force: true }))

/**
 * The reasons of the first `IllFormedProtocol<"..." | "...">` in a diagnostic (printed in full:
 * `noErrorTruncation`); none when it has none.
 */
const reasonsOf = (text: string): Array<string> => {
  const at = text.indexOf("IllFormedProtocol<")
  if (at < 0) return []
  const rest = text.slice(at + "IllFormedProtocol<".length)
  const end = rest.indexOf(">'")
  return rest.slice(0, end).split(" | ").map((r) => r.startsWith("\"") ? JSON.parse(r) as string : r)
}

/**
 * The run-time message of a knowledge-of-choice rule (`protocol P: <head>: <the two paths>;
 * <advice>`) in the words the type level uses: `<head>: <advice>`.
 */
const typeLevelWords = (message: string) => {
  const rest = message.replace(/^protocol [^:]+: /, "")
  return `${rest.slice(0, rest.indexOf(": "))}: ${rest.slice(rest.lastIndexOf("; ") + 2)}`
}
const knowledgeOfChoice = new Set(["UnmergeableChoice", "AmbiguousBranch", "DuplicateBranchMessage", "ChooserUnaware"])

/** The run-time message of a rule with sites in the words the type level uses: no protocol prefix, no sites. */
const withoutSites = (message: string) => message.replace(/^protocol [^:]+: /, "").replace(/ at site [^ ;,]+/g, "")
/** Rules the type level also catches, in those words. */
const sited = new Set(["LoopWithoutExit", "UnguardedLoop", "EndInParallel", "EndInTimeout", "EndInSaga"])

interface Case {
  readonly code: string
  readonly runtime: string | undefined
  readonly rule: string | undefined
}

interface Compiled {
  /** The diagnostics of the case, flattened. */
  readonly diagnostics: Array<string>
  /** The reasons given at the names of the case's protocols; none when they are well-formed. */
  readonly reasons: Array<string>
}

/** Compiles every case in one file, each in its own namespace (in a child process: tests/fixtures/diagnostics.mjs). */
const compile = async (cases: ReadonlyArray<Case>, name: string): Promise<Array<Compiled>> => {
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${name}.ts`)
  const imports = `import { Schema } from "effect"\nimport { Protocol } from "../../src/index.js"\n`
  writeFileSync(file, imports + cases.map((c, i) => `export namespace Case${i} {\n${c.code}\n}\n`).join(""))
  const script = join(import.meta.dirname, "fixtures", "diagnostics.mjs")
  const { stdout } = await run(process.execPath, [script, file], { maxBuffer: 256 * 1024 * 1024, timeout: 600_000 })
  const byCase = JSON.parse(stdout) as Array<Array<string>>
  expect(byCase.length).toBe(cases.length)
  return byCase.map((diagnostics) => ({ diagnostics, reasons: diagnostics.flatMap(reasonsOf) }))
}

describe("Protocol.make's compile-time check agrees with the run-time projection (generated protocols)", () => {
  it("well-formed protocols compile with no diagnostic", { timeout: 600_000 }, async () => {
    const trees = fc.sample(wellFormedTree(), { numRuns: Math.max(10, runs / 2), seed })
    const cases = trees.map((tree): Case => {
      const built = Protocol.makeEither(tree.name, { roles: tree.roles, messages: {} }, (g) => g)
      expect(Either.isRight(built)).toBe(true)
      return { code: toCode(tree).replace(/^Protocol\.make\(/m, "export const Top = Protocol.make("), runtime: undefined, rule: undefined }
    })
    const compiled = await compile(cases, "wellformed")
    compiled.forEach((c, i) => expect([c.diagnostics, c.reasons], cases[i].code).toEqual([[], []]))
  })

  it("ill-formed protocols: rejected at the name in the run-time words; a body's own error not followed by a made-up one", { timeout: 600_000 }, async () => {
    const ills = [
      ...fc.sample(illFormedProtocol(), { numRuns: runs, seed }),
      ...fc.sample(illFormedProtocol({ rules: [...knowledgeOfChoice, ...sited] as Array<Rule> }), { numRuns: runs, seed: seed + 1 })
    ]
    const cases = ills.map((ill): Case => {
      const built = buildIllFormed(ill)
      const code = illFormedToCode(ill)
        .replace(/^\/\/ Session\.run.*$/m, "")
        .replace(/^Protocol\.make\("IllFormed"/m, "export const Top = Protocol.make(\"IllFormed\"")
      return Either.isLeft(built) ? { code, runtime: built.left.message, rule: built.left.rule } : { code, runtime: undefined, rule: undefined }
    })
    const compiled = await compile(cases, "illformed")
    const tally = { sameWords: 0, otherLoop: 0, bodyErrorOnly: 0, secondFromBrokenBody: 0, otherRule: 0 }
    const byRule = new Map<string, { atName: number; bodyError: number; runTimeOnly: number }>()
    compiled.forEach(({ diagnostics, reasons }, i) => {
      const c = cases[i]
      const atName = diagnostics.filter((d) => reasonsOf(d).length > 0)
      const others = diagnostics.filter((d) => reasonsOf(d).length === 0)
      const context = `${c.rule}: ${c.runtime}\n${c.code}\n${diagnostics.join("\n")}\nreasons: ${reasons.join(" | ")}`
      expect(c.runtime, context).toBeDefined()
      for (const r of reasons) expect(r, context).not.toContain("${string}")
      const row = byRule.get(c.rule!) ?? { atName: 0, bodyError: 0, runTimeOnly: 0 }
      byRule.set(c.rule!, row)
      if (others.length > 0) row.bodyError++
      else if (atName.length > 0) row.atName++
      else row.runTimeOnly++
      const words = knowledgeOfChoice.has(c.rule!) ? typeLevelWords(c.runtime!) : sited.has(c.rule!) ? withoutSites(c.runtime!) : undefined
      if (others.length > 0) {
        // The body's own error is the one to read. The name may have one too: for the protocol's
        // real defect, or (counted, not failed: see the note at the top) from what the rejected
        // call left in the global type.
        if (atName.length > 0 && (words === undefined || !reasons.includes(words))) tally.secondFromBrokenBody++
        tally.bodyErrorOnly++
      } else if (words !== undefined) {
        // One error, at the name; its reason (a union when two orders of the branches are possible) has the run-time words.
        expect(atName.length, context).toBe(1)
        if (!reasons.includes(words) && c.rule === "LoopWithoutExit") {
          // A loop that traps the paths of an enclosing one: both have no way out, and the two
          // checks may name different ones (the run time names the outer, found first).
          expect(reasons.some((r) => /^loop '[^']+' has no way out: every path recurs\./.test(r)), context).toBe(true)
          tally.otherLoop++
        } else {
          expect(reasons, context).toContain(words)
          tally.sameWords++
        }
      } else tally.otherRule++
    })
    console.table(Object.fromEntries([...byRule].sort()))
    console.log(`${cases.length} ill-formed protocols: ${tally.sameWords} rejected at the name in the run-time words (${tally.otherLoop} more naming another loop without a way out), ${tally.bodyErrorOnly} with an error of the body's own (of which ${tally.secondFromBrokenBody} also had a second error at the name, not of the protocol's defect), ${tally.otherRule} of other rules`)
    expect(tally.sameWords).toBeGreaterThan(0)
    expect(tally.bodyErrorOnly).toBeGreaterThan(0)
  })

  it("loops without a way out, declared forever: accepted at both levels, or rejected in the same words", { timeout: 600_000 }, async () => {
    const ills = fc.sample(illFormedProtocol({ rules: ["LoopWithoutExit"] }), { numRuns: Math.max(10, runs / 2), seed: seed + 2 })
    const cases = ills.map((ill): Case => {
      const forever = { ...ill, tree: { ...ill.tree, steps: marked(ill.tree.steps) } }
      const built = buildIllFormed(forever)
      const code = illFormedToCode(forever)
        .replace(/^\/\/ .*$/gm, "")
        .replace(/^Protocol\.make\("IllFormed"/m, "export const Top = Protocol.make(\"IllFormed\"")
      return Either.isLeft(built) ? { code, runtime: built.left.message, rule: built.left.rule } : { code, runtime: undefined, rule: undefined }
    })
    const compiled = await compile(cases, "forever")
    const tally = { accepted: 0, sameWords: 0, otherRole: 0, bodyError: 0 }
    compiled.forEach(({ diagnostics, reasons }, i) => {
      const c = cases[i]
      const context = `${c.rule}: ${c.runtime}\n${c.code}\n${diagnostics.join("\n")}\nreasons: ${reasons.join(" | ")}`
      expect(c.code, context).toContain(".forever(")
      // A label the printed catalogue lacks (as in the ill-formed cases above): the body's own error.
      if (diagnostics.some((d) => reasonsOf(d).length === 0)) {
        tally.bodyError++
        return
      }
      if (c.rule === undefined) {
        expect([diagnostics, reasons], context).toEqual([[], []])
        tally.accepted++
        return
      }
      expect(c.rule, context).not.toBe("LoopWithoutExit")
      const words = knowledgeOfChoice.has(c.rule) ? typeLevelWords(c.runtime!)
        : c.rule === "StepAfterEnd" ? withoutSites(c.runtime!)
        : undefined
      expect(words, context).toBeDefined()
      expect(diagnostics.length, context).toBe(1)
      if (reasons.includes(words!)) tally.sameWords++
      else {
        // Several roles cannot tell the branches apart (or several forever loops have a step
        // after them), and the two levels name different ones first: a reason of that rule still.
        const sameRule = c.rule === "StepAfterEnd" ? (r: string) => r.startsWith("a step follows forever(") : (r: string) => r.includes(" cannot tell ")
        expect(reasons.some(sameRule), context).toBe(true)
        tally.otherRole++
      }
    })
    console.log(`${cases.length} loops without a way out declared forever: ${tally.accepted} accepted at both levels, ${tally.sameWords} rejected in the same words, ${tally.otherRole} naming another role (or loop) of the same rule, ${tally.bodyError} with an error of the body's own`)
    expect(tally.accepted).toBeGreaterThan(0)
  })
})
