/**
 * The TCP transport in one process (each role with its own `Tcp.make`, on 127.0.0.1): framing,
 * frames sent before a peer listens, peers that never come or vanish (`PeerUnavailable`,
 * also for a role waiting for its last frames to be acknowledged), half-open connections
 * found by the heartbeat, a restarted peer, many sessions at once, and a clean shutdown.
 */
import { Duration, Effect, Exit, Logger, LogLevel, Schema } from "effect"
import * as net from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { Protocol, Reliable, Role, Transport, type TransportService } from "../../src/index.js"
import { FrameReader } from "../../src/handlers/frames.js"
import { Tcp } from "../../src/node/index.js"
import { coordinator, participant, TwoPhaseCommit } from "../../examples/two-phase-commit.js"
import { freePort } from "../../examples/tcp/cluster.js"
import { client, RobustRequest } from "../../examples/robust-request.js"
import { startProxy } from "../fixtures/tcp-proxy.js"

const secret = "a deployment secret for the tests"
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f()
})

const at = (port: number) => `127.0.0.1:${port}`
const fast = { heartbeat: Duration.millis(50), unavailableAfter: Duration.millis(400) }

const coordinatorRun = (t: TransportService, sessionId: string, id = 7) =>
  Role.run(TwoPhaseCommit, "Coordinator", coordinator(id), { sessionId }).pipe(Effect.provideService(Transport, t))
const participantRun = (t: TransportService, sessionId: string) =>
  Role.run(TwoPhaseCommit, "Participant", participant("commit"), { sessionId }).pipe(Effect.provideService(Transport, t))
const committed = (id = 7) => [
  { transactionId: id, vote: "commit", outcome: "committed" },
  { transactionId: id, applied: "committed" }
]

/** Runs `body` with the two roles' transports, listening on the ports given (fresh ones by default). */
const pair = <A, E>(
  body: (c: Tcp.TcpTransport, p: Tcp.TcpTransport) => Effect.Effect<A, E>,
  options: Partial<Tcp.TcpOptions> = {}
) =>
  Effect.gen(function*() {
    const ports = { c: yield* Effect.promise(freePort), p: yield* Effect.promise(freePort) }
    const c = yield* Tcp.make({ ...options, self: "Coordinator", listen: { port: ports.c }, peers: { Participant: at(ports.p) }, auth: { secret } })
    const p = yield* Tcp.make({ ...options, self: "Participant", listen: { port: ports.p }, peers: { Coordinator: at(ports.c) }, auth: { secret } })
    return yield* body(c, p)
  }).pipe(Effect.scoped)

describe("framing", () => {
  const frames = (max: number, chunks: ReadonlyArray<Buffer>) => {
    const got: Array<string> = []
    const oversized: Array<number> = []
    const reader = new FrameReader(max, (type, buf, start, end) => got.push(`${type}:${buf.toString("utf8", start, end)}`), (n) => (oversized.push(n), true))
    for (const c of chunks) reader.push(c)
    return { got, oversized }
  }
  const frame = (type: number, body: string) => {
    const b = Buffer.from(body)
    const out = Buffer.alloc(5 + b.length)
    out.writeUInt32BE(1 + b.length, 0)
    out[4] = type
    b.copy(out, 5)
    return out
  }

  it("gives the same frames however the stream is cut", () => {
    const stream = Buffer.concat([frame(1, "hello"), frame(2, ""), frame(3, "x".repeat(300)), frame(1, "last")])
    const whole = frames(1000, [stream]).got
    expect(whole).toEqual(["1:hello", "2:", `3:${"x".repeat(300)}`, "1:last"])
    for (let cut = 1; cut < stream.length; cut++) {
      expect(frames(1000, [stream.subarray(0, cut), stream.subarray(cut)]).got).toEqual(whole)
    }
    // One byte at a time.
    expect(frames(1000, [...stream].map((b) => Buffer.from([b]))).got).toEqual(whole)
  })

  it("skips a frame longer than the limit unread, and goes on with the next", () => {
    const big = frame(1, "y".repeat(5000))
    const { got, oversized } = frames(100, [big.subarray(0, 7), big.subarray(7, 3000), Buffer.concat([big.subarray(3000), frame(1, "after")])])
    expect(oversized).toEqual([5001])
    expect(got).toEqual(["1:after"])
  })

  it("refuses a length of 0, and stops for good when told to", () => {
    const zero = Buffer.alloc(4)
    const seen: Array<number> = []
    const got: Array<number> = []
    const reader = new FrameReader(100, (t) => got.push(t), (n) => (seen.push(n), false))
    reader.push(Buffer.concat([zero, frame(1, "never")]))
    expect(seen).toEqual([0])
    expect(got).toEqual([])
  })
})

