/**
 * The Redis Streams transport (Node only; `Redis.layer` in `quadrille/node`): roles in any
 * processes or hosts that reach one Redis, each durable role committing every unit of its
 * steps in one `MULTI`.
 *
 * - **Streams.** Each (session, role) has one stream, its inbox (`streamKey`), read through
 *   the consumer group `quadrille` by the consumer named after the role. Its lanes (the
 *   branches of parallels, the parts of timeouts) are told apart in the process, by the
 *   envelope's lane, as the in-memory transport does. Keys carry the session as a Redis
 *   Cluster hash tag, `{session}`, like the checkpoints (`Storage.checkpointKey`): all keys of
 *   one session are in one slot, so a `MULTI` over them works on a Redis Cluster too.
 * - **Sending** is `XADD` to the receiver's stream; **receiving** is `XREADGROUP` on a
 *   connection of its own (it blocks), into the role's mailboxes.
 * - **Commits** (`durable`): a durable role's checkpoint (`SET`), the `XACK` of every frame it
 *   took since its last commit, and the `XADD` of every frame it sent since, in one `MULTI`:
 *   Redis applies all of it or none, and with `appendfsync always` it is on disk before the
 *   role goes on. A commit whose answer is lost when the connection drops is sent again by
 *   ioredis once it is back, and may so be applied twice: that writes the same checkpoint
 *   again, acknowledges again, and adds the frames again, which their durable receivers drop
 *   as duplicates (by sequence number). One that fails outright is tried again only after the
 *   checkpoint, read back, shows it was not applied.
 * - **Restart.** A role that starts reads its consumer's pending entries first (`XREADGROUP`
 *   from id 0: the frames it had taken but not committed when it crashed), then new ones. The
 *   consumer is named after the role, so a restarted process owns its predecessor's pending
 *   entries and no `XAUTOCLAIM` is needed. Frames its checkpoint covers already are dropped by
 *   the role (by sequence number).
 * - **Expiry.** When a durable role ends, its checkpoint and its stream expire after `retain`
 *   (default 24 hours), so Redis does not grow with finished sessions; until then a role
 *   resumed again finds it finished and returns its result at once. A role that fails lets
 *   its checkpoint and stream expire the same way. Streams are named by session and role
 *   only: two protocols must not share a session id on one Redis.
 * - **Hostile input.** Anything in a stream is decoded (`decodeEnvelope`) before a role sees
 *   it: an entry that is too long, not JSON, not an envelope, or not addressed to this role
 *   and session is dropped, acknowledged and recorded (`Reject`). Who may write to the streams
 *   is Redis's to say (ACLs, TLS): a writer with access can forge frames from any role.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Either, Fiber, Layer, Option, Schedule, type Scope } from "effect"
import type { Redis as IORedis } from "ioredis"
import { TransportError } from "../effects/errors.js"
import { Storage, StorageError } from "../effects/Storage.js"
import type { TraceSinkService } from "../effects/TraceSink.js"
import { transportSink } from "../internal/observe.js"
import { decodeEnvelope, type Envelope, Transport, type TransportService } from "../effects/Transport.js"
import { clip } from "../internal/bounded.js"
import type { DurableCommit, DurableEngine } from "../runtime/durable.js"
import { Mailbox } from "./mailbox.js"
import { rejectEvent } from "./memory.js"
import { clientLayer, isConnectionProblem, makeStorage, RedisClient, type RedisClientOptions } from "./redis.js"

/**
 * The consumer group every role's stream is read through.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Redis } from "quadrille/node"
 *
 * // The frames the Server of session s1 has taken and not committed.
 * const pending = Effect.flatMap(Redis.RedisClient, (redis) =>
 *   redis.run("XPENDING", (c) => c.xpending(Redis.streamKey("s1", "Server"), Redis.group)))
 * ```
 *
 * @since 0.1.0
 */
export const group = "quadrille"

const plain = (s: string) => !/[:{}]/.test(s)

