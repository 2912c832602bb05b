/**
 * TCP benchmark: Quadrille's TCP transport between two processes against a hand-written
 * `node:net` program doing the same work (length-prefixed JSON frames of the same size), in
 * the same run, over 127.0.0.1.
 *
 * The parent process (this file) runs the clients and role A; it forks a child (this file,
 * `--child`) that runs the servers and role B, and kills it by PID when it exits. Each case has
 * its own connection, made before the runs; every run checks its result on both sides.
 *
 * Cases, run alternately after a warm-up (the order is reversed every other run):
 *
 *   sequential (ROUNDS round trips, one after another; round trips/s)
 *     raw-seq          the baseline: `node:net`, setNoDelay(true). The client sends a frame
 *                      (u32 BE length · JSON of an object with the fields of a Quadrille
 *                      envelope), the server parses it and answers with a JSON frame, the client
 *                      parses and checks it, then sends the next; at the end a Stop frame,
 *                      answered with the server's count.
 *     effect-seq       reference: the same program with an Effect fiber on each side, fed by a
 *                      minimal mailbox (the least any Effect-based transport pays).
 *     platform-seq     reference: the same program over `@effect/platform-node` sockets
 *                      (`NodeSocket.makeNet`, `NodeSocketServer.make`, `Socket.run`,
 *                      `Socket.writer`), replies handed to the client fiber through a `Queue`.
 *     quadrille-seq    `Role.run` of A (parent) and B (child) of PingPong (as in
 *                      bench/ping-pong.ts), each over its own `Tcp.make`, a fresh session id
 *                      per run; both sides' results checked.
 *
 *   pipelined (FRAMES frames from the client, one answer at the end; frames/s)
 *     raw-pipe         the baseline: the client writes FRAMES frames without waiting (encoded
 *                      straight into one buffer per batch of 256, one `write` each, waiting for
 *                      'drain' when told); the server parses each, checks its number, counts, and
 *                      answers once after the last.
 *     effect-pipe      reference: the same from an Effect fiber, a `write` per frame, corked 128
 *                      at a time, the server's frames taken by an Effect fiber.
 *     quadrille-pipe   Stream: `repeat items { A -> B : Item }` then `B -> A : Done (count)`;
 *                      B checks every item's number, A checks the count.
 *
 * Besides the medians, each case shows the CPU time (user + system) per round trip or frame
 * of each process (`process.cpuUsage()` around each run; medians).
 *
 * CPU pinning (PIN): `same` (the default where `taskset` exists) puts both processes on CPU 0:
 * a round trip then costs the CPU time of both sides, with no wake-up of another CPU, and
 * results are stable. Unpinned (`none`), on the 2-vCPU VM of BENCHMARKS.md, the scheduler puts
 * the processes on one CPU or on two as it likes, and a round trip across CPUs costs about
 * 70 µs more (waking an idle vCPU), so sequential figures jump between two levels within one
 * invocation. `split` puts the parent on CPU 0 and the child on CPU 1 (pipelined sender and
 * receiver in parallel).
 *
 * Usage: `npm run bench:tcp` (= `tsx bench/tcp.ts`); about 40–60 s.
 * Env: ROUNDS (20000), FRAMES (50000), RUNS (5), WARMUP (2), PIN (same|split|none),
 *      ONLY=<case,case> (the others still start), PLATFORM=0 (drop platform-seq),
 *      CHILD_FLAGS="--cpu-prof --cpu-prof-dir=prof" (node flags for the child),
 *      QUADRILLE_SRC=<dir> (a patched copy of src/ to run instead, in both processes: how the
 *      patches in bench/tcp/patches were measured; see bench/tcp/compare.sh).
 */
import { type ChildProcess, fork, spawnSync } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import { Effect, Exit, Fiber, Queue, Schema, Scope } from "effect"
import * as QuadrilleDefault from "../src/index.js"
import * as TcpDefault from "../src/handlers/tcp.js"
import { freePort } from "../examples/tcp/cluster.js"

const ROUNDS = Number(process.env.ROUNDS ?? 20_000)
const FRAMES = Number(process.env.FRAMES ?? 50_000)
const RUNS = Number(process.env.RUNS ?? 5)
const WARMUP = Number(process.env.WARMUP ?? 2)
const PLATFORM = (process.env.PLATFORM ?? "1") !== "0"
const SECRET = "quadrille-bench-secret-0123456789"
const HOST = "127.0.0.1"

