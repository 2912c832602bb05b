/**
 * One role of a session, in a process of its own, over the TCP transport: what
 * `npm run demo:tcp` starts once per role (see cluster.ts).
 *
 *   node --import tsx examples/tcp/role.ts '<config as JSON>'
 *
 * The config (`RoleConfig`) names the example, the role, the session, every role's port on
 * 127.0.0.1 and the deployment secret. The process prints one line of JSON, its outcome
 * (`RoleOutcome`), and exits 0 when the role succeeded, 1 when it failed.
 */
import { Cause, Duration, Effect, Exit } from "effect"
import { Role, Transport } from "../../src/index.js"
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
}

export type RoleOutcome =
  | { readonly role: string; readonly ok: true; readonly result: unknown; readonly stats: Tcp.TcpStats }
  | { readonly role: string; readonly ok: false; readonly error: { readonly tag: string; readonly message: string }; readonly stats?: Tcp.TcpStats }

const config = JSON.parse(process.argv[2] ?? "{}") as RoleConfig
const example = examples[config.example]
const implementation = example.roles[config.role as keyof typeof example.roles] as Role.Implementation<any, any, unknown, unknown, never>

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
  const exit = yield* Effect.exit(Role.run(example.protocol, config.role, implementation, {
    sessionId: config.sessionId,
    receiveTimeout: config.receiveTimeoutMs === undefined ? undefined : Duration.millis(config.receiveTimeoutMs)
  }).pipe(Effect.provideService(Transport, transport)))
  return { exit, stats: transport.stats() }
}))

Effect.runPromise(program).then(({ exit, stats }) => {
  let outcome: RoleOutcome
  if (Exit.isSuccess(exit)) {
    outcome = { role: config.role, ok: true, result: exit.value, stats }
  } else {
    const failure = Cause.failureOption(exit.cause)
    const e = failure._tag === "Some" ? failure.value as { readonly _tag?: string; readonly message?: string } : undefined
    outcome = { role: config.role, ok: false, error: { tag: e?._tag ?? "defect", message: e?.message ?? Cause.pretty(exit.cause) }, stats }
  }
  process.stdout.write(`${JSON.stringify(outcome)}\n`)
  process.exitCode = outcome.ok ? 0 : 1
}, (error) => {
  process.stdout.write(`${JSON.stringify({ role: config.role, ok: false, error: { tag: "TcpError", message: String(error?.message ?? error) } })}\n`)
  process.exitCode = 1
})
