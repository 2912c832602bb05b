/**
 * Who may talk to a TCP role: impersonation and authentication, in one process on 127.0.0.1.
 *
 * A raw client written here with `node:net` speaks the handshake by hand (so that it can lie):
 *
 *   listener → Hello   { v, role, nonce, incarnation }
 *   client   → Auth    { v, from, to, nonce, incarnation, first, proof }
 *              proof = HMAC-SHA-256(pair key, [v, "connect", from, to, listener nonce,
 *                                              client nonce, client incarnation, first] joined by "\n")
 *   listener → Welcome { next, proof } | Refused { reason }
 *
 * The listener is the Coordinator of TwoPhaseCommit, with a key per pair: kA shared with the
 * Participant (A), kB with an Auditor (B). Each attack checks that the attacker got nothing
 * in (no connection accepted, no frame taken: what it sends after its proof is ignored), the
 * typed reason in `refusals()` and `stats().refused`, and, where there is one, the `Refused`
 * answer on the wire. A raw client with the right key is accepted (the control that shows the
 * raw handshake is right), and so is the real dialler, whose bytes, captured by a recording
 * proxy, follow the formula above.
 *
 * The other way round, a dialler refuses a fake listener that cannot prove itself
 * (`peer-unproven`) and sends it no frame. Refusals are `Refused` events in a `TraceSink` and
 * warnings in the log. An honest TwoPhaseCommit completes with the right results, also next to
 * a refused impostor. Every test closes its sockets and the layers' scopes: no TCP handle is
 * left after it.
 */
import { Duration, Effect, Exit, Logger, LogLevel, Schedule, Schema, type Scope } from "effect"
import * as crypto from "node:crypto"
import * as net from "node:net"
import { afterEach, beforeAll, describe, expect, it } from "vitest"
import { coordinator, participant, TwoPhaseCommit } from "../../examples/two-phase-commit.js"
import { type Envelope, Observe, Protocol, Role, TraceSink, Transport } from "../../src/index.js"
import { Tcp } from "../../src/node/index.js"
import { bodyJson, dataFrame, type Frame, frame, hex, hmac, jsonFrame, openSockets as sockets, Raw, splitFrames, T, version } from "../fixtures/tcp-wire.js"
import { freePort } from "../../examples/tcp/cluster.js"

const servers = new Set<net.Server>()

// ---------------------------------------------------------------------------------------------
// Handshakes by hand (the wire is tests/fixtures/tcp-wire.ts, written apart from src)

interface Claim {
  readonly from: string
  readonly to: string
  readonly key: string | Buffer
  readonly first?: number
  readonly incarnation?: string
  /** Sent after the proof, in the same write: must never be taken when the proof fails. */
  readonly then?: Buffer
}

/** Connects, waits for the Hello, answers it with a proof made with `claim.key`, and reads the answer. */
const handshake = async (port: number, claim: Claim) => {
  const client = await Raw.connect(port)
  const helloFrame = await client.next()
  expect(helloFrame?.type).toBe(T.Hello)
  const hello = bodyJson(helloFrame) as { v: string; role: string; nonce: string; incarnation: string }
  const nonce = hex(32)
  const incarnation = claim.incarnation ?? hex(16)
  const first = claim.first ?? 0
  const proof = hmac(claim.key, [version, "connect", claim.from, claim.to, hello.nonce, nonce, incarnation, first])
  const auth = jsonFrame(T.Auth, { v: version, from: claim.from, to: claim.to, nonce, incarnation, first, proof })
  client.write(claim.then === undefined ? auth : Buffer.concat([auth, claim.then]))
  const reply = await client.next()
  return { client, hello, auth, nonce, incarnation, reply }
}

/** An envelope from `from` to the Coordinator, of a session no role has opened: held (pending) if taken. */
const envelope = (from: string, session = "forged-session"): Envelope => ({
  session,
  from,
  to: "Coordinator",
  label: "PrepareResponse",
  site: "s1",
  loops: {},
  seq: 0,
  payload: { vote: "commit" }
})
const forged = (from: string) => dataFrame(0, JSON.stringify(envelope(from)))

// ---------------------------------------------------------------------------------------------
// Transports

const kA = "key shared by Coordinator and Participant " + hex(8)
const kB = "key shared by Coordinator and Auditor " + hex(8)
const wrongKey = "a key nobody shares with anyone " + hex(8)


/** The Coordinator, listening on a free port of 127.0.0.1, with a key for the Participant and one for the Auditor. */
const listener = (options: Partial<Tcp.TcpOptions> = {}) =>
  Tcp.make({
    self: "Coordinator",
    listen: { host: "127.0.0.1", port: 0 },
    auth: { keys: { Participant: kA, Auditor: kB } },
    ...options
  })

/** The Coordinator and the Participant, each listening and dialling the other. */
const pair = (options: { readonly L?: Partial<Tcp.TcpOptions>; readonly P?: Partial<Tcp.TcpOptions>; readonly coordinatorAt?: (port: number) => Promise<number> } = {}) =>
  Effect.gen(function*() {
    const pPort = yield* Effect.promise(freePort)
    const L = yield* listener({ peers: { Participant: `127.0.0.1:${pPort}` }, ...options.L })
    const cPort = options.coordinatorAt === undefined ? L.address!.port : yield* Effect.promise(() => options.coordinatorAt!(L.address!.port))
    const P = yield* Tcp.make({
      self: "Participant",
      listen: { host: "127.0.0.1", port: pPort },
      peers: { Coordinator: `127.0.0.1:${cPort}` },
      auth: { keys: { Coordinator: kA } },
      ...options.P
    })
    return { L, P }
  })

