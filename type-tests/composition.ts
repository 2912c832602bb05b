/**
 * Composition at compile time: the exact local types of every role of the three composition
 * examples (sub-protocols inlined, roles renamed, catalogues merged), and misuse of composed
 * roles. Expected-error texts avoid the members of unions, whose order differs between
 * TypeScript 5.9 and 7.0.
 */
import { Effect, Schema } from "effect"
import { expectTypeOf } from "vitest"
import type { Branch, End, Local, Offer, Rec, Recv, Select, Send, Var } from "../src/index.js"
import { Protocol, Role } from "../src/index.js"
import { AdaptiveSync } from "../examples/adaptive-sync.js"
import { Consensus, HierarchicalConsensus } from "../examples/hierarchical-consensus.js"
import { SecureDataTransfer } from "../examples/secure-data-transfer.js"

// ---------------------------------------------------------------------------------------------
// SecureDataTransfer = Authentication ; KeyExchange ; DataTransfer

type AuthRequest = { readonly user: string }
type Challenge = { readonly nonce: string }
type Proof = { readonly mac: string }
type AuthAccept = { readonly sessionId: string }
type AuthReject = { readonly reason: string }
type ClientKeyShare = { readonly curve: string; readonly publicKey: string }
type ServerKeyShare = { readonly publicKey: string }
type KeyConfirm = { readonly mac: string }
type SealedData = { readonly iv: string; readonly ciphertext: string; readonly tag: string }
type Receipt = { readonly digest: string }

// Rejection ends the whole protocol (`end()` inside Authentication); acceptance goes on into
// the two sub-protocols that follow it.
expectTypeOf<Local<typeof SecureDataTransfer, "Alice">>().toEqualTypeOf<
  Send<"Bob", "AuthRequest", AuthRequest,
    Recv<"Bob", "Challenge", Challenge,
      Send<"Bob", "Proof", Proof,
        Offer<"Bob", {
          readonly AuthAccept: Branch<AuthAccept,
            Send<"Bob", "ClientKeyShare", ClientKeyShare,
              Recv<"Bob", "ServerKeyShare", ServerKeyShare,
                Recv<"Bob", "KeyConfirm", KeyConfirm,
                  Send<"Bob", "SealedData", SealedData,
                    Recv<"Bob", "Receipt", Receipt, End>>>>>>
          readonly AuthReject: Branch<AuthReject, End>
        }>>>>
>()

expectTypeOf<Local<typeof SecureDataTransfer, "Bob">>().toEqualTypeOf<
  Recv<"Alice", "AuthRequest", AuthRequest,
    Send<"Alice", "Challenge", Challenge,
      Recv<"Alice", "Proof", Proof,
        Select<{
          readonly accept: Send<"Alice", "AuthAccept", AuthAccept,
            Recv<"Alice", "ClientKeyShare", ClientKeyShare,
              Send<"Alice", "ServerKeyShare", ServerKeyShare,
                Send<"Alice", "KeyConfirm", KeyConfirm,
                  Recv<"Alice", "SealedData", SealedData,
                    Send<"Alice", "Receipt", Receipt, End>>>>>>
          readonly reject: Send<"Alice", "AuthReject", AuthReject, End>
        }>>>>
>()

// ---------------------------------------------------------------------------------------------
// AdaptiveSync: a choice whose branches compose different sub-protocols

type Query = { readonly version: number; readonly supportsDelta: boolean }
type Response = { readonly syncType: "full" | "delta" | "none"; readonly version: number }
type Entry = { readonly key: string; readonly value: string }
type SnapshotBegin = { readonly version: number; readonly total: number }
type Page = { readonly entries: ReadonlyArray<Entry> }
type PageAck = { readonly received: number }
type Delta = {
  readonly fromVersion: number
  readonly toVersion: number
  readonly upserts: ReadonlyArray<Entry>
  readonly deletes: ReadonlyArray<string>
}
type UpToDate = { readonly version: number }
type SyncAck = { readonly version: number; readonly digest: string }

// The Client learns the sub-protocol from its first message; inside FullSynchronization it
// learns "one more page" from the next Page itself (the loop unfolded once).
expectTypeOf<Local<typeof AdaptiveSync, "Client">>().toEqualTypeOf<
  Send<"Server", "CapabilityQuery", Query,
    Recv<"Server", "CapabilityResponse", Response,
      Offer<"Server", {
        readonly SnapshotBegin: Branch<SnapshotBegin,
          Rec<"pages",
            Recv<"Server", "Page", Page,
              Send<"Server", "PageAck", PageAck,
                Rec<"pages",
                  Offer<"Server", {
                    readonly Page: Branch<Page, Send<"Server", "PageAck", PageAck, Var<"pages">>>
                    readonly SnapshotEnd: Branch<{}, Send<"Server", "SyncAck", SyncAck, End>>
                  }>>>>>>
        readonly Delta: Branch<Delta, Send<"Server", "SyncAck", SyncAck, End>>
        readonly UpToDate: Branch<UpToDate, Send<"Server", "SyncAck", SyncAck, End>>
      }>>>
