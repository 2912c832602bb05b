/**
 * The `Storage` service: where durable roles keep their checkpoints (a role's cursor, its
 * user state and its per-peer sequence numbers after each step), so that a role that crashes
 * can continue from where it was. Values are strings (the checkpoint, encoded); keys come from
 * `checkpointKey`.
 *
 * Layers: `Storage.memory` (here; for tests and the simulator), a file layer and a Redis
 * layer in `quadrille/node`.
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, Layer, Option } from "effect"

/**
 * A storage could not read or write a key.
 *
 * @example
 * ```ts
 * import * as fs from "node:fs/promises"
 * import { Effect } from "effect"
 * import { Storage } from "quadrille"
 *
 * // A storage of your own reports what it could not read or write as a StorageError.
 * const write = (key: string, value: string): Effect.Effect<void, Storage.StorageError> =>
 *   Effect.tryPromise({
 *     try: () => fs.writeFile(`/var/lib/pingpong/${encodeURIComponent(key)}`, value),
 *     catch: (e) => new Storage.StorageError({ key, message: `could not write ${key}: ${String(e)}` })
 *   })
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class StorageError extends Data.TaggedError("StorageError")<{
  readonly key: string
  readonly message: string
}> {}

/**
 * @example
 * ```ts
 * import { Effect, Layer, Option } from "effect"
 * import { Storage } from "quadrille"
 *
 * // A storage of your own, on a Map here (a database's client in real use).
 * const values = new Map<string, string>()
 * const service: Storage.StorageService = {
 *   get: (key) => Effect.sync(() => Option.fromNullable(values.get(key))),
 *   set: (key, value) => Effect.sync(() => void values.set(key, value)),
 *   remove: (key) => Effect.sync(() => void values.delete(key))
 * }
 * const layer = Layer.succeed(Storage.Storage, service)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface StorageService {
  /** The value kept under `key`, if any. */
  readonly get: (key: string) => Effect.Effect<Option.Option<string>, StorageError>
  /** Keeps `value` under `key`, whole: a reader sees the old value or the new one, never a part. */
  readonly set: (key: string, value: string) => Effect.Effect<void, StorageError>
  /** Forgets `key` (nothing when there is none). */
  readonly remove: (key: string) => Effect.Effect<void, StorageError>
}

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Storage } from "quadrille"
 *
 * // What a durable role has kept of session s1, read back.
 * const checkpoint = Effect.flatMap(Storage.Storage, (storage) => storage.get(Storage.checkpointKey("PingPong", "s1", "Server")))
 * const program = checkpoint.pipe(Effect.provide(Storage.memory))
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export class Storage extends Context.Tag("quadrille/Storage")<Storage, StorageService>() {}

/**
 * The key of a role's checkpoint: `quadrille:<protocol>:{<session>}:<role>`. The session is
 * in braces, a Redis Cluster hash tag, so that all keys of one session share a slot. Names are
 * used as they are; a name with `}` or `:` in it still gives a key of its own, as the parts are
 * length-prefixed when any of them holds one of those characters.
 *
 * @example
 * ```ts
 * import { Storage } from "quadrille"
 *
 * Storage.checkpointKey("PingPong", "order-17", "Server") // "quadrille:PingPong:{order-17}:Server"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const checkpointKey = (protocol: string, session: string, role: string): string => {
  const plain = [protocol, session, role].every((s) => !/[:{}]/.test(s))
  return plain
    ? `quadrille:${protocol}:{${session}}:${role}`
    : `quadrille:${protocol.length}.${protocol}:{${session.length}.${session}}:${role.length}.${role}`
}

/**
 * A fresh in-memory storage (it lives as long as the value): for tests and the simulator.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role, Storage } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * // Durable roles: their state has a Schema.
 * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0, { state: Schema.Number })
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0, { state: Schema.Number })
 *
 * const storage = Storage.unsafeMakeMemory()
 * const session = Effect.all([
 *   Role.resume(PingPong, "Client", client, { sessionId: "s1" }),
 *   Role.resume(PingPong, "Server", server, { sessionId: "s1" })
 * ], { concurrency: "unbounded" }).pipe(Effect.provide(Memory.layer), Effect.provideService(Storage.Storage, storage))
 * Effect.runPromise(session).then(() => console.log(storage.keys()))
 * // [ 'quadrille:PingPong:{s1}:Client', 'quadrille:PingPong:{s1}:Server' ]
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const unsafeMakeMemory = (): StorageService & { readonly keys: () => ReadonlyArray<string> } => {
  const values = new Map<string, string>()
  return {
    get: (key) => Effect.sync(() => Option.fromNullable(values.get(key))),
    set: (key, value) => Effect.sync(() => void values.set(key, value)),
    remove: (key) => Effect.sync(() => void values.delete(key)),
    keys: () => [...values.keys()]
  }
}

/**
 * The in-memory storage as a layer (a fresh one each time the layer is built).
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Memory, Protocol, Role, Storage } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * // Durable roles: their state has a Schema.
 * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0, { state: Schema.Number })
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0, { state: Schema.Number })
 *
 * const session = Effect.all([
 *   Role.resume(PingPong, "Client", client, { sessionId: "s1" }),
 *   Role.resume(PingPong, "Server", server, { sessionId: "s1" })
 * ], { concurrency: "unbounded" }).pipe(Effect.provide(Layer.merge(Memory.layer, Storage.memory)))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const memory: Layer.Layer<Storage> = Layer.sync(Storage, unsafeMakeMemory)
