import { Either, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { type Nil, Protocol, type ProjectionError } from "../src/index.js"
import { DataStreaming } from "../examples/streaming.js"
import { Deal } from "../examples/three-party.js"
import { TwoPhaseCommit } from "../examples/two-phase-commit.js"

const local = (p: Protocol.Any, role: string) => Protocol.formatLocal(Protocol.project(p, role))

const N = Schema.Number
const messages = { M: N, M1: N, M2: N, K: N, K1: N, K2: N, Z: N, Go: N, Stop: N }

/** Builds a protocol over roles A, B, C that must be rejected; returns the error. */
const rejected = (body: (g: Protocol.Builder<"A" | "B" | "C", typeof messages, never, Nil>) => Protocol.Built) => {
  const result = Protocol.makeEither("Bad", { roles: ["A", "B", "C"], messages }, body)
  if (Either.isRight(result)) throw new Error("expected a ProjectionError, the protocol was accepted")
  return result.left as ProjectionError
}

describe("projection", () => {
  it("projects TwoPhaseCommit: a Select for the Coordinator, an Offer keyed by label for the Participant", () => {
    expect(local(TwoPhaseCommit, "Coordinator")).toBe(
      "Send(Participant, PrepareRequest).Recv(Participant, PrepareResponse).Select{ commit: Send(Participant, CommitRequest).Recv(Participant, CommitAck).End, abort: Send(Participant, AbortRequest).Recv(Participant, AbortAck).End }"
    )
    expect(local(TwoPhaseCommit, "Participant")).toBe(
      "Recv(Coordinator, PrepareRequest).Send(Coordinator, PrepareResponse).Offer(Coordinator){ CommitRequest: Send(Coordinator, CommitAck).End, AbortRequest: Send(Coordinator, AbortAck).End }"
    )
  })

  it("unfolds the loop to find the message that tells the Consumer whether the stream goes on", () => {
    expect(local(DataStreaming, "Producer")).toBe(
      "Send(Consumer, StreamInit).Recv(Consumer, StreamAck).Rec chunks.Send(Consumer, DataChunk).Recv(Consumer, ChunkAck).Select{ next: chunks, last: Send(Consumer, StreamEnd).Recv(Consumer, StreamComplete).End }"
    )
    expect(local(DataStreaming, "Consumer")).toBe(
      "Recv(Producer, StreamInit).Send(Producer, StreamAck).Rec chunks.Recv(Producer, DataChunk).Send(Producer, ChunkAck).Rec chunks.Offer(Producer){ StreamEnd: Send(Producer, StreamComplete).End, DataChunk: Send(Producer, ChunkAck).chunks }"
    )
  })

  it("lets a third role learn the branch from a role that learned it (full merging)", () => {
    expect(local(Deal, "Shipper")).toBe(
      "Offer(Seller){ ShipOrder: Send(Buyer, DeliveryDate).End, CancelSlot: End }"
    )
    expect(local(Deal, "Seller")).toBe(
      "Recv(Buyer, RequestQuote).Send(Buyer, Quote).Offer(Buyer){ Accept: Send(Shipper, ShipOrder).Send(Buyer, Receipt).End, Reject: Send(Shipper, CancelSlot).Send(Buyer, Receipt).End }"
    )
  })

  it("merges a role that behaves the same in every branch", () => {
    const p = Protocol.make("Same", { roles: ["A", "B", "C"], messages }, (g) =>
      g.choice("A", "c", {
        x: (b) => b.msg("A", "B", "M1").msg("C", "B", "K"),
        y: (b) => b.msg("A", "B", "M2").msg("C", "B", "K")
      }))
    expect(local(p, "C")).toBe("Send(B, K).End")
    expect(local(p, "B")).toBe("Offer(A){ M1: Recv(C, K).End, M2: Recv(C, K).End }")
  })

  it("merges identical first messages when the continuations agree", () => {
    const p = Protocol.make("SameStart", { roles: ["A", "B"], messages }, (g) =>
      g.choice("A", "c", {
        x: (b) => b.msg("A", "B", "M").msg("A", "B", "K1"),
        y: (b) => b.msg("A", "B", "M").msg("A", "B", "K2")
      }))
    expect(local(p, "B")).toBe("Recv(A, M).Offer(A){ K1: End, K2: End }")
  })

  it("lets a role that takes no part in a loop wait for what follows it", () => {
    const p = Protocol.make("Bystander", { roles: ["A", "B", "C"], messages }, (g) =>
      g.loop("L", (b) => b.msg("A", "B", "M").choice("A", "again", { more: (c) => c.recur("L"), done: (c) => c.msg("A", "B", "Stop") }))
        .msg("A", "C", "Z"))
    expect(local(p, "C")).toBe("Recv(A, Z).End")
    expect(local(p, "B")).toBe("Rec L.Recv(A, M).Rec L.Offer(A){ Stop: End, M: L }")
  })

  it("gives every interaction a stable site id (its path in the global tree)", () => {
    const sites: Array<string> = []
    const walk = (steps: ReadonlyArray<Protocol.Step>) => {
      for (const s of steps) {
        sites.push(`${s.site} ${Protocol.describe(s)}`)
        if (s._tag === "Choice") for (const b of s.branches) walk(b.steps)
        if (s._tag === "Loop") walk(s.body)
      }
    }
    walk(DataStreaming.steps)
    expect(sites).toEqual([
      "0 Producer -> Consumer: StreamInit",
      "1 Consumer -> Producer: StreamAck",
      "2 loop 'chunks'",
      "2.0 Producer -> Consumer: DataChunk",
      "2.1 Consumer -> Producer: ChunkAck",
      "2.2 choice 'more' at Producer",
      "2.2.next.0 recur('chunks')",
      "3 Producer -> Consumer: StreamEnd",
      "4 Consumer -> Producer: StreamComplete"
    ])
  })
})

describe("ill-formed protocols are rejected at Protocol.make", () => {
  it("throws from make, returns Left from makeEither", () => {
    // The compiler rejects it too (B would have nothing to do: "stuck"); this is the run-time check.
    // @ts-expect-error an ill-formed protocol does not compile at Protocol.make
    expect(() => Protocol.make("Self", { roles: ["A", "B"], messages }, (g) => g.msg("A", "A" as never, "M"))).toThrow(
      /sends M to itself/
    )
  })

  it("unmergeable choice: a role would learn the branch from different senders", () => {
    const e = rejected((g) =>
      g.choice("A", "c", {
        x: (b) => b.msg("A", "B", "M1").msg("B", "C", "K"),
        y: (b) => b.msg("A", "B", "M2").msg("A", "C", "Z")
      })
    )
    expect(e.rule).toBe("UnmergeableChoice")
    expect(e.role).toBe("C")
    expect(e.sites).toEqual(["0.x.1", "0.y.1"])
    expect(e.message).toBe(
      "protocol Bad: role C cannot tell branch 'x' from 'y' of choice 'c' at A: in 'x' it receives K from B (site 0.x.1) but in 'y' it receives Z from A (site 0.y.1); a role learns the branch from its first message in it, and that message must come from the same role in every branch. Make C's first action in every branch a receive from one role that knows the branch, with a different label per branch."
    )
  })

  it("a role that cannot learn the branch", () => {
    const e = rejected((g) =>
      g.choice("A", "c", {
        x: (b) => b.msg("A", "B", "M1").msg("C", "B", "K1"),
        y: (b) => b.msg("A", "B", "M2").msg("C", "B", "K2")
      })
    )
    expect(e.rule).toBe("AmbiguousBranch")
    expect(e.message).toContain("role C cannot tell branch 'x' from 'y' of choice 'c' at A")
    expect(e.message).toContain("in 'x' it sends K1 to B (site 0.x.1) but in 'y' it sends K2 to B (site 0.y.1)")
    expect(e.message).toContain("Add a message to C from A at the start of each branch")
  })

  it("a role that must act in one branch and has ended in the other", () => {
    const e = rejected((g) => g.choice("A", "c", { x: (b) => b.msg("A", "B", "M1").msg("C", "B", "K"), y: (b) => b.msg("A", "B", "M2") }))
    expect(e.rule).toBe("AmbiguousBranch")
    expect(e.message).toContain("in 'x' it sends K to B (site 0.x.1) but in 'y' it ends")
  })

  it("a chooser that does not know where it is", () => {
    const e = rejected((g) =>
      g.choice("A", "c", {
        x: (b) => b.msg("A", "B", "M1").choice("C", "d", { u: (d) => d.msg("C", "B", "K1"), v: (d) => d.msg("C", "B", "K2") }),
        y: (b) => b.msg("A", "B", "M2").msg("C", "B", "K")
      })
    )
    expect(e.rule).toBe("ChooserUnaware")
    expect(e.role).toBe("C")
    expect(e.message).toContain("in 'x' it makes choice 'd' (site 0.x.1) but in 'y' it sends K to B (site 0.y.1)")
    expect(e.message).toContain("Send C a message that tells it the branch before it chooses.")
  })

  it("undeclared role", () => {
    const e = rejected((g) => g.msg("A", "Nobody" as never, "M"))
    expect(e.rule).toBe("UndeclaredRole")
    expect(e.message).toBe("protocol Bad: role Nobody at site 0 is not declared; declared roles are A, B, C. Add Nobody to roles.")
  })

  it("self-message", () => {
    const e = rejected((g) => g.msg("A", "B", "M").msg("B", "B" as never, "K"))
    expect(e.rule).toBe("SelfMessage")
    expect(e.message).toBe("protocol Bad: role B sends K to itself at site 1. A message needs two different roles.")
  })

  it("unknown label", () => {
    const e = rejected((g) => g.msg("A", "B", "Nope" as never))
    expect(e.rule).toBe("UnknownLabel")
    expect(e.message).toContain("label Nope at site 0 is not in the message catalogue")
    expect(e.message).toContain("Add Nope: <Schema> to messages.")
  })

  it("recur outside its loop", () => {
    const e = rejected((g) =>
      g.loop("L", (b) => b.msg("A", "B", "M").choice("A", "c", { again: (c) => c.recur("L"), stop: (c) => c.msg("A", "B", "Stop") }))
        .msg("A", "B", "K")
        .recur("L" as never)
    )
    expect(e.rule).toBe("RecurOutsideLoop")
    expect(e.message).toContain("recur('L') at site 2 is not inside loop 'L'")
  })

  it("duplicate branch messages that cannot be merged", () => {
    const e = rejected((g) =>
      g.choice("A", "c", {
        x: (b) => b.msg("A", "B", "M").msg("B", "A", "K1"),
        y: (b) => b.msg("A", "B", "M").msg("B", "A", "K2")
      })
    )
    expect(e.rule).toBe("DuplicateBranchMessage")
    expect(e.role).toBe("B")
    expect(e.message).toContain("both branches begin, for B, with the same message M from A")
  })

  it("unguarded loop", () => {
    const e = rejected((g) =>
      g.loop("L", (b) => b.choice("A", "c", { again: (c) => c.recur("L"), stop: (c) => c.msg("A", "B", "Stop") }))
    )
    expect(e.rule).toBe("UnguardedLoop")
    expect(e.message).toContain("loop 'L' at site 0 can go round again without any message being sent")
  })

  it("loop without a way out", () => {
    const e = rejected((g) => g.loop("L", (b) => b.msg("A", "B", "M").recur("L")))
    expect(e.rule).toBe("LoopWithoutExit")
    expect(e.message).toContain("loop 'L' at site 0 has no way out")
  })

  it("duplicate role, empty choice, nested loops of one name, steps after recur", () => {
    expect(Either.getLeft(Protocol.makeEither("D", { roles: ["A", "A"], messages }, (g) => g)).pipe((o) => o._tag === "Some" && o.value.rule)).toBe(
      "DuplicateRole"
    )
    expect(rejected((g) => g.choice("A", "c", {} as never)).rule).toBe("EmptyChoice")
    expect(
      rejected((g) =>
        g.loop("L", (b) =>
          b.msg("A", "B", "M").loop("L" as never, (c) => c.msg("A", "B", "K").choice("A", "c", { s: (d) => d })).choice("A", "d", { s: (d) => d })
        )
      ).rule
    ).toBe("DuplicateLoopName")
    const after = rejected((g) =>
      g.loop("L", (b) =>
        b.msg("A", "B", "M").choice("A", "c", {
          again: (c) => (c.recur("L") as unknown as typeof c).msg("A", "B", "K"),
          stop: (c) => c.msg("A", "B", "Stop")
        }))
    )
    expect(after.rule).toBe("StepAfterEnd")
  })
})