>()

expectTypeOf<Local<typeof AdaptiveSync, "Server">>().toEqualTypeOf<
  Recv<"Client", "CapabilityQuery", Query,
    Send<"Client", "CapabilityResponse", Response,
      Select<{
        readonly full: Send<"Client", "SnapshotBegin", SnapshotBegin,
          Rec<"pages",
            Send<"Client", "Page", Page,
              Recv<"Client", "PageAck", PageAck,
                Select<{
                  readonly next: Var<"pages">
                  readonly last: Send<"Client", "SnapshotEnd", {}, Recv<"Client", "SyncAck", SyncAck, End>>
                }>>>>>
        readonly delta: Send<"Client", "Delta", Delta, Recv<"Client", "SyncAck", SyncAck, End>>
        readonly none: Send<"Client", "UpToDate", UpToDate, Recv<"Client", "SyncAck", SyncAck, End>>
      }>>>
>()

// The Client by hand: offer() over the three sub-protocols, the paged loop as a program loop.
const syncClient = Role.program(AdaptiveSync, "Client", (ch) =>
  Effect.gen(function*() {
    const c1 = yield* ch.send("Server", "CapabilityQuery", { version: 0, supportsDelta: false })
    const [, c2] = yield* c1.recv("Server", "CapabilityResponse")
    const first = yield* c2.offer()
    switch (first.label) {
      case "SnapshotBegin": {
        const entries: Array<Entry> = []
        const [page, c3] = yield* first.next.recv("Server", "Page")
        entries.push(...page.entries)
        let next = yield* c3.send("Server", "PageAck", { received: entries.length })
        for (;;) {
          const o = yield* next.offer()
          if (o.label === "SnapshotEnd") {
            const end = yield* o.next.send("Server", "SyncAck", { version: first.payload.version, digest: "" })
            return yield* end.close(entries.length)
          }
          expectTypeOf(o.payload).toEqualTypeOf<Page>()
          entries.push(...o.payload.entries)
          next = yield* o.next.send("Server", "PageAck", { received: entries.length })
        }
      }
      case "Delta":
        expectTypeOf(first.payload).toEqualTypeOf<Delta>()
        return yield* (yield* first.next.send("Server", "SyncAck", { version: first.payload.toVersion, digest: "" })).close(0)
      case "UpToDate":
        return yield* (yield* first.next.send("Server", "SyncAck", { version: first.payload.version, digest: "" })).close(0)
    }
  }))
expectTypeOf<Role.Success<typeof syncClient>>().toEqualTypeOf<number>()

// ---------------------------------------------------------------------------------------------
// HierarchicalConsensus: Consensus composed twice, with different role mappings

type Proposal = { readonly term: number; readonly value: number }
type Vote = { readonly value: number }
type Decision = { readonly value: number }
type Coordination = { readonly decision: number }

expectTypeOf<Local<typeof HierarchicalConsensus, "Leader">>().toEqualTypeOf<
  Send<"Replica1", "Proposal", Proposal,
    Send<"Replica2", "Proposal", Proposal,
      Recv<"Replica1", "Vote", Vote,
        Recv<"Replica2", "Vote", Vote,
          Send<"Replica1", "Decision", Decision,
            Send<"Replica2", "Decision", Decision,
              Send<"SubLeader", "CoordinationMessage", Coordination,
                Recv<"SubLeader", "CoordinationAck", Coordination, End>>>>>>>>
>()

expectTypeOf<Local<typeof HierarchicalConsensus, "SubLeader">>().toEqualTypeOf<
  Send<"SubReplica1", "Proposal", Proposal,
    Send<"SubReplica2", "Proposal", Proposal,
      Recv<"SubReplica1", "Vote", Vote,
        Recv<"SubReplica2", "Vote", Vote,
          Send<"SubReplica1", "Decision", Decision,
            Send<"SubReplica2", "Decision", Decision,
              Recv<"Leader", "CoordinationMessage", Coordination,
                Send<"Leader", "CoordinationAck", Coordination, End>>>>>>>>
>()

type ReplicaOf<L extends string> = Recv<L, "Proposal", Proposal, Send<L, "Vote", Vote, Recv<L, "Decision", Decision, End>>>

expectTypeOf<Local<typeof HierarchicalConsensus, "Replica1">>().toEqualTypeOf<ReplicaOf<"Leader">>()
expectTypeOf<Local<typeof HierarchicalConsensus, "Replica2">>().toEqualTypeOf<ReplicaOf<"Leader">>()
expectTypeOf<Local<typeof HierarchicalConsensus, "SubReplica1">>().toEqualTypeOf<ReplicaOf<"SubLeader">>()
expectTypeOf<Local<typeof HierarchicalConsensus, "SubReplica2">>().toEqualTypeOf<ReplicaOf<"SubLeader">>()

