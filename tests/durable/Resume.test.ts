/**
 * `Role.resume` of TwoPhaseCommit on memory `Storage`, and of TwoPhaseCommit and DataStreaming
 * on file `Storage` (each run its own directory): without a crash it gives what `Session.run`
 * gives; with either role crashed at each of its commits (before the frames of the commit
 * went out, or after the commit) and resumed, the same.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { Memory, Protocol, Role, Session } from "../../src/index.js"
import { FileStorage } from "../../src/node/index.js"
import { consumer, DataStreaming, producer } from "../../examples/streaming.js"
import { coordinator, participant, TwoPhaseCommit } from "../../examples/two-phase-commit.js"
import { runDurable } from "../fixtures/durable.js"

const impls = { Coordinator: coordinator(7), Participant: participant("commit") }
const run = (crash?: Parameters<typeof runDurable>[2]["crash"]) =>
  Effect.runPromise(runDurable(TwoPhaseCommit, impls, { sessionId: "s", crash }).pipe(Effect.provide(Memory.layer), Effect.timeout(5000)))

describe("Role.resume on memory Storage", async () => {
  const expected = await Effect.runPromise(Session.run(TwoPhaseCommit, impls))
  const baseline = await run()

  it("without a crash: the results of Session.run; each role commits after its sends and at its end", () => {
    expect(baseline.results).toEqual(expected)
    expect(baseline.crashed).toBe(false)
    // Coordinator: PrepareRequest, CommitRequest, end; Participant: PrepareResponse, CommitAck, end.
    expect(baseline.commits).toEqual({ Coordinator: 3, Participant: 3 })
  })
  for (const when of ["before-send", "after-commit"] as const) {
    for (const role of ["Coordinator", "Participant"]) {
      for (let at = 1; at <= baseline.commits[role]; at++) {
        it(`${role} crashes ${when} at commit ${at} of ${baseline.commits[role]}, resumes, and the session ends as without a crash`, async () => {
          const r = await run({ role, at, when })
          expect(r.crashed).toBe(true)
          expect(r.results).toEqual(expected)
        })
      }
    }
  }
})

describe("Role.resume on file Storage", async () => {
  const dirs: Array<string> = []
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
  })
  const onFiles = (protocol: typeof TwoPhaseCommit | typeof DataStreaming, implementations: Record<string, unknown>, crash?: Parameters<typeof runDurable>[2]["crash"]) =>
    Effect.runPromise(
      Effect.gen(function*() {
        const directory = fs.mkdtempSync(path.join(os.tmpdir(), "quadrille-resume-"))
        dirs.push(directory)
        const storage = yield* FileStorage.make({ directory })
        return yield* runDurable(protocol, implementations as never, { sessionId: "f", crash, storage })
      }).pipe(Effect.provide(Memory.layer), Effect.timeout(10000))
    )
  const examples = [
    { name: "TwoPhaseCommit", protocol: TwoPhaseCommit, impls: impls as Record<string, unknown> },
    { name: "DataStreaming (8 chunks)", protocol: DataStreaming, impls: { Producer: producer("f", ["a", "b", "c", "d", "e", "f", "g", "h"]), Consumer: consumer } }
  ]
  for (const example of examples) {
    const expectedHere = await Effect.runPromise(Session.run(example.protocol as typeof TwoPhaseCommit, example.impls as never))
    const base = await onFiles(example.protocol, example.impls)
    it(`${example.name}: without a crash, the results of Session.run`, () => {
      expect(base.results).toEqual(expectedHere)
    })
    for (const role of example.protocol.roles) {
      it(`${example.name}: ${role} crashed at each of its ${base.commits[role]} commits, both ways, and resumed from its files`, async () => {
        for (const when of ["before-send", "after-commit"] as const) {
          for (let at = 1; at <= base.commits[role]; at++) {
            const r = await onFiles(example.protocol, example.impls, { role, at, when })
            expect(r.crashed).toBe(true)
            expect(r.results, `${role} ${when} ${at}`).toEqual(expectedHere)
          }
        }
      })
    }
  }
})

/** C takes A from X and B from Y in parallel, then tells X in which order it folded them. */
const ParOrder = Protocol.make("ParOrder", {
  roles: ["C", "X", "Y"],
  messages: { A: Schema.String, B: Schema.String, Done: Schema.Array(Schema.String) }
}, (g) => g.parallel((b) => b.msg("X", "C", "A"), (b) => b.msg("Y", "C", "B")).msg("C", "X", "Done"))
const Letters = Schema.Array(Schema.String)
const parOrder = {
  C: Role.implement(ParOrder, "C", { send: { Done: (s) => s }, recv: { A: (s, a) => [...s, a], B: (s, b) => [...s, b] } }, [] as ReadonlyArray<string>, { state: Letters }),
  // X's A comes late: C folds B first.
  X: Role.implement(ParOrder, "X", { send: { A: () => Effect.as(Effect.sleep(30), "A") }, recv: { Done: (_, d) => d } }, [] as ReadonlyArray<string>, { state: Letters }),
  Y: Role.implement(ParOrder, "Y", { send: { B: () => "B" } }, [] as ReadonlyArray<string>, { state: Letters })
}

describe("Role.resume replays the branches of a parallel in the order they took their frames", async () => {
  const run = (crash?: Parameters<typeof runDurable>[2]["crash"]) =>
    Effect.runPromise(runDurable(ParOrder, parOrder as never, { sessionId: "par-order", crash }).pipe(Effect.provide(Memory.layer), Effect.timeout(5000)))
  const base = await run()
  it("without a crash, C folds B then A", () => {
    expect(base.results).toEqual({ C: ["B", "A"], X: ["B", "A"], Y: [] })
  })
  it("crashed at each of its commits, C folds them in the same order again", async () => {
    for (let at = 1; at <= base.commits.C; at++) {
      for (const when of ["before-send", "after-commit"] as const) {
        const r = await run({ role: "C", at, when })
        expect(r.crashed).toBe(true)
        expect(r.results, `${when} ${at}`).toEqual(base.results)
      }
    }
  })
})
