/**
 * Durable Redis ping-pong benchmark: two roles in two OS processes exchanging messages through
 * Redis Streams, each received message checkpointed and acknowledged in one `MULTI`, against a
 * redis-server of its own (AOF on, `appendfsync always` unless FSYNC=everysec).
 *
 * The parent process (this file) starts `redis-server` (tests/fixtures/redis-server.ts: a free
 * loopback port, a temporary directory, AOF; automatic AOF rewrites switched off here so that
 * no rewrite lands in a run) and runs role A; it forks a child (this file, `--child <url>`) that
 * runs role B. Both are stopped by PID at the end, and also when the parent fails or is
 * interrupted.
 *
 * Each role reads its own stream, `bench:{<session>}:A` or `bench:{<session>}:B` (the session
 * as a Redis Cluster hash tag, as `Storage.checkpointKey` does), through a consumer group,
 * with `XREADGROUP … BLOCK` on a connection of its own; its other commands go through a second
 * connection. A message is the JSON of an object with the fields of a Quadrille envelope
 * (`{ session, from, to, label, site, loops, seq, payload: { n } }`) in the entry's field `m`.
 * A fresh session (fresh keys) per run; the keys are deleted after each run's checks.
 *
 * Cases, run alternately after a warm-up (the order reversed every other run), ROUNDS round
 * trips per run, then A's Stop:
 *
 *   raw           the baseline, ioredis directly. A sends Ping 0 (`MULTI { SET checkpoint,
 *                 XADD }`); then for every message received, by either role: `XREADGROUP
 *                 BLOCK` on its stream, then ONE `MULTI { SET its checkpoint (JSON, ~100 bytes,
 *                 with the seq), XACK the entry, XADD the reply to the other's stream }` (B's
 *                 reply to a Ping is a Pong; A's to a Pong is the next Ping, or the Stop after
 *                 the last, to which B answers nothing: its MULTI is SET + XACK).
 *   raw-nomulti   reference: the same exchange with no checkpoint and no ack: `XREADGROUP
 *                 BLOCK`, then a plain `XADD` of the reply. Note that it is not free of disk
 *                 writes: XADD and XREADGROUP (which updates the group's pending list) are
 *                 written to the AOF too, so with `appendfsync always` it pays fsyncs as well;
 *                 the difference between the two is the cost of the checkpoint and the ack.
 *   quadrille     (QUADRILLE=1, which `npm run bench:redis` sets) `Role.resume` of PingPong's
 *                 A (parent) and B (child) over `Redis.layer({ url })`: each role commits
 *                 one MULTI per message it sends (checkpoint, XACK of the message that led
 *                 to it, XADD), the same work as raw.
 *
 * Every run is checked on both sides: each role checks every message's label, seq and payload
 * as it arrives, B reports its count and last seq, and after the run the parent checks both
 * streams' lengths, their pending entries (none for raw) and both checkpoints.
 *
 * Besides the medians (round trips/s, ms per round trip), each case shows the CPU time
 * (user + system) per round trip of the parent, the child (`process.cpuUsage()`) and
 * redis-server (`INFO cpu`), and the AOF bytes written per round trip (`INFO persistence`),
 * each the median over the runs.
 *
 * CPU pinning (PIN): `same` (the default where `taskset` exists) puts the parent, the child and
 * redis-server on CPU 0 (no cross-CPU wake-ups); `split` puts the two roles on CPU 0 and
 * redis-server on CPU 1; `none` leaves them to the scheduler.
 *
 * Usage: `npm run bench:redis` (= `QUADRILLE=1 tsx bench/redis.ts`); about 20–50 s with the defaults (appendfsync always: as
 * slow as the disk's fsyncs, about two per round trip), 5 s with FSYNC=everysec.
 * Env: ROUNDS (2000), RUNS (5), WARMUP (1), FSYNC (always|everysec), PIN (same|split|none),
 *      ONLY=<case,case>, QUADRILLE=1 (add the quadrille case), BLOCK_MS (5000: a read that
 *      waits longer fails the run), TMPDIR (where the server's directory is made: the disk
 *      that the fsyncs hit).
 */
