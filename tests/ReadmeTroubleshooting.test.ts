/**
 * README's "Troubleshooting" tables stay in step with the code: every tagged error of
 * src/effects/errors.ts (and of the transports and testing toolkit) has a row, and the
 * compile-time sentences the table quotes are those the type tests expect.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..")
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8")

const readme = read("README.md")
const section = readme.slice(readme.indexOf("\n## Troubleshooting\n"), readme.indexOf("\n## ", readme.indexOf("\n## Troubleshooting\n") + 1))
const rows = section.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---") && !l.startsWith("| what you see"))

const taggedErrors = (file: string) => [...read(file).matchAll(/export class (\w+) extends Data\.TaggedError/g)].map((m) => m[1])

/** The text of every `expect-error` marker of type-tests/. */
const expected = fs.readdirSync(path.join(root, "type-tests"))
  .filter((f) => f.endsWith(".ts"))
  .flatMap((f) => [...read(path.join("type-tests", f)).matchAll(/\/\/ expect-(?:only-)?error: (.*)$/gm)].map((m) => m[1].trim()))

describe("README: Troubleshooting", () => {
  it("has its two tables, every row of three columns", () => {
    expect(section).toContain("**At compile time**")
    expect(section).toContain("**At run time**")
    expect(rows.length).toBeGreaterThan(25)
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length - 2, row).toBe(3)
  })

  const files = ["src/effects/errors.ts", "src/effects/Storage.ts", "src/handlers/tcp.ts", "src/handlers/redis.ts", "src/handlers/deterministic.ts", "src/testing/Trace.ts"]
  for (const file of files) {
    it(`has a run-time row for every tagged error of ${file}`, () => {
      const names = taggedErrors(file)
      expect(names.length).toBeGreaterThan(0)
      for (const name of names) expect(rows.some((r) => r.startsWith(`| \`${name}\``) || r.includes(`, \`${name}\``)), name).toBe(true)
    })
  }

  it("quotes the compile errors as the type tests expect them", () => {
    const sentences = [
      "the protocol expects send PrepareResponse to Coordinator here",
      "the program must end with close() on its last endpoint: return yield* end.close(result), not the result itself",
      "the program returns the Effect of close() without running it: return yield* end.close(...)",
      "is a branch of offer() not handled?",
      "offer() branches not handled: AbortRequest",
      "Property 'AbortRequest' is missing",
      "role A sends M to itself. A message needs two different roles.",
      "recur('L') is not inside loop 'L'",
      "'L' is already the name of an enclosing loop or repeat",
      "choice 'c' has no branches.",
      "A decides timeout 't' but takes no part in its body",
      "loop 'L' has no way out",
      "the protocol does not compile: see the error at its Protocol.make",
      "Property 'choose' is missing",
      "PrepareRequest is not a label Participant sends",
      "more is not a choice Consumer makes",
      "on is not a kind of handler: use send, recv or choose",
      "Types of property 'durable' are incompatible",
      "is not assignable to type 'Json'",
      "Argument of type '\"CommitRequest\"' is not assignable to parameter of type '\"PrepareRequest\"'"
    ]
    for (const s of sentences) {
      expect(section, s).toContain(s)
      expect(expected.some((e) => e.includes(s)), s).toBe(true)
    }
  })
})
