/**
 * The sessions `npm run demo:tcp` and the TCP integration tests run with each role in its own
 * process: which protocol, and each role's implementation, by example name.
 */
import { Effect } from "effect"
import type { Any } from "../../src/protocol/Protocol.js"
import { Role } from "../../src/index.js"
import * as Streaming from "../streaming.js"
import * as ThreeParty from "../three-party.js"
import * as TwoPhaseCommit from "../two-phase-commit.js"

export interface TcpExample {
  readonly protocol: Any
  /** Each role's implementation (any: the processes only print what they get). */
  readonly roles: Readonly<Record<string, Role.Implementation<any, any, unknown, unknown, never>>>
}

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
  }
} satisfies Record<string, TcpExample>

export type ExampleName = keyof typeof examples
