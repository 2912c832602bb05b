/**
 * Mermaid diagrams of every example protocol: the sequence diagram of the protocol and the
 * state diagram of every role's local type, compared with the committed files in
 * tests/mermaid/. Regenerate them with `UPDATE_MERMAID=1 npx vitest run tests/Mermaid.test.ts`.
 *
 * No Mermaid parser is installed (and none is added): `checkSequence` and `checkState` below
 * are a small line-by-line checker of the subset of Mermaid the generators emit.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { Protocol } from "../src/index.js"
import { localToMermaid, mermaidText, protocolToMermaid } from "../src/viz/Mermaid.js"
import * as Examples from "./fixtures/examples.js"

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "mermaid")
const update = process.env.UPDATE_MERMAID === "1"

const protocols = Object.entries(Examples as Record<string, Protocol.Any>).sort(([a], [b]) => a.localeCompare(b))

/** Compares with the committed file, or writes it under UPDATE_MERMAID=1. */
const golden = (file: string, actual: string) => {
  const full = path.join(dir, file)
  if (update) {
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(full, actual)
    return
  }
  const hint = `regenerate with: UPDATE_MERMAID=1 npx vitest run tests/Mermaid.test.ts (then review the diff of tests/mermaid/)`
  if (!fs.existsSync(full)) throw new Error(`tests/mermaid/${file} is missing; ${hint}`)
  const expected = fs.readFileSync(full, "utf8")
  expect(actual, `tests/mermaid/${file} differs from the generated diagram; ${hint}`).toBe(expected)
}