// A replica of the composition is the replica of the sub-protocol, renamed.
expectTypeOf<Local<typeof Consensus, "Replica1">>().toEqualTypeOf<ReplicaOf<"Leader">>()

// The mapping is checked against the roles on both sides: an exact mapping compiles.
Protocol.make("Pair", { roles: ["A", "B", "C"], messages: {} }, (g) =>
  g.compose(Consensus, { Leader: "C", Replica1: "A", Replica2: "B" }))

// ---------------------------------------------------------------------------------------------
// Misuse of composed roles

// A mapping that names a role the composing protocol does not declare (the one error: the
// global type the body leaves behind is not checked again at the name).
Protocol.make("Bad", { roles: ["A", "B", "C"], messages: {} }, (g) =>
  // expect-error: Type '"Nobody"' is not assignable to type
  g.compose(Consensus, { Leader: "A", Replica1: "B", Replica2: "Nobody" }))

// A mapping that forgets a role of the sub-protocol.
Protocol.make("Bad", { roles: ["A", "B", "C"], messages: {} }, (g) =>
  // expect-error: Property 'Replica2' is missing in type
  g.compose(Consensus, { Leader: "A", Replica1: "B" }))

// After composing, the sub-protocol's labels are in the catalogue, but only as declared ones.
Protocol.make("Bad", { roles: ["A", "B", "C"], messages: { Ping: Schema.Number } }, (g) =>
  g
    .compose(Consensus, { Leader: "A", Replica1: "B", Replica2: "C" })
    .msg("A", "B", "Decision")
    // expect-error: Argument of type '"Commit"' is not assignable to parameter of type
    .msg("B", "A", "Commit"))

Role.program(HierarchicalConsensus, "SubLeader", (ch) =>
  Effect.gen(function*() {
    // A sub-protocol label sent to a role of the other composition.
    // expect-error: Argument of type '"Replica1"' is not assignable to parameter of type '"SubReplica1"'
    yield* ch.send("Replica1", "Proposal", { term: 1, value: 1 })
    // The cross-level message before the SubLeader's own consensus is done.
    // expect-error: Argument of type '"CoordinationAck"' is not assignable to parameter of type '"Proposal"'
    yield* ch.send("SubReplica1", "CoordinationAck", { decision: 1 })
    return yield* Effect.die("unreachable")
  }))

Role.program(HierarchicalConsensus, "SubReplica1", (ch) =>
  Effect.gen(function*() {
    // A sub-replica hears its own leader, not the top-level one.
    // expect-error: Argument of type '"Leader"' is not assignable to parameter of type '"SubLeader"'
    yield* ch.recv("Leader", "Proposal")
    return yield* Effect.die("unreachable")
  }))

Role.program(SecureDataTransfer, "Bob", (ch) =>
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Alice", "AuthRequest")
    const c2 = yield* c1.send("Alice", "Challenge", { nonce: "n" })
    const [, c3] = yield* c2.recv("Alice", "Proof")
    // KeyExchange before Authentication has decided.
    // expect-error: the protocol expects select one of
    yield* c3.send("Alice", "ServerKeyShare", { publicKey: "" })
    const c4 = yield* c3.select("reject")
    // After a rejection there is no KeyExchange at all.
    // expect-error: the protocol expects send AuthReject to Alice here
    yield* c4.recv("Alice", "ClientKeyShare")
    return yield* Effect.die("unreachable")
  }))

// A generated Leader needs a send handler for every label it sends, the cross-level one included.
Role.implement(HierarchicalConsensus, "Leader", {
  // expect-error: Property 'CoordinationMessage' is missing in type
  send: {
    Proposal: () => ({ term: 1, value: 1 }),
    Decision: () => ({ value: 1 })
  }
}, null)

// A replica has no handler for a cross-level label: it takes no part in that exchange.
Role.implement(HierarchicalConsensus, "Replica1", {
  send: { Vote: () => ({ value: 1 }) },
  // expect-error: 'CoordinationAck' does not exist in type
  recv: { CoordinationAck: (s: null) => s }
}, null)

// A branch of the composing choice that does not exist.
Role.implement(AdaptiveSync, "Server", {
  send: {
    CapabilityResponse: () => ({ syncType: "full", version: 1 }),
    SnapshotBegin: () => ({ version: 1, total: 0 }),
    Page: () => ({ entries: [] }),
    SnapshotEnd: () => ({}),
    Delta: () => ({ fromVersion: 0, toVersion: 1, upserts: [], deletes: [] }),
    UpToDate: () => ({ version: 1 })
  },
  choose: {
    // expect-error: Type '"partial"' is not assignable to type
    sync: () => "partial" as const,
    morePages: () => "last"
  }
}, null)
