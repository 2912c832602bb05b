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
 * @category errors
 */
export class StorageError extends Data.TaggedError("StorageError")<{
  readonly key: string
  readonly message: string
}> {}

/**
 * @category models
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
 * @category services
 */
export class Storage extends Context.Tag("quadrille/Storage")<Storage, StorageService>() {}

/**
 * The key of a role's checkpoint: `quadrille:<protocol>:{<session>}:<role>`. The session is
 * in braces, a Redis Cluster hash tag, so that all keys of one session share a slot. Names are
 * used as they are; a name with `}` or `:` in it still gives a key of its own, as the parts are
 * length-prefixed when any of them holds one of those characters.
 *
 * @category constructors
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
 * @category constructors
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
 * @category layers
 */
export const memory: Layer.Layer<Storage> = Layer.sync(Storage, unsafeMakeMemory)