/** The library, or (QUADRILLE_SRC=<dir>, for trying patches) a copy of its src/ elsewhere, in both processes. */
const fromSrc = async <A>(file: string, fallback: A): Promise<A> => {
  const dir = process.env.QUADRILLE_SRC
  if (dir === undefined) return fallback
  const ext = fs.existsSync(path.resolve(dir, "index.ts")) ? ".ts" : ".js"
  return (await import(pathToFileURL(path.resolve(dir, file + ext)).href)) as A
}
const { Memory, Protocol, Role, Session, Transport } = await fromSrc("index", QuadrilleDefault)
const loadTcp = () => fromSrc("handlers/tcp", TcpDefault)

// ---------------------------------------------------------------------------------------
// The protocols (Quadrille)

const PingPong = Protocol.make("PingPong", {
  roles: ["A", "B"],
  messages: { Ping: Schema.Number, Pong: Schema.Number, Stop: Schema.Number }
}, (g) =>
  g.loop("rounds", (r) =>
    r
      .msg("A", "B", "Ping")
      .msg("B", "A", "Pong")
      .choice("A", "again", {
        more: (b) => b.recur("rounds"),
        stop: (b) => b.msg("A", "B", "Stop")
      })))

/** A's state: the number of completed round trips (each Pong must echo the Ping). */
const pingA = (rounds: number) =>
  Role.implement(PingPong, "A", {
    send: { Ping: (n) => n, Stop: (n) => n },
    recv: { Pong: (n, reply) => (reply === n ? n + 1 : Number.NaN) },
    choose: { again: (n) => (n < rounds ? "more" : "stop") }
  }, 0)

/** B's state: the number of Pings seen, in order; the Stop must carry the same count. */
const pongB = Role.implement(PingPong, "B", {
  send: { Pong: (n) => n - 1 },
  recv: { Ping: (n, ping) => (ping === n ? n + 1 : Number.NaN), Stop: (n, stop) => (stop === n ? n : Number.NaN) }
}, 0)

const Stream = Protocol.make("Stream", {
  roles: ["A", "B"],
  messages: { Item: Schema.Number, Done: Schema.Number }
}, (g) => g.repeat("items", (r) => r.msg("A", "B", "Item")).msg("B", "A", "Done"))

/** A numbers its items 0, 1, 2, … (a counter of its own: a send handler cannot change the state); its state is B's count. */
const streamA = () => {
  let next = 0
  return Role.implement(Stream, "A", {
    send: { Item: () => next++ },
    recv: { Done: (_, count) => count }
  }, -1)
}

/** B counts the items, each of which must carry its number. */
const streamB = Role.implement(Stream, "B", {
  send: { Done: (n) => n },
  recv: { Item: (n, item) => (item === n ? n + 1 : Number.NaN) }
}, 0)

// ---------------------------------------------------------------------------------------
// Raw framing: u32 BE length · UTF-8 JSON text

/** The message the raw cases send: the fields (and about the size) of a Quadrille envelope. */
interface Msg {
  readonly session: string
  readonly from: string
  readonly to: string
  readonly label: string
  readonly site: string
  readonly loops: Readonly<Record<string, number>>
  readonly seq: number
  readonly payload: number
}

const frameOf = (msg: Msg): Buffer => {
  const text = JSON.stringify(msg)
  const length = Buffer.byteLength(text)
  const buf = Buffer.allocUnsafe(4 + length)
  buf.writeUInt32BE(length, 0)
  buf.write(text, 4, "utf8")
  return buf
}

/** Splits a byte stream into frames; a frame cut by a chunk's end waits for the rest. */
class Splitter {
  private rest: Buffer | undefined = undefined
  constructor(private readonly onFrame: (buf: Buffer, start: number, end: number) => void) {}
  push(chunk: Buffer): void {
    let buf = chunk
    if (this.rest !== undefined) {
      buf = Buffer.concat([this.rest, chunk])
      this.rest = undefined
    }
    let off = 0
    const n = buf.length
    while (n - off >= 4) {
      const end = off + 4 + buf.readUInt32BE(off)
      if (end > n) break
      this.onFrame(buf, off + 4, end)
      off = end
    }
    if (off < n) this.rest = buf.subarray(off)
  }
}

const parse = (buf: Buffer, start: number, end: number): Msg => JSON.parse(buf.toString("utf8", start, end))
const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength))

