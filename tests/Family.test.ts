/**
 * Role families (issue 16 part 3): a family of roles whose number of members is a session
 * parameter; `broadcast` to it, `gather` from it, `exchange` among its members, `forEach`
 * over them (in sequence or in parallel). Run time: the auction and the consensus with 3 and
 * 10 members, results against a reference written apart, traces validated, the simulator
 * with chaos; the rules of families at run time, in the words the compiler also says
 * (type-tests/family.ts).
 */
import { it } from "@effect/vitest"
import { Deferred, Effect, Either, Exit, Schedule, Schema } from "effect"
import { describe, expect } from "vitest"
import { Check, Memory, Protocol, Role, Session, Stopped, TraceSink, Transport } from "../src/index.js"
import * as Msg from "../src/protocol/messages.js"
import { simulate, Trace } from "../src/testing/index.js"
import * as Auction from "../examples/distributed-auction-family.js"
import * as Consensus from "../examples/distributed-consensus-family.js"

const announcement: Auction.Announcement = { item: "a harpsichord", reserve: 100, increment: 10 }

/**
 * The auction's outcome computed directly, without the protocol: each round every bidder bids
 * from the last result, then the lead is taken in index order.
 */
const referenceAuction = (strategies: ReadonlyArray<Auction.Strategy>, rounds: number) => {
  const previous = strategies.map(() => 0)
  let highest = 0
  let holder: number | null = null
  const results: Array<{ round: number; highest: number; holder: string | null }> = []
  for (let round = 1; round <= rounds; round++) {
    const bids = strategies.map((s, i) => {
      let bid = previous[i]
      if (holder === null) bid = s.budget >= announcement.reserve ? Math.max(previous[i], announcement.reserve) : previous[i]
      else if (holder !== i) {
        const raise = highest + Math.max(s.step, announcement.increment)
        if (raise <= s.budget) bid = raise
      }
      return bid
    })
    bids.forEach((b, i) => {
      previous[i] = b
      if (b >= announcement.reserve && (holder === null || b > highest)) {
        highest = b
        holder = i
      }
    })
    results.push({ round, highest, holder: holder === null ? null : `Bidder[${holder}]` })
  }
  return { results, winner: holder === null ? null : `Bidder[${holder}]`, price: holder === null ? 0 : highest }
}

