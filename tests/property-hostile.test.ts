/**
 * Hostile inputs: fast-check forges bad frames (`tests/fixtures/hostile.ts`: frames that are
 * no envelope, envelopes with fields of every JS type, well-formed envelopes that are wrong,
 * copies, replays and truncations of the real frames, and hostile payloads: 100 000 deep,
 * 10 MB, cyclic, `__proto__` keys, throwing getters, proxies) and injects them with
 * `Memory.inject` into the receiving roles of running sessions (three protocols), over the
 * in-memory transport (its synchronous path and a wrapping transport's) and over the reliable
 * layer. Every run must:
 *
 * 1. end within 2 s (real time), either as the clean run of the same session does (equal
 *    results) or failing with one of the library's tagged errors, and never with a defect;
 * 2. leave `Object.prototype` as it was;
 * 3. leave nothing in the transport (`stats()`: no session, mailbox or frame), after the
 *    reliable layer's linger when it runs over it.
 *
 * A forged frame no receiver could tell from a real one (a valid payload at a place where
 * the real frame carries another) is not sent as is: see `isSpoof` in the fixture. Roles have
 * no receive timeout (unless `QUADRILLE_HOSTILE_RECEIVE_TIMEOUT_MS` is set), so a role left
 * waiting for a frame that never comes shows as a run past the bound.
 *
 * At least 100 000 bad frames are injected in all; `QUADRILLE_HOSTILE_RUNS=k` runs k times as many.
 */
import { Cause, Chunk, Data, Duration, Effect, Exit } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type Envelope, Memory, Reliable, Session, TraceSink, Transport, type TransportService } from "../src/index.js"
import * as H from "./fixtures/hostile.js"

type MemoryTransport = Memory.MemoryTransport

const multiplier = Math.max(1, Number(process.env.QUADRILLE_HOSTILE_RUNS ?? "1") || 1)
/** Runs per category at the default count (each injects 20–100 recipes, some of several frames). */
const runsPerCategory = 1200
const minFramesPerCategory = 25_000
const minFramesInAll = 100_000

/** The library's tagged errors a role may fail with here (`PeerFailed`: a forged failure notice, label `~failed`). */
const taggedErrors = new Set(["ProtocolViolation", "DecodeError", "Timeout", "TransportError", "ImplementationError", "PeerFailed"])

/**
 * The roles' receive timeout: none by default, so that a role left waiting for a frame that
 * never comes shows as a run past the 2 s bound; `QUADRILLE_HOSTILE_RECEIVE_TIMEOUT_MS` sets one.
 */
const receiveTimeout = process.env.QUADRILLE_HOSTILE_RECEIVE_TIMEOUT_MS === undefined
  ? undefined
  : Duration.millis(Number(process.env.QUADRILLE_HOSTILE_RECEIVE_TIMEOUT_MS))

/** How long an error message or a rejection's reason may be, whatever came in (10 MB names, say). */
const maxMessageLength = 4_000

class Hang extends Data.TaggedError("Hang")<{ readonly message: string }> {}

// ---------------------------------------------------------------------------------------------
// What Object.prototype looks like before any hostile input

const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort()
const prototypeSymbols = Object.getOwnPropertySymbols(Object.prototype).length
const prototypeDescriptors = new Map(
  prototypeNames.map((k) => [k, Object.getOwnPropertyDescriptor(Object.prototype, k)] as const)
)

const checkPrototype = () => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames)
  expect(Object.getOwnPropertySymbols(Object.prototype).length).toBe(prototypeSymbols)
  for (const [k, d] of prototypeDescriptors) expect(Object.getOwnPropertyDescriptor(Object.prototype, k), k).toEqual(d)
  const fresh = {} as Record<string, unknown>
  expect(fresh.polluted).toBeUndefined()
  expect(Object.getPrototypeOf(fresh)).toBe(Object.prototype)
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined()
  expect((Object.create(null) as Record<string, unknown>).polluted).toBeUndefined()
}

// ---------------------------------------------------------------------------------------------
// Running a session

const recordingTransport = (inner: TransportService, frames: Array<Envelope>): TransportService => ({
  ...inner,
  send: (e) => Effect.suspend(() => (frames.push(e), inner.send(e)))
})

const isEmpty = (memory: MemoryTransport) => {
  const s = memory.stats()
  return s.sessions === 0 && s.mailboxes === 0 && s.frames === 0
}

/** Waits (real time, at most ~500 ms) until the reliable layer's lingering roles have let go of the transport. */
const afterLinger = (memory: MemoryTransport) =>
  Effect.gen(function*() {
    for (let i = 0; i < 250 && !isEmpty(memory); i++) yield* Effect.sleep(Duration.millis(2))
  })

/**
 * Runs `config` once over `kind` on top of `memory` (frames sent below the reliable layer, or
 * through the wrapping transport, are pushed to `frames`); the session's exit.
 */