/** The server's answer to a frame of the sequential echo: a Pong, or at the Stop its count. */
const seqReply = (state: { count: number }, m: Msg): Msg => {
  if (m.label === "Stop") {
    const count = state.count
    state.count = 0
    return { session: m.session, from: "B", to: "A", label: "Done", site: "3", loops: {}, seq: m.seq, payload: count }
  }
  state.count++
  return { session: m.session, from: "B", to: "A", label: "Pong", site: "1.2", loops: m.loops, seq: m.seq, payload: m.payload }
}

const ping = (session: string, i: number): Msg => ({ session, from: "A", to: "B", label: "Ping", site: "1.1", loops: { rounds: i }, seq: 2 * i, payload: i })
const stop = (session: string, n: number): Msg => ({ session, from: "A", to: "B", label: "Stop", site: "1.3.stop.1", loops: { rounds: n }, seq: 2 * n, payload: n })
const item = (session: string, i: number, last: boolean): Msg => ({ session, from: "A", to: "B", label: last ? "Last" : "Item", site: "1.1", loops: { items: i }, seq: i, payload: i })

/**
 * A minimal mailbox for an Effect fiber (as in bench/ping-pong.ts's raw-wake, and like
 * Quadrille's own): a taker that finds it empty suspends until the next offer wakes it.
 */
class WakeBox<A> {
  private items: Array<A> = []
  private head = 0
  private waiting: ((wake: Effect.Effect<void>) => void) | undefined = undefined
  offer(a: A): void {
    this.items.push(a)
    const wake = this.waiting
    if (wake !== undefined) {
      this.waiting = undefined
      wake(Effect.void)
    }
  }
  readonly take: Effect.Effect<A> = Effect.suspend(() => {
    if (this.head < this.items.length) {
      const a = this.items[this.head++]
      if (this.head === this.items.length) {
        this.items = []
        this.head = 0
      }
      return Effect.succeed(a)
    }
    return this.waitAndTake
  })
  private readonly waitAndTake: Effect.Effect<A> = Effect.flatMap(
    Effect.async<void>((wake) => {
      this.waiting = wake
    }),
    () => this.take
  )
}

/** Resolves after a turn of the event loop and once `socket` has drained. */
const drained = (socket: net.Socket): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    setImmediate(() => (socket.writableNeedDrain ? socket.once("drain", () => resume(Effect.void)) : resume(Effect.void)))
  })

// ---------------------------------------------------------------------------------------
// Child: the servers and role B

type ToChild =
  | { readonly t: "init"; readonly aPort: number }
  | { readonly t: "run"; readonly id: number; readonly kind: "seq" | "pipe"; readonly session: string; readonly n: number }
  | { readonly t: "cpu"; readonly id: number }
  | { readonly t: "exit" }
type ToParent =
  | {
    readonly t: "ready"
    readonly rawSeq: number
    readonly rawPipe: number
    readonly effectSeq: number
    readonly effectPipe: number
    readonly platform: number
    readonly quadrille: number
  }
  | { readonly t: "started"; readonly id: number }
  | { readonly t: "done"; readonly id: number; readonly result: number }
  | { readonly t: "failed"; readonly id: number; readonly error: string }
  | { readonly t: "cpu"; readonly id: number; readonly micros: number }

const listen = (server: net.Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen({ host: HOST, port: 0 }, () => resolve((server.address() as net.AddressInfo).port))
  })

