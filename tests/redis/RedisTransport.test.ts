/**
 * The Redis Streams transport in one process, against a redis-server the test starts: durable
 * sessions complete; a role interrupted at any commit and resumed completes with the same
 * results; frames that are no envelopes are rejected; finished sessions' keys expire.
 */
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Role } from "../../src/index.js"
import { Redis } from "../../src/node/index.js"
import { coordinator, participant, TwoPhaseCommit } from "../../examples/two-phase-commit.js"
import { type RedisServer, startRedis } from "../fixtures/redis-server.js"
import { runDurable } from "../fixtures/durable.js"

let server: RedisServer
beforeAll(async () => {
  server = await startRedis()
})
afterAll(async () => {
  await server?.stop()
})

const expected = { Coordinator: { transactionId: 7, vote: "commit", outcome: "committed" }, Participant: { transactionId: 7, applied: "committed" } }

describe("Redis transport", () => {
  it("runs TwoPhaseCommit durably, each role resumed", async () => {
    const r = await Effect.runPromise(
      Effect.all([
        Role.resume(TwoPhaseCommit, "Coordinator", coordinator(7), { sessionId: "t1" }),
        Role.resume(TwoPhaseCommit, "Participant", participant("commit"), { sessionId: "t1" })
      ], { concurrency: "unbounded" }).pipe(Effect.provide(Redis.layer({ url: server.url })), Effect.timeout(10000))
    )
    expect(r).toEqual([expected.Coordinator, expected.Participant])
  })
  for (const when of ["before-send", "after-commit"] as const) {
    for (const role of ["Coordinator", "Participant"]) {
      for (let at = 1; at <= (role === "Coordinator" ? 3 : 2); at++) {
        it(`${role} interrupted ${when === "before-send" ? "before" : "after"} its commit ${at} and resumed`, async () => {
          const r = await Effect.runPromise(
            runDurable(TwoPhaseCommit, { Coordinator: coordinator(7), Participant: participant("commit") }, { sessionId: `c-${when}-${role}-${at}`, crash: { role, at, when } }).pipe(
              Effect.provide(Redis.layer({ url: server.url })),
              Effect.timeout(10000)
            )
          )
          expect(r.crashed).toBe(true)
          expect(r.results).toEqual(expected)
        })
      }
    }
  }
})