const runSession = (
  config: H.Config,
  kind: H.TransportKind,
  memory: MemoryTransport,
  hook: () => void,
  sessionId: string,
  frames: Array<Envelope>
) => {
  const on = (transport: TransportService) =>
    Effect.exit(
      Session.run(config.protocol, config.implementations(hook), { sessionId, validate: true, receiveTimeout }).pipe(
        Effect.provideService(Transport, transport)
      ) as Effect.Effect<Readonly<Record<string, unknown>>, unknown>
    )
  switch (kind) {
    case "memory":
      return on(memory)
    case "memory-wrapped":
      return on(recordingTransport(memory, frames))
    case "reliable":
      return Effect.scoped(Effect.gen(function*() {
        const reliable = yield* Reliable.wrap(recordingTransport(memory, frames), { linger: Duration.millis(1) })
        const exit = yield* on(reliable)
        yield* afterLinger(memory)
        return exit
      }))
  }
}

interface Clean {
  readonly session: string
  readonly results: unknown
  readonly frames: ReadonlyArray<Envelope>
  /** How many times the handlers of all roles are called in a run. */
  readonly hooks: number
}

const cleanRuns = new Map<string, Clean>()

/** The clean run of a config over a transport (made once): its results, the frames sent, the hook calls. */
const clean = (index: number, kind: H.TransportKind) =>
  Effect.gen(function*() {
    const key = `${index} ${kind}`
    const known = cleanRuns.get(key)
    if (known !== undefined) return known
    const config = H.configs[index]
    const memory = Memory.unsafeMake()
    const frames: Array<Envelope> = []
    let hooks = 0
    const session = `clean ${config.name} ${kind}`
    // The clean run records its frames even on the plain in-memory transport.
    const exit = yield* runSession(config, kind === "memory" ? "memory-wrapped" : kind, memory, () => void hooks++, session, frames)
    if (Exit.isFailure(exit)) throw new Error(`the clean run of ${config.name} over ${kind} failed: ${Cause.pretty(exit.cause)}`)
    expect(isEmpty(memory)).toBe(true)
    const found: Clean = { session, results: exit.value, frames, hooks }
    // Every transport gives the same results.
    for (const [k, c] of cleanRuns) if (k.startsWith(`${index} `)) expect(found.results).toEqual(c.results)
    cleanRuns.set(key, found)
    return found
  })

// ---------------------------------------------------------------------------------------------
// Tallies

interface Tally {
  runs: number
  injected: number
  delivered: number
  guarded: number
  readonly outcomes: Map<string, number>
  readonly kinds: Map<string, number>
  /** Frames of each kind whose payload was replaced by the spoof guard. */
  readonly guardedKinds: Map<string, number>
  readonly transports: Map<string, number>
  readonly configs: Map<string, number>
  slowest: number
}

const newTally = (): Tally => ({
  runs: 0,
  injected: 0,
  delivered: 0,
  guarded: 0,
  outcomes: new Map(),
  kinds: new Map(),
  guardedKinds: new Map(),
  transports: new Map(),
  configs: new Map(),
  slowest: 0
})
const bump = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by)
const tallies = new Map<H.Category, Tally>()

let sessions = 0

// ---------------------------------------------------------------------------------------------
// The property