const child = async () => {
  const send = (m: ToParent) => process.send!(m)
  // Gone with the parent, whatever happens to it.
  process.on("disconnect", () => process.exit(0))

  // Raw sequential echo.
  const rawSeq = net.createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true)
    const state = { count: 0 }
    const splitter = new Splitter((buf, start, end) => socket.write(frameOf(seqReply(state, parse(buf, start, end)))))
    socket.on("data", (chunk: Buffer) => splitter.push(chunk))
    socket.on("error", () => {})
  })
  // Raw pipelined sink: parses and checks every frame, answers once after the last.
  const rawPipe = net.createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true)
    let count = 0
    const splitter = new Splitter((buf, start, end) => {
      const m = parse(buf, start, end)
      count = m.payload === count ? count + 1 : Number.NaN
      if (m.label === "Last") {
        socket.write(frameOf({ session: m.session, from: "B", to: "A", label: "Done", site: "2", loops: {}, seq: 0, payload: count }))
        count = 0
      }
    })
    socket.on("data", (chunk: Buffer) => splitter.push(chunk))
    socket.on("error", () => {})
  })
  // The same two servers, each connection served by an Effect fiber fed through a WakeBox.
  const effectSeq = net.createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true)
    const inbox = new WakeBox<Msg>()
    const splitter = new Splitter((buf, start, end) => inbox.offer(parse(buf, start, end)))
    socket.on("data", (chunk: Buffer) => splitter.push(chunk))
    socket.on("error", () => {})
    const state = { count: 0 }
    const fiber = Effect.runFork(Effect.forever(Effect.map(inbox.take, (m) => void socket.write(frameOf(seqReply(state, m))))))
    socket.on("close", () => Effect.runFork(Fiber.interrupt(fiber)))
  })
  const effectPipe = net.createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true)
    const inbox = new WakeBox<Msg>()
    const splitter = new Splitter((buf, start, end) => inbox.offer(parse(buf, start, end)))
    socket.on("data", (chunk: Buffer) => splitter.push(chunk))
    socket.on("error", () => {})
    let count = 0
    const fiber = Effect.runFork(Effect.forever(Effect.map(inbox.take, (m) => {
      count = m.payload === count ? count + 1 : Number.NaN
      if (m.label === "Last") {
        socket.write(frameOf({ session: m.session, from: "B", to: "A", label: "Done", site: "2", loops: {}, seq: 0, payload: count }))
        count = 0
      }
    })))
    socket.on("close", () => Effect.runFork(Fiber.interrupt(fiber)))
  })
  const rawSeqPort = await listen(rawSeq)
  const rawPipePort = await listen(rawPipe)
  const effectSeqPort = await listen(effectSeq)
  const effectPipePort = await listen(effectPipe)

  const scope = Effect.runSync(Scope.make())
  // @effect/platform-node echo server: the same replies, written through `Socket.writer`.
  const platformPort = await Effect.runPromise(Scope.extend(
    Effect.gen(function*() {
      const server = yield* NodeSocketServer.make({ host: HOST, port: 0, noDelay: true })
      yield* Effect.forkScoped(server.run((socket) =>
        Effect.scoped(Effect.gen(function*() {
          const write = yield* socket.writer
          const state = { count: 0 }
          let out: Array<Buffer> = []
          const splitter = new Splitter((buf, start, end) => out.push(frameOf(seqReply(state, parse(buf, start, end)))))
          yield* socket.run((chunk) => {
            splitter.push(asBuffer(chunk))
            const replies = out
            out = []
            return replies.length === 1 ? write(replies[0]) : Effect.forEach(replies, write, { discard: true })
          })
        })).pipe(Effect.catchAll(() => Effect.void))
      ))
      return server.address._tag === "TcpAddress" ? server.address.port : -1
    }),
    scope
  ))

  let quadrillePort = -1
  let transport: TcpDefault.TcpTransport | undefined
  const tcp = await loadTcp()

  process.on("message", async (m: ToChild) => {
    if (m.t === "init") {
      transport = await Effect.runPromise(Scope.extend(
        tcp.make({ self: "B", listen: { host: HOST, port: 0 }, peers: { A: `${HOST}:${m.aPort}` }, auth: { secret: SECRET } }),
        scope
      ))
      quadrillePort = transport.address!.port
      send({ t: "ready", rawSeq: rawSeqPort, rawPipe: rawPipePort, effectSeq: effectSeqPort, effectPipe: effectPipePort, platform: platformPort, quadrille: quadrillePort })
    } else if (m.t === "run") {
      const role = m.kind === "seq"
        ? Role.run(PingPong, "B", pongB, { sessionId: m.session })
        : Role.run(Stream, "B", streamB, { sessionId: m.session, params: { items: m.n } })
      const done = Effect.runPromise(Effect.provideService(role, Transport, transport!))
      send({ t: "started", id: m.id })
      done.then(
        (result) => send({ t: "done", id: m.id, result }),
        (e) => send({ t: "failed", id: m.id, error: String(e) })
      )
    } else if (m.t === "cpu") {
      const u = process.cpuUsage()
      send({ t: "cpu", id: m.id, micros: u.user + u.system })
    } else if (m.t === "exit") {
      await Promise.race([Effect.runPromise(Scope.close(scope, Exit.void)), new Promise((r) => setTimeout(r, 1000))])
      for (const server of [rawSeq, rawPipe, effectSeq, effectPipe]) server.close()
      process.exit(0)
    }
  })
  send({ t: "ready", rawSeq: rawSeqPort, rawPipe: rawPipePort, effectSeq: effectSeqPort, effectPipe: effectPipePort, platform: platformPort, quadrille: quadrillePort })
}