/**
 * The stream of `role` in `session`: `quadrille:{<session>}:<role>:in` (length-prefixed
 * parts when a name holds `:`, `{` or `}`, as in `Storage.checkpointKey`).
 *
 * @example
 * ```ts
 * import { Redis } from "quadrille/node"
 *
 * Redis.streamKey("order-17", "Server") // "quadrille:{order-17}:Server:in"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const streamKey = (session: string, role: string): string =>
  plain(session) && plain(role) ? `quadrille:{${session}}:${role}:in` : `quadrille:{${session.length}.${session}}:${role.length}.${role}:in`

/**
 * Options of the Redis transport.
 *
 * @example
 * ```ts
 * import { Redis } from "quadrille/node"
 *
 * const options: Redis.RedisTransportOptions = {
 *   url: "redis://127.0.0.1:6379",
 *   retain: "1 hour", // finished sessions' checkpoints and streams expire an hour after
 *   maxFrameBytes: 64 * 1024
 * }
 * const redis = Redis.layer(options)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisTransportOptions extends RedisClientOptions {
  /** How long the checkpoint and stream of a role that has ended are kept (default 24 hours). */
  readonly retain?: Duration.DurationInput | undefined
  /** The longest stream entry taken (default 1 MiB): a longer one is dropped unread. */
  readonly maxFrameBytes?: number | undefined
  /** How long one `XREADGROUP` blocks before it is sent again (default 500 ms). */
  readonly block?: Duration.DurationInput | undefined
}

/** A role that runs here: its mailboxes, and the fiber reading its stream. */
interface Reader {
  readonly boxes: Map<string, Mailbox>
  /** Entries taken into the mailboxes and not acknowledged yet: a stream read again from its pending entries skips them. */
  readonly taken: Set<string>
  fiber: Fiber.RuntimeFiber<void, never> | undefined
  connection: IORedis | undefined
}

const isBusyGroup = (e: unknown) => e instanceof Error && /BUSYGROUP/.test(e.message)

type Entries = Array<[string, Array<string> | null]>
type ReadReply = Array<[string, Entries]> | null

