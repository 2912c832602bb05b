/**
 * A server: a key-value store whose loop never ends (`forever`). A client puts or gets; the
 * primary replicates every put to the backup before it acknowledges it.
 *
 *   forever 'Serve': choice 'request' at Client
 *     put: Client -> Primary : Put { key, value }; Primary -> Backup : Replicate { key, value }
 *          Backup -> Primary : Ack; Primary -> Client : PutOk; recur
 *     get: Client -> Primary : Get key; Primary -> Client : Value; recur
 *
 * The session runs until it is stopped: `main` stops it after `rounds` requests (a `Deferred`
 * the client's handler completes) and checks that the backup holds every put the primary
 * acknowledged. The same roles run one per process over TCP (examples/tcp/roles.ts,
 * tests/tcp/Forever.test.ts), stopped there by a signal.
 */
import { Deferred, Effect, Exit, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"

export const KeyValue = Protocol.make("KeyValue", {
  roles: ["Client", "Primary", "Backup"],
  messages: {
    Put: Schema.Struct({ key: Schema.String, value: Schema.Number }),
    Replicate: Schema.Struct({ key: Schema.String, value: Schema.Number }),
    Ack: Schema.Null,
    PutOk: Schema.Null,
    Get: Schema.String,
    Value: Schema.NullOr(Schema.Number)
  }
}, (g) =>
  g.forever("Serve", (b) =>
    b.choice("Client", "request", {
      put: (c) => c.msg("Client", "Primary", "Put").msg("Primary", "Backup", "Replicate").msg("Backup", "Primary", "Ack").msg("Primary", "Client", "PutOk").recur("Serve"),
      get: (c) => c.msg("Client", "Primary", "Get").msg("Primary", "Client", "Value").recur("Serve")
    })))

/** What a role saw, for the caller to check after the stop (a forever role has no result). */
export interface Seen {
  /** Requests the client had answered. */
  rounds: number
  /** Answers to gets that were not the value put just before (none expected). */
  wrong: number
  /** What the backup holds. */
  readonly backup: Map<string, number>
  /** What the primary holds. */
  readonly primary: Map<string, number>
}

export const seen = (): Seen => ({ rounds: 0, wrong: 0, backup: new Map(), primary: new Map() })

const key = (i: number) => `k${i % 5}`

/**
 * The client: request `i` is a get of the key put at `i - 1` when `i % 3 === 2`, else a put of
 * `i`. `onRound` is told of each answer (a stop after so many rounds); `pauseMs` paces it.
 */
export const client = (s: Seen, onRound: (n: number) => void = () => {}, pauseMs = 0) =>
  Role.implement(KeyValue, "Client", {
    choose: { request: (i) => (i % 3 === 2 ? "get" : "put") },
    send: {
      Put: (i) => (pauseMs > 0 ? Effect.as(Effect.sleep(pauseMs), { key: key(i), value: i }) : { key: key(i), value: i }),
      Get: (i) => key(i - 1)
    },
    recv: {
      PutOk: (i) => (onRound(++s.rounds), i + 1),
      Value: (i, v) => {
        if (v !== i - 1) s.wrong++
        onRound(++s.rounds)
        return i + 1
      }
    }
  }, 0)

/** The primary: its state is the key of the request it serves. */
export const primary = (s: Seen) =>
  Role.implement(KeyValue, "Primary", {
    send: {
      Replicate: (k) => ({ key: k, value: s.primary.get(k)! }),
      PutOk: () => null,
      Value: (k) => s.primary.get(k) ?? null
    },
    recv: {
      Put: (_, kv) => (s.primary.set(kv.key, kv.value), kv.key),
      Get: (_, k) => k
    }
  }, "")

export const backup = (s: Seen) =>
  Role.implement(KeyValue, "Backup", {
    send: { Ack: () => null },
    recv: { Replicate: (n, kv) => (s.backup.set(kv.key, kv.value), n + 1) }
  }, 0)

/** Serves `rounds` requests, then stops the server: the run fails with `Stopped`, as a stopped server's does. */
export const main = (rounds: number) =>
  Effect.gen(function*() {
    const s = seen()
    const stop = yield* Deferred.make<void>()
    const exit = yield* Effect.exit(
      Session.run(KeyValue, {
        Client: client(s, (n) => void (n === rounds && Deferred.unsafeDone(stop, Exit.void))),
        Primary: primary(s),
        Backup: backup(s)
      }, { stop: Deferred.await(stop), sessionId: "kv-1" })
    )
    const outcome = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error._tag : "not stopped"
    // Every put the primary acknowledged is at the backup: only the last put may be on its way.
    const unreplicated = [...s.primary].filter(([k, v]) => s.backup.get(k) !== v).length
    return { outcome, rounds: s.rounds, wrong: s.wrong, unreplicated }
  })

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(main(300)).then((r) => {
    console.log(JSON.stringify(r))
    if (r.outcome !== "Stopped" || r.rounds < 300 || r.wrong !== 0 || r.unreplicated > 1) process.exitCode = 1
  })
}