import { type ChildProcess, fork, spawnSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { ManagedRuntime } from "effect"
import { Redis as IORedis } from "ioredis"
import { Role, type Storage, type Transport } from "../src/index.js"
import { PingPong, playerA, playerB } from "./ping-pong-protocol.js"
import { Redis } from "../src/node/index.js"
import { type RedisServer, startRedis } from "../tests/fixtures/redis-server.js"

const ROUNDS = Number(process.env.ROUNDS ?? 2000)
const RUNS = Number(process.env.RUNS ?? 5)
const WARMUP = Number(process.env.WARMUP ?? 1)
const FSYNC = (process.env.FSYNC ?? "always") as "always" | "everysec"
const BLOCK_MS = Number(process.env.BLOCK_MS ?? 5000)
const QUADRILLE = process.env.QUADRILLE === "1"
const GROUP = "g"

if (FSYNC !== "always" && FSYNC !== "everysec") throw new Error(`FSYNC=${FSYNC}: always or everysec`)

type Kind = "raw" | "raw-nomulti" | "quadrille"
type RoleName = "A" | "B"

// ---------------------------------------------------------------------------------------
// Messages, keys, checkpoints

/** The message of the raw cases: the fields (and about the size) of a Quadrille envelope. */
interface Envelope {
  readonly session: string
  readonly from: RoleName
  readonly to: RoleName
  readonly label: "Ping" | "Pong" | "Stop"
  readonly site: string
  readonly loops: Readonly<Record<string, number>>
  readonly seq: number
  readonly payload: { readonly n: number }
}

const ping = (session: string, i: number): Envelope => ({ session, from: "A", to: "B", label: "Ping", site: "1.1", loops: { rounds: i }, seq: 2 * i, payload: { n: i } })
const pong = (session: string, i: number): Envelope => ({ session, from: "B", to: "A", label: "Pong", site: "1.2", loops: { rounds: i }, seq: 2 * i + 1, payload: { n: i } })
const stop = (session: string, n: number): Envelope => ({ session, from: "A", to: "B", label: "Stop", site: "1.3.stop.1", loops: { rounds: n }, seq: 2 * n, payload: { n } })

/** A role's stream (the one it reads), and its checkpoint's key; one hash tag per session. */
const streamOf = (session: string, role: RoleName) => `bench:{${session}}:${role}`
const checkpointOf = (session: string, role: RoleName) => `bench:{${session}}:checkpoint:${role}`

/** A checkpoint: a JSON string of about 100 bytes, with the seq of the last message received. */
const checkpoint = (session: string, role: RoleName, seq: number, state: number) =>
  JSON.stringify({ session, role, site: role === "A" ? "1.3" : "1.2", loops: { rounds: state }, seq, state })

/** Fails loudly: a run whose messages went wrong cannot pass for a fast one. */
const mismatch = (who: string, what: string): never => {
  throw new Error(`${who}: ${what}`)
}

/** The two connections of a role: one for the blocking reads, one for everything else. */
interface Connections {
  readonly block: IORedis
  readonly cmd: IORedis
}

const connect = async (url: string): Promise<Connections> => {
  const options = { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: true }
  const block = new IORedis(url, { ...options, connectionName: "bench-block" })
  const cmd = new IORedis(url, { ...options, connectionName: "bench-cmd" })
  await Promise.all([block.connect(), cmd.connect()])
  return { block, cmd }
}

/** One `XREADGROUP GROUP g <role> COUNT 1 BLOCK … STREAMS <own stream> >`: the entry's id and message. */
const receive = async (c: Connections, session: string, role: RoleName): Promise<{ readonly id: string; readonly m: Envelope }> => {
  const stream = streamOf(session, role)
  const r = (await c.block.xreadgroup("GROUP", GROUP, role, "COUNT", 1, "BLOCK", BLOCK_MS, "STREAMS", stream, ">")) as
    | Array<[string, Array<[string, Array<string>]>]>
    | null
  if (r === null) return mismatch(role, `nothing on ${stream} within ${BLOCK_MS} ms`)
  const entries = r[0][1]
  if (entries.length !== 1) mismatch(role, `${entries.length} entries read, not 1`)
  const [id, fields] = entries[0]
  if (fields.length !== 2 || fields[0] !== "m") mismatch(role, `entry ${id} has fields ${JSON.stringify(fields)}`)
  return { id, m: JSON.parse(fields[1]) as Envelope }
}

/**
 * The durable step after a message: ONE `MULTI { SET checkpoint, XACK entry, XADD reply }`
 * (no XACK for A's first Ping, no XADD for B's answer to the Stop). Checks every reply in it.
 */
const durable = async (c: Connections, session: string, role: RoleName, seq: number, state: number, ack: string | undefined, reply: Envelope | undefined) => {
  const other: RoleName = role === "A" ? "B" : "A"
  const multi = c.cmd.multi().set(checkpointOf(session, role), checkpoint(session, role, seq, state))
  if (ack !== undefined) multi.xack(streamOf(session, role), GROUP, ack)
  if (reply !== undefined) multi.xadd(streamOf(session, other), "*", "m", JSON.stringify(reply))
  const results = await multi.exec()
  if (results === null) return mismatch(role, "MULTI aborted")
  for (const [e] of results) if (e !== null) mismatch(role, `MULTI: ${e.message}`)
  if (results[0][1] !== "OK") mismatch(role, `SET answered ${String(results[0][1])}`)
  if (ack !== undefined && results[1][1] !== 1) mismatch(role, `XACK of ${ack} answered ${String(results[1][1])}, not 1`)
}

/** The non-durable step: a plain XADD of the reply. */
const plain = async (c: Connections, session: string, role: RoleName, reply: Envelope) => {
  const id = await c.cmd.xadd(streamOf(session, role === "A" ? "B" : "A"), "*", "m", JSON.stringify(reply))
  if (id === null) mismatch(role, "XADD answered nothing")
}

// ---------------------------------------------------------------------------------------
// The raw roles

/** Role A: sends Ping 0, then answers Pong i with Ping i+1 (the Stop after the last); returns its count. */
const rawA = async (c: Connections, session: string, rounds: number, durably: boolean): Promise<number> => {
  if (durably) await durable(c, session, "A", -1, 0, undefined, ping(session, 0))
  else await plain(c, session, "A", ping(session, 0))
  let count = 0
  for (let i = 0; i < rounds; i++) {
    const { id, m } = await receive(c, session, "A")
    if (m.label !== "Pong" || m.session !== session || m.from !== "B" || m.seq !== 2 * i + 1 || m.payload.n !== i) {
      mismatch("A", `expected Pong ${i} (seq ${2 * i + 1}), got ${JSON.stringify(m)}`)
    }
    count++
    const next = i + 1 < rounds ? ping(session, i + 1) : stop(session, rounds)
    if (durably) await durable(c, session, "A", m.seq, count, id, next)
    else await plain(c, session, "A", next)
  }
  return count
}

/** Role B: answers Ping i with Pong i until the Stop, which must carry its count; returns its count and last seq. */
const rawB = async (c: Connections, session: string, durably: boolean): Promise<{ readonly count: number; readonly lastSeq: number }> => {
  let count = 0
  for (;;) {
    const { id, m } = await receive(c, session, "B")
    if (m.session !== session || m.from !== "A" || m.seq !== 2 * count || m.payload.n !== count) {
      mismatch("B", `expected Ping or Stop ${count} (seq ${2 * count}), got ${JSON.stringify(m)}`)
    }
    if (m.label === "Ping") {
      const reply = pong(session, count)
      count++
      if (durably) await durable(c, session, "B", m.seq, count, id, reply)
      else await plain(c, session, "B", reply)
    } else if (m.label === "Stop") {
      if (durably) await durable(c, session, "B", m.seq, count, id, undefined)
      return { count, lastSeq: m.seq }
    } else {
      mismatch("B", `unexpected ${JSON.stringify(m)}`)
    }
  }
}

// ---------------------------------------------------------------------------------------
// >>> QUADRILLE CASE
//
// The PingPong protocol of bench/ping-pong-protocol.ts
//
//   loop rounds { A -> B : Ping; B -> A : Pong; choice 'again' at A { more: recur, stop: A -> B : Stop } }
//
// each role run by `Role.resume` (each unit of steps checkpointed, acknowledged and sent in
// one MULTI) over `Redis.layer({ url })`, A in the parent and B in the child, a fresh session
// id per run. The layer is built once per process (a `ManagedRuntime`), like the connections
// of the raw cases. Quadrille names its own keys, so the raw cases' post-run checks of Redis
// do not apply; both roles' results are checked instead.
// ---------------------------------------------------------------------------------------

const runtimes = new Map<string, ManagedRuntime.ManagedRuntime<Transport | Storage.Storage | Redis.RedisClient, never>>()
const runtimeFor = (url: string) => {
  let rt = runtimes.get(url)
  if (rt === undefined) runtimes.set(url, (rt = ManagedRuntime.make(Redis.layer({ url }))))
  return rt
}

/** Role A of the quadrille case, in the parent: resolves to A's final state (`rounds` expected). */
const quadrilleA = (url: string, session: string, rounds: number): Promise<number> =>
  runtimeFor(url).runPromise(Role.resume(PingPong, "A", playerA(rounds), { sessionId: session }))

/** Role B of the quadrille case, in the child: resolves to B's final state (`rounds` expected). */
const quadrilleB = (url: string, session: string, _rounds: number): Promise<number> =>
  runtimeFor(url).runPromise(Role.resume(PingPong, "B", playerB, { sessionId: session }))

// <<< QUADRILLE CASE
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// Child: role B

type ToChild =
  | { readonly t: "run"; readonly id: number; readonly kind: Kind; readonly session: string; readonly n: number }
  | { readonly t: "cpu"; readonly id: number }
  | { readonly t: "exit" }
type ToParent =
  | { readonly t: "ready" }
  | { readonly t: "started"; readonly id: number }
  | { readonly t: "done"; readonly id: number; readonly count: number; readonly lastSeq: number }
  | { readonly t: "failed"; readonly id: number; readonly error: string }
  | { readonly t: "cpu"; readonly id: number; readonly micros: number }

const child = async () => {
  const url = process.argv[process.argv.indexOf("--child") + 1]
  const send = (m: ToParent) => process.send!(m)
  // Gone with the parent, whatever happens to it.
  process.on("disconnect", () => process.exit(0))
  const c = await connect(url)
  process.on("message", (m: ToChild) => {
    if (m.t === "exit") {
      c.block.disconnect()
      c.cmd.disconnect()
      process.exit(0)
    } else if (m.t === "cpu") {
      const u = process.cpuUsage()
      send({ t: "cpu", id: m.id, micros: u.user + u.system })
    } else {
      // (The quadrille case reports B's final state; its last seq is Quadrille's business.)
      const run = m.kind === "quadrille"
        ? quadrilleB(url, m.session, m.n).then((count) => ({ count, lastSeq: 2 * m.n }))
        : rawB(c, m.session, m.kind === "raw")
      send({ t: "started", id: m.id })
      run.then(
        (r) => send({ t: "done", id: m.id, count: r.count, lastSeq: r.lastSeq }),
        (e) => send({ t: "failed", id: m.id, error: e instanceof Error ? e.stack ?? e.message : String(e) })
      )
    }
  })
  send({ t: "ready" })
}

// ---------------------------------------------------------------------------------------
// Parent: redis-server, role A, the runs

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** A field of `INFO <section>`, as a number. */
const info = async (r: IORedis, section: string, field: string): Promise<number> => {
  const text = await r.info(section)
  const line = text.split("\r\n").find((l) => l.startsWith(`${field}:`))
  if (line === undefined) throw new Error(`INFO ${section}: no ${field}`)
  return Number(line.slice(field.length + 1))
}

interface Case {
  readonly name: Kind
  /** One run (its work, checked): how long it took, in ms. */
  readonly time: () => Promise<number>
}

const parent = async () => {
  const here = fileURLToPath(import.meta.url)
  const root = path.resolve(path.dirname(here), "..")
  const pids: { redis?: number; directory?: string } = {}
  let proc: ChildProcess | undefined
  const killByPid = (pid: number | undefined) => {
    if (pid === undefined) return
    try {
      process.kill(pid, "SIGKILL")
    } catch {
      // gone already
    }
  }
  // Whatever the way out (the end, an error, a signal): the child and redis-server by PID.
  let stopped = false
  process.on("exit", () => {
    if (proc !== undefined && proc.exitCode === null && proc.signalCode === null) killByPid(proc.pid)
    if (!stopped) {
      killByPid(pids.redis)
      if (pids.directory !== undefined) fs.rmSync(pids.directory, { recursive: true, force: true })
    }
  })
  process.on("SIGINT", () => process.exit(130))
  process.on("SIGTERM", () => process.exit(143))

  const server: RedisServer = await startRedis({ appendfsync: FSYNC })
  pids.directory = server.directory
  const admin = new IORedis(server.url, { maxRetriesPerRequest: 1 })
  pids.redis = await info(admin, "server", "process_id")
  const version = (await admin.info("server")).match(/redis_version:(\S+)/)?.[1] ?? "?"
  // No automatic AOF rewrite (a fork and a rewrite in the middle of a run); the AOF of a full
  // invocation stays at a few tens of MB.
  await admin.config("SET", "auto-aof-rewrite-percentage", "0")
  const fsyncPolicy = ((await admin.config("GET", "appendfsync")) as Array<string>)[1]
  if (fsyncPolicy !== FSYNC) throw new Error(`redis-server has appendfsync ${fsyncPolicy}, not ${FSYNC}`)

  proc = fork(here, ["--child", server.url], { cwd: root, execArgv: here.endsWith(".ts") ? ["--import", "tsx"] : [], stdio: ["ignore", "inherit", "inherit", "ipc"] })
  const childProc = proc

  // PIN=same (the default where `taskset` exists): the parent, the child and redis-server on
  // CPU 0; PIN=split: the roles on CPU 0, redis-server on CPU 1; PIN=none: the scheduler's.
  const hasTaskset = process.platform === "linux" && spawnSync("taskset", ["-V"]).status === 0
  const pinned = process.env.PIN ?? (hasTaskset ? "same" : "none")
  if (pinned === "same" || pinned === "split") {
    for (const [pid, cpu] of [[process.pid, "0"], [childProc.pid!, "0"], [pids.redis, pinned === "same" ? "0" : "1"]] as const) {
      const r = spawnSync("taskset", ["-a", "-p", "-c", cpu, String(pid)])
      if (r.status !== 0) throw new Error(`PIN=${pinned}: taskset failed: ${r.stderr}`)
    }
  } else if (pinned !== "none") {
    throw new Error(`PIN=${pinned}: same, split or none`)
  }

  // Messages from the child, by kind; a waiter per expected message.
  const waiters = new Map<string, (m: ToParent) => void>()
  const expect = <T extends ToParent["t"]>(key: string, timeoutMs = 60_000) =>
    new Promise<Extract<ToParent, { t: T }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${key} from the child within ${timeoutMs} ms`)), timeoutMs)
      waiters.set(key, (m) => {
        clearTimeout(timer)
        resolve(m as Extract<ToParent, { t: T }>)
      })
    })
  const ready = expect<"ready">("ready")
  childProc.on("message", (m: ToParent) => {
    const key = m.t === "ready" ? "ready" : `${m.t === "failed" ? "done" : m.t}:${m.id}`
    const w = waiters.get(key)
    waiters.delete(key)
    w?.(m)
  })
  let exiting = false
  childProc.on("exit", (code, signal) => {
    if (!exiting) {
      console.error(`the child exited (${code ?? signal}) before the end`)
      process.exit(1)
    }
  })
  const toChild = (m: ToChild) => childProc.send(m)
  await ready
  const c = await connect(server.url)

  let runId = 0
  /** One run: streams and groups made, B started in the child, A run here (timed), then both sides checked. */
  const run = async (kind: Kind, n: number): Promise<number> => {
    const id = runId++
    const session = crypto.randomUUID()
    const keys = [streamOf(session, "A"), streamOf(session, "B"), checkpointOf(session, "A"), checkpointOf(session, "B")]
    if (kind !== "quadrille") {
      for (const role of ["A", "B"] as const) await c.cmd.xgroup("CREATE", streamOf(session, role), GROUP, "0", "MKSTREAM")
    }
    const started = expect<"started">(`started:${id}`)
    const done = expect<"done" | "failed">(`done:${id}`)
    toChild({ t: "run", id, kind, session, n })
    await started
    const t0 = performance.now()
    const a = kind === "quadrille" ? await quadrilleA(server.url, session, n) : await rawA(c, session, n, kind === "raw")
    const ms = performance.now() - t0
    const b = await done
    if (b.t === "failed") throw new Error(`${kind}: B failed: ${b.error}`)
    if (a !== n || b.count !== n || b.lastSeq !== 2 * n) {
      throw new Error(`${kind}: A counted ${a}, B ${b.count} (last seq ${b.lastSeq}), expected ${n} on both sides (last seq ${2 * n})`)
    }
    if (kind !== "quadrille") {
      // What Redis holds: every message in its stream; for raw every entry acknowledged and each
      // checkpoint at its role's last message; for raw-nomulti every entry still pending.
      const durably = kind === "raw"
      const expected = { A: { len: n, pending: durably ? 0 : n, seq: 2 * n - 1 }, B: { len: n + 1, pending: durably ? 0 : n + 1, seq: 2 * n } }
      for (const role of ["A", "B"] as const) {
        const len = await c.cmd.xlen(streamOf(session, role))
        const pending = Number(((await c.cmd.xpending(streamOf(session, role), GROUP)) as Array<unknown>)[0])
        if (len !== expected[role].len || pending !== expected[role].pending) {
          throw new Error(`${kind}: ${role}'s stream has ${len} entries, ${pending} pending; expected ${expected[role].len}, ${expected[role].pending}`)
        }
        const saved = await c.cmd.get(checkpointOf(session, role))
        if (durably ? saved === null || (JSON.parse(saved) as { seq: number }).seq !== expected[role].seq : saved !== null) {
          throw new Error(`${kind}: ${role}'s checkpoint is ${saved}, expected seq ${durably ? expected[role].seq : "none"}`)
        }
      }
      await c.cmd.del(...keys)
    }
    return ms
  }

  const allCases: ReadonlyArray<Case> = [
    { name: "raw", time: () => run("raw", ROUNDS) },
    { name: "raw-nomulti", time: () => run("raw-nomulti", ROUNDS) },
    ...(QUADRILLE ? [{ name: "quadrille" as const, time: () => run("quadrille", ROUNDS) }] : [])
  ]
  const only = process.env.ONLY?.split(",")
  const cases = only === undefined ? allCases : allCases.filter((x) => only.includes(x.name))
  if (cases.length === 0) throw new Error(`ONLY=${process.env.ONLY}: no such case (${allCases.map((x) => x.name).join(", ")})`)

  const sample = Buffer.byteLength(JSON.stringify(ping(crypto.randomUUID(), ROUNDS / 2)))
  const checkpointBytes = Buffer.byteLength(checkpoint(crypto.randomUUID(), "A", ROUNDS, ROUNDS / 2))
  console.log(
    `redis: ${ROUNDS} round trips per run; ${WARMUP} warm-up + ${RUNS} measured runs per case, alternating; two processes and ` +
      `redis-server ${version} (AOF, appendfsync ${FSYNC}, in ${path.dirname(server.directory)}) on 127.0.0.1; node ${process.version}; CPU pinning: ${pinned}`
  )
  console.log(`message bytes (JSON, mid-run): ping ${sample}; checkpoint ${checkpointBytes}`)

  const started = performance.now()
  for (let i = 0; i < WARMUP; i++) for (const x of cases) await x.time()
  const rates = new Map<string, Array<number>>(cases.map((x) => [x.name, []]))
  /** Per round trip, by case: CPU µs of each process, AOF bytes. */
  const cpuHere = new Map<string, Array<number>>(cases.map((x) => [x.name, []]))
  const cpuThere = new Map<string, Array<number>>(cases.map((x) => [x.name, []]))
  const cpuRedis = new Map<string, Array<number>>(cases.map((x) => [x.name, []]))
  const aofBytes = new Map<string, Array<number>>(cases.map((x) => [x.name, []]))
  const childCpu = async () => {
    const id = runId++
    const answer = expect<"cpu">(`cpu:${id}`)
    toChild({ t: "cpu", id })
    return (await answer).micros
  }
  const ownCpu = () => {
    const u = process.cpuUsage()
    return u.user + u.system
  }
  const redisCpu = async () => 1e6 * ((await info(admin, "cpu", "used_cpu_user")) + (await info(admin, "cpu", "used_cpu_sys")))
  const aofSize = () => info(admin, "persistence", "aof_current_size")
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? cases : [...cases].reverse()
    for (const x of order) {
      const there0 = await childCpu()
      const redis0 = await redisCpu()
      const aof0 = await aofSize()
      const here0 = ownCpu()
      const ms = await x.time()
      const here1 = ownCpu()
      const aof1 = await aofSize()
      const redis1 = await redisCpu()
      const there1 = await childCpu()
      rates.get(x.name)!.push(ROUNDS / (ms / 1000))
      cpuHere.get(x.name)!.push((here1 - here0) / ROUNDS)
      cpuThere.get(x.name)!.push((there1 - there0) / ROUNDS)
      cpuRedis.get(x.name)!.push((redis1 - redis0) / ROUNDS)
      aofBytes.get(x.name)!.push((aof1 - aof0) / ROUNDS)
    }
  }

  const med = (name: string) => median(rates.get(name)!)
  const width = Math.max(4, ...cases.map((x) => x.name.length))
  console.log(`${"case".padEnd(width)}  RT/s (median)  ms/RT   cpu µs/RT: parent child redis   AOF B/RT   runs (RT/s, in order)`)
  for (const x of cases) {
    const cpu = [cpuHere, cpuThere, cpuRedis].map((m) => median(m.get(x.name)!).toFixed(0).padStart(6)).join("")
    console.log(
      `${x.name.padEnd(width)}  ${med(x.name).toFixed(0).padStart(13)}  ${(1000 / med(x.name)).toFixed(3).padStart(5)}  ${cpu.padStart(28)}  ` +
        `${median(aofBytes.get(x.name)!).toFixed(0).padStart(9)}   ${rates.get(x.name)!.map((r) => r.toFixed(0).padStart(6)).join(" ")}`
    )
  }
  if (rates.has("raw")) for (const x of cases) if (x.name !== "raw") console.log(`ratio ${x.name}/raw = ${(med(x.name) / med("raw")).toFixed(3)}`)
  console.log(`measured in ${((performance.now() - started) / 1000).toFixed(1)} s`)

  // Shut down: the connections, the child (killed by PID if it does not exit in time), the server.
  exiting = true
  c.block.disconnect()
  c.cmd.disconnect()
  admin.disconnect()
  const exited = new Promise((r) => childProc.once("exit", r))
  toChild({ t: "exit" })
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
  if (childProc.exitCode === null && childProc.signalCode === null) killByPid(childProc.pid)
  await server.stop()
  stopped = true
}

const main = process.argv.includes("--child") ? child : parent
main().then(
  () => {
    if (!process.argv.includes("--child")) process.exit(0)
  },
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
