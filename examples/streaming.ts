/**
 * DataStreaming, from the seed guide.
 *
 *   Producer -> Consumer : StreamInit { streamId }
 *   Consumer -> Producer : StreamAck
 *   loop 'chunks'
 *     Producer -> Consumer : DataChunk { index, data }
 *     Consumer -> Producer : ChunkAck { index }
 *     choice 'more' at Producer
 *       next: recur 'chunks'
 *       last: (leave the loop)
 *   Producer -> Consumer : StreamEnd
 *   Consumer -> Producer : StreamComplete { chunks }
 *
 * The Consumer learns whether the stream goes on from the next message: another DataChunk
 * (the loop, unfolded) or StreamEnd.
 */
import { Effect, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"

export const DataStreaming = Protocol.make("DataStreaming", {
  roles: ["Producer", "Consumer"],
  messages: {
    StreamInit: Schema.Struct({ streamId: Schema.String }),
    StreamAck: Schema.Struct({}),
    DataChunk: Schema.Struct({ index: Schema.Number, data: Schema.String }),
    ChunkAck: Schema.Struct({ index: Schema.Number }),
    StreamEnd: Schema.Struct({}),
    StreamComplete: Schema.Struct({ chunks: Schema.Number })
  }
}, (g) =>
  g
    .msg("Producer", "Consumer", "StreamInit")
    .msg("Consumer", "Producer", "StreamAck")
    .loop("chunks", (b) =>
      b
        .msg("Producer", "Consumer", "DataChunk")
        .msg("Consumer", "Producer", "ChunkAck")
        .choice("Producer", "more", {
          next: (c) => c.recur("chunks"),
          last: (c) => c
        }))
    .msg("Producer", "Consumer", "StreamEnd")
    .msg("Consumer", "Producer", "StreamComplete"))

/** The roles' states as Schemas: with them the roles can run durably (`Role.resume`). */
const ProducerState = Schema.Struct({ sent: Schema.Number, acked: Schema.Array(Schema.Number), confirmed: Schema.Number })
const ConsumerState = Schema.Struct({ streamId: Schema.String, received: Schema.Array(Schema.String), ended: Schema.Boolean })

/** The Producer streams `chunks` in order and records what the Consumer acknowledged. */
export const producer = (streamId: string, chunks: ReadonlyArray<string>) =>
  Role.implement(DataStreaming, "Producer", {
    send: {
      StreamInit: () => ({ streamId }),
      DataChunk: (s) => ({ index: s.sent, data: chunks[s.sent] }),
      StreamEnd: () => ({})
    },
    recv: {
      ChunkAck: (s, ack) => ({ ...s, sent: s.sent + 1, acked: [...s.acked, ack.index] }),
      StreamComplete: (s, r) => ({ ...s, confirmed: r.chunks })
    },
    choose: { more: (s) => (s.sent < chunks.length ? "next" : "last") }
  }, { sent: 0, acked: [] as ReadonlyArray<number>, confirmed: -1 }, { state: ProducerState })

/** The Consumer reassembles the data. */
export const consumer = Role.implement(DataStreaming, "Consumer", {
  send: {
    StreamAck: () => ({}),
    ChunkAck: (s) => ({ index: s.received.length - 1 }),
    StreamComplete: (s) => ({ chunks: s.received.length })
  },
  recv: {
    StreamInit: (s, init) => ({ ...s, streamId: init.streamId }),
    DataChunk: (s, chunk) => ({ ...s, received: [...s.received, chunk.data] }),
    StreamEnd: (s) => ({ ...s, ended: true })
  }
}, { streamId: "", received: [] as ReadonlyArray<string>, ended: false }, { state: ConsumerState })

export const main = (chunks: ReadonlyArray<string> = ["Quadrille ", "streams ", "in ", "order"]) =>
  Session.run(DataStreaming, { Producer: producer("stream-1", chunks), Consumer: consumer })

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main()).then((r) => console.log(JSON.stringify(r, null, 2)))
}