describe("role families: the auction with a family of bidders", () => {
  for (const n of [3, 10]) {
    it.effect(`${n} bidders, 5 rounds: every round's result and the winner are the reference's, and every bidder heard them`, () =>
      Effect.gen(function*() {
        const strategies = Auction.strategies(n)
        const [r, events] = yield* TraceSink.recording(Auction.main(announcement, strategies, 5))
        const expected = referenceAuction(strategies, 5)
        expect(r.Bidder).toHaveLength(n)
        expect(r.Auctioneer.rounds).toEqual(expected.results)
        expect(r.Auctioneer.result).toEqual({ winner: expected.winner, price: expected.price })
        expect(r.Auctioneer.bids.map((b) => Object.keys(b).length)).toEqual([n, n, n, n, n])
        r.Bidder.forEach((b, i) => {
          expect(b.name).toBe(`Bidder[${i}]`)
          expect(b.rounds).toEqual(expected.results)
          expect(b.result).toEqual(r.Auctioneer.result)
          expect(b.bids).toHaveLength(5)
        })
        // The trace is a run of the protocol expanded for n bidders, and of no other size.
        expect(Trace.validate(Protocol.expand(Auction.DistributedAuctionFamily, { Bidder: n }), events, { params: { maxRounds: 5 } })).toEqual(Either.void)
        expect(Either.isLeft(Trace.validate(Protocol.expand(Auction.DistributedAuctionFamily, { Bidder: n + 1 }), events, { params: { maxRounds: 5 } }))).toBe(true)
        // The bidders' names are the peers of the Auctioneer's steps.
        const peers = new Set(events.filter((e) => e._tag === "Send" && e.role === "Auctioneer").map((e) => e.peer))
        expect([...peers].sort()).toEqual(Array.from({ length: n }, (_, i) => `Bidder[${i}]`).sort())
      }))

    it.effect(`${n} bidders under the simulator with chaos over the reliable layer, 4 seeds: the same outcome, valid traces`, () =>
      Effect.gen(function*() {
        const strategies = Auction.strategies(n)
        const expected = referenceAuction(strategies, 3)
        const orders = new Set<string>()
        for (const seed of [1, 2, 3, 4]) {
          const sim = yield* simulate(Auction.DistributedAuctionFamily, Auction.roles(announcement, strategies), {
            seed,
            params: { Bidder: n, maxRounds: 3 },
            chaos: { drop: 0.1, duplicate: 0.05, delay: { min: 0, max: "20 millis" } },
            reliable: true
          })
          const exit = yield* Effect.exit(sim.exit)
          if (Exit.isFailure(exit)) throw new Error(`seed ${seed}: ${String(exit.cause)}`)
          expect(exit.value.Auctioneer.rounds).toEqual(expected.results)
          const v = Trace.validate(Protocol.expand(Auction.DistributedAuctionFamily, { Bidder: n }), sim.trace, { params: { maxRounds: 3 } })
          expect(v).toEqual(Either.void)
          orders.add(sim.trace.filter((e) => e._tag === "Receive").map((e) => e.role).join(","))
        }
        // The bids of a round arrive concurrently: the seeds order them differently.
        expect(orders.size).toBeGreaterThan(1)
      }))
  }

  it.effect("one implementation may run every member: its handlers are told the member's index and name", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const everyone = Role.implement(Auction.DistributedAuctionFamily, "Bidder", {
        send: {
          Bid: (s, context) => {
            seen.push(`${context.role} ${context.member} -> ${context.peer}`)
            return { amount: 100 + (context.member ?? 0) }
          }
        },
        recv: { AuctionResult: (_, r) => r.winner }
      }, null as string | null)
      const r = yield* Session.run(Auction.DistributedAuctionFamily, { Auctioneer: Auction.auctioneer(announcement), Bidder: everyone }, {
        params: { Bidder: 4, maxRounds: 1 }
      })
      expect(r.Bidder).toEqual(["Bidder[3]", "Bidder[3]", "Bidder[3]", "Bidder[3]"])
      expect(seen.sort()).toEqual(["Bidder[0] 0 -> Auctioneer", "Bidder[1] 1 -> Auctioneer", "Bidder[2] 2 -> Auctioneer", "Bidder[3] 3 -> Auctioneer"])
    }))

  it.effect("a member can be hand-written (Role.program): its endpoint is the member's local type", () =>
    Effect.gen(function*() {
      const byHand = Role.program(Auction.DistributedAuctionFamily, "Bidder", (ch) =>
        Effect.gen(function*() {
          const [a, c1] = yield* ch.recv("Auctioneer", "AuctionAnnouncement")
          let at = c1
          const heard: Array<number> = []
          for (;;) {
            const r = yield* at.round()
            if (r.label === "done") {
              const [result, end] = yield* r.next.recv("Auctioneer", "AuctionResult")
              return yield* end.close({ heard, winner: result.winner })
            }
            const { next } = yield* r.next.parallel((e) => Effect.flatMap(e.send("Auctioneer", "Bid", { amount: a.reserve + r.round }), (end) => end.close(0)))
            const [rr, c2] = yield* next.recv("Auctioneer", "RoundResult")
            heard.push(rr.highest)
            at = c2
          }
        }))
      const r = yield* Session.run(Auction.DistributedAuctionFamily, { Auctioneer: Auction.auctioneer(announcement), Bidder: byHand }, {
        params: { Bidder: 3, maxRounds: 2 }
      })
      // Equal bids: the lowest index keeps the lead.
      expect(r.Bidder).toEqual([0, 1, 2].map(() => ({ heard: [100, 101], winner: "Bidder[0]" })))
    }))

  it.effect("a list of implementations must have one per member", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(Session.run(Auction.DistributedAuctionFamily, Auction.roles(announcement, Auction.strategies(3)), {
        params: { Bidder: 4, maxRounds: 1 }
      }))
      expect(e).toMatchObject({ _tag: "ImplementationError", role: "Bidder" })
      expect(e.message).toContain("3 implementations are given for family Bidder, which has 4 members")
    }))

  it.effect("the family's size is a session parameter: missing or not a whole number of at least 1 is a named error", () =>
    Effect.gen(function*() {
      for (const params of [{ maxRounds: 1 }, { maxRounds: 1, Bidder: 0 }, { maxRounds: 1, Bidder: 2.5 }] as ReadonlyArray<Readonly<Record<string, number>>>) {
        const e = yield* Effect.flip(Session.run(Auction.DistributedAuctionFamily, { Auctioneer: Auction.auctioneer(announcement), Bidder: Auction.bidder(0, { budget: 1, step: 1 }) }, { params }))
        expect(e).toMatchObject({ _tag: "ImplementationError" })
        expect(e.message).toBe(`Session.run(DistributedAuctionFamily): ${Msg.badFamilySize("DistributedAuctionFamily", "Bidder", params.Bidder)}`)
      }
    }))
})