// ---------------------------------------------------------------------------------------
// Parent: the clients and role A

const connect = (port: number): Promise<net.Socket> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port, noDelay: true }, () => resolve(socket))
    socket.once("error", reject)
  })

/** A raw client: one connection, frames in, handed to whoever waits for the next one. */
const rawClient = async (port: number) => {
  const socket = await connect(port)
  socket.setNoDelay(true)
  let onMsg: (m: Msg) => void = () => {}
  const splitter = new Splitter((buf, start, end) => onMsg(parse(buf, start, end)))
  socket.on("data", (chunk: Buffer) => splitter.push(chunk))
  return { socket, set onMsg(f: (m: Msg) => void) { onMsg = f } }
}

type RawClient = Awaited<ReturnType<typeof rawClient>>

/** ROUNDS round trips one after another: each reply is parsed and checked, then the next frame goes. */
const rawSequential = (c: RawClient, rounds: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const session = crypto.randomUUID()
    let i = 0
    c.onMsg = (m) => {
      if (m.label === "Done") {
        return m.payload === rounds ? resolve() : reject(new Error(`raw-seq: the server counted ${m.payload}, not ${rounds}`))
      }
      if (m.label !== "Pong" || m.payload !== i || m.seq !== 2 * i) return reject(new Error(`raw-seq: reply ${JSON.stringify(m)} to ping ${i}`))
      i++
      c.socket.write(frameOf(i < rounds ? ping(session, i) : stop(session, rounds)))
    }
    c.socket.write(frameOf(rounds > 0 ? ping(session, 0) : stop(session, 0)))
  })

/** FRAMES frames without waiting: encoded straight into one buffer per batch, one write each; waits for 'drain' when told to. */
const rawPipelined = (c: RawClient, frames: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const session = crypto.randomUUID()
    c.onMsg = (m) =>
      m.label === "Done" && m.payload === frames ? resolve() : reject(new Error(`raw-pipe: answer ${JSON.stringify(m)}, expected ${frames}`))
    const batch = 256
    const texts: Array<string> = new Array(batch)
    let i = 0
    const go = () => {
      while (i < frames) {
        const k = Math.min(batch, frames - i)
        let bytes = 0
        for (let j = 0; j < k; j++) {
          const text = JSON.stringify(item(session, i + j, i + j === frames - 1))
          texts[j] = text
          bytes += 4 + Buffer.byteLength(text)
        }
        const buf = Buffer.allocUnsafe(bytes)
        let off = 0
        for (let j = 0; j < k; j++) {
          const n = buf.write(texts[j], off + 4, "utf8")
          buf.writeUInt32BE(n, off)
          off += 4 + n
        }
        i += k
        if (!c.socket.write(buf)) return void c.socket.once("drain", go)
      }
    }
    go()
  })

/** An Effect client: one connection, frames in through a WakeBox to the fiber that waits for them. */
const effectClient = async (port: number) => {
  const socket = await connect(port)
  socket.setNoDelay(true)
  const inbox = new WakeBox<Msg>()
  const splitter = new Splitter((buf, start, end) => inbox.offer(parse(buf, start, end)))
  socket.on("data", (chunk: Buffer) => splitter.push(chunk))
  return { socket, inbox }
}
type EffectClient = Awaited<ReturnType<typeof effectClient>>

/** The sequential echo as an Effect fiber: write a frame, wait for the answer, check it. */
const effectSequential = (c: EffectClient, rounds: number) =>
  Effect.gen(function*() {
    const session = crypto.randomUUID()
    for (let i = 0; i < rounds; i++) {
      c.socket.write(frameOf(ping(session, i)))
      const m = yield* c.inbox.take
      if (m.label !== "Pong" || m.payload !== i) return yield* Effect.die(new Error(`effect-seq: reply ${JSON.stringify(m)} to ping ${i}`))
    }
    c.socket.write(frameOf(stop(session, rounds)))
    const done = yield* c.inbox.take
    if (done.payload !== rounds) return yield* Effect.die(new Error(`effect-seq: the server counted ${done.payload}, not ${rounds}`))
  })

/**
 * The pipelined stream as an Effect fiber: a frame per write, corked 128 at a time; past the
 * socket's high-water mark the fiber lets the event loop run and waits for it to drain.
 */
