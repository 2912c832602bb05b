/**
 * The diagrams `npm run demo` writes: every Mermaid diagram as a `.mmd` file and, beside it,
 * a `.md` page that shows it in a ```` ```mermaid ```` block (rendered on GitHub).
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { Local, Protocol, type TraceSink } from "../src/index.js"
import { Trace } from "../src/testing/index.js"
import { markdownFileName, mermaidMarkdown } from "../src/viz/Mermaid.js"
import type { ExampleRun } from "./runs.js"

/** Writes `diagram` to `file` (a `.mmd` path) and its Markdown page beside it; returns both paths. */
export const writeDiagram = (file: string, diagram: string, title: string): readonly [string, string] => {
  mkdirSync(dirname(file), { recursive: true })
  const page = markdownFileName(file)
  writeFileSync(file, diagram)
  writeFileSync(page, mermaidMarkdown(diagram, title))
  return [file, page]
}

/** `TwoPhaseCommit, the participant votes commit` → `TwoPhaseCommit-the-participant-votes-commit`. */
export const slug = (title: string) => title.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")

/**
 * Writes the sequence diagram of every protocol of `runs`, the state diagram of every role,
 * and the sequence diagram of every run's trace (in `trace/`; `traces[i]` is that of
 * `runs[i]`), each with its Markdown page. Returns the number of protocols.
 */
export const writeDiagrams = (
  folder: string,
  runs: ReadonlyArray<ExampleRun>,
  traces: ReadonlyArray<ReadonlyArray<TraceSink.TraceEvent>>
): number => {
  const written = new Set<string>()
  for (const { protocol } of runs) {
    if (written.has(protocol.name)) continue
    written.add(protocol.name)
    writeDiagram(join(folder, `${protocol.name}.sequence.mmd`), Protocol.toMermaid(protocol), `${protocol.name}: the protocol`)
    for (const role of protocol.roles) {
      writeDiagram(join(folder, `${protocol.name}.${role}.state.mmd`), Local.toMermaid(protocol, role), `${protocol.name}: the local type of ${role}`)
    }
  }
  runs.forEach((run, i) => {
    writeDiagram(
      join(folder, "trace", `${slug(run.title)}.mmd`),
      Trace.toMermaid(traces[i], { roles: run.protocol.roles, title: run.title }),
      `A run of ${run.protocol.name}: ${run.title}`
    )
  })
  return written.size
}