/**
 * The transport on the Redis client in context; its readers live in the scope.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Protocol, Role, Storage, Transport } from "quadrille"
 * import { Redis } from "quadrille/node"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0, {
 *   state: Schema.Number
 * })
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const transport = yield* Redis.makeTransport({ retain: "1 hour" })
 *   const result = yield* Role.resume(PingPong, "Server", server, { sessionId: "s1" }).pipe(Effect.provideService(Transport, transport))
 *   return { result, commits: transport.stats().commits }
 * })).pipe(Effect.provide(Layer.provideMerge(Layer.effect(Storage.Storage, Redis.makeStorage), Redis.clientLayer())))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeTransport = (
  options: RedisTransportOptions = {}
): Effect.Effect<TransportService & { readonly stats: () => { readonly rejected: number; readonly commits: number } }, never, RedisClient | Scope.Scope> =>
  Effect.gen(function*() {
    const redis = yield* RedisClient
    const sink: TraceSinkService | undefined = yield* transportSink
    const scope = yield* Effect.scope
    const retainMs = Math.max(1, Math.round(Duration.toMillis(Duration.decode(options.retain ?? Duration.hours(24)))))
    const maxBytes = options.maxFrameBytes ?? 1024 * 1024
    const blockMs = Math.max(1, Math.round(Duration.toMillis(Duration.decode(options.block ?? Duration.millis(500)))))
    const readers = new Map<string, Reader>()
    /** Roles that have committed durably here: their streams expire with their checkpoints, not at `close`. */
    const durableRoles = new Set<string>()
    /** The stream entry each frame came from, to acknowledge it when the frame is committed. */
    const entryOf = new WeakMap<Envelope, { readonly stream: string; readonly id: string }>()
    let rejected = 0
    let commits = 0
    const keyOf = (session: string, role: string) => `${session}\u0000${role}`

    const failure = (role: string, peer: string, e: { readonly message: string }) => new TransportError({ role, peer, message: e.message })

    const reject = (stream: string, id: string, frame: unknown, reason: string) => {
      rejected++
      sink?.record(rejectEvent(frame, reason))
      // A bad entry is acknowledged at once: it would otherwise be read again after every restart.
      return Effect.ignore(redis.run("XACK", (c) => c.xack(stream, group, id)))
    }

    const mailbox = (reader: Reader, lane: string) => {
      let box = reader.boxes.get(lane)
      if (box === undefined) reader.boxes.set(lane, (box = new Mailbox()))
      return box
    }

    /** Takes a batch of entries of `session`'s `role` stream into its mailboxes; the entries to reject, if any. */
    const take = (reader: Reader, session: string, role: string, stream: string, entries: Entries): Effect.Effect<void> => {
      let rejects: Array<Effect.Effect<void>> | undefined
      const bad = (id: string, frame: unknown, reason: string) => void (rejects ??= []).push(reject(stream, id, frame, reason))
      for (const [id, fields] of entries) {
        // A pending entry deleted from the stream since (XDEL, XTRIM) comes back with no fields.
        const raw = Array.isArray(fields) ? fields[1] : undefined
        if (!Array.isArray(fields) || fields[0] !== "f" || typeof raw !== "string") {
          bad(id, undefined, "a stream entry without a frame")
          continue
        }
        if (raw.length > maxBytes) {
          bad(id, undefined, `a stream entry of ${raw.length} bytes, over ${maxBytes}`)
          continue
        }
        let parsed: unknown
        try {
          parsed = JSON.parse(raw)
        } catch {
          bad(id, undefined, "a stream entry that is not JSON")
          continue
        }
        const decoded = decodeEnvelope(parsed)
        if (Either.isLeft(decoded)) {
          bad(id, parsed, decoded.left)
          continue
        }
        const e = decoded.right
        if (e.session !== session || e.to !== role) {
          bad(id, parsed, `a frame for ${clip(e.to, 60)} in session ${clip(e.session, 60)} in the stream of ${role} in ${session}`)
          continue
        }
        if (reader.taken.has(id)) continue
        reader.taken.add(id)
        entryOf.set(e, { stream, id })
        mailbox(reader, e.mailbox ?? e.lane ?? "").offer(e)
      }
      return rejects === undefined ? Effect.void : Effect.all(rejects, { discard: true })
    }

    /** Reads `role`'s stream for ever: its pending entries first (from id 0), then new ones. */
    const readLoop = (reader: Reader, session: string, role: string): Effect.Effect<void> => {
      const stream = streamKey(session, role)
      const connection = redis.client.duplicate()
      connection.on("error", () => {})
      reader.connection = connection
      const read = (id: string, block: boolean) =>
        Effect.tryPromise({
          try: () =>
            (block
              ? connection.xreadgroup("GROUP", group, role, "COUNT", 256, "BLOCK", blockMs, "STREAMS", stream, id)
              : connection.xreadgroup("GROUP", group, role, "COUNT", 256, "STREAMS", stream, id)) as Promise<ReadReply>,
          catch: (e) => e
        })
      const ensureGroup = Effect.tryPromise({
        try: () => connection.xgroup("CREATE", stream, group, "0", "MKSTREAM"),
        catch: (e) => e
      }).pipe(Effect.catchIf(isBusyGroup, () => Effect.void))
      // The pending entries of this consumer, from the start, then what comes.
      const pending = (after: string): Effect.Effect<void, unknown> =>
        Effect.flatMap(read(after, false), (reply) => {
          const entries = reply?.[0]?.[1] ?? []
          if (entries.length === 0) return Effect.void
          return Effect.zipRight(take(reader, session, role, stream, entries), pending(entries[entries.length - 1][0]))
        })
      // After the connection is made again, the pending entries are read again too: the answer
      // to a read may have been lost after Redis had counted its entries as delivered (ioredis
      // sends the unanswered read again, and that one returns only newer entries).
      let reconnected = false
      connection.on("ready", () => void (reconnected = true))
      const live: Effect.Effect<void, unknown> = Effect.forever(
        Effect.flatMap(read(">", true), (reply) => {
          const taken = take(reader, session, role, stream, reply?.[0]?.[1] ?? [])
          if (!reconnected) return taken
          reconnected = false
          return Effect.zipRight(taken, pending("0"))
        })
      )
      const retrying = <A>(effect: Effect.Effect<A, unknown>) =>
        Effect.retry(effect, Schedule.exponential(Duration.millis(20)).pipe(Schedule.union(Schedule.spaced(Duration.millis(500)))))
      // After a failure, all again: the group (the server may have lost it) and the pending
      // entries. A defect (an answer of a shape not foreseen) is a failure too: the reader must not die.
      return Effect.ensuring(
        Effect.asVoid(retrying(Effect.catchAllDefect(Effect.zipRight(Effect.zipRight(ensureGroup, pending("0")), live), (d) => Effect.fail(d)))),
        Effect.sync(() => connection.disconnect())
      ) as Effect.Effect<void>
    }

    const stop = (reader: Reader) =>
      Effect.suspend(() => {
        const fiber = reader.fiber
        reader.fiber = undefined
        reader.connection?.disconnect()
        return fiber === undefined ? Effect.void : Fiber.interrupt(fiber)
      })

    const open = (session: string, role: string) =>
      Effect.suspend(() => {
        const k = keyOf(session, role)
        const known = readers.get(k)
        // A role started again in this process (it was interrupted): read its stream afresh, from its pending entries.
        const restart = known === undefined ? Effect.void : stop(known)
        const reader: Reader = { boxes: new Map(), taken: new Set(), fiber: undefined, connection: undefined }
        readers.set(k, reader)
        const stream = streamKey(session, role)
        return Effect.gen(function*() {
          yield* restart
          for (const box of known?.boxes.values() ?? []) box.fail(new TransportError({ role, peer: "", message: `${role} was started again in session ${session}` }))
          yield* Effect.mapError(
            redis.run("XGROUP CREATE", (c) => c.xgroup("CREATE", stream, group, "0", "MKSTREAM")).pipe(
              Effect.catchIf((e) => /BUSYGROUP/.test(e.message), () => Effect.void)
            ),
            (e) => failure(role, "", e)
          )
          // A role run again after it failed (its stream was set to expire): the stream stays.
          yield* Effect.ignore(redis.run("PERSIST", (c) => c.persist(stream)))
          reader.fiber = yield* Effect.forkIn(readLoop(reader, session, role), scope)
        })
      })

    const close = (session: string, role: string) =>
      Effect.suspend(() => {
        const k = keyOf(session, role)
        const reader = readers.get(k)
        if (reader === undefined) return Effect.void
        readers.delete(k)
        for (const box of reader.boxes.values()) box.fail(new TransportError({ role, peer: "", message: `${role} has ended in session ${session}` }))
        // What is left of a role that ended expires: nothing of a finished session stays for good.
        // (A durable role's stream expires with its checkpoint: at its last commit, or when it fails.)
        if (durableRoles.delete(k)) return stop(reader)
        return Effect.zipRight(stop(reader), Effect.ignore(redis.run("PEXPIRE", (c) => c.pexpire(streamKey(session, role), retainMs))))
      })

    /** A durable role stopped: its reader goes (what it had taken and not committed stays pending in Redis). */
    const detach = (session: string, role: string) =>
      Effect.suspend(() => {
        const k = keyOf(session, role)
        const reader = readers.get(k)
        if (reader === undefined) return Effect.void
        readers.delete(k)
        durableRoles.delete(k)
        for (const box of reader.boxes.values()) box.fail(new TransportError({ role, peer: "", message: `${role} was stopped in session ${session}` }))
        return stop(reader)
      })

    const encode = (e: Envelope): string => JSON.stringify(e)

    const send = (e: Envelope) =>
      Effect.asVoid(Effect.mapError(redis.run("XADD", (c) => c.xadd(streamKey(e.session, e.to), "*", "f", encode(e))), (err) => failure(e.from, e.to, err)))

    const receive = (session: string, role: string, lane?: string) =>
      Effect.suspend(() => {
        const reader = readers.get(keyOf(session, role))
        if (reader === undefined) return Effect.fail(new TransportError({ role, peer: "", message: `${role} has not opened session ${session} on this Redis transport` }))
        return mailbox(reader, lane ?? "").take
      })

    const storageFailure = (key: string) => (e: { readonly message: string }) => new StorageError({ key: clip(key, 200), message: e.message })

    /** One commit in one MULTI; after a lost answer, the checkpoint read back says whether it went through. */
    const commit = (c: DurableCommit): Effect.Effect<void, StorageError> => {
      const stream = streamKey(c.session, c.role)
      const ids = c.consumed.flatMap((e) => {
        const entry = entryOf.get(e)
        return entry === undefined ? [] : [entry.id]
      })
      const exec = (client: IORedis) => {
        const m = client.multi()
        if (c.finished) m.set(c.key, c.record, "PX", retainMs)
        else m.set(c.key, c.record)
        // Acknowledged entries are deleted too: a stream holds only what is still to be committed.
        if (ids.length > 0) m.xack(stream, group, ...ids).xdel(stream, ...ids)
        for (const e of c.outbox) m.xadd(streamKey(e.session, e.to), "*", "f", encode(e))
        if (c.finished) m.pexpire(stream, retainMs)
        return m.exec().then((results) => {
          if (results === null) throw new Error("the MULTI was discarded")
          for (const [err] of results) if (err !== null) throw err
        })
      }
      const once = Effect.tryPromise({ try: () => exec(redis.client), catch: (e) => e })
      const applied = Effect.map(redis.run("GET", (cl) => cl.get(c.key)), (v) => v === c.record)
      // Tried again only after the checkpoint read back shows it was not applied.
      const attempt: Effect.Effect<void, StorageError> = Effect.catchAll(once, (e) =>
        isConnectionProblem(e)
          ? Effect.flatMap(Effect.mapError(applied, storageFailure(c.key)), (done) => (done ? Effect.void : Effect.zipRight(Effect.sleep(20), attempt)))
          : Effect.fail(new StorageError({ key: clip(c.key, 200), message: `MULTI failed: ${clip(e instanceof Error ? e.message : String(e), 300)}` })))
      return Effect.tap(attempt, () => {
        commits++
        durableRoles.add(keyOf(c.session, c.role))
        const reader = readers.get(keyOf(c.session, c.role))
        if (reader !== undefined) for (const id of ids) reader.taken.delete(id)
      })
    }

    const durable: DurableEngine = {
      transactional: true,
      load: (key) => Effect.mapError(Effect.map(redis.run("GET", (c) => c.get(key)), Option.fromNullable), storageFailure(key)),
      commit,
      expire: (key, session, role) =>
        Effect.ignore(redis.run("PEXPIRE", (c) => c.multi().pexpire(key, retainMs).pexpire(streamKey(session, role), retainMs).exec()))
    }

    yield* Effect.addFinalizer(() => Effect.forEach([...readers.values()], stop, { discard: true }))

    return {
      serialises: true,
      send,
      receive,
      open,
      close,
      detach,
      durable,
      stats: () => ({ rejected, commits })
    }
  })


/**
 * The Redis transport, `Storage` on the same Redis, and the client, as one layer.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { Redis } from "quadrille/node"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0, {
 *   state: Schema.Number
 * })
 *
 * // In the Server's process; the same again after a crash goes on from the last commit.
 * const program = Role.resume(PingPong, "Server", server, { sessionId: "s1" }).pipe(
 *   Effect.provide(Redis.layer({ url: "redis://127.0.0.1:6379" }))
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: RedisTransportOptions = {}): Layer.Layer<Transport | Storage | RedisClient> =>
  Layer.provideMerge(
    Layer.merge(Layer.scoped(Transport, makeTransport(options)), Layer.effect(Storage, makeStorage)),
    clientLayer(options)
  )