const effectPipelined = (c: EffectClient, frames: number) =>
  Effect.gen(function*() {
    const session = crypto.randomUUID()
    for (let i = 0; i < frames; i++) {
      if (i % 128 === 0) c.socket.cork()
      c.socket.write(frameOf(item(session, i, i === frames - 1)))
      if (i % 128 === 127 || i === frames - 1) {
        c.socket.uncork()
        if (c.socket.writableNeedDrain) yield* drained(c.socket)
      }
    }
    const done = yield* c.inbox.take
    if (done.label !== "Done" || done.payload !== frames) return yield* Effect.die(new Error(`effect-pipe: answer ${JSON.stringify(done)}, expected ${frames}`))
  })

/** The platform-node client: a socket, a fiber reading it into a `Queue`, and the writer. */
const platformClient = (port: number) =>
  Effect.gen(function*() {
    const socket = yield* NodeSocket.makeNet({ host: HOST, port, noDelay: true })
    const replies = yield* Queue.unbounded<Msg>()
    const splitter = new Splitter((buf, start, end) => void Queue.unsafeOffer(replies, parse(buf, start, end)))
    yield* Effect.forkScoped(socket.run((chunk) => splitter.push(asBuffer(chunk))))
    const write = yield* socket.writer
    return (rounds: number) =>
      Effect.gen(function*() {
        const session = crypto.randomUUID()
        for (let i = 0; i < rounds; i++) {
          yield* write(frameOf(ping(session, i)))
          const m = yield* Queue.take(replies)
          if (m.label !== "Pong" || m.payload !== i) return yield* Effect.die(new Error(`platform-seq: reply ${JSON.stringify(m)} to ping ${i}`))
        }
        yield* write(frameOf(stop(session, rounds)))
        const done = yield* Queue.take(replies)
        if (done.payload !== rounds) return yield* Effect.die(new Error(`platform-seq: the server counted ${done.payload}, not ${rounds}`))
      })
  })

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}
const k = (x: number) => `${(x / 1000).toFixed(1)}k`

interface Case {
  readonly name: string
  readonly unit: "round trips/s" | "frames/s"
  readonly n: number
  /** One run (its work, checked): how long it took, in ms. */
  readonly time: () => Promise<number>
}