describe("the TCP transport", () => {
  it("runs a session between two roles, each with its own transport, and holds nothing after", async () => {
    const { r, stats } = await Effect.runPromise(pair((c, p) =>
      Effect.map(Effect.all([coordinatorRun(c, "s"), participantRun(p, "s")], { concurrency: "unbounded" }), (r) => ({ r, stats: [c.stats(), p.stats()] }))))
    expect(r).toEqual(committed())
    for (const s of stats) expect(s).toMatchObject({ rejected: 0, duplicates: 0, queued: 0, sessions: 0, frames: 0, refused: {} })
  })

  it("runs 50 sessions at once over the same two transports", async () => {
    const r = await Effect.runPromise(pair((c, p) =>
      Effect.all(
        Array.from({ length: 50 }, (_, i) => Effect.all([coordinatorRun(c, `s${i}`, i), participantRun(p, `s${i}`)], { concurrency: "unbounded" })),
        { concurrency: "unbounded" }
      )))
    r.forEach((x, i) => expect(x).toEqual(committed(i)))
  })

  it("keeps frames sent before the peer listens, and delivers them once it does", async () => {
    const ports = { c: await freePort(), p: await freePort() }
    const r = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const c = yield* Tcp.make({ self: "Coordinator", listen: { port: ports.c }, peers: { Participant: at(ports.p) }, auth: { secret } })
      const first = yield* Effect.fork(coordinatorRun(c, "early"))
      yield* Effect.sleep(300)
      expect(c.stats().queued).toBe(1)
      expect(c.connectedTo("Participant")).toBe(false)
      const p = yield* Tcp.make({ self: "Participant", listen: { port: ports.p }, peers: { Coordinator: at(ports.c) }, auth: { secret } })
      const second = yield* participantRun(p, "early")
      return [yield* first.await.pipe(Effect.flatten), second]
    })))
    expect(r).toEqual(committed())
  })

  it("carries the reliable layer above it: acks ride on the frames going back, decoded on the other side", async () => {
    const carried: Array<string> = []
    /** The TCP transport as the reliable layer sees it, noting the acks that came carried by frames. */
    const noting = (t: Tcp.TcpTransport): TransportService => ({
      ...t,
      receive: (session, role, mailbox) =>
        Effect.tap(t.receive(session, role, mailbox), (e) =>
          Effect.sync(() => {
            for (const a of e.acks ?? []) carried.push(`${role} got the ack of ${a.seq} on ${e.label}`)
          }))
    })
    const r = await Effect.runPromise(pair((c, p) =>
      Effect.scoped(Effect.gen(function*() {
        const rc = yield* Reliable.wrap(noting(c))
        const rp = yield* Reliable.wrap(noting(p))
        return yield* Effect.all([coordinatorRun(rc, "acks"), participantRun(rp, "acks")], { concurrency: 2 })
      }))
    ))
    expect(r).toEqual(committed())
    // The Participant's answer carries the ack of the request it answers, and so on.
    expect(carried).toContain("Coordinator got the ack of 0 on PrepareResponse")
    expect(carried).toContain("Participant got the ack of 0 on CommitRequest")
  })

  it("a peer that never comes makes the role that waits on it fail with PeerUnavailable, naming it", async () => {
    const port = await freePort()
    const started = Date.now()
    const exit = await Effect.runPromiseExit(Effect.scoped(Effect.gen(function*() {
      const c = yield* Tcp.make({ ...fast, self: "Coordinator", peers: { Participant: at(port) }, auth: { secret } })
      return yield* coordinatorRun(c, "nobody")
    })))
    expect(Date.now() - started).toBeLessThan(3000)
    expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : exit).toMatchObject({
      _tag: "PeerUnavailable",
      role: "Coordinator",
      peer: "Participant"
    })
  })

  it("a session that starts while a peer is unavailable fails at once", async () => {
    const port = await freePort()
    const exit = await Effect.runPromiseExit(Effect.scoped(Effect.gen(function*() {
      const c = yield* Tcp.make({ ...fast, self: "Coordinator", peers: { Participant: at(port) }, auth: { secret } })
      yield* Effect.sleep(700)
      const started = Date.now()
      const e = yield* Effect.flip(coordinatorRun(c, "late"))
      expect(Date.now() - started).toBeLessThan(200)
      return e
    })))
    expect(exit).toMatchObject({ _tag: "Success", value: { _tag: "PeerUnavailable", peer: "Participant" } })
  })

  it("a role whose last frames are never acknowledged fails with PeerUnavailable, not success", async () => {
    const Notify = Protocol.make("Notify", { roles: ["A", "B"], messages: { Note: Schema.String } }, (g) => g.msg("A", "B", "Note"))
    const port = await freePort()
    const exit = await Effect.runPromiseExit(Effect.scoped(Effect.gen(function*() {
      const a = yield* Tcp.make({ ...fast, self: "A", peers: { B: at(port) }, auth: { secret } })
      return yield* Role.run(Notify, "A", Role.implement(Notify, "A", { send: { Note: () => "hello" } }, null), { sessionId: "n" }).pipe(
        Effect.provideService(Transport, a)
      )
    })))
    expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : exit).toMatchObject({ _tag: "PeerUnavailable", role: "A", peer: "B" })
  })

  it("inside a timeout, a peer unavailable is as good as the clock running out: the fallback at once, and the role ends without it", async () => {
    const port = await freePort()
    const started = Date.now()
    const r = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const t = yield* Tcp.make({ ...fast, self: "Client", peers: { Server: at(port) }, auth: { secret } })
      return yield* Role.run(RobustRequest, "Client", client("hello"), { sessionId: "rr" }).pipe(Effect.provideService(Transport, t))
    })))
    // The timeout is 30 s; the Server was unreachable for 0.4 s.
    expect(Date.now() - started).toBeLessThan(3000)
    expect(r).toEqual({ data: "hello", result: undefined, timedOut: true })
  })

  it("finds a half-open connection by its heartbeat, dials again, and the session completes", async () => {
    const ports = { c: await freePort(), p: await freePort() }
    const proxy = await startProxy(ports.p)
    cleanups.push(() => proxy.close())
    const r = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const options = { heartbeat: Duration.millis(50), unavailableAfter: Duration.seconds(5), auth: { secret } }
      const c = yield* Tcp.make({ ...options, self: "Coordinator", listen: { port: ports.c }, peers: { Participant: at(proxy.port) } })
      const p = yield* Tcp.make({ ...options, self: "Participant", listen: { port: ports.p }, peers: { Coordinator: at(ports.c) } })
      // Up first; then the link swallows everything for a while, without closing.
      yield* Effect.sleep(200)
      expect(c.connectedTo("Participant")).toBe(true)
      proxy.blackhole = true
      const run = yield* Effect.fork(Effect.all([coordinatorRun(c, "h"), participantRun(p, "h")], { concurrency: "unbounded" }))
      yield* Effect.sleep(400)
      expect(c.stats().queued).toBeGreaterThan(0)
      proxy.blackhole = false
      const result = yield* Effect.flatten(run.await)
      return { result, connected: c.stats().connected, proxied: proxy.connections() }
    })))
    expect(r.result).toEqual(committed())
    expect(r.connected).toBeGreaterThanOrEqual(2)
    expect(r.proxied).toBeGreaterThanOrEqual(2)
  })

  it("a peer that restarts (a new process: its numbers start anew) gets the frames it has not had, and new sessions work", async () => {
    const ports = { c: await freePort(), p: await freePort() }
    const r = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const c = yield* Tcp.make({ self: "Coordinator", listen: { port: ports.c }, peers: { Participant: at(ports.p) }, auth: { secret } })
      const participantLayer = () => Tcp.make({ self: "Participant", listen: { port: ports.p }, peers: { Coordinator: at(ports.c) }, auth: { secret } })
      const one = yield* Effect.scoped(Effect.flatMap(participantLayer(), (p) =>
        Effect.all([coordinatorRun(c, "r1"), participantRun(p, "r1")], { concurrency: "unbounded" })))
      // The Participant's transport is gone; the Coordinator starts a session while it is down.
      const two = yield* Effect.fork(coordinatorRun(c, "r2", 8))
      yield* Effect.sleep(200)
      const second = yield* Effect.scoped(Effect.flatMap(participantLayer(), (p) => participantRun(p, "r2")))
      return [one, [yield* Effect.flatten(two.await), second]]
    })))
    expect(r).toEqual([committed(), committed(8)])
  })

  it("closing the layer closes its server, sockets and timers: nothing is left to keep the process alive", async () => {
    const kinds = () => process.getActiveResourcesInfo().filter((k) => k === "TCPServerWrap" || k === "TCPSocketWrap" || k === "Timeout")
    const before = kinds().length
    const during = await Effect.runPromise(pair((c, p) =>
      Effect.as(Effect.all([coordinatorRun(c, "x"), participantRun(p, "x")], { concurrency: "unbounded" }), kinds().length)))
    expect(during).toBeGreaterThan(before)
    // Sockets close on the next turns of the event loop.
    const deadline = Date.now() + 2000
    while (kinds().length > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    // Not more than before (a timer of an earlier test may have ended meanwhile: seen in CI as 6, not 7).
    expect(kinds().length).toBeLessThanOrEqual(before)
  })

  it("refuses keys shorter than 16 bytes and peers without a key, at start", async () => {
    const short = await Effect.runPromiseExit(Effect.scoped(Tcp.make({ self: "A", auth: { secret: "short" } })))
    expect(short).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "TcpError" } } })
    const keyless = await Effect.runPromiseExit(Effect.scoped(Tcp.make({ self: "A", peers: { B: "127.0.0.1:1" }, auth: { keys: {} } })))
    expect(keyless).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "TcpError" } } })
    const taken = net.createServer()
    await new Promise<void>((r) => taken.listen({ host: "127.0.0.1", port: 0 }, () => r()))
    cleanups.push(() => new Promise((r) => taken.close(r)))
    const busy = await Effect.runPromiseExit(Effect.scoped(Tcp.make({ self: "A", listen: { port: (taken.address() as net.AddressInfo).port }, auth: { secret } })))
    expect(busy).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "TcpError" } } })
  })
})

