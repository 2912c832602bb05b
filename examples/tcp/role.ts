/**
 * One role of a session, in a process of its own, over the TCP transport: what
 * `npm run demo:tcp` starts once per role (see cluster.ts).
 *
 *   node --import tsx examples/tcp/role.ts '<config as JSON>'
 *
 * The config (`RoleConfig`) names the example, the role, the session, every role's port on
 * 127.0.0.1 and the deployment secret. The process prints one line of JSON, its outcome
 * (`RoleOutcome`), and exits 0 when the role succeeded, 1 when it failed.
 *
 * A server (a protocol with a `forever` loop) runs until it is stopped: with `stopOn`, that
 * signal completes the role's `stop` (it fails with `Stopped`, its peers are told); with
 * `interruptOn`, that signal interrupts the role's fiber. Meanwhile an example with
 * `progress` prints a line `progress <JSON>` every 100 ms.
 */
import { Cause, Deferred, Duration, Effect, Exit, Fiber, Schedule } from "effect"
import type { TraceEvent } from "../../src/effects/TraceSink.js"
import { Role, TraceSink, Transport } from "../../src/index.js"
import { Tcp } from "../../src/node/index.js"
import { type ExampleName, examples } from "./roles.js"

export interface RoleConfig {
  readonly example: ExampleName
  readonly role: string
  readonly sessionId: string
  /** Where each role listens, on 127.0.0.1. */
  readonly ports: Readonly<Record<string, number>>
  /** Where this role dials each peer, when not at its own port (a proxy in between, say). */
  readonly dial?: Readonly<Record<string, number>>
  readonly secret: string
  readonly heartbeatMs?: number
  readonly unavailableAfterMs?: number
  readonly receiveTimeoutMs?: number
  /** The signal that stops the role (its `stop` option): it fails with `Stopped`. */
  readonly stopOn?: NodeJS.Signals
  /** The signal that interrupts the role's fiber. */
  readonly interruptOn?: NodeJS.Signals
  /** Record the role's trace and print it with the outcome. */
  readonly trace?: boolean
}

/** How the role ended, when it failed: its error's tag ("interrupted", "defect" else), message and, for `PeerFailed`, the peer's reason. */
export interface RoleFailure {
  readonly tag: string
  readonly message: string
  readonly reason?: string
}

interface Extras {
  readonly stats?: Tcp.TcpStats
  readonly trace?: ReadonlyArray<TraceEvent>
  readonly progress?: unknown
}

export type RoleOutcome =
  | { readonly role: string; readonly ok: true; readonly result: unknown; readonly stats: Tcp.TcpStats; readonly trace?: ReadonlyArray<TraceEvent>; readonly progress?: unknown }
  | ({ readonly role: string; readonly ok: false; readonly error: RoleFailure } & Extras)

const config = JSON.parse(process.argv[2] ?? "{}") as RoleConfig
const example = examples[config.example]
const implementation = example.roles[config.role as keyof typeof example.roles] as Role.Implementation<any, any, unknown, unknown, never>
const progress = "progress" in example ? example.progress : undefined
const recorder = config.trace === true ? TraceSink.unsafeMakeRecorder() : undefined

/** Completes when `signal` comes (and never, without one). */
const signalled = (signal: NodeJS.Signals | undefined): Effect.Effect<void> =>
  signal === undefined ? Effect.never : Effect.async<void>((resume) => {
    const on = () => resume(Effect.void)
    process.once(signal, on)
    return Effect.sync(() => void process.off(signal, on))
  })

const program = Effect.scoped(Effect.gen(function*() {
  const transport = yield* Tcp.make({
    self: config.role,
    listen: { host: "127.0.0.1", port: config.ports[config.role] },
    peers: Object.fromEntries(
      example.protocol.roles.filter((r) => r !== config.role).map((r) => [r, `127.0.0.1:${config.dial?.[r] ?? config.ports[r]}`])
    ),
    auth: { secret: config.secret },
    heartbeat: config.heartbeatMs === undefined ? undefined : Duration.millis(config.heartbeatMs),
    unavailableAfter: config.unavailableAfterMs === undefined ? undefined : Duration.millis(config.unavailableAfterMs)
  })
  const stop = yield* Deferred.make<void>()
  if (config.stopOn !== undefined) yield* Effect.forkScoped(Effect.zipRight(signalled(config.stopOn), Deferred.succeed(stop, undefined)))
  const run = Role.run(example.protocol, config.role, implementation, {
    sessionId: config.sessionId,
    receiveTimeout: config.receiveTimeoutMs === undefined ? undefined : Duration.millis(config.receiveTimeoutMs),
    stop: config.stopOn === undefined ? undefined : Deferred.await(stop)
  }).pipe(Effect.provideService(Transport, transport))
  const role = yield* Effect.fork(recorder === undefined ? run : Effect.provideService(run, TraceSink.TraceSink, recorder))
  if (config.interruptOn !== undefined) yield* Effect.forkScoped(Effect.zipRight(signalled(config.interruptOn), Fiber.interrupt(role)))
  if (progress !== undefined) {
    yield* Effect.forkScoped(Effect.repeat(Effect.sync(() => process.stdout.write(`progress ${JSON.stringify(progress())}\n`)), { schedule: Schedule.spaced("100 millis") }))
  }
  const exit = yield* Fiber.await(role)
  return { exit, stats: transport.stats() }
}))

const extras = (): { trace?: ReadonlyArray<TraceEvent>; progress?: unknown } => ({
  ...(recorder === undefined ? {} : { trace: recorder.events() }),
  ...(progress === undefined ? {} : { progress: progress() })
})

Effect.runPromise(program).then(({ exit, stats }) => {
  let outcome: RoleOutcome
  if (Exit.isSuccess(exit)) {
    outcome = { role: config.role, ok: true, result: exit.value, stats, ...extras() }
  } else {
    const failure = Cause.failureOption(exit.cause)
    const e = failure._tag === "Some" ? failure.value as { readonly _tag?: string; readonly message?: string; readonly reason?: string } : undefined
    const tag = e?._tag ?? (Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "defect")
    const error: RoleFailure = { tag, message: e?.message ?? Cause.pretty(exit.cause), ...(typeof e?.reason === "string" ? { reason: e.reason } : {}) }
    outcome = { role: config.role, ok: false, error, stats, ...extras() }
  }
  process.stdout.write(`${JSON.stringify(outcome)}\n`)
  process.exitCode = outcome.ok ? 0 : 1
}, (error) => {
  process.stdout.write(`${JSON.stringify({ role: config.role, ok: false, error: { tag: "TcpError", message: String(error?.message ?? error) } })}\n`)
  process.exitCode = 1
})
