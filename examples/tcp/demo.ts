/**
 * `npm run demo:tcp`: each role of TwoPhaseCommit, then of the three-party Deal, in its own
 * `node` process on 127.0.0.1, talking over the TCP transport (authenticated connections,
 * ports chosen free at start). Prints each role's result; exits 0 when every role succeeded.
 */
import { runCluster } from "./cluster.js"
import type { ExampleName } from "./roles.js"

const demos: ReadonlyArray<ExampleName> = ["TwoPhaseCommit", "Deal"]

let failed = 0
for (const example of demos) {
  const started = Date.now()
  const outcomes = await runCluster(example)
  console.log(`\n${example}: ${outcomes.length} processes, ${Date.now() - started} ms`)
  for (const o of outcomes) {
    if (o.ok) console.log(`  ${o.role}: ${JSON.stringify(o.result)}`)
    else {
      failed++
      console.log(`  ${o.role} FAILED: ${o.error.tag}: ${o.error.message}`)
    }
  }
}
process.exitCode = failed === 0 ? 0 : 1