/** Label text: no bare `;`, `#` or `:` (entity codes `#35;` `#59;` `#58;` allowed). */
const safeText = (text: string) => !/[;#:]/.test(text.replace(/#\d+;/g, ""))

/** Splits the front matter off and returns the lines of the diagram proper. */
const body = (src: string, header: string): Array<string> => {
  expect(src.endsWith("\n")).toBe(true)
  const lines = src.slice(0, -1).split("\n")
  let i = 0
  if (lines[0] === "---") {
    const close = lines.indexOf("---", 1)
    expect(close, "unterminated front matter").toBeGreaterThan(0)
    for (const l of lines.slice(1, close)) expect(l).toMatch(/^title: "[^"\\]*"$/)
    i = close + 1
  }
  expect(lines[i]).toBe(header)
  return lines.slice(i + 1)
}

/** Checks a sequence diagram: known statements only, declared participants, balanced blocks. */
const checkSequence = (src: string, roles: ReadonlyArray<string>) => {
  const lines = body(src, "sequenceDiagram")
  const participants = new Set<string>()
  const declared: Array<string> = []
  const stack: Array<string> = []
  const known = (id: string, line: string) => expect(participants.has(id), `undeclared participant '${id}' in: ${line}`).toBe(true)
  for (const line of lines) {
    const t = line.trim()
    // Two spaces per open block; else/and/end at the level of the block they belong to.
    const level = /^(end$|else |and )/.test(t) ? stack.length - 1 : stack.length
    expect(line, `indentation of '${t}'`).toBe("  ".repeat(level + 1) + t)
    let m: RegExpMatchArray | null
    if ((m = t.match(/^participant ([A-Za-z][A-Za-z0-9_]*)(?: as (.+))?$/))) {
      expect(stack, "participant inside a block").toEqual([])
      participants.add(m[1])
      declared.push(m[2] ?? m[1])
      if (m[2] !== undefined) expect(safeText(m[2])).toBe(true)
    } else if ((m = t.match(/^([A-Za-z][A-Za-z0-9_]*)->>([A-Za-z][A-Za-z0-9_]*): (.+)$/))) {
      known(m[1], t)
      known(m[2], t)
      expect(m[1], `self-message: ${t}`).not.toBe(m[2])
      expect(safeText(m[3]), `unsafe label: ${t}`).toBe(true)
    } else if ((m = t.match(/^Note over ([A-Za-z][A-Za-z0-9_]*)(?:,([A-Za-z][A-Za-z0-9_]*))?: (.+)$/))) {
      known(m[1], t)
      if (m[2] !== undefined) known(m[2], t)
      expect(safeText(m[3]), `unsafe note: ${t}`).toBe(true)
    } else if ((m = t.match(/^alt (\S+) at (\S+): (\S+)$/))) {
      expect([m[1], m[2], m[3]].every(safeText)).toBe(true)
      stack.push("alt")
    } else if ((m = t.match(/^else (\S+)$/))) {
      expect(stack.at(-1), `else outside alt: ${t}`).toBe("alt")
      expect(safeText(m[1])).toBe(true)
    } else if ((m = t.match(/^loop (?:repeat )?(\S+)$/))) {
      expect(safeText(m[1])).toBe(true)
      stack.push("loop")
    } else if (/^par branch \d+$/.test(t)) {
      stack.push("par")
    } else if (/^and branch \d+$/.test(t)) {
      expect(stack.at(-1), `and outside par: ${t}`).toBe("par")
    } else if (/^rect rgba\(\d+, \d+, \d+, [\d.]+\)$/.test(t)) {
      stack.push("rect")
    } else if (t === "end") {
      expect(stack.length, "end without a block").toBeGreaterThan(0)
      stack.pop()
    } else {
      throw new Error(`not a statement the generator emits: '${line}'`)
    }
  }
  expect(stack, "unclosed blocks").toEqual([])
  expect(declared).toEqual([...roles])
  return lines
}

/** Checks a state diagram: known statements only, forks/joins declared first, every state reachable. */
const checkState = (src: string) => {
  const lines = body(src, "stateDiagram-v2")
  const pseudo = new Map<string, string>()
  const edges = new Map<string, Array<string>>()
  const targets = new Set<string>()
  for (const line of lines) {
    let m: RegExpMatchArray | null
    if ((m = line.match(/^ {2}state ((fork|join)\d+) <<(fork|join)>>$/))) {
      expect(m[2]).toBe(m[3])
      expect(pseudo.has(m[1]), `${m[1]} declared twice`).toBe(false)
      pseudo.set(m[1], m[3])
    } else if ((m = line.match(/^ {2}(\[\*\]|s\d+|fork\d+|join\d+) --> (\[\*\]|s\d+|fork\d+|join\d+)(?: : (.+))?$/))) {
      const [, from, to, label] = m
      for (const s of [from, to]) {
        if (/^(fork|join)/.test(s)) expect(pseudo.has(s), `${s} used before its declaration`).toBe(true)
      }
      if (label !== undefined) {
        expect(label).toMatch(/^(!\S+ to .+|\?\S+ from .+|select \S+|round (again|done))$/)
        expect(safeText(label)).toBe(true)
      }
      edges.set(from, [...(edges.get(from) ?? []), to])
      targets.add(to)
    } else {
      throw new Error(`not a statement the generator emits: '${line}'`)
    }
  }
  expect(edges.get("[*]"), "exactly one initial edge").toEqual(["s0"])
  // Every state is reachable from the start, and the numbering is dense (s0, s1, ...).
  const seen = new Set<string>(["[*]"])
  const todo = ["[*]"]
  while (todo.length > 0) {
    for (const n of edges.get(todo.pop()!) ?? []) if (!seen.has(n)) (seen.add(n), todo.push(n))
  }
  const states = new Set([...edges.keys(), ...targets].filter((s) => s !== "[*]"))
  for (const s of states) expect(seen.has(s), `${s} unreachable`).toBe(true)
  const numbered = [...states].filter((s) => /^s\d+$/.test(s)).map((s) => Number(s.slice(1))).sort((a, b) => a - b)
  expect(numbered).toEqual(numbered.map((_, i) => i))
  return lines
}

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

  it.skipIf(update)("has no committed diagram left over from a removed protocol or role", () => {
    const expected = new Set(
      protocols.flatMap(([name, p]) => [`${name}.sequence.mmd`, ...p.roles.map((r) => `${name}.${r}.state.mmd`)])
    )
    const stale = fs.readdirSync(dir).filter((f) => f.endsWith(".mmd") && !expected.has(f))
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
