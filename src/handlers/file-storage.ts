/**
 * `Storage` in files (Node only; `quadrille/node`): one file per key in a directory, written
 * atomically: the value goes to a temporary file in the same directory, is flushed to disk
 * (`fsync`), and is renamed over the key's file, then the directory is flushed too. A crash
 * at any instant leaves the old value or the new one, whole; a temporary file a crash left
 * behind is ignored, and removed when a storage is next made on the directory (if the process
 * that wrote it is gone).
 *
 * A key's file is named by the SHA-256 of the key (keys carry session ids and role names that
 * may hold any character); the file keeps the key too, and a read checks it.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { Effect, Layer, Option } from "effect"
import { Storage, StorageError, type StorageService } from "../effects/Storage.js"
import { clip } from "../internal/bounded.js"

/**
 * Options of the file storage.
 *
 * @example
 * ```ts
 * import { FileStorage } from "quadrille/node"
 *
 * const options: FileStorage.FileStorageOptions = { directory: "/var/lib/pingpong/checkpoints" }
 * const storage = FileStorage.layer(options)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface FileStorageOptions {
  /** The directory of the files (made if missing). */
  readonly directory: string
}

const fileOf = (directory: string, key: string) => path.join(directory, `${crypto.createHash("sha256").update(key).digest("hex")}.json`)

const failure = (key: string, what: string) => (e: unknown) =>
  new StorageError({ key: clip(key, 200), message: `could not ${what} ${clip(key, 200)}: ${clip(e instanceof Error ? e.message : String(e), 300)}` })

/** Whether a process `pid` runs (on this machine). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return typeof e === "object" && e !== null && (e as { readonly code?: unknown }).code === "EPERM"
  }
}

const isMissing = (e: unknown) => typeof e === "object" && e !== null && (e as { readonly code?: unknown }).code === "ENOENT"

/**
 * A file storage in `options.directory`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Storage } from "quadrille"
 * import { FileStorage } from "quadrille/node"
 *
 * // The Server's checkpoint of session s1, as its process left it.
 * const program = Effect.gen(function*() {
 *   const storage = yield* FileStorage.make({ directory: "/var/lib/pingpong/checkpoints" })
 *   return yield* storage.get(Storage.checkpointKey("PingPong", "s1", "Server"))
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: FileStorageOptions): Effect.Effect<StorageService, StorageError> =>
  Effect.gen(function*() {
    const directory = path.resolve(options.directory)
    yield* Effect.tryPromise({ try: () => fs.mkdir(directory, { recursive: true }), catch: failure(directory, "make the directory") })
    // Temporary files of processes that are gone (a crash mid-write) go.
    const entries = yield* Effect.tryPromise({ try: () => fs.readdir(directory), catch: failure(directory, "read the directory") })
    for (const name of entries) {
      const m = /\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name)
      if (m === null || alive(Number(m[1]))) continue
      yield* Effect.promise(() => fs.rm(path.join(directory, name), { force: true }))
    }
    /** Flushes the directory, so that a rename in it survives a crash of the machine. */
    const syncDirectory = async () => {
      const handle = await fs.open(directory, "r")
      try {
        await handle.sync()
      } finally {
        await handle.close()
      }
    }
    const service: StorageService = {
      get: (key) =>
        Effect.tryPromise({
          try: async () => {
            try {
              const text = await fs.readFile(fileOf(directory, key), "utf8")
              const stored = JSON.parse(text) as { readonly key?: unknown; readonly value?: unknown }
              if (stored.key !== key || typeof stored.value !== "string") throw new Error("the file holds another key, or no value")
              return Option.some(stored.value)
            } catch (e) {
              if (isMissing(e)) return Option.none()
              throw e
            }
          },
          catch: failure(key, "read")
        }),
      set: (key, value) =>
        Effect.tryPromise({
          try: async () => {
            const file = fileOf(directory, key)
            const temporary = `${file}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`
            const handle = await fs.open(temporary, "w")
            try {
              await handle.writeFile(JSON.stringify({ key, value }), "utf8")
              await handle.sync()
            } finally {
              await handle.close()
            }
            try {
              await fs.rename(temporary, file)
            } catch (e) {
              await fs.rm(temporary, { force: true })
              throw e
            }
            await syncDirectory()
          },
          catch: failure(key, "write")
        }),
      remove: (key) =>
        Effect.tryPromise({
          try: async () => {
            await fs.rm(fileOf(directory, key), { force: true })
            await syncDirectory()
          },
          catch: failure(key, "remove")
        })
    }
    return service
  })

/**
 * The file storage as a layer.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { FileStorage, Tcp } from "quadrille/node"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0, {
 *   state: Schema.Number
 * })
 *
 * // The Server in its own process, over TCP, its checkpoints in files: run again after a crash, it goes on.
 * const program = Role.resume(PingPong, "Server", server, { sessionId: "s1" }).pipe(
 *   Effect.provide(Layer.merge(
 *     Tcp.layer({ self: "Server", listen: { port: 4101 }, peers: { Client: "127.0.0.1:4100" }, auth: { secret: process.env.PINGPONG_SECRET! } }),
 *     FileStorage.layer({ directory: "/var/lib/pingpong/checkpoints" })
 *   ))
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: FileStorageOptions): Layer.Layer<Storage, StorageError> => Layer.effect(Storage, make(options))