describe("TLS", () => {
  const dir = new URL("../fixtures/tls/", import.meta.url)
  const fs = () => import("node:fs")
  it("runs a session inside TLS; a dialler that does not trust the certificate, or speaks plain TCP, is refused", async () => {
    const { readFileSync } = await fs()
    const cert = readFileSync(new URL("cert.pem", dir))
    const key = readFileSync(new URL("key.pem", dir))
    const tlsOptions = { server: { key, cert }, client: { ca: cert } }
    const ports = { c: await freePort(), p: await freePort() }
    const r = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const c = yield* Tcp.make({ self: "Coordinator", listen: { port: ports.c }, peers: { Participant: at(ports.p) }, auth: { secret }, tls: tlsOptions })
      const p = yield* Tcp.make({ self: "Participant", listen: { port: ports.p }, peers: { Coordinator: at(ports.c) }, auth: { secret }, tls: tlsOptions })
      const result = yield* Effect.all([coordinatorRun(c, "t"), participantRun(p, "t")], { concurrency: "unbounded" })
      // A dialler that trusts no such certificate: refused on its side, and never connected.
      const untrusting = yield* Tcp.make({ ...fast, self: "Coordinator", peers: { Participant: at(ports.p) }, auth: { secret }, tls: { client: {} } })
      const refusedTls = yield* Effect.flip(coordinatorRun(untrusting, "u"))
      // A dialler in plain TCP: the TLS listener refuses it.
      const plain = yield* Tcp.make({ ...fast, self: "Coordinator", peers: { Participant: at(ports.p) }, auth: { secret } })
      const refusedPlain = yield* Effect.flip(coordinatorRun(plain, "v"))
      return { result, refusedTls, untrusting: untrusting.refusals(), refusedPlain, listener: p.stats() }
    })))
    expect(r.result).toEqual(committed())
    expect(r.refusedTls).toMatchObject({ _tag: "PeerUnavailable", peer: "Participant" })
    expect(r.untrusting.some((x) => x.reason === "peer-unproven" && x.message.includes("TLS"))).toBe(true)
    expect(r.refusedPlain).toMatchObject({ _tag: "PeerUnavailable", peer: "Participant" })
    expect(r.listener.accepted).toBe(1)
    expect(r.listener.refused.malformed ?? 0).toBeGreaterThan(0)
  })

  it("connections silent in their TLS handshake count against maxHandshakes and have handshakeTimeout", async () => {
    const { readFileSync } = await fs()
    const cert = readFileSync(new URL("cert.pem", dir))
    const key = readFileSync(new URL("key.pem", dir))
    const r = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const l = yield* Tcp.make({
        self: "Participant",
        listen: { port: 0 },
        auth: { secret },
        tls: { server: { key, cert } },
        handshakeTimeout: Duration.millis(200),
        maxHandshakes: 2
      })
      const started = Date.now()
      const closed = yield* Effect.promise(() =>
        Promise.all(Array.from({ length: 5 }, (_, i) =>
          new Promise<number>((resolve) => {
            // Staggered, so that the first two hold the slots when the others come.
            setTimeout(() => {
              const s = net.connect({ host: "127.0.0.1", port: l.address!.port })
              s.on("error", () => {})
              s.on("close", () => resolve(Date.now() - started))
            }, i * 20)
          }))))
      return { closed, refused: l.stats().refused }
    }).pipe(Logger.withMinimumLogLevel(LogLevel.None))))
    // Every one is gone within the handshake timeout (and some slack), none lingers for Node's 120 s.
    for (const ms of r.closed) expect(ms).toBeLessThan(1500)
    expect(r.refused.busy).toBe(3)
    expect((r.refused.timeout ?? 0) + (r.refused.malformed ?? 0)).toBe(2)
  })
})