const runAttack = (category: H.Category, tally: Tally) => (a: H.Attack) =>
  Effect.gen(function*() {
    const config = H.configs[a.config]
    const base = yield* clean(a.config, a.transport)
    const session = `hostile ${category} ${++sessions}`
    const steps = H.stepsOf(config.protocol)
    const ctx: H.Ctx = {
      config,
      session,
      cleanSession: base.session,
      frames: base.frames.map((f) => ({ ...f, session })),
      roles: config.protocol.roles,
      labels: [...new Set([...Object.keys(config.protocol.messages), ...base.frames.map((f) => f.label)])],
      sites: steps.sites,
      steps: steps.messages
    }
    // The frames to inject, made before the session starts (so that any throw here is the test's).
    const planned: Array<unknown> = []
    let guarded = 0
    for (const r of a.recipes) {
      const built = H.materialize(r, ctx)
      bump(tally.kinds, H.kindOf(r), built.length)
      for (const b of built) {
        if (H.isSpoof(ctx, b.frame)) {
          guarded++
          bump(tally.guardedKinds, H.kindOf(r))
          planned.push(H.unspoofed(b.frame))
        } else {
          planned.push(b.frame)
        }
      }
    }
    const sink = TraceSink.unsafeMakeRecorder()
    const memory = Memory.unsafeMake(sink)
    const at = a.at % base.hooks
    let calls = 0
    let injected = 0
    let delivered = 0
    const hook = () => {
      if (calls++ !== at) return
      // Injected from a handler: the session runs, and the roles it is not done with listen.
      for (const frame of planned) {
        injected++
        if (memory.inject(frame)) delivered++
      }
    }
    const started = Date.now()
    const exit = yield* runSession(config, a.transport, memory, hook, session, []).pipe(
      Effect.timeoutFail({
        duration: Duration.seconds(2),
        onTimeout: () => new Hang({ message: `the session of ${config.name} over ${a.transport} did not end within 2 s` })
      })
    )
    const took = Date.now() - started
    const where = `${config.name} over ${a.transport}, injecting at hook call ${at}`

    // Every planned frame went in, while the session ran.
    expect(injected, where).toBe(planned.length)

    // 1. A correct completion, or a tagged failure: never a defect.
    let outcome: string
    if (Exit.isSuccess(exit)) {
      expect(exit.value, `${where}: completed with other results than the clean run`).toEqual(base.results)
      outcome = "completed"
    } else {
      const defects = Chunk.toReadonlyArray(Cause.defects(exit.cause))
      expect(defects, `${where}: a defect\n${Cause.pretty(exit.cause)}`).toEqual([])
      const failures = Chunk.toReadonlyArray(Cause.failures(exit.cause)) as ReadonlyArray<{ readonly _tag?: unknown; readonly message?: unknown }>
      expect(failures.length, `${where}: failed without an error\n${Cause.pretty(exit.cause)}`).toBeGreaterThan(0)
      for (const f of failures) {
        expect(taggedErrors.has(String(f._tag)), `${where}: not a tagged error of the library: ${Cause.pretty(exit.cause)}`).toBe(true)
        expect(typeof f.message).toBe("string")
        expect((f.message as string).length, `${where}: an error message of ${(f.message as string).length} characters`).toBeLessThanOrEqual(maxMessageLength)
      }
      outcome = failures.map((f) => String(f._tag)).join("+")
    }

    // 2. Object.prototype untouched.
    checkPrototype()

    // 3. The transport retains nothing.
    expect(memory.stats(), where).toMatchObject({ sessions: 0, mailboxes: 0, frames: 0 })
    // Every frame that did not decode was rejected, recorded with a bounded reason.
    const rejects = sink.events().filter((e) => e._tag === "Reject")
    expect(rejects.length).toBe(memory.stats().rejected)
    for (const e of rejects) expect((e.reason ?? "").length).toBeLessThanOrEqual(maxMessageLength)

    tally.runs++
    tally.injected += injected
    tally.delivered += delivered
    tally.guarded += guarded
    tally.slowest = Math.max(tally.slowest, took)
    bump(tally.outcomes, outcome)
    bump(tally.transports, a.transport)
    bump(tally.configs, config.name)
  })

const report = (category: H.Category, t: Tally) => {
  const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort((x, y) => y[1] - x[1]))
  console.log(
    `hostile ${category}: ${t.runs} runs, ${t.injected} frames injected (${t.delivered} reached a mailbox, ${t.guarded} spoofs guarded), slowest session ${t.slowest} ms\n` +
      `  outcomes ${JSON.stringify(sorted(t.outcomes))}\n  kinds ${JSON.stringify(sorted(t.kinds))}\n  guarded ${JSON.stringify(sorted(t.guardedKinds))}`
  )
}

describe("hostile frames injected into running sessions", () => {
  for (const category of Object.keys(H.categories) as Array<H.Category>) {
    it(`${category}: a correct completion or a tagged error, Object.prototype untouched, nothing retained`, async () => {
      const tally = newTally()
      tallies.set(category, tally)
      await fc.assert(
        fc.asyncProperty(H.attack(category, 20, 100), (a) => Effect.runPromise(runAttack(category, tally)(a))),
        { numRuns: runsPerCategory * multiplier }
      )
      report(category, tally)
      expect(tally.injected).toBeGreaterThanOrEqual(minFramesPerCategory * multiplier)
      // Every kind of bad input of the category was tried, on every transport and protocol.
      for (const kind of H.expectedKinds[category]) expect(tally.kinds.get(kind) ?? 0, kind).toBeGreaterThan(0)
      for (const kind of H.transports) expect(tally.transports.get(kind) ?? 0, kind).toBeGreaterThan(0)
      for (const c of H.configs) expect(tally.configs.get(c.name) ?? 0, c.name).toBeGreaterThan(0)
      // Some frames reached the roles.
      expect(tally.delivered).toBeGreaterThan(0)
    }, 120_000 * multiplier)
  }

  it(`injected at least ${minFramesInAll} bad frames in all`, () => {
    const total = [...tallies.values()].reduce((n, t) => n + t.injected, 0)
    console.log(`hostile: ${[...tallies.values()].reduce((n, t) => n + t.runs, 0)} runs, ${total} bad frames in all`)
    expect(tallies.size).toBe(Object.keys(H.categories).length)
    expect(total).toBeGreaterThanOrEqual(minFramesInAll * multiplier)
  })
})
