/**
 * `npm run demo`: runs every example on the in-memory transport and prints, per role, its
 * local type (what the protocol asks of it), what it did, and its result.
 */
import { Effect } from "effect"
import { Protocol } from "../src/index.js"
import * as Streaming from "./streaming.js"
import * as ThreeParty from "./three-party.js"
import * as TwoPhaseCommit from "./two-phase-commit.js"

interface Run {
  readonly title: string
  readonly protocol: Protocol.Any
  readonly session: Effect.Effect<Readonly<Record<string, unknown>>, unknown>
}

const runs: ReadonlyArray<Run> = [
  { title: "TwoPhaseCommit, participant votes commit", protocol: TwoPhaseCommit.TwoPhaseCommit, session: TwoPhaseCommit.main("commit") },
  { title: "TwoPhaseCommit, participant votes abort", protocol: TwoPhaseCommit.TwoPhaseCommit, session: TwoPhaseCommit.main("abort") },
  { title: "DataStreaming, four chunks", protocol: Streaming.DataStreaming, session: Streaming.main() },
  { title: "Deal (three parties), a book within budget", protocol: ThreeParty.Deal, session: ThreeParty.main("book", 50) },
  { title: "Deal (three parties), a piano over budget", protocol: ThreeParty.Deal, session: ThreeParty.main("piano", 50) }
]

const program = Effect.gen(function*() {
  for (const run of runs) {
    console.log(`\n== ${run.title}`)
    const results = yield* run.session
    for (const role of run.protocol.roles) {
      console.log(`  ${role}`)
      console.log(`    local type: ${Protocol.formatLocal(Protocol.project(run.protocol, role))}`)
      console.log(`    result:     ${JSON.stringify(results[role])}`)
    }
  }
})

Effect.runPromise(program).catch((e) => {
  console.error(e)
  process.exit(1)
})