describe("role families: the consensus with a family of nodes", () => {
  const proposals = (n: number) => Array.from({ length: n }, (_, i) => (i * 7) % 5)
  for (const n of [3, 10]) {
    it.effect(`${n} nodes: each hears every other node's proposal, all decide alike, the client commits that value`, () =>
      Effect.gen(function*() {
        const values = proposals(n)
        const [r, events] = yield* TraceSink.recording(Consensus.main(values))
        const decided = Consensus.decide(values)
        expect(r.Node).toHaveLength(n)
        r.Node.forEach((node, i) => {
          expect(node.value).toBe(values[i])
          expect(Object.keys(node.seen).sort()).toEqual(Array.from({ length: n }, (_, j) => `Node[${j}]`).filter((m) => m !== `Node[${i}]`).sort())
          expect(node.decided).toBe(decided)
          expect(node.committed).toEqual({ value: decided, unanimous: true })
        })
        expect(Object.keys(r.Client.decisions)).toHaveLength(n)
        // n (n - 1) proposals, n decisions, n commits.
        expect(events.filter((e) => e._tag === "Send")).toHaveLength(n * (n - 1) + 2 * n)
        expect(Trace.validate(Protocol.expand(Consensus.DistributedConsensusFamily, { Node: n }), events)).toEqual(Either.void)
      }))
  }

  it.effect("under the simulator with chaos, 3 seeds at 10 nodes: the same decisions, valid traces", () =>
    Effect.gen(function*() {
      const values = proposals(10)
      for (const seed of [7, 8, 9]) {
        const sim = yield* simulate(Consensus.DistributedConsensusFamily, { Client: Consensus.client, Node: values.map(Consensus.node) }, {
          seed,
          params: { Node: 10 },
          chaos: { drop: 0.1, duplicate: 0.05, delay: { min: 0, max: "20 millis" } },
          reliable: true
        })
        const exit = yield* Effect.exit(sim.exit)
        if (Exit.isFailure(exit)) throw new Error(`seed ${seed}: ${String(exit.cause)}`)
        expect(exit.value.Node.map((s) => s.decided)).toEqual(values.map(() => Consensus.decide(values)))
        expect(Trace.validate(Protocol.expand(Consensus.DistributedConsensusFamily, { Node: 10 }), sim.trace)).toEqual(Either.void)
      }
    }))

  it("the expanded protocol is a protocol like any other: the model checker finds no deadlock at 3 nodes", () => {
    const three = Protocol.expand(Consensus.DistributedConsensusFamily, { Node: 3 })
    expect(three.roles).toEqual(["Client", "Node[0]", "Node[1]", "Node[2]"])
    expect(Check.model(three, { bound: 2 })).toMatchObject({ _tag: "Ok" })
  })
})

const Messages = { X: Schema.Number, Y: Schema.Number }

