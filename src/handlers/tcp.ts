/**
 * The TCP transport: one role of a session per process (or host), its peers reached over TCP.
 *
 * ```ts
 * const transport = Tcp.layer({
 *   self: "Coordinator",
 *   listen: { host: "127.0.0.1", port: 4100 },
 *   peers: { Participant: "127.0.0.1:4101" },
 *   auth: { keys: { Participant: process.env.COORDINATOR_PARTICIPANT_KEY! } }
 * })
 * Role.run(TwoPhaseCommit, "Coordinator", coordinator, { sessionId }).pipe(Effect.provide(transport))
 * ```
 *
 * **Connections.** The layer listens for its peers (when `listen` is given) and dials each
 * peer in `peers` itself, at once and again whenever the connection drops, on the `reconnect`
 * `Schedule`. Frames to a peer go on the connection this role dialled; frames from it come on
 * the one it dialled. Both ends of a connection prove who they are before any frame passes
 * (see `TcpAuth`).
 *
 * **Framing.** Length-prefixed frames (`u32` length, `u8` type, body). A frame declaring more
 * than `maxFrameBytes` is refused before anything is allocated for it (skipped unread; before
 * authentication the connection is refused). An envelope travels as JSON, its payload encoded
 * with the catalogue's Schema (`serialises: true`). Each frame from outside is decoded with
 * `EnvelopeSchema`; one that does not decode, or that names another sender than the
 * connection's proven role or another receiver than `self`, is dropped, counted and recorded
 * (`Reject`), and answered with nothing. A peer that sends frames of a session in which it
 * has no role is dropped too ("unknown"); frames of a session no role has opened here yet (a
 * peer that runs ahead) wait for it, at most 1 024 such sessions, each for `pendingFor`.
 *
 * **Nothing lost across reconnections.** Each frame to a peer has a link sequence number and
 * stays queued until the peer acknowledges it (acknowledgements are cumulative, sent after 64
 * frames or `ackDelay`, and at once on a heartbeat). Frames sent while the peer is unreachable
 * wait in the queue (at most `maxQueuedFrames`). After a reconnection the peer says how far
 * it got, and the rest is sent again; copies are dropped by number. A role ends only once its
 * frames are acknowledged (`flush`). Per-pair protocol sequence numbers still check order and
 * replays above this, so `Reliable.layer` is not needed over TCP (it composes, at the cost of
 * its own acks).
 *
 * **Peers that stay away.** A heartbeat (`heartbeat`, default 1 s) on every connection; one
 * that hears nothing for three heartbeats is closed (a half-open connection) and dialled
 * again. A peer unreachable for `unavailableAfter` (default 10 s) makes every role here that
 * still has steps with it fail with `PeerUnavailable` naming it (retryable), whether it waits
 * to receive from it or to have its last frames acknowledged.
 *
 * **Shutdown.** Closing the layer's scope closes the server, every socket and every timer:
 * nothing keeps the process alive.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as net from "node:net"
import * as tls from "node:tls"
import { Data, Duration, Effect, Either, Layer, Runtime, Schedule, Schema, type Scope } from "effect"
import { PeerUnavailable, TransportError } from "../effects/errors.js"
import { transportSink } from "../internal/observe.js"
import { decodeEnvelope, type Envelope, maxNameLength, registerSynchronousSend, Transport, type TransportService } from "../effects/Transport.js"
import { clip, quote } from "../internal/bounded.js"
import { failureLabel, unavailableSite } from "../runtime/channel.js"
import { dataFrame, FrameReader, FrameType, jsonFrame, seqBytes, seqFrame } from "./frames.js"
import { Mailboxes, openRole } from "./mailbox.js"
import { rejectEvent } from "./memory.js"

// ---------------------------------------------------------------------------------------
// Options

/**
 * How roles prove who they are. Keys are **per pair of roles**: `keys[peer]` is the secret
 * this role shares with `peer` (and only with it); the peer's layer has the same secret under
 * this role's name. A process holds only the keys of the pairs it is in, so a process that is
 * broken into can pass for its own role only, and only to its own peers.
 *
 * `secret` is the shortcut of one secret per deployment: the key of each pair is derived
 * from it (HMAC-SHA-256 over the two role names), so whoever holds it can pass for any role.
 * Fit for tests and for deployments that are one trust domain; give per-pair keys otherwise.
 *
 * Keys must be at least 16 bytes (a string counts its UTF-8 bytes).
 *
 * @example
 * ```ts
 * import { Tcp } from "quadrille/node"
 *
 * // Per pair of roles: the Client's process holds only the key it shares with the Server.
 * const auth: Tcp.TcpAuth = { keys: { Server: process.env.KEY_CLIENT_SERVER! } }
 * // One secret for the whole deployment (tests, one trust domain).
 * const shared: Tcp.TcpAuth = { secret: process.env.PINGPONG_SECRET! }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type TcpAuth =
  | { readonly keys: Readonly<Record<string, string | Uint8Array>> }
  | { readonly secret: string | Uint8Array }

/**
 * Options of the TCP transport.
 *
 * @example
 * ```ts
 * import { Tcp } from "quadrille/node"
 *
 * const options: Tcp.TcpOptions = {
 *   self: "Server",
 *   listen: { host: "0.0.0.0", port: 4101 },
 *   peers: { Client: "client.internal:4100" },
 *   auth: { keys: { Client: process.env.KEY_CLIENT_SERVER! } },
 *   heartbeat: "1 second",
 *   unavailableAfter: "10 seconds",
 *   // PEM text: this role's key and certificate, and the authority that signed its peers'.
 *   tls: {
 *     server: { key: process.env.TLS_KEY, cert: process.env.TLS_CERT },
 *     client: { ca: process.env.TLS_CA }
 *   }
 * }
 * const transport = Tcp.layer(options)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface TcpOptions {
  /** The role this process runs. */
  readonly self: string
  /** Where to listen for peers (`port: 0`: any free port; see `TcpTransport.address`). None: dial only. */
  readonly listen?: { readonly host?: string | undefined; readonly port: number } | undefined
  /** The peers this role sends frames to, by role: `"host:port"` or `{ host, port }`. */
  readonly peers?: Readonly<Record<string, string | { readonly host: string; readonly port: number }>> | undefined
  readonly auth: TcpAuth
  /** When to dial a peer again after a failed attempt (default: 20 ms, doubling, at most 1 s apart, for ever). */
  readonly reconnect?: Schedule.Schedule<unknown, unknown> | undefined
  /** How often a connection is checked (default 1 s); one silent for three heartbeats is closed. */
  readonly heartbeat?: Duration.DurationInput | undefined
  /** How long a peer may stay unreachable before the roles that need it fail with `PeerUnavailable` (default 10 s). */
  readonly unavailableAfter?: Duration.DurationInput | undefined
  /** The longest frame accepted or sent, in bytes (default 1 MiB). */
  readonly maxFrameBytes?: number | undefined
  /** How many frames to one peer may wait unacknowledged (default 100 000); one more fails its `send`. */
  readonly maxQueuedFrames?: number | undefined
  /**
   * How long a connecting peer has to prove who it is (default 5 s); a peer dialled has the
   * least of this and three heartbeats to answer.
   */
  readonly handshakeTimeout?: Duration.DurationInput | undefined
  /** How many connections may be proving who they are at once (default 64); more are refused. */
  readonly maxHandshakes?: number | undefined
  /** How long frames of a session no role here has opened are kept (default 60 s). */
  readonly pendingFor?: Duration.DurationInput | undefined
  /** How long an acknowledgement may wait for more frames to cover (default 5 ms). */
  readonly ackDelay?: Duration.DurationInput | undefined
  /**
   * TLS, for confidentiality and integrity on the wire (the role handshake runs inside it
   * as well): `server` are the options of `tls.createServer` for the listener (its `key` and
   * `cert`, and `ca` + `requestCert` to ask dialling roles for certificates too), `client`
   * those of `tls.connect` for dialling (`ca` to trust, `servername`, a client `key`/`cert`).
   * Without it, frames travel in clear (see the module's notes).
   */
  readonly tls?: { readonly server?: tls.TlsOptions | undefined; readonly client?: tls.ConnectionOptions | undefined } | undefined
}