const twoPhaseCommit = (L: Tcp.TcpTransport, P: Tcp.TcpTransport, sessionId: string, vote: "commit" | "abort", id = 7) =>
  Effect.all([
    Role.run(TwoPhaseCommit, "Coordinator", coordinator(id), { sessionId }).pipe(Effect.provideService(Transport, L)),
    Role.run(TwoPhaseCommit, "Participant", participant(vote), { sessionId }).pipe(Effect.provideService(Transport, P))
  ], { concurrency: "unbounded" }).pipe(Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => new Error(`session ${sessionId} did not end within 10 s`) }))

const outcome = (vote: "commit" | "abort", id = 7) => {
  const o = vote === "commit" ? "committed" : "aborted"
  return [{ transactionId: id, vote, outcome: o }, { transactionId: id, applied: o }]
}

const until = async (what: string, ok: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
}
const waitFor = (what: string, ok: () => boolean, ms = 3000) => Effect.promise(() => until(what, ok, ms))

/** Runs a scoped test program with the log switched off (refusals are warnings). */
const run = <A>(program: Effect.Effect<A, unknown, Scope.Scope>): Promise<A> =>
  Effect.runPromise(Effect.scoped(program).pipe(Logger.withMinimumLogLevel(LogLevel.None)) as Effect.Effect<A>)

/** Nothing got in: no connection accepted, no frame taken, rejected, dropped or held. */
const nothingIn = (L: Tcp.TcpTransport, accepted = 0) =>
  expect(L.stats()).toMatchObject({ accepted, rejected: 0, duplicates: 0, dropped: 0, sessions: 0, mailboxes: 0, frames: 0 })

/** The attacker's connection is refused on the wire: a `Refused` frame with the reason, then the close. */
const refusedOnWire = async (client: Raw, reply: Frame | undefined, reason: string) => {
  expect(reply?.type, `expected Refused ${reason}`).toBe(T.Refused)
  expect(bodyJson(reply)).toEqual({ reason })
  await client.closedWithin()
  expect(await client.next()).toBeUndefined()
}

const tcpHandles = () => process.getActiveResourcesInfo().filter((k) => k === "TCPServerWrap" || k === "TCPSocketWrap").length
let baseline = 0
beforeAll(() => {
  baseline = tcpHandles()
})
afterEach(async () => {
  for (const s of sockets) s.destroy()
  for (const s of servers) s.close()
  servers.clear()
  // The layers' scopes are closed by now: their sockets and servers go within a few turns.
  await until("every TCP handle closed", () => tcpHandles() <= baseline, 2000)
  expect(tcpHandles()).toBe(baseline)
})

// ---------------------------------------------------------------------------------------------

