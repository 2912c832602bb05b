/**
 * `npm run demo`: runs every example on the in-memory transport and prints, per role, its
 * local type (what the protocol asks of it), what it did (in its own order) and its result
 * (keys as fingerprints); then writes Mermaid diagrams of the protocols, of the roles' local
 * types and of the recorded runs, each `.mmd` with a `.md` page beside it that GitHub renders.
 */
import { join } from "node:path"
import { Effect } from "effect"
import { TraceSink } from "../src/index.js"
import { Trace } from "../src/testing/index.js"
import { describeRun } from "./demo-format.js"
import { writeDiagram, writeDiagrams } from "./diagrams.js"
import { runs } from "./runs.js"
import * as Simulation from "./simulation.js"
import * as TwoPhaseCommit from "./two-phase-commit.js"
import * as Compensating from "./compensating-transaction.js"
import * as RobustCoordinator from "./robust-coordinator.js"
import * as RobustRequest from "./robust-request.js"
import * as UntrustedInput from "./untrusted-input.js"
import * as Durable from "./durable.js"

/**
 * Runs every example; returns the trace of each run. What a role did is read off its own
 * events in the trace, in the order it did them (examples/demo-format.ts).
 */
const program = Effect.gen(function*() {
  const traces: Array<ReadonlyArray<TraceSink.TraceEvent>> = []
  for (const run of runs) {
    console.log(`\n== ${run.title}`)
    const [result, events] = yield* TraceSink.recording(run.run)
    traces.push(events)
    for (const line of describeRun(run.protocol, result as Readonly<Record<string, unknown>>, events, { secrets: run.secrets })) {
      console.log(line)
    }
  }
  return traces
})

/**
 * Writes the sequence diagram of every protocol, the state diagram of every role, and the
 * sequence diagram of every run's trace (in `trace/`), each with a Markdown page beside it
 * (examples/diagrams.ts).
 */
const diagrams = (folder: string, traces: ReadonlyArray<ReadonlyArray<TraceSink.TraceEvent>>) => {
  const protocols = writeDiagrams(folder, runs, traces)
  console.log(`\nMermaid diagrams of ${protocols} protocols (sequence) and their roles (state) are in ${folder}/,`)
  console.log(`and of the ${runs.length} runs above (sequence, from their traces) in ${join(folder, "trace")}/`)
  console.log("(each X.mmd with a page X.md beside it that shows it, in a mermaid block)")
}

/** The testing toolkit: seeded simulation, chaos over the reliable layer, chaos without it. */
const simulation = Effect.map(Simulation.main, (r) => {
  console.log("\n== Simulation (examples/simulation.ts): TwoPhaseCommit on the deterministic network")
  console.log(`  seed 42: ${r.deterministic.outcome}; same seed, same trace: ${r.deterministic.sameTraceForSameSeed}; trace valid: ${r.deterministic.traceValid}`)
  console.log(`  DistributedConsensus over ${r.interleavings.seeds} seeds: ${r.interleavings.distinctOrdersOfReceives} different orders of receipt`)
  const c = r.chaosOverReliable
  console.log(`  chaos over the reliable layer: ${c.outcome} after ${c.virtualMillis} ms of virtual time (${c.faults}); trace valid: ${c.traceValid}`)
  console.log(`  chaos without it: ${r.chaosWithoutReliable.failed ? "failed" : "completed"} with ${r.chaosWithoutReliable.error}`)
  return c.trace
})

/** A hostile peer's frames: rejected at the boundary, or a typed failure. */
const untrusted = Effect.map(UntrustedInput.main, (r) => {
  console.log("\n== Untrusted input (examples/untrusted-input.ts): TwoPhaseCommit under forged frames")
  console.log(`  ${r.rejected.length} frames that are no envelope: rejected, recorded; the session ${r.survived.outcome}`)
  for (const reason of r.rejected) console.log(`    ${reason.length > 110 ? `${reason.slice(0, 110)}…` : reason}`)
  console.log(`  a frame that lies: ${r.failure.tag}: ${r.failure.message}`)
  console.log(`  afterwards the transport holds ${r.afterwards.sessions} sessions, ${r.afterwards.frames} frames`)
})

/** RobustRequest's three cases on the simulator. */
const robust = Effect.map(RobustRequest.cases, (r) => {
  console.log("\n== Timeouts (examples/robust-request.ts): RobustRequest on the simulator, a 30 s timeout")
  for (const [name, c] of Object.entries(r)) {
    console.log(`  ${name.padEnd(7)} Client ${JSON.stringify(c.client)} at ${c.time} ms${c.dropped.length === 0 ? "" : `; dropped: ${c.dropped.join(", ")}`}`)
  }
})

/** CompensatingTransaction with a failure at each step of its forward part. */
const compensating = Effect.gen(function*() {
  console.log("\n== Sagas (examples/compensating-transaction.ts): a failure at each step of the forward part")
  for (const failAt of [undefined, ...Compensating.forwardSteps]) {
    const r = yield* Compensating.main(failAt)
    const held = [r.ServiceA.holds, r.ServiceB.holds].filter((h) => h !== undefined).length
    console.log(`  ${(failAt ?? "no failure").padEnd(38)} A: ${r.ServiceA.log.join(", ")}; B: ${r.ServiceB.log.join(", ")}; held after: ${held}`)
  }
})

/** The robust coordinator: TwoPhaseCommit retried with backoff over a network that loses attempts. */
const retried = Effect.gen(function*() {
  console.log("\n== Retry (examples/robust-coordinator.ts): 3 attempts, 100 ms then 200 ms apart")
  for (const lost of [2, 3]) {
    const r = yield* RobustCoordinator.main(lost)
    console.log(`  ${lost} attempts lost: ${r.outcome}`)
    console.log(`    attempts started after ${r.attempts.map((a) => `${a.after} ms (${a.session})`).join(", ")}`)
  }
})

/** A durable role stopped mid-session and resumed from its checkpoint. */
const durable = Effect.map(Durable.main, (r) => {
  const c = r.checkpoint as { readonly snapshot: { readonly at: number; readonly state: unknown }; readonly n: number }
  console.log("\n== Durable roles (examples/durable.ts): TwoPhaseCommit, the Participant stopped after its first commit and resumed")
  console.log(`  its checkpoint: commit ${c.n}, at state ${c.snapshot.at} of its local type, user state ${JSON.stringify(c.snapshot.state)}`)
  console.log(`  resumed: Coordinator ${JSON.stringify(r.Coordinator)}; Participant ${JSON.stringify(r.Participant)}`)
})

const everything = Effect.gen(function*() {
  const traces = yield* program
  const chaosTrace = yield* simulation
  yield* untrusted
  yield* robust
  yield* compensating
  yield* retried
  yield* durable
  diagrams("diagrams", traces)
  const file = join("diagrams", "trace", "simulation-chaos-over-reliable.mmd")
  const title = "TwoPhaseCommit under chaos, over the reliable layer"
  const [, page] = writeDiagram(file, Trace.toMermaid(chaosTrace, { roles: TwoPhaseCommit.TwoPhaseCommit.roles, time: true, title }), `A simulated run: ${title}`)
  console.log(`and of the simulated run under chaos in ${file} (and ${page})`)
})

Effect.runPromise(everything).catch((e) => {
  console.error(e)
  process.exit(1)
})
