/**
 * Exact local types of every role of the core examples, computed by the compiler.
 */
import { expectTypeOf } from "vitest"
import type { Branch, End, Local, Offer, Rec, Recv, Select, Send, Var } from "../src/index.js"
import type { DataStreaming } from "../examples/streaming.js"
import type { Deal } from "../examples/three-party.js"
import type { TwoPhaseCommit } from "../examples/two-phase-commit.js"

type Tx = { readonly transactionId: number }
type Vote = { readonly vote: "commit" | "abort" }

expectTypeOf<Local<typeof TwoPhaseCommit, "Coordinator">>().toEqualTypeOf<
  Send<"Participant", "PrepareRequest", Tx,
    Recv<"Participant", "PrepareResponse", Vote,
      Select<{
        readonly commit: Send<"Participant", "CommitRequest", Tx, Recv<"Participant", "CommitAck", {}, End>>
        readonly abort: Send<"Participant", "AbortRequest", Tx, Recv<"Participant", "AbortAck", {}, End>>
      }>>>
>()

expectTypeOf<Local<typeof TwoPhaseCommit, "Participant">>().toEqualTypeOf<
  Recv<"Coordinator", "PrepareRequest", Tx,
    Send<"Coordinator", "PrepareResponse", Vote,
      Offer<"Coordinator", {
        readonly CommitRequest: Branch<Tx, Send<"Coordinator", "CommitAck", {}, End>>
        readonly AbortRequest: Branch<Tx, Send<"Coordinator", "AbortAck", {}, End>>
      }>>>
>()

type Chunk = { readonly index: number; readonly data: string }
type Ack = { readonly index: number }
type Complete = { readonly chunks: number }

expectTypeOf<Local<typeof DataStreaming, "Producer">>().toEqualTypeOf<
  Send<"Consumer", "StreamInit", { readonly streamId: string },
    Recv<"Consumer", "StreamAck", {},
      Rec<"chunks",
        Send<"Consumer", "DataChunk", Chunk,
          Recv<"Consumer", "ChunkAck", Ack,
            Select<{
              readonly next: Var<"chunks">
              readonly last: Send<"Consumer", "StreamEnd", {}, Recv<"Consumer", "StreamComplete", Complete, End>>
            }>>>>>>
>()

// The Consumer learns "one more chunk" from the next DataChunk itself: the loop is unfolded
// once to find that message, so the Offer sits in a Rec of its own.
expectTypeOf<Local<typeof DataStreaming, "Consumer">>().toEqualTypeOf<
  Recv<"Producer", "StreamInit", { readonly streamId: string },
    Send<"Producer", "StreamAck", {},
      Rec<"chunks",
        Recv<"Producer", "DataChunk", Chunk,
          Send<"Producer", "ChunkAck", Ack,
            Rec<"chunks",
              Offer<"Producer", {
                readonly DataChunk: Branch<Chunk, Send<"Producer", "ChunkAck", Ack, Var<"chunks">>>
                readonly StreamEnd: Branch<{}, Send<"Producer", "StreamComplete", Complete, End>>
              }>>>>>>>
>()

type Receipt = { readonly text: string }

expectTypeOf<Local<typeof Deal, "Buyer">>().toEqualTypeOf<
  Send<"Seller", "RequestQuote", { readonly item: string },
    Recv<"Seller", "Quote", { readonly price: number },
      Select<{
        readonly accept: Send<"Seller", "Accept", { readonly address: string },
          Recv<"Shipper", "DeliveryDate", { readonly date: string }, Recv<"Seller", "Receipt", Receipt, End>>>
        readonly reject: Send<"Seller", "Reject", { readonly reason: string }, Recv<"Seller", "Receipt", Receipt, End>>
      }>>>
>()

expectTypeOf<Local<typeof Deal, "Seller">>().toEqualTypeOf<
  Recv<"Buyer", "RequestQuote", { readonly item: string },
    Send<"Buyer", "Quote", { readonly price: number },
      Offer<"Buyer", {
        readonly Accept: Branch<{ readonly address: string },
          Send<"Shipper", "ShipOrder", { readonly item: string; readonly address: string }, Send<"Buyer", "Receipt", Receipt, End>>>
        readonly Reject: Branch<{ readonly reason: string },
          Send<"Shipper", "CancelSlot", {}, Send<"Buyer", "Receipt", Receipt, End>>>
      }>>>
>()

// Full merging: the Shipper is told the outcome by the Seller, not by the Buyer who chose it.
expectTypeOf<Local<typeof Deal, "Shipper">>().toEqualTypeOf<
  Offer<"Seller", {
    readonly ShipOrder: Branch<{ readonly item: string; readonly address: string }, Send<"Buyer", "DeliveryDate", { readonly date: string }, End>>
    readonly CancelSlot: Branch<{}, End>
  }>
>()

// A wrong expectation must fail: the comparison is exact, not mere assignability.
// expect-error: Expected
expectTypeOf<Local<typeof Deal, "Shipper">>().toEqualTypeOf<Offer<"Seller", { readonly CancelSlot: Branch<{}, End> }>>()