describe("the listener proves, and is proven", () => {
  it("a raw client with the right key is accepted, the listener proves itself, and its frames are taken", () =>
    run(Effect.gen(function*() {
      const L = yield* listener()
      const port = L.address!.port
      expect(L.address!.host).toBe("127.0.0.1")
      const r = yield* Effect.promise(() => handshake(port, { from: "Auditor", to: "Coordinator", key: kB }))
      expect(r.hello).toMatchObject({ v: version, role: "Coordinator" })
      expect(r.hello.nonce).toMatch(/^[0-9a-f]{64}$/)
      expect(r.hello.incarnation).toMatch(/^[0-9a-f]{32}$/)
      expect(r.reply?.type).toBe(T.Welcome)
      const welcome = bodyJson(r.reply) as { next: number; proof: string }
      expect(welcome.next).toBe(0)
      // The listener's proof: the "accept" direction, bound to both nonces and its incarnation.
      expect(welcome.proof).toBe(hmac(kB, [version, "accept", "Auditor", "Coordinator", r.hello.nonce, r.nonce, r.hello.incarnation, 0]))
      expect(welcome.proof).not.toBe(hmac(kA, [version, "accept", "Auditor", "Coordinator", r.hello.nonce, r.nonce, r.hello.incarnation, 0]))
      // After the Welcome, a frame from the Auditor is taken (held for a session no role has opened).
      r.client.write(forged("Auditor"))
      yield* waitFor("the frame held", () => L.stats().frames === 1)
      expect(L.stats()).toMatchObject({ accepted: 1, rejected: 0, sessions: 1, frames: 1 })
      expect(L.refusals()).toEqual([])
      expect(L.stats().refused).toEqual({})
      expect(L.connectedTo("Auditor")).toBe(true)
      r.client.destroy()
      yield* waitFor("the Auditor's connection gone", () => !L.connectedTo("Auditor"))
    })))

  it("the real dialler's handshake, captured on the wire, follows the formula; replayed verbatim it is refused (bad-proof)", () =>
    run(Effect.gen(function*() {
      // The Participant dials the Coordinator through a proxy that records both directions.
      const recorded = { up: [] as Array<Buffer>, down: [] as Array<Buffer> }
      const startRecorder = (target: number) =>
        new Promise<number>((resolve) => {
          const server = net.createServer((inbound) => {
            const outbound = net.connect({ host: "127.0.0.1", port: target })
            for (const s of [inbound, outbound]) {
              sockets.add(s)
              s.on("error", () => {})
              s.on("close", () => {
                sockets.delete(s)
                inbound.destroy()
                outbound.destroy()
              })
            }
            inbound.on("data", (c: Buffer) => (recorded.up.push(c), outbound.write(c)))
            outbound.on("data", (c: Buffer) => (recorded.down.push(c), inbound.write(c)))
          })
          servers.add(server)
          server.listen({ host: "127.0.0.1", port: 0 }, () => resolve((server.address() as net.AddressInfo).port))
        })
      const { L, P } = yield* pair({ coordinatorAt: startRecorder })
      expect(yield* twoPhaseCommit(L, P, "captured", "commit")).toEqual(outcome("commit"))
      const up = splitFrames(Buffer.concat(recorded.up))
      const down = splitFrames(Buffer.concat(recorded.down))
      expect(up[0].type).toBe(T.Auth)
      expect(down[0].type).toBe(T.Hello)
      expect(down[1].type).toBe(T.Welcome)
      const hello = bodyJson(down[0])
      const auth = bodyJson(up[0])
      const welcome = bodyJson(down[1])
      expect(auth).toMatchObject({ v: version, from: "Participant", to: "Coordinator", first: 0 })
      expect(auth.proof).toBe(hmac(kA, [version, "connect", "Participant", "Coordinator", hello.nonce, auth.nonce, auth.incarnation, auth.first]))
      expect(welcome.proof).toBe(hmac(kA, [version, "accept", "Participant", "Coordinator", hello.nonce, auth.nonce, hello.incarnation, welcome.next]))
      // The session's frames went up after the proof: Data frames (and heartbeats).
      expect(up.filter((f) => f.type === T.Data).length).toBe(2)
      expect(L.stats().accepted).toBe(1)
      const before = L.stats()

      // The Auth replayed verbatim on a new connection, while the real one is up, then the
      // whole recorded stream (proof, frames, heartbeats) on another.
      const authBytes = frame(T.Auth, up[0].body)
      for (const bytes of [authBytes, Buffer.concat(recorded.up)]) {
        const client = yield* Effect.promise(() => Raw.connect(L.address!.port))
        yield* Effect.promise(() => client.next())
        client.write(bytes)
        const reply = yield* Effect.promise(() => client.next())
        yield* Effect.promise(() => refusedOnWire(client, reply, "bad-proof"))
      }
      expect(L.refusals().map((r) => [r.reason, r.peer, r.direction])).toEqual([["bad-proof", "Participant", "inbound"], ["bad-proof", "Participant", "inbound"]])
      expect(L.stats().refused).toEqual({ "bad-proof": 2 })
      expect(L.stats()).toMatchObject({ accepted: before.accepted, rejected: 0, duplicates: 0, dropped: 0, sessions: 0, frames: 0 })
      // The replays changed nothing for the real connection: another session runs over it.
      expect(yield* twoPhaseCommit(L, P, "after replay", "abort")).toEqual(outcome("abort"))
      expect(P.stats().connected).toBe(1)
      expect(L.stats().accepted).toBe(1)
    })))

  it("a replayed raw handshake is refused (bad-proof), whether the original connection is up or gone", () =>
    run(Effect.gen(function*() {
      const L = yield* listener()
      const port = L.address!.port
      const first = yield* Effect.promise(() => handshake(port, { from: "Auditor", to: "Coordinator", key: kB }))
      expect(first.reply?.type).toBe(T.Welcome)
      expect(L.stats().accepted).toBe(1)
      for (const originalUp of [true, false]) {
        if (!originalUp) {
          first.client.destroy()
          yield* waitFor("the original connection gone", () => !L.connectedTo("Auditor"))
        }
        const client = yield* Effect.promise(() => Raw.connect(port))
        const hello = bodyJson(yield* Effect.promise(() => client.next()))
        expect(hello.nonce).not.toBe(first.hello.nonce)
        client.write(Buffer.concat([first.auth, forged("Auditor")]))
        const reply = yield* Effect.promise(() => client.next())
        yield* Effect.promise(() => refusedOnWire(client, reply, "bad-proof"))
      }
      expect(L.stats().refused).toEqual({ "bad-proof": 2 })
      nothingIn(L, 1)
    })))
})