describe("role families: the protocol and its expansion", () => {
  it("expand: the members are roles B[0] ... B[n-1], cached per size; each member's steps sit at <site>.<index>", () => {
    const P = Protocol.make("Seq", { roles: ["A"], families: ["B"], messages: Messages }, (g) =>
      g.forEach("B", (b, m) => b.msg("A", m, "X").msg(m, "A", "Y")))
    const two = Protocol.expand(P, { B: 2 })
    expect(two).toBe(Protocol.expand(P, { B: 2 }))
    expect(two.roles).toEqual(["A", "B[0]", "B[1]"])
    const msgs = (steps: ReadonlyArray<Protocol.Step>): Array<string> =>
      steps.flatMap((s) => s._tag === "Msg" ? [`${s.site} ${Protocol.describe(s)}`] : s._tag === "Compose" ? msgs(s.steps) : [])
    expect(msgs(two.steps)).toEqual(["0.0.0 A -> B[0]: X", "0.0.1 B[0] -> A: Y", "0.1.0 A -> B[1]: X", "0.1.1 B[1] -> A: Y"])
    expect(P.roles).toEqual(["A", "B"])
    expect(P.families).toEqual(["B"])
    // A protocol without families expands to itself.
    const Plain = Protocol.make("Plain", { roles: ["A", "B"], messages: Messages }, (g) => g.msg("A", "B", "X"))
    expect(Protocol.expand(Plain, {})).toBe(Plain)
  })

  it("a protocol with families has no steps nor graph until it is expanded: reading them says how", () => {
    const P = Protocol.make("Unexpanded", { roles: ["A"], families: ["B"], messages: Messages }, (g) => g.broadcast("A", "B", "X"))
    expect(() => P.steps).toThrow(Msg.familyNotExpanded("Unexpanded", ["B"]))
    expect(() => Check.model(P, { bound: 1 })).toThrow(Msg.familyNotExpanded("Unexpanded", ["B"]))
  })

  it.effect("forEach in sequence: member 0's steps, then member 1's, ...; in parallel: all at once", () =>
    Effect.gen(function*() {
      const Seq = Protocol.make("SeqEach", { roles: ["A"], families: ["B"], messages: Messages }, (g) =>
        g.forEach("B", (b, m) => b.msg("A", m, "X").msg(m, "A", "Y")))
      const a = Role.implement(Seq, "A", { send: { X: (s, c) => s.length + Number(c.peer.slice(2, -1)) }, recv: { Y: (s, y, c) => [...s, `${c.peer}:${y}`] } }, [] as ReadonlyArray<string>)
      const b = Role.implement(Seq, "B", { recv: { X: (_, x) => x }, send: { Y: (s) => s * 10 } }, 0)
      const [r, events] = yield* TraceSink.recording(Session.run(Seq, { A: a, B: b }, { params: { B: 3 } }))
      expect(r.A).toEqual(["B[0]:0", "B[1]:20", "B[2]:40"])
      expect(r.B).toEqual([0, 2, 4])
      const aSteps = events.filter((e) => e.role === "A" && (e._tag === "Send" || e._tag === "Receive"))
      expect(aSteps.map((e) => `${e._tag} ${e.label} ${e.site}`)).toEqual([
        "Send X 0.0.0", "Receive Y 0.0.1", "Send X 0.1.0", "Receive Y 0.1.1", "Send X 0.2.0", "Receive Y 0.2.1"
      ])
      const Par = Protocol.make("ParEach", { roles: ["A"], families: ["B"], messages: Messages }, (g) =>
        g.forEach("B", (b, m) => b.msg("A", m, "X").msg(m, "A", "Y"), { parallel: true }))
      const pa = Role.implement(Par, "A", { send: { X: (_, c) => Number(c.peer.slice(2, -1)) }, recv: { Y: (s, y, c) => [...s, `${c.peer}:${y}`] } }, [] as ReadonlyArray<string>)
      const pb = Role.implement(Par, "B", { recv: { X: (_, x) => x }, send: { Y: (s) => s * 10 } }, 0)
      const [pr, pevents] = yield* TraceSink.recording(Session.run(Par, { A: pa, B: pb }, { params: { B: 3 } }))
      expect([...pr.A].sort()).toEqual(["B[0]:0", "B[1]:10", "B[2]:20"])
      // One branch per member: member i's steps at 0.i.*.
      expect(pevents.filter((e) => e._tag === "Send").map((e) => `${e.role} ${e.site}`).sort()).toEqual([
        "A 0.0.0", "A 0.1.0", "A 0.2.0", "B[0] 0.0.1", "B[1] 0.1.1", "B[2] 0.2.1"
      ])
      expect(Trace.validate(Protocol.expand(Par, { B: 3 }), pevents)).toEqual(Either.void)
    }))

  const misuse = (body: (g: any) => any, families: ReadonlyArray<string> = ["B"]) => {
    const r = Protocol.makeEither("Misuse", { roles: ["A", "C"], families, messages: Messages }, body)
    if (Either.isRight(r)) throw new Error("expected a ProjectionError")
    expect(r.left.rule).toBe("FamilyMisuse")
    return r.left.message
  }

  it("the rules of families at run time, in the words the compiler says (type-tests/family.ts)", () => {
    expect(misuse((g) => g.msg("A", "B", "X"))).toBe(Msg.familyAsRole("Misuse", "B", "A -> B: X"))
    expect(misuse((g) => g.forEach("A", (b: any, m: string) => b.msg(m, "C", "X")))).toBe(Msg.notAFamily("Misuse", "A", "forEach 'A'"))
    expect(misuse((g) => g.broadcast("A", "C", "X"))).toBe(Msg.notAFamily("Misuse", "C", "forEach 'C'"))
    expect(misuse((g) => g.exchange("C", "X"))).toBe(Msg.notAFamily("Misuse", "C", "exchange('C', X)"))
    expect(misuse((g) => g.forEach("B", (b: any) => b.forEach("B", (b2: any, m: string) => b2.msg(m, "A", "X"))))).toBe(
      Msg.notAFamily("Misuse", "B", "forEach 'B'")
    )
    expect(misuse((g) => g.forEach("B", (b: any, m: string) => b.msg(m, "A", "X").end()))).toBe(Msg.endInForEach("Misuse", "B"))
    expect(misuse((g) => g.loop("L", (l: any) => l.forEach("B", (b: any, m: string) => b.msg(m, "A", "X").recur("L"))))).toBe(
      Msg.recurOutOfForEach("Misuse", "L", "B")
    )
    // A member sending to itself is the self-message rule, at every size checked.
    const self = Protocol.makeEither("Self", { roles: ["A"], families: ["B"], messages: Messages }, (g: any) => g.forEach("B", (b: any, m: string) => b.msg(m, m, "X")))
    expect(Either.isLeft(self) && self.left.rule).toBe("SelfMessage")
  })

  it("a protocol with families is not composed into another", () => {
    const Sub = Protocol.make("Sub", { roles: ["A"], families: ["B"], messages: Messages }, (g) => g.broadcast("A", "B", "X"))
    const r = Protocol.makeEither("Outer", { roles: ["P", "Q"], messages: Messages }, (g: any) => g.compose(Sub, { A: "P", B: "Q" }))
    expect(Either.isLeft(r) && r.left.message).toBe(Msg.composeFamilies("Sub", ["B"]))
  })

  it.effect("a rule broken only at a size that was not checked is reported when a session of that size starts", () =>
    Effect.gen(function*() {
      // At one member an exchange sends nothing, so the repeat's rounds could go round without a message.
      const P = Protocol.make("Lonely", { roles: ["A"], families: ["F"], messages: Messages }, (g) =>
        g.repeat("r", (b) => b.exchange("F", "X")).broadcast("A", "F", "Y"))
      const f = Role.implement(P, "F", { send: { X: () => 1 } }, 0)
      const a = Role.implement(P, "A", { send: { Y: () => 1 } }, 0)
      const ok = yield* Session.run(P, { A: a, F: f }, { params: { F: 2, r: 2 } })
      expect(ok.F).toEqual([0, 0])
      const e = yield* Effect.flip(Session.run(P, { A: a, F: f }, { params: { F: 1, r: 2 } }))
      expect(e).toMatchObject({ _tag: "ImplementationError" })
      expect(e.message).toBe(`Session.run(Lonely): protocol Lonely: loop 'r' at site 0 can go round again without any message being sent (unguarded). Add a message before recur('r').`)
    }))

  it("a well-formedness rule broken at every size is found when the protocol is made", () => {
    // B's members cannot tell which branch A chose: the choice is told to no one.
    const r = Protocol.makeEither("Unaware", { roles: ["A"], families: ["B"], messages: Messages }, (g: any) =>
      g.choice("A", "c", { x: (b: any) => b.gather("B", "A", "X"), y: (b: any) => b.gather("B", "A", "Y") }))
    expect(Either.isLeft(r)).toBe(true)
  })
})

