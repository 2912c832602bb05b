/**
 * The `Storage` layers: memory and files. Keys of checkpoints are distinct for distinct
 * (protocol, session, role); the file storage keeps any key, survives a new storage on the
 * same directory, and a process killed (-9) in the middle of its writes leaves the last value
 * whole (never a part of one), its temporary files removed when a storage is next made there.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Option } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { Storage } from "../src/index.js"
import { FileStorage } from "../src/node/index.js"
import { laws } from "./fixtures/storage-laws.js"

const dirs: Array<string> = []
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "quadrille-storage-"))
  dirs.push(d)
  return d
}

describe("checkpoint keys", () => {
  it("carry the session as a hash tag, and differ for every different (protocol, session, role)", () => {
    expect(Storage.checkpointKey("TwoPhaseCommit", "s-1", "Coordinator")).toBe("quadrille:TwoPhaseCommit:{s-1}:Coordinator")
    const names = ["a", "b", "a:b", "a}b", "{a", ":", "", "}:{"]
    const keys = new Set<string>()
    for (const p of names) for (const s of names) for (const r of names) keys.add(Storage.checkpointKey(p, s, r))
    expect(keys.size).toBe(names.length ** 3)
  })
})

describe("Storage layers", () => {
  it("memory: get, set, overwrite, remove, for any key", () => Effect.runPromise(laws(Effect.sync(Storage.unsafeMakeMemory))))

  it("files: the same, and a new storage on the directory sees what the last one kept", async () => {
    const directory = tempDir()
    await Effect.runPromise(laws(FileStorage.make({ directory })))
    await Effect.runPromise(Effect.gen(function*() {
      const one = yield* FileStorage.make({ directory })
      yield* one.set("k", "kept")
      const two = yield* FileStorage.make({ directory })
      expect(yield* two.get("k")).toEqual(Option.some("kept"))
    }))
  })

  it("files: a file that holds another key, or garbage, is a StorageError, not a value", async () => {
    const directory = tempDir()
    const r = await Effect.runPromise(Effect.gen(function*() {
      const s = yield* FileStorage.make({ directory })
      yield* s.set("k", "v")
      const [file] = fs.readdirSync(directory)
      fs.writeFileSync(path.join(directory, file), "{not json")
      return yield* Effect.flip(s.get("k"))
    }))
    expect(r).toMatchObject({ _tag: "StorageError", key: "k" })
  })

  it("files: a process killed -9 in the middle of its writes leaves the last value whole, 5 times", async () => {
    for (let trial = 0; trial < 5; trial++) {
      const directory = tempDir()
      const child = spawn(process.execPath, ["--import", "tsx", "tests/fixtures/file-storage-writer.ts", directory, "the key"], { stdio: ["ignore", "pipe", "inherit"] })
      let done = -1
      child.stdout.on("data", (d: Buffer) => {
        const lines = d.toString().trim().split("\n")
        done = Number(lines[lines.length - 1])
      })
      // Kill it after a few writes, at a moment that varies from trial to trial.
      const deadline = Date.now() + 20_000
      while (done < 3 + trial * 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      await new Promise((r) => setTimeout(r, trial * 3))
      child.kill("SIGKILL")
      await new Promise((r) => child.on("close", r))
      expect(done).toBeGreaterThanOrEqual(3)
      const value = await Effect.runPromise(Effect.flatMap(FileStorage.make({ directory }), (s) => s.get("the key")))
      expect(Option.isSome(value)).toBe(true)
      const n = (JSON.parse(Option.getOrThrow(value)) as { readonly n: number; readonly filler: string }).n
      // The last write it reported done, or the one after (done, not yet reported).
      expect(n === done || n === done + 1).toBe(true)
      // Making the storage removed the dead process's temporary file, if it left one.
      expect(fs.readdirSync(directory).filter((f) => f.endsWith(".tmp"))).toEqual([])
    }
  }, 60_000)
})