describe("impostors are refused, with the reason, and get nothing in", () => {
  const cases: ReadonlyArray<{ readonly name: string; readonly claim: Claim; readonly reason: string; readonly peer: string }> = [
    { name: "a wrong key", claim: { from: "Participant", to: "Coordinator", key: wrongKey }, reason: "bad-proof", peer: "Participant" },
    { name: "the Auditor's key (kB) claiming the Participant", claim: { from: "Participant", to: "Coordinator", key: kB }, reason: "bad-proof", peer: "Participant" },
    { name: "the Participant's key (kA) claiming the Auditor", claim: { from: "Auditor", to: "Coordinator", key: kA }, reason: "bad-proof", peer: "Auditor" },
    { name: "a role the listener has no key for", claim: { from: "Mallory", to: "Coordinator", key: kA }, reason: "unknown-role", peer: "Mallory" },
    { name: "the listener's own role", claim: { from: "Coordinator", to: "Coordinator", key: kA }, reason: "unknown-role", peer: "Coordinator" },
    { name: "a connection meant for another role", claim: { from: "Participant", to: "Auditor", key: kA }, reason: "wrong-role", peer: "Participant" }
  ]
  for (const c of cases) {
    it(`${c.name}: ${c.reason}`, () =>
      run(Effect.gen(function*() {
        const L = yield* listener()
        const r = yield* Effect.promise(() => handshake(L.address!.port, { ...c.claim, then: forged(c.claim.from) }))
        yield* Effect.promise(() => refusedOnWire(r.client, r.reply, c.reason))
        expect(L.refusals()).toHaveLength(1)
        expect(L.refusals()[0]).toMatchObject({ role: "Coordinator", peer: c.peer, direction: "inbound", reason: c.reason })
        expect(L.refusals()[0].remote).toMatch(/^127\.0\.0\.1:\d+$/)
        expect(L.stats().refused).toEqual({ [c.reason]: 1 })
        nothingIn(L)
        expect(L.connectedTo(c.claim.from)).toBe(false)
      })))
  }

  it("with one secret per deployment (pair keys derived from it): a pair key derived from another secret is refused (bad-proof), the listener's own role too (unknown-role), the right one accepted", () =>
    run(Effect.gen(function*() {
      const secret = "one secret for the whole deployment " + hex(8)
      const derive = (s: string, a: string, b: string) => {
        const [x, y] = a < b ? [a, b] : [b, a]
        return crypto.createHmac("sha256", s).update(`${version} pair\n${x}\n${y}`).digest()
      }
      const L = yield* listener({ auth: { secret } })
      const port = L.address!.port
      const attempts: ReadonlyArray<[Claim, string]> = [
        [{ from: "Participant", to: "Coordinator", key: derive("another secret, as long as it is", "Coordinator", "Participant") }, "bad-proof"],
        // The secret itself is not a pair key.
        [{ from: "Participant", to: "Coordinator", key: secret }, "bad-proof"],
        // Another pair's key (Auditor's) claiming the Participant.
        [{ from: "Participant", to: "Coordinator", key: derive(secret, "Coordinator", "Auditor") }, "bad-proof"],
        // Even with the secret, the listener's own name is no peer of it.
        [{ from: "Coordinator", to: "Coordinator", key: derive(secret, "Coordinator", "Coordinator") }, "unknown-role"]
      ]
      for (const [claim, reason] of attempts) {
        const r = yield* Effect.promise(() => handshake(port, { ...claim, then: forged(claim.from) }))
        yield* Effect.promise(() => refusedOnWire(r.client, r.reply, reason))
      }
      expect(L.refusals().map((r) => [r.reason, r.peer])).toEqual(attempts.map(([c, reason]) => [reason, c.from]))
      nothingIn(L)
      const ok = yield* Effect.promise(() => handshake(port, { from: "Participant", to: "Coordinator", key: derive(secret, "Participant", "Coordinator") }))
      expect(ok.reply?.type).toBe(T.Welcome)
      expect(L.stats().accepted).toBe(1)
      ok.client.destroy()
    })))

  it("a second connection claiming a role that is connected and live, with that role's key: already-connected; the original and a session over it keep working", () =>
    run(Effect.gen(function*() {
      const { L, P } = yield* pair()
      expect(yield* twoPhaseCommit(L, P, "before", "commit")).toEqual(outcome("commit"))
      expect(L.stats().accepted).toBe(1)
      // A second process holding kA (a copy of the Participant, a stolen key) while the Participant is live.
      const r = yield* Effect.promise(() => handshake(L.address!.port, { from: "Participant", to: "Coordinator", key: kA, then: forged("Participant") }))
      yield* Effect.promise(() => refusedOnWire(r.client, r.reply, "already-connected"))
      expect(L.refusals().map((x) => [x.reason, x.peer])).toEqual([["already-connected", "Participant"]])
      expect(L.stats().refused).toEqual({ "already-connected": 1 })
      expect(L.connectedTo("Participant")).toBe(true)
      expect(yield* twoPhaseCommit(L, P, "after", "commit", 8)).toEqual(outcome("commit", 8))
      expect(yield* twoPhaseCommit(L, P, "after 2", "abort", 9)).toEqual(outcome("abort", 9))
      // The original connections stayed: not one reconnection either way, nothing dropped or rejected.
      expect(L.stats()).toMatchObject({ accepted: 1, connected: 1, rejected: 0, dropped: 0, duplicates: 0, sessions: 0, frames: 0 })
      expect(P.stats()).toMatchObject({ accepted: 1, connected: 1, rejected: 0, dropped: 0, refused: {} })
    })))

  it("a client that never answers the challenge: timeout, within the handshake timeout", () =>
    run(Effect.gen(function*() {
      const L = yield* listener({ handshakeTimeout: Duration.millis(150) })
      const started = Date.now()
      const client = yield* Effect.promise(() => Raw.connect(L.address!.port))
      expect((yield* Effect.promise(() => client.next()))?.type).toBe(T.Hello)
      const reply = yield* Effect.promise(() => client.next(2000))
      yield* Effect.promise(() => refusedOnWire(client, reply, "timeout"))
      const took = Date.now() - started
      expect(took).toBeGreaterThanOrEqual(140)
      expect(took).toBeLessThan(1500)
      expect(L.refusals()[0]).toMatchObject({ peer: "?", reason: "timeout", direction: "inbound" })
      expect(L.stats().refused).toEqual({ timeout: 1 })
      nothingIn(L)
    })))

  const auth = (over: Record<string, unknown>) =>
    jsonFrame(T.Auth, { v: version, from: "Participant", to: "Coordinator", nonce: hex(32), incarnation: hex(16), first: 0, proof: hex(32), ...over })
  const garbage: ReadonlyArray<{ readonly name: string; readonly bytes: Buffer; readonly reason: string }> = [
    { name: "an HTTP request", bytes: Buffer.from("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), reason: "oversized" },
    { name: "a Data frame with a valid envelope, before any proof", bytes: forged("Participant"), reason: "malformed" },
    { name: "a heartbeat before any proof", bytes: frame(T.Ping), reason: "malformed" },
    { name: "a Welcome sent to the listener", bytes: jsonFrame(T.Welcome, { next: 0, proof: hex(32) }), reason: "malformed" },
    { name: "an Auth frame that is not JSON", bytes: frame(T.Auth, "{\"v\": \"quadrille-tcp/1\", \"from\": "), reason: "malformed" },
    { name: "an Auth frame of random bytes", bytes: frame(T.Auth, crypto.randomBytes(200)), reason: "malformed" },
    { name: "an Auth without a proof", bytes: auth({ proof: undefined }), reason: "malformed" },
    { name: "an Auth with another version", bytes: auth({ v: "quadrille-tcp/0" }), reason: "malformed" },
    { name: "an Auth with an upper-case proof", bytes: auth({ proof: hex(32).toUpperCase() }), reason: "malformed" },
    { name: "an Auth with a role name of 1 025 characters", bytes: auth({ from: "P".repeat(1025) }), reason: "malformed" },
    { name: "an Auth with a negative first number", bytes: auth({ first: -1 }), reason: "malformed" },
    { name: "a frame of length 0", bytes: Buffer.alloc(4), reason: "malformed" },
    { name: "random bytes", bytes: Buffer.concat([Buffer.from([0xff, 0x13, 0x37, 0x00]), crypto.randomBytes(64)]), reason: "oversized" }
  ]
  for (const g of garbage) {
    it(`garbage before the proof, ${g.name}: ${g.reason}`, () =>
      run(Effect.gen(function*() {
        const L = yield* listener()
        const client = yield* Effect.promise(() => Raw.connect(L.address!.port))
        // Followed by a frame that would be taken after a proof: it must not be.
        client.write(Buffer.concat([g.bytes, forged("Participant")]))
        expect((yield* Effect.promise(() => client.next()))?.type).toBe(T.Hello)
        const reply = yield* Effect.promise(() => client.next())
        yield* Effect.promise(() => refusedOnWire(client, reply, g.reason))
        expect(L.refusals().map((r) => [r.reason, r.peer])).toEqual([[g.reason, "?"]])
        expect(L.stats().refused).toEqual({ [g.reason]: 1 })
        nothingIn(L)
      })))
  }

  it("an oversized handshake frame is refused before its bytes come (nothing is read or held for it); 4 096 bytes is the limit", () =>
    run(Effect.gen(function*() {
      const L = yield* listener()
      const port = L.address!.port
      // Declares 4 GiB and sends none of it: refused at once, not waited for.
      const huge = Buffer.alloc(5)
      huge.writeUInt32BE(0xffffffff, 0)
      huge[4] = T.Auth
      // Declares one byte over the limit (a JSON Auth padded with spaces) and sends it whole.
      const over = auth({})
      const padded = Buffer.concat([over.subarray(0, 5), Buffer.alloc(4097 - over.length + 4, " "), over.subarray(5)])
      padded.writeUInt32BE(4097, 0)
      // Exactly at the limit: read, and refused for what it says (a bad proof), not for its size.
      const atLimit = Buffer.concat([over.subarray(0, 5), Buffer.alloc(4096 - over.length + 4, " "), over.subarray(5)])
      atLimit.writeUInt32BE(4096, 0)
      expect(JSON.parse(atLimit.subarray(5).toString()).from).toBe("Participant")
      for (const [bytes, reason] of [[huge, "oversized"], [padded, "oversized"], [atLimit, "bad-proof"]] as const) {
        const client = yield* Effect.promise(() => Raw.connect(port))
        client.write(bytes)
        yield* Effect.promise(() => client.next())
        const reply = yield* Effect.promise(() => client.next(1000))
        yield* Effect.promise(() => refusedOnWire(client, reply, reason))
      }
      expect(L.refusals().map((r) => r.reason)).toEqual(["oversized", "oversized", "bad-proof"])
      expect(L.refusals()[0].message).toContain("4294967295")
      expect(L.stats().refused).toEqual({ oversized: 2, "bad-proof": 1 })
      nothingIn(L)
    })))

  it("more connections proving themselves at once than maxHandshakes: busy; slots free again when they go; an honest peer gets in after", () =>
    run(Effect.gen(function*() {
      const { L, P } = yield* pair({ L: { maxHandshakes: 2 } })
      yield* waitFor("the Participant connected", () => L.stats().accepted === 1 && P.stats().connected === 1)
      const port = L.address!.port
      const idle = [yield* Effect.promise(() => Raw.connect(port)), yield* Effect.promise(() => Raw.connect(port))]
      for (const c of idle) expect((yield* Effect.promise(() => c.next()))?.type).toBe(T.Hello)
      const third = yield* Effect.promise(() => Raw.connect(port))
      // Refused at once, without a challenge.
      yield* Effect.promise(() => third.closedWithin(1000))
      expect(yield* Effect.promise(() => third.next())).toBeUndefined()
      expect(L.refusals().map((r) => [r.reason, r.peer])).toEqual([["busy", "?"]])
      for (const c of idle) c.destroy()
      yield* Effect.promise(() => Promise.all(idle.map((c) => c.whenClosed)))
      // Once they are gone a new connection is challenged again, and one with the right key gets in.
      // (The listener learns of their close a moment after the client: tries that come first are busy too.)
      let r: Awaited<ReturnType<typeof handshake>> | undefined
      let tries = 0
      for (; tries < 50; tries++) {
        yield* Effect.sleep(Duration.millis(20))
        r = yield* Effect.promise(() => handshake(port, { from: "Auditor", to: "Coordinator", key: kB }).catch(() => undefined))
        if (r?.reply?.type === T.Welcome) break
        r?.client.destroy()
      }
      expect(r?.reply?.type).toBe(T.Welcome)
      expect(L.stats().accepted).toBe(2)
      expect(L.stats().refused).toEqual({ busy: 1 + tries })
      expect(tries).toBeLessThan(5)
      expect(yield* twoPhaseCommit(L, P, "after busy", "commit")).toEqual(outcome("commit"))
    })))
})

describe("the dialling side refuses a listener that cannot prove itself", () => {
  interface Fake {
    readonly name: string
    /** What the fake listener does on a connection; `received` collects the dialler's frames. */
    readonly behave: (socket: net.Socket, received: Array<Frame>) => void
    readonly reason: "peer-unproven" | "peer-refused"
    readonly detail: string
  }
  const greet = (socket: net.Socket, role = "Participant") => {
    const nonce = hex(32)
    const incarnation = hex(16)
    socket.write(jsonFrame(T.Hello, { v: version, role, nonce, incarnation }))
    return { nonce, incarnation }
  }
  /** Answers the dialler's Auth with `welcome(auth, hello)`. */
  const onAuth = (socket: net.Socket, received: Array<Frame>, answer: (auth: any, hello: { nonce: string; incarnation: string }) => Buffer, role?: string) => {
    const hello = greet(socket, role)
    let bytes = Buffer.alloc(0)
    let answered = false
    socket.on("data", (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk])
      received.splice(0, received.length, ...splitFrames(bytes))
      const auth = received.find((f) => f.type === T.Auth)
      if (auth !== undefined && !answered) {
        answered = true
        socket.write(answer(bodyJson(auth), hello))
      }
    })
  }
  const fakes: ReadonlyArray<Fake> = [
    {
      name: "a Welcome with a wrong proof",
      behave: (s, r) => onAuth(s, r, () => jsonFrame(T.Welcome, { next: 0, proof: hex(32) })),
      reason: "peer-unproven",
      detail: "its proof does not match"
    },
    {
      name: "a Welcome proven with another pair's key (kB)",
      behave: (s, r) =>
        onAuth(s, r, (a, h) => jsonFrame(T.Welcome, { next: 0, proof: hmac(kB, [version, "accept", "Coordinator", "Participant", h.nonce, a.nonce, h.incarnation, 0]) })),
      reason: "peer-unproven",
      detail: "its proof does not match"
    },
    {
      name: "the dialler's own proof sent back as the Welcome's (a reflection)",
      behave: (s, r) => onAuth(s, r, (a) => jsonFrame(T.Welcome, { next: 0, proof: a.proof })),
      reason: "peer-unproven",
      detail: "its proof does not match"
    },
    {
      name: "a greeting that says it is another role",
      behave: (s, r) => onAuth(s, r, () => jsonFrame(T.Welcome, { next: 0, proof: hex(32) }), "Auditor"),
      reason: "peer-unproven",
      detail: "it says it is Auditor"
    },
    {
      name: "garbage for a greeting",
      behave: (s) => s.write(jsonFrame(T.Hello, { hello: "there" })),
      reason: "peer-unproven",
      detail: "its greeting does not decode"
    },
    {
      name: "an oversized greeting",
      behave: (s) => s.write(Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n")),
      reason: "peer-unproven",
      detail: "a handshake frame of"
    },
    {
      name: "a refusal",
      behave: (s) => (greet(s), s.on("data", () => s.end(jsonFrame(T.Refused, { reason: "bad-proof" })))),
      reason: "peer-refused",
      detail: "it said bad-proof"
    }
  ]
  for (const f of fakes) {
    it(`${f.name}: ${f.reason}, recorded on the dialler; no frame goes to it`, () =>
      run(Effect.gen(function*() {
        const received: Array<Array<Frame>> = []
        const fakePort = yield* Effect.promise(() =>
          new Promise<number>((resolve) => {
            const server = net.createServer((socket) => {
              sockets.add(socket)
              socket.on("error", () => {})
              socket.on("close", () => sockets.delete(socket))
              const frames: Array<Frame> = []
              received.push(frames)
              f.behave(socket, frames)
            })
            servers.add(server)
            server.listen({ host: "127.0.0.1", port: 0 }, () => resolve((server.address() as net.AddressInfo).port))
          })
        )
        const recorder = TraceSink.unsafeMakeRecorder()
        const dialler = yield* Tcp.make({
          self: "Coordinator",
          peers: { Participant: `127.0.0.1:${fakePort}` },
          auth: { keys: { Participant: kA } },
          reconnect: Schedule.spaced(Duration.millis(20))
        }).pipe(Effect.provideService(TraceSink.TraceSink, recorder))
        // A frame for the fake: it must wait in the queue, never go on an unproven connection.
        yield* dialler.send({ session: "s", from: "Coordinator", to: "Participant", label: "PrepareRequest", site: "s0", loops: {}, seq: 0, payload: { transactionId: 1 } })
        yield* waitFor("three refusals", () => dialler.refusals().length >= 3)
        const refusals = dialler.refusals()
        for (const r of refusals) {
          expect(r).toMatchObject({ role: "Coordinator", peer: "Participant", direction: "outbound", reason: f.reason })
          expect(r.message).toContain(f.detail)
        }
        expect(dialler.stats().refused[f.reason]).toBe(refusals.length)
        expect(dialler.stats()).toMatchObject({ connected: 0, queued: 1, resent: 0 })
        expect(dialler.connectedTo("Participant")).toBe(false)
        // The fake got at most the dialler's proof on each connection: no Data frame, no heartbeat.
        expect(received.length).toBeGreaterThanOrEqual(3)
        for (const frames of received) for (const fr of frames) expect(fr.type).toBe(T.Auth)
        const refused = recorder.events().filter((e) => e._tag === "Refused")
        expect(refused.length).toBeGreaterThanOrEqual(3)
        for (const e of refused) expect(e).toMatchObject({ role: "Coordinator", peer: "Participant", reason: expect.stringContaining(`outbound ${f.reason}: `) })
      })))
  }
})

describe("a proven peer that misbehaves harms only itself", () => {
  it("one that fills the room for sessions not opened yet does not take another peer's: an honest frame that comes first is kept", () =>
    run(Effect.gen(function*() {
      const { L, P } = yield* pair()
      const { client: auditor, reply } = yield* Effect.promise(() => handshake(L.address!.port, { from: "Auditor", to: "Coordinator", key: kB }))
      expect(reply?.type).toBe(T.Welcome)
      // 1 100 sessions of the Auditor's making, 12 000 frames: more than its room of 1 024 sessions and 10 000 frames.
      const flood = Array.from({ length: 12_000 }, (_, i) => dataFrame(i, JSON.stringify(envelope("Auditor", `made-up-${i % 1100}`))))
      auditor.write(Buffer.concat(flood))
      yield* waitFor("the flood taken", () => L.stats().frames + L.stats().dropped >= 12_000, 10_000)
      expect(L.stats().frames).toBe(10_000)
      expect(L.stats().dropped).toBe(2_000)
      // The Participant speaks first, before the Coordinator's role has opened its session.
      const Hello = Protocol.make("Hello", { roles: ["Coordinator", "Participant"], messages: { Note: Schema.String } }, (g) =>
        g.msg("Participant", "Coordinator", "Note"))
      yield* Role.run(Hello, "Participant", Role.implement(Hello, "Participant", { send: { Note: () => "first" } }, null), { sessionId: "hello" }).pipe(
        Effect.provideService(Transport, P)
      )
      const got = yield* Role.run(Hello, "Coordinator", Role.implement(Hello, "Coordinator", { recv: { Note: (_, n) => n } }, ""), { sessionId: "hello" }).pipe(
        Effect.provideService(Transport, L)
      )
      expect(got).toBe("first")
    })))

  it("one that pings and never reads its acknowledgements is cut off before they pile up", () =>
    run(Effect.gen(function*() {
      const L = yield* listener()
      const { client, reply } = yield* Effect.promise(() => handshake(L.address!.port, { from: "Auditor", to: "Coordinator", key: kB }))
      expect(reply?.type).toBe(T.Welcome)
      client.socket.pause()
      const heap = process.memoryUsage().heapUsed
      const ping = frame(T.Ping)
      const pings = Buffer.alloc(2_000_000 * ping.length)
      for (let i = 0; i < pings.length; i += ping.length) ping.copy(pings, i)
      client.write(pings)
      yield* waitFor("the Auditor cut off", () => !L.connectedTo("Auditor"), 10_000)
      // 2 000 000 acknowledgements would be 22 MB and more on the heap; the cut came long before.
      expect(process.memoryUsage().heapUsed - heap).toBeLessThan(64 * 1024 * 1024)
      client.destroy()
    })))

  it("frames sent in the same write as the proof are taken, not lost", () =>
    run(Effect.gen(function*() {
      const L = yield* listener()
      const { reply } = yield* Effect.promise(() => handshake(L.address!.port, { from: "Auditor", to: "Coordinator", key: kB, then: forged("Auditor") }))
      expect(reply?.type).toBe(T.Welcome)
      yield* waitFor("the frame held", () => L.stats().frames === 1)
      expect(L.stats()).toMatchObject({ rejected: 0, frames: 1, sessions: 1 })
    })))

  it("a frame of no length after the proof closes the connection at once (it cannot be skipped past)", () =>
    run(Effect.gen(function*() {
      const L = yield* listener({ heartbeat: Duration.seconds(10) })
      const { client, reply } = yield* Effect.promise(() => handshake(L.address!.port, { from: "Auditor", to: "Coordinator", key: kB }))
      expect(reply?.type).toBe(T.Welcome)
      client.write(Buffer.alloc(4))
      yield* Effect.promise(() => client.closedWithin(1000))
      expect(L.stats().rejected).toBe(1)
    })))
})

describe("refusals are recorded and logged", () => {
  it("as Refused events in the TraceSink, one per refusal, and as warnings in the log", async () => {
    const recorder = TraceSink.unsafeMakeRecorder()
    const warnings: Array<{ readonly level: string; readonly message: string }> = []
    const logger = Logger.make(({ logLevel, message }) => {
      warnings.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
    })
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const L = yield* listener({ handshakeTimeout: Duration.millis(100) })
      const port = L.address!.port
      const attempts: ReadonlyArray<[Claim, string]> = [
        [{ from: "Participant", to: "Coordinator", key: wrongKey }, "bad-proof"],
        [{ from: "Mallory", to: "Coordinator", key: kA }, "unknown-role"],
        [{ from: "Auditor", to: "Participant", key: kB }, "wrong-role"]
      ]
      for (const [claim, reason] of attempts) {
        const r = yield* Effect.promise(() => handshake(port, claim))
        yield* Effect.promise(() => refusedOnWire(r.client, r.reply, reason))
      }
      const silent = yield* Effect.promise(() => Raw.connect(port))
      yield* Effect.promise(() => silent.closedWithin(2000))
      // An honest client in between is not recorded.
      const ok = yield* Effect.promise(() => handshake(port, { from: "Auditor", to: "Coordinator", key: kB }))
      expect(ok.reply?.type).toBe(T.Welcome)
      ok.client.destroy()
      expect(L.stats().refused).toEqual({ "bad-proof": 1, "unknown-role": 1, "wrong-role": 1, timeout: 1 })
    }).pipe(Effect.provideService(TraceSink.TraceSink, recorder))).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger))))
    const refused = recorder.events().filter((e) => e._tag === "Refused")
    expect(refused.map((e) => [e.role, e.peer, e.reason?.split(":")[0]])).toEqual([
      ["Coordinator", "Participant", "inbound bad-proof"],
      ["Coordinator", "Mallory", "inbound unknown-role"],
      ["Coordinator", "Auditor", "inbound wrong-role"],
      ["Coordinator", "?", "inbound timeout"]
    ])
    expect(recorder.events().filter((e) => e._tag !== "Refused")).toEqual([])
    await until("the warnings logged", () => warnings.length >= 4, 1000)
    expect(warnings.map((w) => w.level)).toEqual(["WARN", "WARN", "WARN", "WARN"])
    expect(warnings[0].message).toMatch(/^Coordinator refused a connection from 127\.0\.0\.1:\d+ claiming Participant: bad-proof/)
    expect(warnings[3].message).toContain("timeout")
  })
})

