/**
 * Mermaid diagrams of every example protocol: the sequence diagram of the protocol and the
 * state diagram of every role's local type, compared with the committed files in
 * tests/mermaid/ (each `X.mmd` with its Markdown page `X.md`, which GitHub renders). Regenerate them with `UPDATE_MERMAID=1 npx vitest run tests/Mermaid.test.ts`.
 *
 * No Mermaid parser is installed (and none is added): `checkSequence` and `checkState`
 * (tests/fixtures/mermaid-check.ts) are a small line-by-line checker of the subset of Mermaid
 * the generators emit.
 */
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Protocol } from "../src/index.js"
import { localToMermaid, mermaidText, protocolToMermaid } from "../src/viz/Mermaid.js"
import * as Examples from "./fixtures/examples.js"
import { checkSequence, checkState, goldenFiles, staleFiles, updating, withPages } from "./fixtures/mermaid-check.js"

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "mermaid")

const protocols = Object.entries(Examples as Record<string, Protocol.Any>).sort(([a], [b]) => a.localeCompare(b))

const golden = goldenFiles(dir, "tests/mermaid", "tests/Mermaid.test.ts")

describe("Mermaid diagrams of the examples", () => {
  it("covers the examples", () => {
    expect(protocols.length).toBeGreaterThanOrEqual(20)
  })

  for (const [name, p] of protocols) {
    it(`${name}: sequence diagram`, () => {
      const text = protocolToMermaid(p)
      checkSequence(text, p.roles)
      expect(protocolToMermaid(p)).toBe(text)
      golden(`${name}.sequence.mmd`, text)
    })
    for (const role of p.roles) {
      it(`${name}: state diagram of ${role}`, () => {
        const text = localToMermaid(Protocol.project(p, role), role)
        checkState(text)
        golden(`${name}.${role}.state.mmd`, text)
      })
    }
  }

  it.skipIf(updating)("has no committed diagram left over from a removed protocol or role", () => {
    const expected = withPages(
      protocols.flatMap(([name, p]) => [`${name}.sequence.mmd`, ...p.roles.map((r) => `${name}.${r}.state.mmd`)])
    )
    const stale = staleFiles(dir, expected)
    expect(stale, "stale files in tests/mermaid/: delete them").toEqual([])
  })
})

describe("protocolToMermaid", () => {
  it("draws a choice as alt/else with the choice, the chooser and every branch", () => {
    const text = protocolToMermaid(Examples.TwoPhaseCommit)
    expect(text).toContain("alt outcome at Coordinator: commit\n")
    expect(text).toContain("else abort\n")
    expect(text).toContain("Coordinator->>r1: CommitRequest\n")
    expect(text).toContain("participant r1 as Participant\n")
  })

  it("draws loops, recur, repeat, parallel, compose and end", () => {
    const streaming = protocolToMermaid(Examples.DataStreaming)
    expect(streaming).toContain("loop chunks\n")
    expect(streaming).toContain("Note over Producer,Consumer: recur chunks\n")
    expect(protocolToMermaid(Examples.DistributedAuction)).toContain("loop repeat maxRounds\n")
    const consensus = protocolToMermaid(Examples.DistributedConsensus)
    expect(consensus).toContain("par branch 1\n")
    expect(consensus.match(/ and branch \d+\n/g)).toHaveLength(5)
    const secure = protocolToMermaid(Examples.SecureDataTransfer)
    expect(secure).toContain("Note over Alice,Bob: compose Authentication\n")
    expect(secure).toContain("Note over Alice,Bob: end\n")
    // The note of a composition spans the roles it is mapped to.
    expect(protocolToMermaid(Examples.HierarchicalConsensus)).toContain("Note over SubLeader,SubReplica2: compose Consensus\n")
  })

  it("escapes the characters Mermaid reads as syntax in labels and aliases awkward role names", () => {
    expect(mermaidText("a;b#c:d")).toBe("a#59;b#35;c#58;d")
    expect(mermaidText("#12;")).toBe("#35;12#59;")
    const p = Protocol.make("Odd", {
      roles: ["end", "B c"],
      messages: { "x;y": Schema.Number, "k#:": Schema.Number }
    }, (g) => g.msg("end", "B c", "x;y").msg("B c", "end", "k#:"))
    const text = checkSequence(protocolToMermaid(p), ["end", "B c"]).join("\n")
    expect(text).toContain("participant r0 as end")
    expect(text).toContain("participant r1 as B c")
    expect(text).toContain("r0->>r1: x#59;y")
    expect(text).toContain("r1->>r0: k#35;#58;")
    checkState(localToMermaid(Protocol.project(p, "end"), "end"))
  })
})

describe("localToMermaid", () => {
  it("draws sends, receives, selects and offers as labelled transitions ending in [*]", () => {
    const c = localToMermaid(Protocol.project(Examples.TwoPhaseCommit, "Coordinator"), "Coordinator")
    expect(c).toContain("s0 --> s1 : !PrepareRequest to Participant\n")
    expect(c).toContain("s1 --> s2 : ?PrepareResponse from Participant\n")
    expect(c).toContain(" : select commit\n")
    expect(c).toContain(" : select abort\n")
    expect(c).toContain("--> [*] : ?CommitAck from Participant\n")
    const p = localToMermaid(Protocol.project(Examples.TwoPhaseCommit, "Participant"), "Participant")
    expect(p).toContain("s2 --> s3 : ?CommitRequest from Coordinator\n")
    expect(p).toContain("s2 --> s4 : ?AbortRequest from Coordinator\n")
  })

  it("draws Var as a back edge to the state where its Rec opened", () => {
    // Rec chunks opens at s2 (after StreamInit, StreamAck); `next` goes back there.
    const text = localToMermaid(Protocol.project(Examples.DataStreaming, "Producer"), "Producer")
    expect(text).toContain("s2 --> s3 : !DataChunk to Consumer\n")
    expect(text).toContain("s4 --> s2 : select next\n")
  })

  it("draws Rounds as round again/done and Par as a fork and a join", () => {
    const text = localToMermaid(Protocol.project(Examples.DistributedAuction, "Auctioneer"), "Auctioneer")
    expect(text).toContain(" : round again\n")
    expect(text).toContain(" : round done\n")
    expect(text).toContain("state fork1 <<fork>>\n")
    expect(text).toContain("state join1 <<join>>\n")
    expect(text.match(/fork1 --> s\d+\n/g)).toHaveLength(3)
    expect(text.match(/--> join1 : \?Bid from Bidder\d\n/g)).toHaveLength(3)
  })

  it("is deterministic", () => {
    const t = Protocol.project(Examples.NestedLoops, "A")
    expect(localToMermaid(t, "A")).toBe(localToMermaid(t, "A"))
  })
})
