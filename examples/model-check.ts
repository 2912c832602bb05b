/**
 * Checking optimised roles and models: a role written by hand that sends before it receives
 * (`Check.local`), checked against its projection (`Check.asyncSubtype`), and the whole
 * protocol model checked with it in place (`Check.model`); then a role that receives in the
 * wrong order, and the counterexample the model checker gives, as text and as a Mermaid
 * sequence diagram.
 *
 *   npx tsx examples/model-check.ts
 */
import { Schema } from "effect"
import { Check, Protocol } from "../src/index.js"
import { TwoPhaseCommit } from "./two-phase-commit.js"

const { send, recv, rec, rounds, end } = Check.local

// A ring A -> B -> C -> A, `laps` times.
export const Ring = Protocol.make("Ring", {
  roles: ["A", "B", "C"],
  messages: { Value: Schema.Number }
}, (g) => g.repeat("laps", (b) => b.msg("A", "B", "Value").msg("B", "C", "Value").msg("C", "A", "Value")))

// B's projection receives from A, then sends to C. This B sends to C first.
export const eagerB = rec("laps", rounds("laps", send("C", "Value", recv("A", "Value", Check.local.var("laps"))), end))

export const main = () => {
  console.log("projection of B:", Protocol.formatLocal(Protocol.project(Ring, "B")))
  console.log("optimised B:    ", Protocol.formatLocal(eagerB))

  const sub = Check.asyncSubtype(eagerB, Protocol.project(Ring, "B"), { bound: 4, role: "B" })
  console.log("\nasyncSubtype:", sub._tag)

  // The other way round: an input may not move ahead of an output.
  const back = Check.asyncSubtype(Protocol.project(Ring, "B"), eagerB, { bound: 4, role: "B" })
  console.log("the other way: ", back._tag === "NotSubtype" ? back.message : back._tag)

  console.log("\n" + Check.report(Check.model(Ring, { bound: 2, roles: { B: eagerB }, params: { laps: 3 } })))

  // A Participant that waits for the outcome before it has voted: a deadlock.
  const waits = recv("Coordinator", "PrepareRequest", recv("Coordinator", "CommitRequest", send("Coordinator", "CommitAck")))
  const bad = Check.model(TwoPhaseCommit, { bound: 2, roles: { Participant: waits } })
  console.log("\n" + Check.report(bad))
  console.log("\n" + Check.toMermaid(bad))
}

if (import.meta.url === `file://${process.argv[1]}`) main()