describe("refusals, observed", () => {
  it("with Observe where the transport is built: a Debug log and a span event of the span it was built in, with the roles and the reason", async () => {
    const debug: Array<{ readonly message: string; readonly annotations: Record<string, unknown> }> = []
    const logger = Logger.make(({ annotations, logLevel, message }) => {
      if (logLevel.label === "DEBUG") debug.push({ message: String(message), annotations: Object.fromEntries(annotations) })
    })
    const events = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const L = yield* listener({ handshakeTimeout: Duration.millis(100) })
      const r = yield* Effect.promise(() => handshake(L.address!.port, { from: "Participant", to: "Coordinator", key: wrongKey }))
      yield* Effect.promise(() => refusedOnWire(r.client, r.reply, "bad-proof"))
      yield* Effect.promise(() => until("the refusal recorded", () => debug.length >= 1, 1000))
      // Effect's own (native) span keeps its events in `events`, which the Span interface does not show.
      const span = (yield* Effect.currentSpan) as unknown as { readonly events: ReadonlyArray<readonly [string, bigint, Record<string, unknown>]> }
      return span.events.map(([name, , attributes]) => [name, attributes] as const)
    }).pipe(Effect.withSpan("listener"), Observe.observed)).pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.Debug)
    ))
    // (The TCP layer's own warning is an event of the span too, through Effect's tracerLogger.)
    expect(events.filter(([name]) => name.startsWith("quadrille.")).map(([name, a]) => [name, a["quadrille.role"], a["quadrille.peer"], String(a["quadrille.reason"]).split(":")[0]])).toEqual([
      ["quadrille.refused", "Coordinator", "Participant", "inbound bad-proof"]
    ])
    expect(debug.map((d) => d.message.split(":").slice(0, 2).join(":"))).toEqual(["quadrille refused: Coordinator -> Participant (inbound bad-proof"])
    expect(debug[0].annotations).toMatchObject({ "quadrille.role": "Coordinator", "quadrille.peer": "Participant", "quadrille.site": "" })
  })
})

