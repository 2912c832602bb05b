/**
 * The diagrams the demo writes (examples/diagrams.ts): every `.mmd` file has a `.md` page
 * beside it that shows the same diagram in a ```mermaid block; and `mermaidMarkdown` itself.
 */
import { it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterAll, describe, expect } from "vitest"
import { Protocol, TraceSink } from "../src/index.js"
import { markdownFileName, mermaidMarkdown } from "../src/viz/Mermaid.js"
import { writeDiagram, writeDiagrams } from "../examples/diagrams.js"
import { runs } from "../examples/runs.js"
import * as Examples from "./fixtures/examples.js"

/** The diagram inside a Markdown page: the text of its one mermaid block. */
const block = (page: string): string => {
  const m = /^# [^\n]+\n\n(`{3,})mermaid\n([\s\S]*)\n\1\n$/.exec(page)
  expect(m, `not a heading and one mermaid block:\n${page}`).not.toBeNull()
  return `${m![2]}\n`
}

const files = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]
  )

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "quadrille-diagrams-"))
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

describe("mermaidMarkdown", () => {
  it("is a heading and the diagram in a mermaid block", () => {
    const diagram = Protocol.toMermaid(Examples.TwoPhaseCommit)
    const page = mermaidMarkdown(diagram, "TwoPhaseCommit: the protocol")
    expect(page).toBe(`# TwoPhaseCommit: the protocol\n\n\`\`\`mermaid\n${diagram}\`\`\`\n`)
    expect(block(page)).toBe(diagram)
  })

  it("ends the diagram with a newline, keeps the title on one line, and outruns backticks in the diagram", () => {
    expect(mermaidMarkdown("graph TD", "a\nb")).toBe("# a b\n\n```mermaid\ngraph TD\n```\n")
    const odd = "sequenceDiagram\n  A->>B: ````x``\n"
    const page = mermaidMarkdown(odd, "odd")
    expect(page.startsWith("# odd\n\n`````mermaid\n")).toBe(true)
    expect(block(page)).toBe(odd)
  })

  it("names the page beside the file", () => {
    expect(markdownFileName("diagrams/TwoPhaseCommit.sequence.mmd")).toBe("diagrams/TwoPhaseCommit.sequence.md")
    expect(markdownFileName(path.join("d", "trace", "x.mmd"))).toBe(path.join("d", "trace", "x.md"))
  })
})

describe("the demo's diagrams", () => {
  it("writeDiagram writes the .mmd and the .md beside it", () => {
    const [file, page] = writeDiagram(path.join(tmp, "one", "P.sequence.mmd"), "sequenceDiagram\n", "P")
    expect(page).toBe(path.join(tmp, "one", "P.sequence.md"))
    expect(fs.readFileSync(file, "utf8")).toBe("sequenceDiagram\n")
    expect(fs.readFileSync(page, "utf8")).toBe("# P\n\n```mermaid\nsequenceDiagram\n```\n")
  })

  it.effect("writeDiagrams: every .mmd of every run has its .md page, showing the same diagram", () =>
    Effect.gen(function*() {
      const traces = []
      for (const run of runs) traces.push((yield* TraceSink.recording(run.run))[1])
      const folder = path.join(tmp, "all")
      const protocols = writeDiagrams(folder, runs, traces)
      expect(protocols).toBe(new Set(runs.map((r) => r.protocol.name)).size)
      const all = files(folder)
      const mmd = all.filter((f) => f.endsWith(".mmd"))
      const md = all.filter((f) => f.endsWith(".md"))
      const roles = [...new Map(runs.map((r) => [r.protocol.name, r.protocol.roles.length])).values()].reduce((a, b) => a + b, 0)
      expect(mmd).toHaveLength(protocols + roles + runs.length)
      expect(md.sort()).toEqual(mmd.map(markdownFileName).sort())
      for (const f of mmd) expect(block(fs.readFileSync(markdownFileName(f), "utf8"))).toBe(fs.readFileSync(f, "utf8"))
      expect(fs.readFileSync(path.join(folder, "TwoPhaseCommit.Coordinator.state.md"), "utf8"))
        .toMatch(/^# TwoPhaseCommit: the local type of Coordinator\n\n```mermaid\n---\ntitle: "Coordinator \(local type\)"\n---\nstateDiagram-v2\n/)
    }))
})
