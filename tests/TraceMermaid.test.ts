/**
 * Diagrams of recorded traces (`Trace.toMermaid`) and of local types (`Local.toMermaid`).
 *
 * The trace of every example run (tests/fixtures/runs.ts) is compared with the committed file
 * in tests/mermaid/trace/ (each `X.mmd` with its Markdown page `X.md`). Regenerate them with
 * `UPDATE_MERMAID=1 npx vitest run tests/TraceMermaid.test.ts`, then review the diff.
 */
import { it } from "@effect/vitest"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import type { TraceEvent } from "../src/effects/TraceSink.js"
import { Local, Protocol, TraceSink } from "../src/index.js"
import * as Trace from "../src/testing/Trace.js"
import * as Examples from "./fixtures/examples.js"
import { checkSequence, goldenFiles, staleFiles, updating, withPages } from "./fixtures/mermaid-check.js"
import { runs } from "./fixtures/runs.js"
import { simulate } from "../src/testing/simulate.js"
import * as TwoPhaseCommit from "../examples/two-phase-commit.js"

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "mermaid", "trace")

/** `TwoPhaseCommit (commit)` → `TwoPhaseCommit-commit`. */
const slug = (name: string) => name.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")

const golden = goldenFiles(dir, "tests/mermaid/trace", "tests/TraceMermaid.test.ts")

/** The trace of one run, with the session id (random) replaced by a fixed one. */
const record = (run: Effect.Effect<unknown, unknown>) =>
  Effect.map(TraceSink.recording(run), ([, events]) => events.map((e): TraceEvent => ({ ...e, session: "s" })))

describe("Trace.toMermaid of the example runs", () => {
  it("has a file name per run", () => {
    expect(new Set(runs.map((r) => slug(r.name))).size).toBe(runs.length)
  })

  for (const { name, protocol, run } of runs) {
    it.effect(`${name}`, () =>
      Effect.gen(function*() {
        const events = yield* record(run)
        // The in-memory transport schedules the roles alike every time: the golden is stable.
        expect(yield* record(run)).toEqual(events)
        const text = Trace.toMermaid(events, { roles: protocol.roles })
        checkSequence(text, protocol.roles)
        expect(Trace.toMermaid(events, { roles: protocol.roles })).toBe(text)
        // A complete run on a reliable transport: every message arrives.
        expect(text).not.toContain("(lost)")
        golden(`${slug(name)}.mmd`, text)
      }))
  }

  // The simulator is deterministic across processes and machines: the same seed gives this
  // very trace, virtual times included, wherever the test runs.
  const simulated = "simulated-TwoPhaseCommit-chaos-over-reliable-seed-7.mmd"
  it.effect("a simulated run under chaos over the reliable layer, with its virtual times", () =>
    Effect.gen(function*() {
      const protocol = TwoPhaseCommit.TwoPhaseCommit
      const roles = { Coordinator: TwoPhaseCommit.coordinator(7), Participant: TwoPhaseCommit.participant("commit") }
      const sim = yield* simulate(protocol, roles, {
        seed: 7,
        chaos: { drop: 0.2, duplicate: 0.1, delay: { min: "0 millis", max: "20 millis" }, reorder: 0.1 },
        reliable: true
      })
      const text = Trace.toMermaid(sim.trace, { roles: protocol.roles, time: true })
      checkSequence(text, protocol.roles)
      expect(text).toContain("(retransmitted)")
      golden(simulated, text)
    }))

  it.skipIf(updating)("has no committed diagram left over from a removed run", () => {
    const expected = withPages([...runs.map((r) => `${slug(r.name)}.mmd`), simulated])
    const stale = staleFiles(dir, expected)
    expect(stale, "stale files in tests/mermaid/trace/: delete them").toEqual([])
  })
})

/** A hand-made event: the logical time is its position. */
const events = (...es: ReadonlyArray<Omit<TraceEvent, "time">>): ReadonlyArray<TraceEvent> =>
  es.map((e, time) => ({ ...e, time }))

const diagram = (text: string) => text.split("\n").slice(1, -1)