describe("role families without Effect", () => {
  it("quadrille/promise runs a family protocol and gives the family's results as a list", async () => {
    const { Session: PromiseSession } = await import("../src/promise/index.js")
    const r = await PromiseSession.runPromise(Consensus.DistributedConsensusFamily, { Client: Consensus.client, Node: Consensus.node(3) }, { params: { Node: 4 } })
    expect(r.Node.map((n) => n.decided)).toEqual([3, 3, 3, 3])
  })
})

describe("role families, each role run apart (Role.run, as over TCP or Redis)", () => {
  it.effect("every member is run by its name, with the family's implementation and the sizes in params", () =>
    Effect.gen(function*() {
      const memory = yield* Memory.make
      const options = { sessionId: "apart", params: { Bidder: 3, maxRounds: 2 } }
      const strategies = Auction.strategies(3)
      const [auctioneer, ...bidders] = yield* Effect.all([
        Role.run(Auction.DistributedAuctionFamily, "Auctioneer", Auction.auctioneer(announcement), options),
        ...strategies.map((s, i) => Role.run(Auction.DistributedAuctionFamily, `Bidder[${i}]`, Auction.bidder(i, s), options))
      ], { concurrency: "unbounded" }).pipe(Effect.provideService(Transport, memory))
      const expected = referenceAuction(strategies, 2)
      expect((auctioneer as Auction.AuctioneerState).rounds).toEqual(expected.results)
      for (const b of bidders as ReadonlyArray<Auction.BidderState>) expect(b.result).toEqual({ winner: expected.winner, price: expected.price })
      // The family's name is not a role to run; a member beyond the size is not one either.
      for (const role of ["Bidder", "Bidder[3]"]) {
        const e = yield* Effect.flip(Role.run(Auction.DistributedAuctionFamily, role as "Bidder[3]", Auction.bidder(0, strategies[0]), options).pipe(Effect.provideService(Transport, memory)))
        expect(e.message).toContain(`${role} is not a role of DistributedAuctionFamily with these sizes (Auctioneer, Bidder[0], Bidder[1], Bidder[2])`)
      }
    }))
})

