import { it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { describe, expect } from "vitest"
import { Memory, Protocol, Session } from "../src/index.js"
import * as Adaptive from "../examples/adaptive-sync.js"
import * as Hierarchical from "../examples/hierarchical-consensus.js"
import * as Secure from "../examples/secure-data-transfer.js"

/** Runs a session over an in-memory transport that also keeps every frame sent, in order. */
const recorded = <A, E>(session: Effect.Effect<A, E>) =>
  Effect.map(Memory.recorded(session), ({ frames, result }) => ({ results: result, frames }))

/** Every step of a protocol, composed ones included, depth first. */
const allSteps = (steps: ReadonlyArray<Protocol.Step>): Array<Protocol.Step> =>
  steps.flatMap((s) => [
    s,
    ...(s._tag === "Compose" ? allSteps(s.steps) : []),
    ...(s._tag === "Loop" ? allSteps(s.body) : []),
    ...(s._tag === "Choice" ? s.branches.flatMap((b) => allSteps(b.steps)) : [])
  ])

const local = (p: Protocol.Any, role: string) => Protocol.formatLocal(Protocol.project(p, role))

describe("SecureDataTransfer = Authentication ; KeyExchange ; DataTransfer", () => {
  const plaintext = "meet me at the fourth figure of the quadrille"

  it.effect("with the right password, Bob decrypts exactly Alice's plaintext under the key both derived", () =>
    Effect.gen(function*() {
      const { results: r, frames } = yield* recorded(Secure.main("correct horse", plaintext))
      expect(r.Bob).toMatchObject({ outcome: "received", user: "alice", plaintext })
      expect(r.Alice.authenticated).toBe(true)
      expect(r.Alice.key).toMatch(/^[0-9a-f]{64}$/)
      expect(r.Bob.outcome === "received" && r.Bob.key).toBe(r.Alice.key)
      expect(r.Alice.keyConfirmed).toBe(true)
      expect(r.Alice.receiptMatches).toBe(true)
      // The ciphertext on the wire is not the plaintext.
      const sealed = frames.find((f) => f.label === "SealedData")!.payload as { ciphertext: string }
      expect(Buffer.from(sealed.ciphertext, "base64").toString("utf8")).not.toContain("quadrille")
      expect(frames.map((f) => f.label)).toEqual([
        "AuthRequest",
        "Challenge",
        "Proof",
        "AuthAccept",
        "ClientKeyShare",
        "ServerKeyShare",
        "KeyConfirm",
        "SealedData",
        "Receipt"
      ])
      // Each sub-protocol's sites are under its compose step.
      expect(frames.map((f) => f.site)).toEqual(["0.0", "0.1", "0.2", "0.3.accept.0", "1.0", "1.1", "1.2", "2.0", "2.1"])
    }))

  it.effect("two sessions derive two different keys", () =>
    Effect.gen(function*() {
      const a = yield* Secure.main("correct horse", plaintext)
      const b = yield* Secure.main("correct horse", plaintext)
      expect(a.Alice.key).not.toBe(b.Alice.key)
    }))

  it.effect("a wrong password ends the protocol after Authentication: no key is exchanged, no data sent", () =>
    Effect.gen(function*() {
      const { results: r, frames } = yield* recorded(Secure.main("battery staple", plaintext))
      expect(r.Bob).toEqual({ outcome: "rejected", user: "alice", reason: "bad proof" })
      expect(r.Alice).toMatchObject({ authenticated: false, rejection: "bad proof", key: "", receiptMatches: false })
      expect(frames.map((f) => f.label)).toEqual(["AuthRequest", "Challenge", "Proof", "AuthReject"])
      expect(frames.at(-1)!.site).toBe("0.3.reject.0")
    }))

  it.effect("an unknown user is rejected the same way", () =>
    Effect.gen(function*() {
      const r = yield* Session.run(Secure.SecureDataTransfer, {
        Alice: Secure.alice("mallory", "correct horse", plaintext),
        Bob: Secure.bob({ alice: "correct horse" })
      })
      expect(r.Bob).toEqual({ outcome: "rejected", user: "mallory", reason: "unknown user mallory" })
      expect(r.Alice.rejection).toBe("unknown user mallory")
    }))

  it.effect("payloads of every sub-protocol decode with the merged catalogue", () =>
    Effect.gen(function*() {
      const r = yield* Session.run(Secure.SecureDataTransfer, {
        Alice: Secure.alice("alice", "correct horse", plaintext),
        Bob: Secure.bob({ alice: "correct horse" })
      }, { validate: true })
      expect(r.Bob).toMatchObject({ outcome: "received", plaintext })
      expect(Object.keys(Secure.SecureDataTransfer.messages).sort()).toEqual(
        [Secure.Authentication, Secure.KeyExchange, Secure.DataTransfer].flatMap((p) => Object.keys(p.messages)).sort()
      )
    }))

  it("projects as the three sub-protocols one after the other; a rejection ends the whole protocol", () => {
    expect(local(Secure.SecureDataTransfer, "Alice")).toBe(
      "Send(Bob, AuthRequest).Recv(Bob, Challenge).Send(Bob, Proof).Offer(Bob){ " +
        "AuthAccept: Send(Bob, ClientKeyShare).Recv(Bob, ServerKeyShare).Recv(Bob, KeyConfirm)" +
        ".Send(Bob, SealedData).Recv(Bob, Receipt).End, AuthReject: End }"
    )
    expect(local(Secure.SecureDataTransfer, "Bob")).toBe(
      "Recv(Alice, AuthRequest).Send(Alice, Challenge).Recv(Alice, Proof).Select{ " +
        "accept: Send(Alice, AuthAccept).Recv(Alice, ClientKeyShare).Send(Alice, ServerKeyShare).Send(Alice, KeyConfirm)" +
        ".Recv(Alice, SealedData).Send(Alice, Receipt).End, reject: Send(Alice, AuthReject).End }"
    )
    // The same as the sub-protocols' local types, concatenated where Authentication accepts.
    const auth = local(Secure.Authentication, "Alice")
    const rest = [Secure.KeyExchange, Secure.DataTransfer].map((p) => local(p, "Alice").replace(/End$/, "")).join("")
    expect(local(Secure.SecureDataTransfer, "Alice")).toBe(auth.replace("AuthAccept: End", `AuthAccept: ${rest}End`))
    expect(Secure.SecureDataTransfer.steps.map(Protocol.describe)).toEqual([
      "compose Authentication(Alice: Alice, Bob: Bob)",
      "compose KeyExchange(Alice: Alice, Bob: Bob)",
      "compose DataTransfer(Alice: Alice, Bob: Bob)"
    ])
  })
})

describe("AdaptiveSync: a choice whose branches compose different sub-protocols", () => {
  const latest = Adaptive.dataAt(9)

  it.effect("full: a new client receives the whole data set, page by page", () =>
    Effect.gen(function*() {
      const { results: r, frames } = yield* recorded(Adaptive.main(0))
      expect(r.Server.syncType).toBe("full")
      expect(r.Client).toMatchObject({ announced: "full", applied: "full", version: 9, pages: 3 })
      expect(r.Client.data).toEqual(latest)
      expect(r.Client.data).toEqual(r.Server.data)
      expect(r.Server.inSync).toBe(true)
      expect(frames.filter((f) => f.label === "Page").map((f) => f.loops)).toEqual([{ pages: 0 }, { pages: 1 }, { pages: 2 }])
    }))

  it.effect("full: a client too old for the log, or without delta support, or with a diverged data set", () =>
    Effect.gen(function*() {
      const old = yield* Adaptive.main(1)
      expect(old.Server.syncType).toBe("full")
      expect(old.Client.data).toEqual(latest)
      const noDelta = yield* Adaptive.main(5, false)
      expect(noDelta.Server.syncType).toBe("full")
      expect(noDelta.Client.data).toEqual(latest)
      // Keys the server does not have disappear: the snapshot replaces the data set.
      const diverged = yield* Adaptive.main(4, false, { alpha: "stale", omega: "not on the server" })
      expect(diverged.Client.data).toEqual(latest)
      expect(diverged.Server.inSync).toBe(true)
    }))

  it.effect("delta: a recent client receives only the changes since its version, deletions included", () =>
    Effect.gen(function*() {
      const { results: r, frames } = yield* recorded(Adaptive.main(5))
      expect(r.Server.syncType).toBe("delta")
      expect(r.Client).toMatchObject({ applied: "delta", version: 9, pages: 0 })
      expect(Adaptive.dataAt(5)).toHaveProperty("alpha")
      expect(r.Client.data).toEqual(latest)
      expect(r.Client.data).not.toHaveProperty("alpha")
      expect(r.Server.inSync).toBe(true)
      expect(frames.find((f) => f.label === "Delta")!.payload).toEqual({
        fromVersion: 5,
        toVersion: 9,
        upserts: [{ key: "epsilon", value: "5" }, { key: "zeta", value: "6" }, { key: "gamma", value: "33" }],
        deletes: ["alpha"]
      })
      expect(frames.map((f) => f.label)).toEqual(["CapabilityQuery", "CapabilityResponse", "Delta", "SyncAck"])
    }))

  it.effect("none: an up-to-date client keeps its data set unchanged", () =>
    Effect.gen(function*() {
      const start = Adaptive.dataAt(9)
      const { results: r, frames } = yield* recorded(Adaptive.main(9, true, start))
      expect(r.Server.syncType).toBe("none")
      expect(r.Client).toMatchObject({ applied: "none", version: 9, pages: 0 })
      expect(r.Client.data).toBe(start)
      expect(r.Server.inSync).toBe(true)
      expect(frames.map((f) => f.label)).toEqual(["CapabilityQuery", "CapabilityResponse", "UpToDate", "SyncAck"])
    }))

  it.effect("every starting version ends in sync, over a serialising run too", () =>
    Effect.gen(function*() {
      for (let v = 0; v <= 9; v++) {
        for (const supportsDelta of [true, false]) {
          const r = yield* Session.run(Adaptive.AdaptiveSync, {
            Client: Adaptive.client(Adaptive.clientStart(v, supportsDelta)),
            Server: Adaptive.server()
          }, { validate: true })
          expect(r.Client.data).toEqual(latest)
          expect(r.Server.inSync).toBe(true)
          expect(r.Server.syncType).toBe(v === 9 ? "none" : supportsDelta && v >= 3 ? "delta" : "full")
        }
      }
    }))

  it("projects the composed branches; SyncAck, declared by all three sub-protocols, is one label", () => {
    expect(local(Adaptive.AdaptiveSync, "Client")).toBe(
      "Send(Server, CapabilityQuery).Recv(Server, CapabilityResponse).Offer(Server){ " +
        "SnapshotBegin: Rec pages.Recv(Server, Page).Send(Server, PageAck).Rec pages.Offer(Server){ " +
        "SnapshotEnd: Send(Server, SyncAck).End, Page: Send(Server, PageAck).pages }, " +
        "Delta: Send(Server, SyncAck).End, UpToDate: Send(Server, SyncAck).End }"
    )
    expect(local(Adaptive.AdaptiveSync, "Server")).toBe(
      "Recv(Client, CapabilityQuery).Send(Client, CapabilityResponse).Select{ " +
        "full: Send(Client, SnapshotBegin).Rec pages.Send(Client, Page).Recv(Client, PageAck).Select{ " +
        "next: pages, last: Send(Client, SnapshotEnd).Recv(Client, SyncAck).End }, " +
        "delta: Send(Client, Delta).Recv(Client, SyncAck).End, none: Send(Client, UpToDate).Recv(Client, SyncAck).End }"
    )
    const choice = Adaptive.AdaptiveSync.steps[2]
    expect(choice._tag === "Choice" && choice.branches.map((b) => b.steps.map(Protocol.describe))).toEqual([
      ["compose FullSynchronization(Client: Client, Server: Server)"],
      ["compose DeltaSynchronization(Client: Client, Server: Server)"],
      ["compose Acknowledgment(Client: Client, Server: Server)"]
    ])
    expect(Object.keys(Adaptive.AdaptiveSync.messages).sort()).toEqual([
      "CapabilityQuery",
      "CapabilityResponse",
      "Delta",
      "Page",
      "PageAck",
      "SnapshotBegin",
      "SnapshotEnd",
      "SyncAck",
      "UpToDate"
    ])
  })
})

describe("HierarchicalConsensus: Consensus composed twice with different role mappings", () => {
  const groups = [
    { leader: "Leader", replicas: ["Replica1", "Replica2"] },
    { leader: "SubLeader", replicas: ["SubReplica1", "SubReplica2"] }
  ] as const

  const check = (values: Hierarchical.Preferences) =>
    Effect.gen(function*() {
      const { results: r, frames } = yield* recorded(Hierarchical.main(values))
      const top = Hierarchical.decide([values.Leader, values.Replica1, values.Replica2])
      const sub = Hierarchical.decide([values.SubLeader, values.SubReplica1, values.SubReplica2])
      // Each leader decides from the votes it received, and every node of its group agrees.
      expect(r.Leader.votes).toEqual([values.Replica1, values.Replica2])
      expect(r.Leader.decided).toBe(top)
      expect(r.Replica1.decided).toBe(top)
      expect(r.Replica2.decided).toBe(top)
      expect(r.SubLeader.votes).toEqual([values.SubReplica1, values.SubReplica2])
      expect(r.SubLeader.decided).toBe(sub)
      expect(r.SubReplica1.decided).toBe(sub)
      expect(r.SubReplica2.decided).toBe(sub)
      // Each replica saw its own leader's proposal.
      expect(r.Replica2.proposal).toEqual({ term: 1, value: values.Leader })
      expect(r.SubReplica2.proposal).toEqual({ term: 1, value: values.SubLeader })
      // The cross-level messages carry the top-level decision down and the sub-group's up.
      expect(r.SubLeader.topDecision).toBe(r.Leader.decided)
      expect(r.Leader.subDecision).toBe(r.SubLeader.decided)
      const coordination = frames.find((f) => f.label === "CoordinationMessage")!
      expect(coordination).toMatchObject({ from: "Leader", to: "SubLeader", site: "2", payload: { decision: top } })
      // Messages of the two compositions never cross groups, and carry their composition's sites.
      groups.forEach((g, i) => {
        const members: ReadonlyArray<string> = [g.leader, ...g.replicas]
        const inGroup = frames.filter((f) => ["Proposal", "Vote", "Decision"].includes(f.label) && members.includes(f.from))
        expect(inGroup).toHaveLength(6)
        for (const f of inGroup) {
          expect(members).toContain(f.to)
          expect(f.site.startsWith(`${i}.`)).toBe(true)
        }
      })
      return r
    })

  it.effect("a majority wins at the top, the largest value in the sub-group when all differ", () =>
    Effect.gen(function*() {
      const r = yield* check({ Leader: 5, Replica1: 5, Replica2: 9, SubLeader: 3, SubReplica1: 7, SubReplica2: 4 })
      expect(r.Leader.decided).toBe(5)
      expect(r.SubLeader.decided).toBe(7)
      expect(r.SubLeader.topDecision).toBe(5)
    }))

  it.effect("the replicas outvote their leader", () =>
    Effect.gen(function*() {
      const r = yield* check({ Leader: 1, Replica1: 8, Replica2: 8, SubLeader: 2, SubReplica1: 2, SubReplica2: 6 })
      expect(r.Leader.decided).toBe(8)
      expect(r.SubLeader.decided).toBe(2)
    }))

  it.effect("many preference sets", () =>
    Effect.gen(function*() {
      let seed = 7
      const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % 4
      for (let i = 0; i < 50; i++) {
        yield* check({ Leader: next(), Replica1: next(), Replica2: next(), SubLeader: next(), SubReplica1: next(), SubReplica2: next() })
      }
    }))

  it("the two compositions have distinct sites, their own mappings, and the same shape", () => {
    const steps = Hierarchical.HierarchicalConsensus.steps
    const composed = steps.filter((s): s is Extract<Protocol.Step, { _tag: "Compose" }> => s._tag === "Compose")
    expect(composed.map((s) => [s.site, s.protocol, s.mapping])).toEqual([
      ["0", "Consensus", { Leader: "Leader", Replica1: "Replica1", Replica2: "Replica2" }],
      ["1", "Consensus", { Leader: "SubLeader", Replica1: "SubReplica1", Replica2: "SubReplica2" }]
    ])
    const [top, sub] = composed.map((c) => allSteps(c.steps))
    expect(top.map((s) => s.site)).toEqual(["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"])
    expect(sub.map((s) => s.site)).toEqual(["1.0", "1.1", "1.2", "1.3", "1.4", "1.5"])
    const sites = allSteps(steps).map((s) => s.site)
    expect(new Set(sites).size).toBe(sites.length)
    // Both are Consensus with its roles renamed: the sub-protocol's steps, site suffixes kept.
    const rename = (m: Readonly<Record<string, string>>) => (s: Protocol.Step) =>
      s._tag === "Msg" ? `${s.site.split(".").at(-1)} ${m[s.from]}->${m[s.to]}: ${s.label}` : s._tag
    const original = Hierarchical.Consensus.steps.map((s) => (s._tag === "Msg" ? `${s.site} ${s.from}->${s.to}: ${s.label}` : s._tag))
    const inverse = (m: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [v, k]))
    expect(top.map(rename(inverse(composed[0].mapping)))).toEqual(original)
    expect(sub.map(rename(inverse(composed[1].mapping)))).toEqual(original)
    expect(steps.slice(2).map(Protocol.describe)).toEqual([
      "Leader -> SubLeader: CoordinationMessage",
      "SubLeader -> Leader: CoordinationAck"
    ])
  })

  it("projects each role onto its own group, renamed", () => {
    const replica = (leader: string) => `Recv(${leader}, Proposal).Send(${leader}, Vote).Recv(${leader}, Decision).End`
    expect(local(Hierarchical.HierarchicalConsensus, "Replica1")).toBe(replica("Leader"))
    expect(local(Hierarchical.HierarchicalConsensus, "Replica2")).toBe(replica("Leader"))
    expect(local(Hierarchical.HierarchicalConsensus, "SubReplica1")).toBe(replica("SubLeader"))
    expect(local(Hierarchical.HierarchicalConsensus, "SubReplica2")).toBe(replica("SubLeader"))
    expect(local(Hierarchical.Consensus, "Replica1")).toBe(replica("Leader"))
    expect(local(Hierarchical.HierarchicalConsensus, "Leader")).toBe(
      "Send(Replica1, Proposal).Send(Replica2, Proposal).Recv(Replica1, Vote).Recv(Replica2, Vote)" +
        ".Send(Replica1, Decision).Send(Replica2, Decision)" +
        ".Send(SubLeader, CoordinationMessage).Recv(SubLeader, CoordinationAck).End"
    )
    expect(local(Hierarchical.HierarchicalConsensus, "SubLeader")).toBe(
      "Send(SubReplica1, Proposal).Send(SubReplica2, Proposal).Recv(SubReplica1, Vote).Recv(SubReplica2, Vote)" +
        ".Send(SubReplica1, Decision).Send(SubReplica2, Decision)" +
        ".Recv(Leader, CoordinationMessage).Send(Leader, CoordinationAck).End"
    )
  })
})