describe("Trace.toMermaid", () => {
  const ping = { session: "s1", role: "A", peer: "B", label: "Ping", site: "0", seq: 0 } as const
  const pong = { session: "s1", role: "B", peer: "A", label: "Pong", site: "1", seq: 0 } as const

  it("draws drops, duplicates, retransmissions and lost messages, and separates sessions", () => {
    const trace = events(
      { _tag: "Send", ...ping },
      { _tag: "Drop", ...ping, reason: "chaos" },
      { _tag: "Retransmit", ...ping },
      { _tag: "Receive", ...ping, role: "B", peer: "A" },
      { _tag: "Send", ...pong },
      { _tag: "Duplicate", ...pong },
      { _tag: "Receive", ...pong, role: "A", peer: "B" },
      { _tag: "Receive", ...pong, role: "A", peer: "B" },
      { _tag: "Choice", session: "s1", role: "A", label: "outcome", branch: "stop", site: "2" },
      { _tag: "Round", session: "s1", role: "B", label: "maxRounds", branch: "done", site: "3" },
      { _tag: "Send", session: "s1", role: "A", peer: "B", label: "Bye", site: "4", seq: 1 },
      { _tag: "Send", session: "s1", role: "A", peer: "B", label: "Part", site: "5.0.0", lane: "5.0#0", seq: 0 },
      { _tag: "Receive", session: "s1", role: "B", peer: "A", label: "Part", site: "5.0.0", lane: "5.0#0", seq: 0 },
      // The same frame in another session is another frame: it was received in s1, not in s2.
      { _tag: "Send", ...ping, session: "s2" },
      { _tag: "Drop", ...pong, session: "s2", reason: undefined }
    )
    const text = Trace.toMermaid(trace)
    checkSequence(text, ["A", "B"])
    expect(diagram(text)).toEqual([
      "  participant A",
      "  participant B",
      "  Note over A,B: session s1",
      "  A->>B: Ping seq 0",
      "  A-xB: Ping seq 0 (dropped#58; chaos)",
      "  A--)B: Ping seq 0 (retransmitted)",
      "  B->>A: Pong seq 0",
      "  B--)A: Pong seq 0 (duplicated)",
      "  Note over A: chooses stop of outcome",
      "  Note over B: repeat maxRounds#58; done",
      "  A-xB: Bye (lost)",
      "  A->>B: Part [5.0#35;0]",
      "  Note over A,B: session s2",
      "  A-xB: Ping (lost)",
      "  B-xA: Pong seq 0 (dropped)"
    ])
  })

  it("tells the copies of a retransmitted frame apart by seq, and shows seq only where the network touched a frame", () => {
    const trace = events(
      { _tag: "Send", ...ping },
      { _tag: "Send", ...ping, seq: 1 },
      { _tag: "Retransmit", ...ping, seq: 1 },
      { _tag: "Retransmit", ...ping, seq: 1 },
      { _tag: "Receive", ...ping, role: "B", peer: "A" },
      { _tag: "Receive", ...ping, role: "B", peer: "A", seq: 1 }
    )
    expect(diagram(Trace.toMermaid(trace)).slice(2)).toEqual([
      "  A->>B: Ping",
      "  A->>B: Ping seq 1",
      "  A--)B: Ping seq 1 (retransmitted)",
      "  A--)B: Ping seq 1 (retransmitted)"
    ])
  })

  it("orders participants as given, then by first appearance; aliases awkward role names (by position); escapes text", () => {
    const trace = events(
      { _tag: "Send", session: "s", role: "end", peer: "B c", label: "x;y#z", site: "0", seq: 0 },
      { _tag: "Send", session: "s", role: "C", peer: "end", label: "k", site: "1", seq: 0 }
    )
    const text = Trace.toMermaid(trace, { roles: ["C", "Unused"] })
    checkSequence(text, ["C", "Unused", "end", "B c"])
    expect(diagram(text)).toEqual([
      "  participant C",
      "  participant Unused",
      "  participant r2 as end",
      "  participant r3 as B c",
      "  r2-xr3: x#59;y#35;z (lost)",
      "  C-xr2: k (lost)"
    ])
  })

  it("shows the clock time only when asked, and takes a title", () => {
    const trace = events(
      { _tag: "Send", ...ping, at: 0 },
      { _tag: "Receive", ...ping, role: "B", peer: "A", at: 120 },
      { _tag: "Choice", session: "s1", role: "B", label: "c", branch: "l", site: "1", at: 125.5 }
    )
    expect(diagram(Trace.toMermaid(trace)).slice(2)).toEqual(["  A->>B: Ping", "  Note over B: chooses l of c"])
    const timed = Trace.toMermaid(trace, { time: true, title: "Ping" })
    checkSequence(timed, ["A", "B"])
    expect(timed.split("\n").slice(0, 4)).toEqual(["---", "title: \"Ping\"", "---", "sequenceDiagram"])
    expect(diagram(timed).slice(5)).toEqual(["  A->>B: Ping at 0 ms", "  Note over B: chooses l of c at 125.5 ms"])
  })

  it("draws an empty trace as participants only", () => {
    expect(Trace.toMermaid([], { roles: ["A", "B"] })).toBe("sequenceDiagram\n  participant A\n  participant B\n")
  })
})

describe("Local.toMermaid", () => {
  const protocols = Object.entries(Examples as Record<string, Protocol.Any>).sort(([a], [b]) => a.localeCompare(b))

  for (const [name, p] of protocols) {
    it(`is Protocol.localToMermaid for every role of ${name}`, () => {
      for (const role of p.roles) expect(Local.toMermaid(p, role)).toBe(Protocol.localToMermaid(p, role))
    })
  }

  it("has project and format beside it", () => {
    const t = Local.project(Examples.TwoPhaseCommit, "Participant")
    expect(t).toEqual(Protocol.project(Examples.TwoPhaseCommit, "Participant"))
    expect(Local.format(t)).toBe(Protocol.formatLocal(t))
  })
})
