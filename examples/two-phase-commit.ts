/**
 * TwoPhaseCommit, from the seed guide.
 *
 *   Coordinator -> Participant : PrepareRequest { transactionId }
 *   Participant -> Coordinator : PrepareResponse { vote }
 *   choice 'outcome' at Coordinator
 *     commit: Coordinator -> Participant : CommitRequest { transactionId }
 *             Participant -> Coordinator : CommitAck
 *     abort:  Coordinator -> Participant : AbortRequest { transactionId }
 *             Participant -> Coordinator : AbortAck
 *
 * The Participant learns the outcome from the label of the message it receives next.
 */
import { Effect, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"

const Vote = Schema.Literal("commit", "abort")

export const TwoPhaseCommit = Protocol.make("TwoPhaseCommit", {
  roles: ["Coordinator", "Participant"],
  messages: {
    PrepareRequest: Schema.Struct({ transactionId: Schema.Number }),
    PrepareResponse: Schema.Struct({ vote: Vote }),
    CommitRequest: Schema.Struct({ transactionId: Schema.Number }),
    AbortRequest: Schema.Struct({ transactionId: Schema.Number }),
    CommitAck: Schema.Struct({}),
    AbortAck: Schema.Struct({})
  }
}, (g) =>
  g
    .msg("Coordinator", "Participant", "PrepareRequest")
    .msg("Participant", "Coordinator", "PrepareResponse")
    .choice("Coordinator", "outcome", {
      commit: (b) => b.msg("Coordinator", "Participant", "CommitRequest").msg("Participant", "Coordinator", "CommitAck"),
      abort: (b) => b.msg("Coordinator", "Participant", "AbortRequest").msg("Participant", "Coordinator", "AbortAck")
    }))

type Outcome = "pending" | "committed" | "aborted"
const Outcome = Schema.Literal("pending", "committed", "aborted")

/** The roles' states as Schemas: with them the roles can run durably (`Role.resume`). */
const CoordinatorState = Schema.Struct({ transactionId: Schema.Number, vote: Vote, outcome: Outcome })
const ParticipantState = Schema.Struct({ transactionId: Schema.Number, applied: Outcome })

export const coordinator = (transactionId: number) =>
  Role.implement(TwoPhaseCommit, "Coordinator", {
    send: {
      PrepareRequest: (s) => ({ transactionId: s.transactionId }),
      CommitRequest: (s) => ({ transactionId: s.transactionId }),
      AbortRequest: (s) => ({ transactionId: s.transactionId })
    },
    recv: {
      PrepareResponse: (s, r) => ({ ...s, vote: r.vote }),
      CommitAck: (s) => ({ ...s, outcome: "committed" as Outcome }),
      AbortAck: (s) => ({ ...s, outcome: "aborted" as Outcome })
    },
    choose: { outcome: (s) => (s.vote === "commit" ? "commit" : "abort") }
  }, { transactionId, vote: "abort" as "commit" | "abort", outcome: "pending" as Outcome }, { state: CoordinatorState })

export const participant = (vote: "commit" | "abort") =>
  Role.implement(TwoPhaseCommit, "Participant", {
    send: {
      PrepareResponse: () => ({ vote }),
      CommitAck: () => ({}),
      AbortAck: () => ({})
    },
    recv: {
      PrepareRequest: (s, r) => ({ ...s, transactionId: r.transactionId }),
      CommitRequest: (s) => ({ ...s, applied: "committed" as Outcome }),
      AbortRequest: (s) => ({ ...s, applied: "aborted" as Outcome })
    }
  }, { transactionId: 0, applied: "pending" as Outcome }, { state: ParticipantState })

export const main = (vote: "commit" | "abort" = "commit") =>
  Session.run(TwoPhaseCommit, { Coordinator: coordinator(12345), Participant: participant(vote) })

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(Effect.all([main("commit"), main("abort")])).then((r) => console.log(JSON.stringify(r, null, 2)))
}