describe("composition errors", () => {
  const spec = { roles: ["A", "B", "C"], messages: {} } as const

  it("a mapping that sends two roles of the sub-protocol to one role is a BadRoleMapping", () => {
    const e = Protocol.makeEither("Bad", spec, (g) =>
      g.compose(Hierarchical.Consensus, { Leader: "A", Replica1: "B", Replica2: "B" }))
    expect(Either.isLeft(e)).toBe(true)
    expect(Either.getLeft(e).pipe((o) => o._tag === "Some" && o.value)).toMatchObject({
      _tag: "ProjectionError",
      rule: "BadRoleMapping",
      protocol: "Consensus",
      message: "compose(Consensus): roles B are the image of several roles of Consensus. Map every role of Consensus to a distinct role."
    })
  })

  it("a mapping that leaves a role of the sub-protocol out is a BadRoleMapping", () => {
    // Rejected by the compiler too (type-tests/composition.ts); here through a cast.
    const mapping = { Leader: "A", Replica1: "B" } as unknown as { Leader: "A"; Replica1: "B"; Replica2: "C" }
    const e = Protocol.makeEither("Bad", spec, (g) => g.compose(Hierarchical.Consensus, mapping))
    expect(Either.isLeft(e) && e.left).toMatchObject({
      rule: "BadRoleMapping",
      message: "compose(Consensus): roles Replica2 of Consensus are not mapped. Map every role of Consensus to a distinct role."
    })
    expect(() => Protocol.make("Bad", spec, (g) => g.compose(Hierarchical.Consensus, mapping))).toThrow(
      "roles Replica2 of Consensus are not mapped"
    )
  })

  it("a mapping onto a role the composing protocol does not declare is rejected at the compose step", () => {
    const mapping = { Leader: "A", Replica1: "B", Replica2: "Z" } as unknown as { Leader: "A"; Replica1: "B"; Replica2: "C" }
    const e = Protocol.makeEither("Bad", spec, (g) => g.compose(Hierarchical.Consensus, mapping))
    expect(Either.isLeft(e) && e.left).toMatchObject({ rule: "UndeclaredRole", role: "Z", sites: ["0"] })
  })

  it("a label of the sub-protocol with another schema in the composing protocol is a CatalogueConflict", () => {
    const e = Protocol.makeEither("Clash", { roles: ["A", "B", "C"], messages: { Vote: Schema.String } }, (g) =>
      g.compose(Hierarchical.Consensus, { Leader: "A", Replica1: "B", Replica2: "C" }).msg("B", "A", "Vote"))
    expect(Either.isLeft(e) && e.left).toMatchObject({ _tag: "ProjectionError", rule: "CatalogueConflict", protocol: "Clash" })
    expect(Either.isLeft(e) && e.left.message).toContain("label Vote of composed protocol Consensus has schema")
  })

  it("two sub-protocols that declare one label with different schemas conflict; with equal schemas they merge", () => {
    const sub = (name: string, schema: Schema.Schema.AnyNoContext) =>
      Protocol.make(name, { roles: ["P", "Q"], messages: { Note: schema } }, (g) => g.msg("P", "Q", "Note"))
    const pair = { roles: ["A", "B"], messages: {} } as const
    const clash = Protocol.makeEither("Clash", pair, (g) =>
      g.compose(sub("One", Schema.Number), { P: "A", Q: "B" }).compose(sub("Two", Schema.String), { P: "B", Q: "A" }))
    expect(Either.isLeft(clash) && clash.left.rule).toBe("CatalogueConflict")
    // Structurally equal schemas (two different objects) are the same label.
    const same = Protocol.makeEither("Same", pair, (g) =>
      g
        .compose(sub("One", Schema.Struct({ n: Schema.Number })), { P: "A", Q: "B" })
        .compose(sub("Two", Schema.Struct({ n: Schema.Number })), { P: "B", Q: "A" }))
    expect(Either.isRight(same) && local(same.right, "A")).toBe("Send(B, Note).Recv(B, Note).End")
  })
})

describe("catalogue merging compares schemas that hold functions by identity", () => {
  it("two different filters of one label conflict; equal plain schemas written apart agree", () => {
    const pos = Schema.Number.pipe(Schema.filter((n) => n > 0))
    const neg = Schema.Number.pipe(Schema.filter((n) => n < 0))
    const S = Protocol.make("S", { roles: ["P", "Q"], messages: { Amount: neg } }, (g) => g.msg("P", "Q", "Amount"))
    const C = Protocol.makeEither("C", { roles: ["A", "B"], messages: { Amount: pos } }, (g) => g.compose(S, { P: "A", Q: "B" }))
    expect(Either.isLeft(C) && C.left.rule).toBe("CatalogueConflict")
    const T = Protocol.make("T", { roles: ["P", "Q"], messages: { Ack: Schema.Struct({ n: Schema.Number }) } }, (g) => g.msg("P", "Q", "Ack"))
    const D = Protocol.makeEither("D", { roles: ["A", "B"], messages: { Ack: Schema.Struct({ n: Schema.Number }) } }, (g) =>
      g.compose(T, { P: "A", Q: "B" }))
    expect(Either.isRight(D)).toBe(true)
  })
})