describe("honest peers", () => {
  it("a real TwoPhaseCommit over TCP, each role with its own transport, completes with the right results (commit and abort), refusing nothing", async () => {
    const recorder = TraceSink.unsafeMakeRecorder()
    const results = await run(Effect.gen(function*() {
      const { L, P } = yield* pair()
      const commit = yield* twoPhaseCommit(L, P, "honest commit", "commit", 41)
      const abort = yield* twoPhaseCommit(L, P, "honest abort", "abort", 42)
      const both = yield* Effect.all([twoPhaseCommit(L, P, "at once 1", "commit", 43), twoPhaseCommit(L, P, "at once 2", "abort", 44)], { concurrency: "unbounded" })
      for (const t of [L, P]) {
        expect(t.refusals()).toEqual([])
        expect(t.stats()).toMatchObject({ accepted: 1, connected: 1, refused: {}, rejected: 0, dropped: 0, duplicates: 0, queued: 0, sessions: 0, mailboxes: 0, frames: 0 })
      }
      return [commit, abort, ...both]
    }).pipe(Effect.provideService(TraceSink.TraceSink, recorder)))
    expect(results).toEqual([outcome("commit", 41), outcome("abort", 42), outcome("commit", 43), outcome("abort", 44)])
    expect(recorder.events().filter((e) => e._tag === "Refused" || e._tag === "Reject" || e._tag === "Drop")).toEqual([])
    // Each session's four messages, sent and received.
    expect(recorder.events().filter((e) => e._tag === "Send").length).toBe(16)
    expect(recorder.events().filter((e) => e._tag === "Receive").length).toBe(16)
  })

  it("keys shorter than 16 bytes are refused at start", async () => {
    const exit = await Effect.runPromiseExit(Effect.scoped(listener({ auth: { keys: { Participant: "fifteen bytes!!" } } })))
    expect(Exit.isFailure(exit)).toBe(true)
    expect(JSON.stringify(exit)).toContain("keys must have at least 16")
    const ok = await Effect.runPromiseExit(Effect.scoped(listener({ auth: { keys: { Participant: "sixteen bytes!!!" } } })))
    expect(Exit.isSuccess(ok)).toBe(true)
  })
})