// ---------------------------------------------------------------------------------------
// Errors and events

/**
 * The TCP layer could not start: a bad option, or a port it could not listen on.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { Tcp } from "quadrille/node"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 *
 * // The layer cannot start: a port taken, an address that is not "host:port", a key too short.
 * const program = Role.run(PingPong, "Server", server, { sessionId: "s1" }).pipe(
 *   Effect.provide(Tcp.layer({ self: "Server", listen: { port: 4101 }, peers: { Client: "127.0.0.1:4100" }, auth: { secret: process.env.PINGPONG_SECRET! } })),
 *   Effect.catchTag("TcpError", (e) => Effect.logError(`${e.role} could not start: ${e.message}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class TcpError extends Data.TaggedError("TcpError")<{
  readonly role: string
  readonly message: string
}> {}

/**
 * Why a connection was refused:
 * - `malformed`: a handshake frame that is not what the handshake expects at that point;
 * - `oversized`: a handshake frame longer than 4 KiB;
 * - `unknown-role`: the claimed role is not one this role has a key for;
 * - `wrong-role`: the connection is for another role than this one;
 * - `bad-proof`: the proof does not match the claimed role's key and this connection's
 *   challenge (a wrong key, another role's key, or a replayed handshake);
 * - `already-connected`: the claimed role has a live connection here already;
 * - `timeout`: no proof within `handshakeTimeout`;
 * - `busy`: too many connections proving who they are at once;
 * - `peer-unproven`: (dialling) the listener could not prove it is the peer dialled;
 * - `peer-refused`: (dialling) the listener refused this role.
 *
 * @example
 * ```ts
 * import { Tcp } from "quadrille/node"
 *
 * // How often a wrong or replayed proof was seen: someone is trying keys.
 * const badProofs = (tcp: Tcp.TcpTransport): number => {
 *   const reason: Tcp.RefusalReason = "bad-proof"
 *   return tcp.stats().refused[reason] ?? 0
 * }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type RefusalReason =
  | "malformed"
  | "oversized"
  | "unknown-role"
  | "wrong-role"
  | "bad-proof"
  | "already-connected"
  | "timeout"
  | "busy"
  | "peer-unproven"
  | "peer-refused"

/**
 * A refused connection, as recorded (a `Refused` trace event, a warning in the log, and
 * `TcpTransport.refusals`).
 *
 * @example
 * ```ts
 * import { Tcp } from "quadrille/node"
 *
 * // Who tried to pass for a role, and from where.
 * const impostors = (tcp: Tcp.TcpTransport): Array<string> =>
 *   tcp.refusals()
 *     .filter((r: Tcp.TcpRefusal) => r.direction === "inbound" && r.reason === "bad-proof")
 *     .map((r) => `${r.remote} claimed to be ${r.peer}`)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export class TcpRefusal extends Data.TaggedClass("TcpRefusal")<{
  /** This role. */
  readonly role: string
  /** The role the other end claimed (or, dialling, the peer dialled), quoted; "?" when none. */
  readonly peer: string
  /** "inbound": a connection to this role; "outbound": one this role dialled. */
  readonly direction: "inbound" | "outbound"
  /** The remote address and port. */
  readonly remote: string
  readonly reason: RefusalReason
  readonly message: string
}> {}

/**
 * What the TCP transport has done so far, and what it holds now.
 *
 * @example
 * ```ts
 * import { Tcp } from "quadrille/node"
 *
 * // A line for the operator's log.
 * const summary = (stats: Tcp.TcpStats): string =>
 *   `accepted ${stats.accepted}, rejected ${stats.rejected}, queued ${stats.queued}, resent ${stats.resent}`
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface TcpStats {
  /** Connections from peers that proved who they are. */
  readonly accepted: number
  /** Connections refused (either way), by reason. */
  readonly refused: Readonly<Partial<Record<RefusalReason, number>>>
  /** Connections to peers made and proven (the first and every reconnection). */
  readonly connected: number
  /** Frames from authenticated peers dropped as bad: not decodable, or spoofing a sender or receiver. */
  readonly rejected: number
  /** Copies of frames already had (sent again after a reconnection), dropped. */
  readonly duplicates: number
  /** Frames dropped by the mailboxes (for a role that had ended, never read, or from no role of the session). */
  readonly dropped: number
  /** Frames sent and not yet acknowledged, over all peers. */
  readonly queued: number
  /** Frames written again after a reconnection (they had been written on a connection that dropped). */
  readonly resent: number
  /** Sessions, mailboxes and frames held for the roles here. */
  readonly sessions: number
  readonly mailboxes: number
  readonly frames: number
}

