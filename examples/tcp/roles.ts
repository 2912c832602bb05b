/**
 * The sessions `npm run demo:tcp` and the TCP integration tests run with each role in its own
 * process: which protocol, and each role's implementation, by example name.
 */
import { Effect, Schema } from "effect"
import type { Any } from "../../src/protocol/Protocol.js"
import { Protocol, Role } from "../../src/index.js"
import * as Server from "../server.js"
import * as Streaming from "../streaming.js"
import * as ThreeParty from "../three-party.js"
import * as TwoPhaseCommit from "../two-phase-commit.js"

export interface TcpExample {
  readonly protocol: Any
  /** Each role's implementation (any: the processes only print what they get). */
  readonly roles: Readonly<Record<string, Role.Implementation<any, any, unknown, unknown, never>>>
  /** What the role has done so far, for a server that never ends (printed with its outcome). */
  readonly progress?: () => unknown
}

/** What the key-value server's role has seen in this process (one role per process). */
const serverSeen = Server.seen()

/** A producer that takes `delay` ms over each chunk: a session long enough to break in the middle of. */
const slowProducer = (chunks: ReadonlyArray<string>, delay: number) =>
  Role.implement(Streaming.DataStreaming, "Producer", {
    send: {
      StreamInit: () => ({ streamId: "slow" }),
      DataChunk: (s) => Effect.as(Effect.sleep(delay), { index: s.sent, data: chunks[s.sent] }),
      StreamEnd: () => ({})
    },
    recv: {
      ChunkAck: (s, ack) => ({ ...s, sent: s.sent + 1, acked: s.acked + (ack.index === s.sent ? 1 : 0) }),
      StreamComplete: (s, r) => ({ ...s, confirmed: r.chunks })
    },
    choose: { more: (s) => (s.sent < chunks.length ? "next" : "last") }
  }, { sent: 0, acked: 0, confirmed: -1 })

/** Chunks of the slow stream: `n` of them, numbered. */
export const slowChunks = (n: number) => Array.from({ length: n }, (_, i) => `chunk ${i} `)

/**
 * Three roles in a chain: the Source sends items through the Relay to the Sink, which
 * acknowledges each to the Source; the Source decides when it is over.
 *
 *   loop 'items': choice 'more' at Source
 *     next: Source -> Relay : Item { n }; Relay -> Sink : Forward { n }; Sink -> Source : Ack { n }; recur
 *     last: Source -> Relay : Done; Relay -> Sink : Finish
 */
export const Relay = Protocol.make("Relay", {
  roles: ["Source", "Relay", "Sink"],
  messages: {
    Item: Schema.Struct({ n: Schema.Number }),
    Forward: Schema.Struct({ n: Schema.Number }),
    Ack: Schema.Struct({ n: Schema.Number }),
    Done: Schema.Struct({}),
    Finish: Schema.Struct({})
  }
}, (g) =>
  g.loop("items", (b) =>
    b.choice("Source", "more", {
      next: (c) => c.msg("Source", "Relay", "Item").msg("Relay", "Sink", "Forward").msg("Sink", "Source", "Ack").recur("items"),
      last: (c) => c.msg("Source", "Relay", "Done").msg("Relay", "Sink", "Finish")
    })))

/** `n` items, `delay` ms apart. */
const relayRoles = (n: number, delay: number) => ({
  Source: Role.implement(Relay, "Source", {
    send: { Item: (s) => Effect.as(Effect.sleep(delay), { n: s.sent }), Done: () => ({}) },
    recv: { Ack: (s, a) => ({ ...s, sent: s.sent + 1, acked: s.acked + (a.n === s.sent ? 1 : 0) }) },
    choose: { more: (s) => (s.sent < n ? "next" : "last") }
  }, { sent: 0, acked: 0 }),
  Relay: Role.implement(Relay, "Relay", {
    send: { Forward: (s) => ({ n: s.last }), Finish: () => ({}) },
    recv: { Item: (s, i) => ({ ...s, last: i.n, relayed: s.relayed + 1 }), Done: (s) => s }
  }, { last: -1, relayed: 0 }),
  Sink: Role.implement(Relay, "Sink", {
    send: { Ack: (s) => ({ n: s.last }) },
    recv: { Forward: (s, f) => ({ ...s, last: f.n, got: s.got + 1 }), Finish: (s) => ({ ...s, finished: true }) }
  }, { last: -1, got: 0, finished: false })
})

export const examples = {
  TwoPhaseCommit: {
    protocol: TwoPhaseCommit.TwoPhaseCommit,
    roles: { Coordinator: TwoPhaseCommit.coordinator(4711), Participant: TwoPhaseCommit.participant("commit") }
  },
  Deal: {
    protocol: ThreeParty.Deal,
    roles: { Buyer: ThreeParty.buyer("book", 50), Seller: ThreeParty.seller, Shipper: ThreeParty.shipper }
  },
  /** 100 chunks, 20 ms apart: about 2 s. */
  SlowStream: {
    protocol: Streaming.DataStreaming,
    roles: { Producer: slowProducer(slowChunks(100), 20), Consumer: Streaming.consumer }
  },
  /** Three roles, 100 items 20 ms apart: about 2 s. */
  SlowRelay: { protocol: Relay, roles: relayRoles(100, 20) },
  /** The key-value server of examples/server.ts: it never ends; the client paces it at a request per 2 ms. */
  KeyValueServer: {
    protocol: Server.KeyValue,
    roles: { Client: Server.client(serverSeen, undefined, 2), Primary: Server.primary(serverSeen), Backup: Server.backup(serverSeen) },
    progress: () => ({ rounds: serverSeen.rounds, wrong: serverSeen.wrong, primary: Object.fromEntries(serverSeen.primary), backup: Object.fromEntries(serverSeen.backup) })
  }
} satisfies Record<string, TcpExample>

export type ExampleName = keyof typeof examples