describe("role families under Session.retry, with a stop", () => {
  /** A heartbeat server: the hub ticks every node, every node acks, for ever. */
  const Beat = Protocol.make("Beat", { roles: ["Hub"], families: ["Node"], messages: { Tick: Schema.Number, Ack: Schema.Number } }, (g) =>
    g.forever("L", (l) => l.broadcast("Hub", "Node", "Tick").gather("Node", "Hub", "Ack").recur("L")))

  it.live("attempt 1 fails at member 1, attempt 2 serves 3 nodes until the stop: Stopped names attempt 2's session and every role", () =>
    Effect.gen(function*() {
      const stop = yield* Deferred.make<void>()
      const acks: Array<string> = []
      const hub = Role.implement(Beat, "Hub", {
        send: { Tick: (n: number) => n },
        recv: {
          Ack: (n: number, _ack, { peer, session }) => {
            acks.push(`${session} ${peer}`)
            if (acks.filter((a) => a.startsWith("beat#2")).length === 30) Deferred.unsafeDone(stop, Exit.void)
            return n + 1
          }
        }
      }, 0)
      const node = Role.implement(Beat, "Node", {
        recv: { Tick: (_: number, t, { member, session }) => session.endsWith("#1") && member === 1 && t === 3 ? Effect.fail("flaky" as const) : Effect.succeed(t) },
        send: { Ack: (t: number) => t }
      }, 0)
      const e = yield* Effect.flip(Session.retry(Beat, { Hub: hub, Node: node }, {
        schedule: Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(3))),
        while: (error) => error === "flaky",
        sessionId: "beat",
        params: { Node: 3 },
        stop: Deferred.await(stop)
      }))
      expect(e).toBeInstanceOf(Stopped)
      expect(e).toMatchObject({ _tag: "Stopped", session: "beat#2" })
      expect([...(e as Stopped).roles].sort()).toEqual(["Hub", "Node[0]", "Node[1]", "Node[2]"])
      // The hub ticks the acks it has: member 1 fails at the second tick of attempt 1 (3 acks in), before acking it.
      expect(acks.filter((a) => a.startsWith("beat#1 ")).length).toBeGreaterThanOrEqual(3)
      expect(acks.filter((a) => a.startsWith("beat#1 Node[1]"))).toHaveLength(1)
      expect(acks.filter((a) => a.startsWith("beat#2 ")).length).toBeGreaterThanOrEqual(30)
      expect(new Set(acks.filter((a) => a.startsWith("beat#2 ")).map((a) => a.split(" ")[1]))).toEqual(new Set(["Node[0]", "Node[1]", "Node[2]"]))
    }))
})