/**
 * The TCP transport, with what tests and operators look at.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Tcp } from "quadrille/node"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const tcp: Tcp.TcpTransport = yield* Tcp.make({ self: "Server", listen: { host: "127.0.0.1", port: 0 }, auth: { secret: "a secret of at least 16 bytes" } })
 *   return { port: tcp.address?.port, clientUp: tcp.connectedTo("Client"), stats: tcp.stats() }
 * }))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface TcpTransport extends TransportService {
  /** Where the layer listens (the port chosen, for `port: 0`), if it listens. */
  readonly address: { readonly host: string; readonly port: number } | undefined
  readonly stats: () => TcpStats
  /** The last 1 000 refused connections, oldest first. */
  readonly refusals: () => ReadonlyArray<TcpRefusal>
  /** Whether the connection to `peer` is up now. */
  readonly connectedTo: (peer: string) => boolean
}

// ---------------------------------------------------------------------------------------
// Handshake

/** The handshake's protocol name and version, part of every proof. */
const version = "quadrille-tcp/1"
const maxHandshakeBytes = 4096

const Hex32 = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/))
const Name = Schema.String.pipe(Schema.maxLength(maxNameLength))
const Id = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{32}$/))
const Seq = Schema.Number.pipe(Schema.int(), Schema.between(0, 2 ** 48 - 1))
const Hello = Schema.Struct({ v: Schema.Literal(version), role: Name, nonce: Hex32, incarnation: Id })
const Auth = Schema.Struct({ v: Schema.Literal(version), from: Name, to: Name, nonce: Hex32, incarnation: Id, first: Seq, proof: Hex32 })
const Welcome = Schema.Struct({ next: Seq, proof: Hex32 })
const Refused = Schema.Struct({ reason: Schema.String.pipe(Schema.maxLength(64)) })
const decodeHello = Schema.decodeUnknownEither(Hello)
const decodeAuth = Schema.decodeUnknownEither(Auth)
const decodeWelcome = Schema.decodeUnknownEither(Welcome)
const decodeRefused = Schema.decodeUnknownEither(Refused)

const parseJson = (buf: Buffer, start: number, end: number): unknown => {
  try {
    return JSON.parse(buf.toString("utf8", start, end))
  } catch {
    return undefined
  }
}

const hmac = (key: Buffer, parts: ReadonlyArray<string | number>): string =>
  crypto.createHmac("sha256", key).update(parts.join("\n")).digest("hex")

/** Constant-time comparison of two proofs (hex strings of the same shape). */
const sameProof = (a: string, b: string): boolean => {
  const x = Buffer.from(a, "hex")
  const y = Buffer.from(b, "hex")
  return x.length === y.length && x.length > 0 && crypto.timingSafeEqual(x, y)
}

const toKey = (key: string | Uint8Array): Buffer => (typeof key === "string" ? Buffer.from(key, "utf8") : Buffer.from(key))

/** The key `self` shares with `peer`, or `undefined` when it has none. */
const pairKey = (auth: TcpAuth, self: string, peer: string): Buffer | undefined => {
  if ("keys" in auth) {
    const own = Object.prototype.hasOwnProperty.call(auth.keys, peer) ? auth.keys[peer] : undefined
    return own === undefined ? undefined : toKey(own)
  }
  const [a, b] = self < peer ? [self, peer] : [peer, self]
  return crypto.createHmac("sha256", toKey(auth.secret)).update(`${version} pair\n${a}\n${b}`).digest()
}

// ---------------------------------------------------------------------------------------
// The transport

/** A frame to a peer, kept until the peer acknowledges it. */
interface Queued {
  readonly seq: number
  readonly frame: Buffer
}

/** Someone waiting for a peer to acknowledge frames up to a number (a role's `flush`). */
interface AckWaiter {
  readonly upTo: number
  readonly done: (error: PeerUnavailable | undefined) => void
}

/** The link to one peer: frames out (on the connection this role dials), its state. */
interface Link {
  readonly peer: string
  readonly host: string | undefined
  readonly port: number | undefined
  /** The connection, once proven; `undefined` while down. */
  socket: net.Socket | undefined
  queue: Array<Queued>
  head: number
  /** The next link sequence number to give. */
  nextSeq: number
  /** Frames before this number have been written on some connection (once at least). */
  written: number
  /** The peer has every frame before this number. */
  acked: number
  /** Since when the peer has been unreachable (ms), or `undefined` while it is reachable. */
  downSince: number | undefined
  /** Whether the roles that need it have been told it is unavailable (till it is reachable again). */
  unavailable: boolean
  /** The last reason a connection failed, for messages. */
  lastProblem: string
  lastHeard: number
  lastWritten: number
  corked: boolean
  waiters: Array<AckWaiter>
}

/** What this role has had from one peer (across its connections). */
interface Intake {
  /** The peer's process incarnation the numbers belong to. */
  incarnation: string
  /** The next link sequence number expected from it. */
  next: number
  /** The connection it sends on now, if any. */
  socket: net.Socket | undefined
  lastHeard: number
  /** Frames taken since the last acknowledgement. */
  unacked: number
  ackTimer: ReturnType<typeof setTimeout> | undefined
  corked: boolean
  /** Since when no connection from it has been up (ms), for peers this role does not dial. */
  downSince: number | undefined
}

const millis = (d: Duration.DurationInput | undefined, fallback: number): number => {
  if (d === undefined) return fallback
  const ms = Duration.toMillis(Duration.decode(d))
  return Number.isFinite(ms) && ms >= 0 ? ms : fallback
}

const parseAddress = (role: string, peer: string, address: string | { readonly host: string; readonly port: number }) => {
  if (typeof address !== "string") return Either.right(address)
  const i = address.lastIndexOf(":")
  const port = Number(address.slice(i + 1))
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    return Either.left(new TcpError({ role, message: `the address of peer ${peer}, ${quote(address)}, is not "host:port"` }))
  }
  return Either.right({ host: address.slice(0, i).replace(/^\[(.*)\]$/, "$1"), port })
}

/**
 * The default reconnection schedule: after 20 ms, then twice as long each time, at most 1 s apart, for ever.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import { Tcp } from "quadrille/node"
 *
 * // The default delays with jitter, so that many processes restarted at once do not dial in step.
 * const transport = Tcp.layer({
 *   self: "Client",
 *   listen: { port: 4100 },
 *   peers: { Server: "server.internal:4101" },
 *   auth: { secret: process.env.PINGPONG_SECRET! },
 *   reconnect: Tcp.defaultReconnect.pipe(Schedule.jittered)
 * })
 * ```
 *
 * @since 0.1.0
 */
export const defaultReconnect: Schedule.Schedule<unknown, unknown> = Schedule.exponential(Duration.millis(20)).pipe(
  Schedule.union(Schedule.spaced(Duration.seconds(1)))
)

