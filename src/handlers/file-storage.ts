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
 * @category models
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
 * @category constructors
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
 * @category layers
 */
export const layer = (options: FileStorageOptions): Layer.Layer<Storage, StorageError> => Layer.effect(Storage, make(options))