const parent = async () => {
  const here = fileURLToPath(import.meta.url)
  const root = path.resolve(path.dirname(here), "..")
  const childFlags = (process.env.CHILD_FLAGS ?? "").split(" ").filter((f) => f !== "")
  const proc: ChildProcess = fork(here, ["--child"], { cwd: root, execArgv: [...(here.endsWith(".ts") ? ["--import", "tsx"] : []), ...childFlags], stdio: ["ignore", "inherit", "inherit", "ipc"] })
  const killChild = () => {
    if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) {
      try {
        process.kill(proc.pid, "SIGKILL")
      } catch {
        // gone already
      }
    }
  }
  process.on("exit", killChild)
  // PIN=same (the default where `taskset` exists): both processes on CPU 0, so that a round
  // trip costs the CPU time of both sides and no cross-CPU wake-up (on this VM about 70 µs, and
  // taken or not as the scheduler places the processes); PIN=split: the parent on CPU 0, the
  // child on CPU 1; PIN=none: wherever the scheduler puts them.
  const hasTaskset = process.platform === "linux" && spawnSync("taskset", ["-V"]).status === 0
  const pinned = process.env.PIN ?? (hasTaskset ? "same" : "none")
  if (pinned === "same" || pinned === "split") {
    for (const [pid, cpu] of [[process.pid, "0"], [proc.pid!, pinned === "same" ? "0" : "1"]] as const) {
      const r = spawnSync("taskset", ["-a", "-p", "-c", cpu, String(pid)])
      if (r.status !== 0) throw new Error(`PIN=${pinned}: taskset failed: ${r.stderr}`)
    }
  } else if (pinned !== "none") {
    throw new Error(`PIN=${pinned}: same, split or none`)
  }
  process.on("SIGINT", () => process.exit(130))
  process.on("SIGTERM", () => process.exit(143))

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
  proc.on("message", (m: ToParent) => {
    const key = m.t === "ready" ? "ready" : `${m.t === "failed" ? "done" : m.t}:${m.id}`
    const w = waiters.get(key)
    waiters.delete(key)
    w?.(m)
  })
  let exiting = false
  proc.on("exit", (code, signal) => {
    if (!exiting) {
      console.error(`the child exited (${code ?? signal}) before the end`)
      process.exit(1)
    }
  })
  const toChild = (m: ToChild) => proc.send(m)

  const first = await expect<"ready">("ready")
  // A listens on a port chosen now; B (in the child) listens on any port, and dials A.
  const aPort = await freePort()
  const bReady = expect<"ready">("ready")
  toChild({ t: "init", aPort })
  const bPort = (await bReady).quadrille
  const tcp = await loadTcp()
  const scope = Effect.runSync(Scope.make())
  const transport = await Effect.runPromise(Scope.extend(
    tcp.make({ self: "A", listen: { host: HOST, port: aPort }, peers: { B: `${HOST}:${bPort}` }, auth: { secret: SECRET } }),
    scope
  ))
  for (let t0 = Date.now(); !transport.connectedTo("B"); ) {
    if (Date.now() - t0 > 10_000) throw new Error("A's transport did not connect to B within 10 s")
    await new Promise((r) => setTimeout(r, 5))
  }

  const seqClient = await rawClient(first.rawSeq)
  const pipeClient = await rawClient(first.rawPipe)
  const effectSeqClient = await effectClient(first.effectSeq)
  const effectPipeClient = await effectClient(first.effectPipe)
  const platformRoundTrips = PLATFORM ? await Effect.runPromise(Scope.extend(platformClient(first.platform), scope)) : undefined

  let runId = 0
  /** Starts B in the child, runs A here (timed from A's start to A's end), then checks both results. */
  const quadrille = async (kind: "seq" | "pipe", n: number): Promise<number> => {
    const id = runId++
    const session = crypto.randomUUID()
    const started = expect<"started">(`started:${id}`)
    const done = expect<"done" | "failed">(`done:${id}`)
    toChild({ t: "run", id, kind, session, n })
    await started
    const t0 = performance.now()
    const a = kind === "seq"
      ? await Effect.runPromise(Effect.provideService(Role.run(PingPong, "A", pingA(n), { sessionId: session }), Transport, transport))
      : await Effect.runPromise(Effect.provideService(Role.run(Stream, "A", streamA(), { sessionId: session, params: { items: n } }), Transport, transport))
    const ms = performance.now() - t0
    const b = await done
    if (b.t === "failed") throw new Error(`quadrille-${kind}: B failed: ${b.error}`)
    if (a !== n || b.result !== n) throw new Error(`quadrille-${kind}: A ended with ${a}, B with ${b.result}, expected ${n} on both sides`)
    return ms
  }

  const timed = (f: () => Promise<unknown>) => async () => {
    const t0 = performance.now()
    await f()
    return performance.now() - t0
  }
  const allCases: ReadonlyArray<Case> = [
    { name: "raw-seq", unit: "round trips/s", n: ROUNDS, time: timed(() => rawSequential(seqClient, ROUNDS)) },
    ...(platformRoundTrips === undefined ? [] : [
      { name: "platform-seq", unit: "round trips/s" as const, n: ROUNDS, time: timed(() => Effect.runPromise(platformRoundTrips(ROUNDS))) }
    ]),
    { name: "effect-seq", unit: "round trips/s", n: ROUNDS, time: timed(() => Effect.runPromise(effectSequential(effectSeqClient, ROUNDS))) },
    { name: "quadrille-seq", unit: "round trips/s", n: ROUNDS, time: () => quadrille("seq", ROUNDS) },
    { name: "raw-pipe", unit: "frames/s", n: FRAMES, time: timed(() => rawPipelined(pipeClient, FRAMES)) },
    { name: "effect-pipe", unit: "frames/s", n: FRAMES, time: timed(() => Effect.runPromise(effectPipelined(effectPipeClient, FRAMES))) },
    { name: "quadrille-pipe", unit: "frames/s", n: FRAMES, time: () => quadrille("pipe", FRAMES) }
  ]
  const only = process.env.ONLY?.split(",")
  const cases = only === undefined ? allCases : allCases.filter((c) => only.includes(c.name))
  if (cases.length === 0) throw new Error(`ONLY=${process.env.ONLY}: no such case (${allCases.map((c) => c.name).join(", ")})`)

  // The frames' sizes: Quadrille's envelopes (recorded in memory, payloads encoded as over TCP)
  // and the raw messages, each with its header (Quadrille: length, type, link number).
  const recorded = await Effect.runPromise(Memory.recorded(Session.run(PingPong, { A: pingA(20_000), B: pongB }, { sessionId: crypto.randomUUID(), validate: true })))
  const streamed = await Effect.runPromise(Memory.recorded(Session.run(Stream, { A: streamA(), B: streamB }, { sessionId: crypto.randomUUID(), validate: true, params: { items: 20_000 } })))
  const sizeOf = (label: string) => {
    const e = [...recorded.frames, ...streamed.frames].find((f) => f.label === label && f.seq === 10_000)
    return e === undefined ? "?" : String(11 + Buffer.byteLength(JSON.stringify(e)))
  }
  const rawSize = (m: Msg) => 4 + Buffer.byteLength(JSON.stringify(m))
  const s0 = crypto.randomUUID()
  const frameSizes = `frame bytes: quadrille Ping ${sizeOf("Ping")}, Pong ${sizeOf("Pong")}, Item ${sizeOf("Item")}; raw ping ${rawSize(ping(s0, 5_000))}, pong ${rawSize(seqReply({ count: 0 }, ping(s0, 5_000)))}, item ${rawSize(item(s0, 10_000, false))} (mid-run)`

  console.log(
    `tcp: ${ROUNDS} round trips (sequential) and ${FRAMES} frames (pipelined) per run; ${WARMUP} warm-up + ${RUNS} measured runs per case, ` +
      `alternating; two processes over ${HOST}; node ${process.version}; CPU pinning: ${pinned}`
  )
  console.log(frameSizes)
  const started = performance.now()
  for (let i = 0; i < WARMUP; i++) for (const c of cases) await c.time()
  const rates = new Map<string, Array<number>>(cases.map((c) => [c.name, []]))
  /** CPU time (user + system) per round trip or frame, in µs, of each process, by case. */
  const cpuHere = new Map<string, Array<number>>(cases.map((c) => [c.name, []]))
  const cpuThere = new Map<string, Array<number>>(cases.map((c) => [c.name, []]))
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
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? cases : [...cases].reverse()
    for (const c of order) {
      const there0 = await childCpu()
      const here0 = ownCpu()
      const ms = await c.time()
      const here1 = ownCpu()
      const there1 = await childCpu()
      rates.get(c.name)!.push(c.n / (ms / 1000))
      cpuHere.get(c.name)!.push((here1 - here0) / c.n)
      cpuThere.get(c.name)!.push((there1 - there0) / c.n)
    }
  }
  const med = (name: string) => median(rates.get(name)!)
  const width = Math.max(...cases.map((c) => c.name.length))
  console.log(`${"case".padEnd(width)}  ${"median".padStart(10)}  unit            µs/unit  cpu µs/unit: parent child   runs (in order)`)
  for (const c of cases) {
    const us = (1e6 / med(c.name)).toFixed(2).padStart(7)
    const cpu = `${median(cpuHere.get(c.name)!).toFixed(2).padStart(19)} ${median(cpuThere.get(c.name)!).toFixed(2).padStart(5)}`
    console.log(`${c.name.padEnd(width)}  ${k(med(c.name)).padStart(10)}  ${c.unit.padEnd(14)}  ${us}  ${cpu}   ${rates.get(c.name)!.map((r) => k(r).padStart(7)).join(" ")}`)
  }
  const ratio = (a: string, b: string) => {
    if (rates.has(a) && rates.has(b)) console.log(`ratio ${a}/${b} = ${(med(a) / med(b)).toFixed(3)}`)
  }
  ratio("quadrille-seq", "raw-seq")
  ratio("quadrille-pipe", "raw-pipe")
  ratio("effect-seq", "raw-seq")
  ratio("effect-pipe", "raw-pipe")
  ratio("quadrille-seq", "effect-seq")
  ratio("quadrille-pipe", "effect-pipe")
  ratio("platform-seq", "raw-seq")
  ratio("quadrille-seq", "platform-seq")
  console.log(`measured in ${((performance.now() - started) / 1000).toFixed(1)} s; transport A: ${JSON.stringify(transport.stats())}`)

  // Shut down: the transport, the clients, the child (killed by PID if it does not exit in time).
  exiting = true
  for (const c of [seqClient, pipeClient, effectSeqClient, effectPipeClient]) c.socket.destroy()
  await Promise.race([Effect.runPromise(Scope.close(scope, Exit.void)), new Promise((r) => setTimeout(r, 1000))])
  const exited = new Promise((r) => proc.once("exit", r))
  toChild({ t: "exit" })
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
  killChild()
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