/**
 * The TCP transport for the role `options.self`, in a scope: closing the scope closes every
 * connection and the server.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Transport } from "quadrille"
 * import { Tcp } from "quadrille/node"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 *
 * // The Server's process: run the role, then tell what the transport saw.
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const tcp = yield* Tcp.make({ self: "Server", listen: { port: 4101 }, peers: { Client: "127.0.0.1:4100" }, auth: { secret: process.env.PINGPONG_SECRET! } })
 *   const result = yield* Role.run(PingPong, "Server", server, { sessionId: "s1" }).pipe(Effect.provideService(Transport, tcp))
 *   return { result, refused: tcp.stats().refused }
 * }))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: TcpOptions): Effect.Effect<TcpTransport, TcpError, Scope.Scope> =>
  Effect.gen(function*() {
    const self = options.self
    const sink = yield* transportSink
    const runtime = yield* Effect.runtime<never>()
    const log = (effect: Effect.Effect<void>) => void Runtime.runFork(runtime)(effect)

    const heartbeat = Math.max(10, millis(options.heartbeat, 1000))
    const unavailableAfter = millis(options.unavailableAfter, 10_000)
    const maxFrame = options.maxFrameBytes ?? 1024 * 1024
    const maxQueued = options.maxQueuedFrames ?? 100_000
    const handshakeTimeout = millis(options.handshakeTimeout, 5000)
    const maxHandshakes = options.maxHandshakes ?? 64
    const pendingFor = millis(options.pendingFor, 60_000)
    const ackDelay = millis(options.ackDelay, 5)
    const reconnect = options.reconnect ?? defaultReconnect

    // Keys: checked now, so that a bad key is a start-up error and not a refusal later.
    const auth = options.auth
    const keyed = "keys" in auth ? Object.entries(auth.keys) : [["*", auth.secret] as const]
    for (const [peer, key] of keyed) {
      if (toKey(key).length < 16) {
        return yield* new TcpError({ role: self, message: `the key ${peer === "*" ? "secret" : `for ${peer}`} is ${toKey(key).length} bytes long: keys must have at least 16` })
      }
    }
    // Keys of the roles named in the options, made once; any other name a connection claims
    // is looked up (or derived) afresh, so that claims cannot grow this map.
    const keys = new Map<string, Buffer>()
    for (const peer of [...Object.keys(options.peers ?? {}), ...("keys" in auth ? Object.keys(auth.keys) : [])]) {
      const key = pairKey(auth, self, peer)
      if (key !== undefined) keys.set(peer, key)
    }
    const keyOf = (peer: string): Buffer | undefined => keys.get(peer) ?? ("secret" in auth ? pairKey(auth, self, peer) : undefined)

    const incarnation = crypto.randomBytes(16).toString("hex")
    const boxes = new Mailboxes(sink === undefined ? undefined : (e, reason) =>
      sink.record({ _tag: "Drop", session: e.session, role: e.from, peer: e.to, label: e.label, site: e.site, lane: e.lane, seq: e.seq, reason }))

    let accepted = 0
    let connected = 0
    let rejected = 0
    let duplicates = 0
    let resent = 0
    const refusedBy: Partial<Record<RefusalReason, number>> = {}
    const refusals: Array<TcpRefusal> = []
    const sockets = new Set<net.Socket>()
    let closing = false

    // Refusals are logged at most `logsPerSecond` times a second (refilled by the tick).
    const logsPerSecond = 20
    let logBudget = logsPerSecond
    let suppressed = 0
    let refilled = Date.now()
    const refuse = (direction: "inbound" | "outbound", socket: net.Socket, peer: string, reason: RefusalReason, detail: string) => {
      refusedBy[reason] = (refusedBy[reason] ?? 0) + 1
      const remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`
      const message = direction === "inbound"
        ? `${self} refused a connection from ${remote} claiming ${peer}: ${reason} (${detail})`
        : `${self} could not connect to ${peer} at ${remote}: ${reason} (${detail})`
      const refusal = new TcpRefusal({ role: self, peer, direction, remote, reason, message })
      refusals.push(refusal)
      if (refusals.length > 1000) refusals.shift()
      sink?.record({ _tag: "Refused", session: "", role: self, peer, site: "", reason: `${direction} ${reason}: ${detail}` })
      // At most `logsPerSecond` warnings a second: a flood of refusals must not flood the log.
      if (logBudget > 0) {
        logBudget--
        const more = suppressed === 0 ? "" : ` (and ${suppressed} more refusals before it, not logged)`
        suppressed = 0
        log(Effect.logWarning(message + more).pipe(Effect.annotateLogs({ role: self, peer, reason })))
      } else {
        suppressed++
      }
    }

    const reject = (frame: unknown, reason: string) => {
      rejected++
      sink?.record(rejectEvent(frame, clip(reason, 300)))
    }

    // --- links out -------------------------------------------------------------------
    const links = new Map<string, Link>()
    const now = Date.now()
    for (const [peer, address] of Object.entries(options.peers ?? {})) {
      const parsed = parseAddress(self, peer, address)
      if (Either.isLeft(parsed)) return yield* parsed.left
      if (keyOf(peer) === undefined) return yield* new TcpError({ role: self, message: `peer ${peer} has an address but no key in auth.keys` })
      links.set(peer, {
        peer,
        host: parsed.right.host,
        port: parsed.right.port,
        socket: undefined,
        queue: [],
        head: 0,
        nextSeq: 0,
        written: 0,
        acked: 0,
        downSince: now,
        unavailable: false,
        lastProblem: "not connected yet",
        lastHeard: now,
        lastWritten: now,
        corked: false,
        waiters: []
      })
    }
    const intakes = new Map<string, Intake>()

    const write = (state: { corked: boolean }, socket: net.Socket, buf: Buffer) => {
      // Frames written in one tick go out together (one system call), as Node advises.
      if (!state.corked) {
        state.corked = true
        socket.cork()
        process.nextTick(() => {
          state.corked = false
          socket.uncork()
        })
      }
      socket.write(buf)
    }

    const queued = (link: Link) => link.queue.length - link.head

    const settle = (link: Link) => {
      if (link.waiters.length === 0) return
      link.waiters = link.waiters.filter((w) => {
        if (w.upTo < link.acked) {
          w.done(undefined)
          return false
        }
        return true
      })
    }

    const onAck = (link: Link, next: number) => {
      if (next <= link.acked || next > link.nextSeq) return
      link.acked = next
      const q = link.queue
      while (link.head < q.length && q[link.head].seq < next) q[link.head++] = undefined!
      if (link.head >= 1024 && link.head * 2 >= q.length) {
        link.queue = q.slice(link.head)
        link.head = 0
      }
      settle(link)
    }

    const unavailableError = (link: { readonly peer: string; readonly lastProblem?: string }, ms: number) =>
      new PeerUnavailable({
        role: self,
        peer: link.peer,
        message: `${link.peer} has been unreachable from ${self} for ${ms} ms${link.lastProblem === undefined ? "" : ` (last: ${link.lastProblem})`}`
      })

    const notice = (session: string, peer: string, cause: string) => (mailbox: string): Envelope => ({
      session,
      from: peer,
      to: self,
      label: failureLabel,
      site: unavailableSite,
      loops: {},
      seq: Number.MAX_SAFE_INTEGER,
      payload: { reason: "PeerUnavailable", cause, retryable: true },
      lane: mailbox === "" ? undefined : mailbox
    })

    /** Tells the roles here that have `peer` in their session that it is unavailable. */
    const announce = (peer: string, error: PeerUnavailable, only?: string) => {
      for (const [session, roles] of [...boxes.running(self)]) {
        if (only !== undefined && session !== only) continue
        if (roles !== undefined && !roles.has(peer)) continue
        boxes.notify(session, self, notice(session, peer, error.message))
      }
    }

    /**
     * Runs a socket's handler of incoming bytes; should it throw (a `TraceSink` of the user's
     * that throws, say), the connection goes, not the process. Recorded as a rejection.
     */
    const guarded = (socket: net.Socket, handle: () => void) => {
      try {
        handle()
      } catch (e) {
        socket.destroy()
        try {
          reject(undefined, `handling bytes from ${socket.remoteAddress ?? "?"} threw: ${clip(String(e), 200)}`)
        } catch {
          // The sink threw again: the count is kept, the record is lost.
        }
      }
    }

    // --- connections in --------------------------------------------------------------
    let handshaking = 0

    const onInboundData = (peer: string, intake: Intake, socket: net.Socket) => (type: number, buf: Buffer, start: number, end: number) => {
      if (intake.socket !== socket) return
      intake.lastHeard = Date.now()
      if (type === FrameType.Ping) return ackNow(intake, socket)
      if (type !== FrameType.Data || end - start < seqBytes) return reject(undefined, `a frame of type ${type} from ${peer} after the handshake`)
      const seq = buf.readUIntBE(start, seqBytes)
      if (seq < intake.next) {
        duplicates++
        return countAck(intake, socket)
      }
      if (seq > intake.next) {
        // Frames are numbered without gaps; a gap is a broken peer: it dials again and resends.
        reject(undefined, `frame number ${seq} from ${peer}, where ${intake.next} was due`)
        return socket.destroy()
      }
      intake.next++
      countAck(intake, socket)
      const frame = parseJson(buf, start + seqBytes, end)
      if (frame === undefined) return reject(frame, `a frame from ${peer} that is not JSON`)
      const decoded = decodeEnvelope(frame)
      if (Either.isLeft(decoded)) return reject(frame, `${decoded.left} (from ${peer})`)
      const e = decoded.right
      if (e.from !== peer) return reject(frame, `a frame from ${peer} in the name of ${quote(e.from)}`)
      if (e.to !== self) return reject(frame, `a frame from ${peer} for ${quote(e.to)}, not ${self}`)
      if (e.site === unavailableSite) return reject(frame, `a frame from ${peer} with the transport's own site ${unavailableSite}`)
      boxes.deliver(e, true)
    }

    const ackNow = (intake: Intake, socket: net.Socket) => {
      // A dialler reads its acks; one that lets them pile up (pinging and never reading)
      // would make this side hold them all: it is cut off instead.
      if (socket.writableLength > 64 * 1024) return void socket.destroy()
      if (intake.ackTimer !== undefined) {
        clearTimeout(intake.ackTimer)
        intake.ackTimer = undefined
      }
      intake.unacked = 0
      write(intake, socket, seqFrame(FrameType.Ack, intake.next))
    }

    const countAck = (intake: Intake, socket: net.Socket) => {
      intake.unacked++
      if (intake.unacked >= 64) return ackNow(intake, socket)
      if (intake.ackTimer === undefined) {
        intake.ackTimer = setTimeout(() => {
          intake.ackTimer = undefined
          if (intake.socket === socket && intake.unacked > 0) ackNow(intake, socket)
        }, ackDelay)
        intake.ackTimer.unref?.()
      }
    }

    /**
     * TLS: how many raw connections are still in their TLS handshake; what frees the slot of
     * each; those refused as busy. A TLS socket's raw connection is its `_parent` (Node's own
     * field; without it a slot is freed when its connection closes).
     */
    let inTls = 0
    const tlsSlots = new WeakMap<net.Socket, () => void>()
    const busyTls = new WeakSet<net.Socket>()
    const rawOf = (socket: net.Socket): net.Socket | undefined => (socket as { readonly _parent?: net.Socket })._parent

    const onConnection = (socket: net.Socket) => {
      const raw = rawOf(socket)
      if (raw !== undefined) tlsSlots.get(raw)?.()
      if (closing) return void socket.destroy()
      sockets.add(socket)
      socket.setNoDelay(true)
      socket.on("error", () => {})
      socket.on("close", () => sockets.delete(socket))
      if (handshaking + inTls >= maxHandshakes) {
        refuse("inbound", socket, "?", "busy", `${handshaking} connections are proving who they are already`)
        return void socket.destroy()
      }
      handshaking++
      let proving = true
      const done = () => {
        if (proving) {
          proving = false
          handshaking--
          clearTimeout(timer)
        }
      }
      const nonce = crypto.randomBytes(32).toString("hex")
      const fail = (peer: string, reason: RefusalReason, detail: string) => {
        done()
        refuse("inbound", socket, peer, reason, detail)
        reader.stop()
        socket.end(jsonFrame(FrameType.Refused, { reason }))
        socket.destroySoon?.()
        setTimeout(() => socket.destroy(), 100).unref()
      }
      const timer = setTimeout(() => fail("?", "timeout", `no proof within ${handshakeTimeout} ms`), handshakeTimeout)
      timer.unref()
      socket.on("close", done)
      const reader: FrameReader = new FrameReader(maxHandshakeBytes, (type, buf, start, end) => {
        if (!proving) return
        if (type !== FrameType.Auth) return fail("?", "malformed", `a frame of type ${type} where the proof was due`)
        const claim = decodeAuth(parseJson(buf, start, end))
        if (Either.isLeft(claim)) return fail("?", "malformed", "the proof does not decode")
        const c = claim.right
        const peer = quote(c.from)
        if (c.to !== self) return fail(peer, "wrong-role", `it is for ${quote(c.to)}`)
        const key = c.from === self ? undefined : keyOf(c.from)
        if (key === undefined) return fail(peer, "unknown-role", `${self} shares no key with ${peer}`)
        if (!sameProof(c.proof, hmac(key, [version, "connect", c.from, self, nonce, c.nonce, c.incarnation, c.first]))) {
          return fail(peer, "bad-proof", "the proof does not match this connection's challenge and the key shared with that role")
        }
        let intake = intakes.get(c.from)
        if (intake?.socket !== undefined && !intake.socket.destroyed && Date.now() - intake.lastHeard < 3 * heartbeat) {
          return fail(peer, "already-connected", `${peer} is connected already`)
        }
        done()
        intake?.socket?.destroy()
        if (intake === undefined || intake.incarnation !== c.incarnation) {
          // A peer not seen before, or restarted: its numbers start where it says.
          if (intake?.ackTimer !== undefined) clearTimeout(intake.ackTimer)
          intake = { incarnation: c.incarnation, next: c.first, socket: undefined, lastHeard: 0, unacked: 0, ackTimer: undefined, corked: false, downSince: undefined }
          intakes.set(c.from, intake)
        }
        const it = intake
        it.socket = socket
        it.lastHeard = Date.now()
        it.downSince = undefined
        accepted++
        socket.write(jsonFrame(FrameType.Welcome, { next: it.next, proof: hmac(key, [version, "accept", c.from, self, nonce, c.nonce, incarnation, it.next]) }))
        const data = new FrameReader(maxFrame, onInboundData(c.from, it, socket), (length) => {
          reject(undefined, length === 0 ? `a frame of no length from ${c.from}` : `a frame of ${length} bytes from ${c.from}, over the limit of ${maxFrame}`)
          // A frame of no length cannot be skipped past (it has no type): the connection goes, and the peer dials again.
          if (length === 0) socket.destroy()
          return length > 0
        })
        reader.stop()
        socket.removeAllListeners("data")
        socket.on("data", (chunk: Buffer) => guarded(socket, () => data.push(chunk)))
        // Frames that came in the same chunk as the proof (a peer that did not wait to be welcomed).
        // (`rest` is set once this handler returns; the microtask runs before any later chunk.)
        queueMicrotask(() => {
          const rest = reader.rest
          if (rest !== undefined) guarded(socket, () => data.push(rest))
        })
        socket.on("close", () => {
          if (it.socket === socket) {
            it.socket = undefined
            it.downSince = Date.now()
          }
        })
      }, (length) => {
        if (length === 0) fail("?", "malformed", "a handshake frame of no length")
        else fail("?", "oversized", `a handshake frame of ${length} bytes, over ${maxHandshakeBytes}`)
        return false
      })
      socket.on("data", (chunk: Buffer) => guarded(socket, () => reader.push(chunk)))
      socket.write(jsonFrame(FrameType.Hello, { v: version, role: self, nonce, incarnation }))
    }

    // --- connections out -------------------------------------------------------------
    /** Dials `link.peer` once, and proves this role: the connection, or why there is none. */
    const dial = (link: Link): Effect.Effect<net.Socket, string> =>
      Effect.async<net.Socket, string>((resume) => {
        const socket: net.Socket = options.tls === undefined
          ? net.connect({ host: link.host!, port: link.port! })
          : tls.connect({ ...options.tls.client, host: link.host!, port: link.port! })
        sockets.add(socket)
        socket.setNoDelay(true)
        const nonce = crypto.randomBytes(32).toString("hex")
        const key = keyOf(link.peer)!
        let settled = false
        let challenge: string | undefined
        let peerIncarnation = ""
        const first = link.acked
        const finish = (outcome: Either.Either<net.Socket, string>) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          if (Either.isLeft(outcome)) {
            reader.stop()
            socket.destroy()
            resume(Effect.fail(outcome.left))
          } else {
            resume(Effect.succeed(outcome.right))
          }
        }
        // A listener that does not answer within three heartbeats is as good as silent.
        const dialTimeout = Math.min(handshakeTimeout, 3 * heartbeat)
        const timer = setTimeout(() => finish(Either.left(`no answer within ${dialTimeout} ms`)), dialTimeout)
        timer.unref()
        socket.on("error", (e: Error & { readonly code?: string }) => {
          // A listener whose certificate this role does not trust is one that did not prove itself.
          if (options.tls !== undefined && typeof e.code === "string" && /CERT|TLS|SSL|SELF_SIGNED|ALTNAME/.test(e.code)) {
            refuse("outbound", socket, link.peer, "peer-unproven", `TLS: ${clip(e.message, 200)}`)
          }
          finish(Either.left(e.message))
        })
        socket.on("close", () => {
          sockets.delete(socket)
          finish(Either.left("the connection closed"))
        })
        const unproven = (detail: string) => {
          refuse("outbound", socket, link.peer, "peer-unproven", detail)
          finish(Either.left(`${link.peer} did not prove itself: ${detail}`))
        }
        const reader: FrameReader = new FrameReader(maxHandshakeBytes, (type, buf, start, end) => {
          if (settled) return
          const body = parseJson(buf, start, end)
          if (type === FrameType.Refused) {
            const why = decodeRefused(body)
            const reason = Either.isRight(why) ? why.right.reason : "?"
            refuse("outbound", socket, link.peer, "peer-refused", `it said ${quote(reason)}`)
            return finish(Either.left(`${link.peer} refused ${self}: ${clip(reason, 64)}`))
          }
          if (challenge === undefined) {
            const hello = decodeHello(body)
            if (type !== FrameType.Hello || Either.isLeft(hello)) return unproven("its greeting does not decode")
            if (hello.right.role !== link.peer) return unproven(`it says it is ${quote(hello.right.role)}`)
            challenge = hello.right.nonce
            peerIncarnation = hello.right.incarnation
            const proof = hmac(key, [version, "connect", self, link.peer, challenge, nonce, incarnation, first])
            socket.write(jsonFrame(FrameType.Auth, { v: version, from: self, to: link.peer, nonce, incarnation, first, proof }))
            return
          }
          const welcome = decodeWelcome(body)
          if (type !== FrameType.Welcome || Either.isLeft(welcome)) return unproven("its welcome does not decode")
          const expected = hmac(key, [version, "accept", self, link.peer, challenge, nonce, peerIncarnation, welcome.right.next])
          if (!sameProof(welcome.right.proof, expected)) return unproven("its proof does not match the key shared with it")
          if (welcome.right.next < first || welcome.right.next > link.nextSeq) return unproven(`it says it has frames up to ${welcome.right.next}, of ${first} to ${link.nextSeq}`)
          reader.stop()
          socket.removeAllListeners("data")
          attach(link, socket, welcome.right.next)
          finish(Either.right(socket))
        }, (length) => {
          unproven(`a handshake frame of ${length} bytes`)
          return false
        })
        socket.on("data", (chunk: Buffer) => guarded(socket, () => reader.push(chunk)))
        return Effect.sync(() => {
          settled = true
          clearTimeout(timer)
          socket.destroy()
        })
      })

    /** The link's connection is proven: acks come on it, and the frames not acknowledged go (again). */
    const attach = (link: Link, socket: net.Socket, next: number) => {
      connected++
      onAck(link, next)
      link.socket = socket
      link.downSince = undefined
      link.unavailable = false
      link.lastHeard = Date.now()
      link.lastWritten = Date.now()
      const reader = new FrameReader(64, (type, buf, start, end) => {
        link.lastHeard = Date.now()
        if (type === FrameType.Ack && end - start === seqBytes) onAck(link, buf.readUIntBE(start, seqBytes))
      }, () => {
        socket.destroy()
        return false
      })
      socket.on("data", (chunk: Buffer) => guarded(socket, () => reader.push(chunk)))
      const q = link.queue
      for (let i = link.head; i < q.length; i++) {
        write(link, socket, q[i].frame)
        if (q[i].seq < link.written) resent++
      }
      link.written = link.nextSeq
    }

    /** Resolves when the link's connection closes (it is then down). */
    const closed = (link: Link, socket: net.Socket): Effect.Effect<void> =>
      Effect.async<void>((resume) => {
        const down = () => {
          if (link.socket === socket) {
            link.socket = undefined
            link.downSince = Date.now()
            link.lastProblem = "the connection closed"
          }
          resume(Effect.void)
        }
        if (socket.destroyed) return down()
        socket.once("close", down)
        return Effect.sync(() => socket.off("close", down))
      })

    /** Keeps the link connected: dials, on `reconnect` after each failure, and again after each close. */
    const keepConnected = (link: Link): Effect.Effect<void> =>
      Effect.forever(
        Effect.tapError(dial(link), (problem) => Effect.sync(() => (link.lastProblem = problem))).pipe(
          Effect.retry(reconnect),
          Effect.flatMap((socket) => closed(link, socket))
        )
      ).pipe(Effect.catchAll((problem) =>
        Effect.logWarning(`${self} gives up dialling ${link.peer}: ${problem}`).pipe(Effect.annotateLogs({ role: self, peer: link.peer }))
      ))

    // --- the server --------------------------------------------------------------------
    let address: { readonly host: string; readonly port: number } | undefined
    if (options.listen !== undefined) {
      const listen = options.listen
      const server: net.Server = options.tls === undefined
        ? net.createServer({ noDelay: true }, onConnection)
        : tls.createServer({ handshakeTimeout, ...options.tls.server }, onConnection)
      if (options.tls !== undefined) {
        // A connection in its TLS handshake counts against `maxHandshakes` too, and has
        // `handshakeTimeout` for it; then the role handshake's own count and timer take over.
        server.on("connection", (raw: net.Socket) => {
          if (closing || handshaking + inTls >= maxHandshakes) {
            if (!closing) refuse("inbound", raw, "?", "busy", `${handshaking + inTls} connections are proving who they are already`)
            busyTls.add(raw)
            return void raw.destroy()
          }
          inTls++
          let held = true
          const free = () => {
            if (held) {
              held = false
              inTls--
            }
          }
          tlsSlots.set(raw, free)
          raw.once("close", free)
        })
        // A TLS handshake that fails (or times out) is a refusal too, before any role claim.
        server.on("tlsClientError", (e: Error, socket: tls.TLSSocket) => {
          const raw = rawOf(socket)
          if (raw !== undefined) tlsSlots.get(raw)?.()
          if (raw === undefined || !busyTls.has(raw)) {
            refuse("inbound", socket, "?", /timed? ?out/i.test(e.message) ? "timeout" : "malformed", `TLS: ${clip(e.message, 200)}`)
          }
          socket.destroy()
        })
      }
      address = yield* Effect.async<{ readonly host: string; readonly port: number }, TcpError>((resume) => {
        server.once("error", (e) => resume(Effect.fail(new TcpError({ role: self, message: `${self} could not listen on ${listen.host ?? "127.0.0.1"}:${listen.port}: ${e.message}` }))))
        server.listen({ host: listen.host ?? "127.0.0.1", port: listen.port }, () => {
          const a = server.address() as net.AddressInfo
          resume(Effect.succeed({ host: a.address, port: a.port }))
        })
      })
      server.on("error", () => {})
      yield* Effect.addFinalizer(() =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
        })
      )
    }

    // --- timers ----------------------------------------------------------------------
    const tick = () => {
      const t = Date.now()
      if (t - refilled >= 1000) {
        refilled = t
        logBudget = logsPerSecond
      }
      for (const link of links.values()) {
        const socket = link.socket
        if (socket !== undefined) {
          if (t - link.lastHeard > 3 * heartbeat) {
            // Half-open: nothing heard for three heartbeats. Dial again.
            link.lastProblem = `nothing heard for ${t - link.lastHeard} ms`
            socket.destroy()
          } else if (t - link.lastWritten >= heartbeat || queued(link) > 0) {
            link.lastWritten = t
            write(link, socket, seqFrame(FrameType.Ping))
          }
        } else if (link.downSince !== undefined && !link.unavailable && t - link.downSince >= unavailableAfter) {
          link.unavailable = true
          const error = unavailableError(link, t - link.downSince)
          announce(link.peer, error)
          const waiters = link.waiters
          link.waiters = []
          for (const w of waiters) w.done(error)
        }
      }
      for (const [peer, intake] of intakes) {
        if (intake.socket !== undefined && t - intake.lastHeard > 3 * heartbeat) intake.socket.destroy()
        // A peer this role does not dial: unavailable when it has not connected for long.
        if (!links.has(peer) && intake.socket === undefined && intake.downSince !== undefined && t - intake.downSince >= unavailableAfter) {
          announce(peer, unavailableError({ peer }, t - intake.downSince))
          intake.downSince = undefined
        }
      }
      boxes.expirePending(t, pendingFor)
    }
    const interval = setInterval(tick, Math.max(5, Math.min(heartbeat / 2, 250)))
    interval.unref()

    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closing = true
        clearInterval(interval)
        ackAll()
        for (const intake of intakes.values()) if (intake.ackTimer !== undefined) clearTimeout(intake.ackTimer)
        for (const link of links.values()) {
          if (link.corked && link.socket !== undefined) {
            link.corked = false
            link.socket.uncork()
          }
        }
        for (const socket of sockets) socket.destroy()
        const error = new PeerUnavailable({ role: self, peer: "", message: `the TCP transport of ${self} closed` })
        for (const link of links.values()) for (const w of link.waiters.splice(0)) w.done(error)
      })
    )
    for (const link of links.values()) yield* Effect.forkScoped(keepConnected(link))

    // --- the service -------------------------------------------------------------------
    /** The last link number of the frames each session sent each peer: what `flush` waits for. */
    const sent = new Map<string, Map<Link, number>>()

    /** Sends `e` now: nothing, or what remains (the failure, or a wait for the socket to drain). Registered as the transport's synchronous send. */
    const deliver = (e: Envelope): Effect.Effect<void, TransportError> | undefined => {
      const link = links.get(e.to)
      if (link === undefined) {
        return Effect.fail(new TransportError({ role: e.from, peer: e.to, message: `${self} has no address for ${e.to} (add it to peers)` }))
      }
      if (queued(link) >= maxQueued) {
        return Effect.fail(new TransportError({ role: e.from, peer: e.to, message: `${maxQueued} frames to ${e.to} wait unacknowledged already: ${e.label} (site ${e.site}) is not sent` }))
      }
      const text = JSON.stringify(e)
      if (text.length * 3 + 1 + seqBytes > maxFrame && Buffer.byteLength(text) + 1 + seqBytes > maxFrame) {
        return Effect.fail(new TransportError({ role: e.from, peer: e.to, message: `${e.label} to ${e.to} (site ${e.site}) is ${Buffer.byteLength(text)} bytes encoded, over the limit of ${maxFrame}` }))
      }
      const seq = link.nextSeq++
      const frame = dataFrame(seq, text)
      link.queue.push({ seq, frame })
      let bySession = sent.get(e.session)
      if (bySession === undefined) {
        bySession = new Map()
        sent.set(e.session, bySession)
      }
      bySession.set(link, seq)
      const socket = link.socket
      if (socket !== undefined) {
        link.lastWritten = Date.now()
        link.written = link.nextSeq
        write(link, socket, frame)
        // Backpressure: past the socket's high-water mark the role waits for it to drain,
        // which lets the event loop run (the frames go out, acknowledgements come in).
        if (socket.writableNeedDrain) return drained(socket)
      }
      return undefined
    }

    /**
     * Resolves once the event loop has run (a `setImmediate`: acknowledgements and frames that
     * came in are taken) and `socket` has drained (or closed).
     */
    const drained = (socket: net.Socket): Effect.Effect<void> =>
      Effect.async<void>((resume) => {
        let timer: ReturnType<typeof setImmediate> | undefined = setImmediate(() => {
          timer = undefined
          if (!socket.writableNeedDrain || socket.destroyed) return resume(Effect.void)
          socket.on("drain", done)
          socket.on("close", done)
        })
        const done = () => {
          socket.off("drain", done)
          socket.off("close", done)
          resume(Effect.void)
        }
        return Effect.sync(() => {
          if (timer !== undefined) clearImmediate(timer)
          socket.off("drain", done)
          socket.off("close", done)
        })
      })
    const send = (e: Envelope): Effect.Effect<void, TransportError> => Effect.suspend(() => deliver(e) ?? Effect.void)

    /** Acknowledges at once every frame taken and not yet acknowledged, on sockets that are up. */
    const ackAll = () => {
      for (const intake of intakes.values()) {
        const socket = intake.socket
        if (socket === undefined || intake.unacked === 0) continue
        ackNow(intake, socket)
        if (intake.corked) {
          intake.corked = false
          socket.uncork()
        }
      }
    }

    const flush = (session: string, _role: string, except?: ReadonlySet<string>): Effect.Effect<void, PeerUnavailable> =>
      Effect.suspend(() => {
        // The role has taken what it needed: its peers learn so now (they wait for it to end
        // their own roles), not after `ackDelay`, by when this process may have exited.
        ackAll()
        const bySession = sent.get(session)
        if (bySession === undefined) return Effect.void
        const waits: Array<Effect.Effect<void, PeerUnavailable>> = []
        for (const [link, upTo] of bySession) {
          if (upTo < link.acked || except?.has(link.peer) === true) continue
          if (link.unavailable) return Effect.fail(unavailableError(link, Date.now() - (link.downSince ?? Date.now())))
          // Ask for the acknowledgement now rather than after `ackDelay`.
          if (link.socket !== undefined) write(link, link.socket, seqFrame(FrameType.Ping))
          waits.push(Effect.async<void, PeerUnavailable>((resume) => {
            const waiter: AckWaiter = { upTo, done: (error) => resume(error === undefined ? Effect.void : Effect.fail(error)) }
            link.waiters.push(waiter)
            return Effect.sync(() => {
              link.waiters = link.waiters.filter((w) => w !== waiter)
            })
          }))
        }
        return Effect.all(waits, { discard: true, concurrency: "unbounded" })
      })

    const transport: TcpTransport = {
      serialises: true,
      address,
      send,
      receive: (session, role, mailbox) => boxes.get(session, role, mailbox).take,
      open: (session, role, roles) =>
        Effect.tap(openRole(boxes, session, role, roles), () =>
          Effect.sync(() => {
            // A session begun while a peer of it is unavailable learns so at once.
            const t = Date.now()
            for (const link of links.values()) {
              if (link.unavailable && (roles === undefined || roles.includes(link.peer))) {
                announce(link.peer, unavailableError(link, t - (link.downSince ?? t)), session)
              }
            }
          })),
      flush,
      close: (session, role) =>
        Effect.sync(() => {
          boxes.release(session, role)
          sent.delete(session)
        }),
      stats: () => {
        let q = 0
        for (const link of links.values()) q += queued(link)
        return { accepted, refused: { ...refusedBy }, connected, rejected, duplicates, resent, queued: q, ...boxes.stats() }
      },
      refusals: () => [...refusals],
      connectedTo: (peer) => links.get(peer)?.socket !== undefined || intakes.get(peer)?.socket !== undefined
    }
    registerSynchronousSend(transport, deliver)
    return transport
  })

/**
 * The TCP transport as a layer (see `make`).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { Tcp } from "quadrille/node"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 *
 * // The Client's process; the Server's runs the same with self: "Server" and its own address.
 * const program = Role.run(PingPong, "Client", client, { sessionId: "s1" }).pipe(
 *   Effect.provide(Tcp.layer({
 *     self: "Client",
 *     listen: { port: 4100 },
 *     peers: { Server: "127.0.0.1:4101" },
 *     auth: { keys: { Server: process.env.KEY_CLIENT_SERVER! } }
 *   }))
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: TcpOptions): Layer.Layer<Transport, TcpError> => Layer.scoped(Transport, make(options))
