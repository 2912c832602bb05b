/**
 * AdaptiveSync, from the seed guide: after a capability exchange the Server picks one of
 * three sub-protocols, each written once and composed in a branch of its choice.
 *
 *   Client -> Server : CapabilityQuery { version, supportsDelta }
 *   Server -> Client : CapabilityResponse { syncType, version }
 *   choice 'sync' at Server
 *     full:  compose FullSynchronization(Client, Server)
 *     delta: compose DeltaSynchronization(Client, Server)
 *     none:  compose Acknowledgment(Client, Server)
 *
 *   FullSynchronization          a paged snapshot that replaces the client's data
 *     Server -> Client : SnapshotBegin { version, total }
 *     loop 'pages'
 *       Server -> Client : Page { entries }
 *       Client -> Server : PageAck { received }
 *       choice 'morePages' at Server
 *         next: recur 'pages'
 *         last: (leave the loop)
 *     Server -> Client : SnapshotEnd
 *     Client -> Server : SyncAck { version, digest }
 *   DeltaSynchronization         the changes since the client's version, compacted
 *     Server -> Client : Delta { fromVersion, toVersion, upserts, deletes }
 *     Client -> Server : SyncAck { version, digest }
 *   Acknowledgment               nothing to do
 *     Server -> Client : UpToDate { version }
 *     Client -> Server : SyncAck { version, digest }
 *
 * The Client learns which sub-protocol runs from its first message (SnapshotBegin, Delta or
 * UpToDate). SyncAck is declared by all three sub-protocols with the same Schema: the
 * catalogues merge. The Server checks the client's digest against its own.
 */
import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"

const Entry = Schema.Struct({ key: Schema.String, value: Schema.String })
const SyncAck = Schema.Struct({ version: Schema.Number, digest: Schema.String })

// ---------------------------------------------------------------------------------------------
// The sub-protocols

export const FullSynchronization = Protocol.make("FullSynchronization", {
  roles: ["Client", "Server"],
  messages: {
    SnapshotBegin: Schema.Struct({ version: Schema.Number, total: Schema.Number }),
    Page: Schema.Struct({ entries: Schema.Array(Entry) }),
    PageAck: Schema.Struct({ received: Schema.Number }),
    SnapshotEnd: Schema.Struct({}),
    SyncAck
  }
}, (g) =>
  g
    .msg("Server", "Client", "SnapshotBegin")
    .loop("pages", (b) =>
      b
        .msg("Server", "Client", "Page")
        .msg("Client", "Server", "PageAck")
        .choice("Server", "morePages", {
          next: (c) => c.recur("pages"),
          last: (c) => c
        }))
    .msg("Server", "Client", "SnapshotEnd")
    .msg("Client", "Server", "SyncAck"))

export const DeltaSynchronization = Protocol.make("DeltaSynchronization", {
  roles: ["Client", "Server"],
  messages: {
    Delta: Schema.Struct({
      fromVersion: Schema.Number,
      toVersion: Schema.Number,
      upserts: Schema.Array(Entry),
      deletes: Schema.Array(Schema.String)
    }),
    SyncAck
  }
}, (g) => g.msg("Server", "Client", "Delta").msg("Client", "Server", "SyncAck"))

export const Acknowledgment = Protocol.make("Acknowledgment", {
  roles: ["Client", "Server"],
  messages: {
    UpToDate: Schema.Struct({ version: Schema.Number }),
    SyncAck
  }
}, (g) => g.msg("Server", "Client", "UpToDate").msg("Client", "Server", "SyncAck"))

const SyncType = Schema.Literal("full", "delta", "none")
export type SyncType = typeof SyncType.Type

export const AdaptiveSync = Protocol.make("AdaptiveSync", {
  roles: ["Client", "Server"],
  messages: {
    CapabilityQuery: Schema.Struct({ version: Schema.Number, supportsDelta: Schema.Boolean }),
    CapabilityResponse: Schema.Struct({ syncType: SyncType, version: Schema.Number })
  }
}, (g) =>
  g
    .msg("Client", "Server", "CapabilityQuery")
    .msg("Server", "Client", "CapabilityResponse")
    .choice("Server", "sync", {
      full: (b) => b.compose(FullSynchronization, { Client: "Client", Server: "Server" }),
      delta: (b) => b.compose(DeltaSynchronization, { Client: "Client", Server: "Server" }),
      none: (b) => b.compose(Acknowledgment, { Client: "Client", Server: "Server" })
    }))

// ---------------------------------------------------------------------------------------------
// Data sets and their history

export type DataSet = Readonly<Record<string, string>>

/** One write of the server's history: version `version` set `key` to `value`, or deleted it (null). */
export interface Change {
  readonly version: number
  readonly key: string
  readonly value: string | null
}

export const history: ReadonlyArray<Change> = [
  { version: 1, key: "alpha", value: "1" },
  { version: 2, key: "beta", value: "2" },
  { version: 3, key: "gamma", value: "3" },
  { version: 4, key: "delta", value: "4" },
  { version: 5, key: "beta", value: "22" },
  { version: 6, key: "alpha", value: null },
  { version: 7, key: "epsilon", value: "5" },
  { version: 8, key: "zeta", value: "6" },
  { version: 9, key: "gamma", value: "33" }
]

/** The data set after the changes up to `version`. */
export const dataAt = (version: number, changes: ReadonlyArray<Change> = history): DataSet => {
  const data: Record<string, string> = {}
  for (const c of changes) {
    if (c.version > version) break
    if (c.value === null) delete data[c.key]
    else data[c.key] = c.value
  }
  return data
}

/** A digest of a data set that does not depend on key order. */
export const digest = (data: DataSet): string =>
  createHash("sha256").update(JSON.stringify(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1)))).digest("hex")

const pageSize = 2

// ---------------------------------------------------------------------------------------------
// Server

export interface ServerState {
  readonly version: number
  readonly data: DataSet
  /** The changes the server still keeps: a client at `logStart` or later can be sent a delta. */
  readonly log: ReadonlyArray<Change>
  readonly logStart: number
  readonly clientVersion: number
  readonly syncType: SyncType
  readonly pagesSent: number
  /** The client acknowledged the server's version and digest. */
  readonly inSync: boolean
}

/** The server keeps its whole history as data, and its log of changes from `logStart` on. */
export const serverStart = (logStart = 3): ServerState => {
  const version = history[history.length - 1].version
  return {
    version,
    data: dataAt(version),
    log: history.filter((c) => c.version > logStart),
    logStart,
    clientVersion: -1,
    syncType: "none",
    pagesSent: 0,
    inSync: false
  }
}

const DataSetSchema = Schema.Record({ key: Schema.String, value: Schema.String })

/** The Server's state as a Schema: with it the Server can run durably (`Role.resume`). */
const ServerStateSchema = Schema.Struct({
  version: Schema.Number,
  data: DataSetSchema,
  log: Schema.Array(Schema.Struct({ version: Schema.Number, key: Schema.String, value: Schema.NullOr(Schema.String) })),
  logStart: Schema.Number,
  clientVersion: Schema.Number,
  syncType: SyncType,
  pagesSent: Schema.Number,
  inSync: Schema.Boolean
})

const snapshot = (s: ServerState) =>
  Object.entries(s.data).sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => ({ key, value }))

/** The changes since the client's version, last write per key. */
const delta = (s: ServerState) => {
  const last = new Map<string, string | null>()
  for (const c of s.log) if (c.version > s.clientVersion) last.set(c.key, c.value)
  const entries = [...last]
  return {
    fromVersion: s.clientVersion,
    toVersion: s.version,
    upserts: entries.flatMap(([key, value]) => (value === null ? [] : [{ key, value }])),
    deletes: entries.flatMap(([key, value]) => (value === null ? [key] : []))
  }
}

export const server = (start: ServerState = serverStart()) =>
  Role.implement(AdaptiveSync, "Server", {
    send: {
      CapabilityResponse: (s) => ({ syncType: s.syncType, version: s.version }),
      SnapshotBegin: (s) => ({ version: s.version, total: Object.keys(s.data).length }),
      Page: (s) => ({ entries: snapshot(s).slice(s.pagesSent * pageSize, (s.pagesSent + 1) * pageSize) }),
      SnapshotEnd: () => ({}),
      Delta: delta,
      UpToDate: (s) => ({ version: s.version })
    },
    recv: {
      CapabilityQuery: (s, q) => ({
        ...s,
        clientVersion: q.version,
        syncType: q.version === s.version
          ? "none" as const
          : q.supportsDelta && q.version >= s.logStart && q.version < s.version
          ? "delta" as const
          : "full" as const
      }),
      PageAck: (s) => ({ ...s, pagesSent: s.pagesSent + 1 }),
      SyncAck: (s, a) => ({ ...s, inSync: a.version === s.version && a.digest === digest(s.data) })
    },
    choose: {
      sync: (s) => s.syncType,
      morePages: (s) => (s.pagesSent * pageSize < Object.keys(s.data).length ? "next" : "last")
    }
  }, start, { state: ServerStateSchema })

// ---------------------------------------------------------------------------------------------
// Client

export interface ClientState {
  readonly version: number
  readonly data: DataSet
  readonly supportsDelta: boolean
  /** What the server announced, and what was done. */
  readonly announced: SyncType | ""
  readonly applied: SyncType | ""
  /** A snapshot being received, page by page. */
  readonly staging: DataSet
  readonly stagingVersion: number
  readonly pages: number
}

/** The Client's state as a Schema: with it the Client can run durably (`Role.resume`). */
const ClientStateSchema = Schema.Struct({
  version: Schema.Number,
  data: DataSetSchema,
  supportsDelta: Schema.Boolean,
  announced: Schema.Literal("full", "delta", "none", ""),
  applied: Schema.Literal("full", "delta", "none", ""),
  staging: DataSetSchema,
  stagingVersion: Schema.Number,
  pages: Schema.Number
})

export const clientStart = (version: number, supportsDelta = true, data: DataSet = dataAt(version)): ClientState => ({
  version,
  data,
  supportsDelta,
  announced: "",
  applied: "",
  staging: {},
  stagingVersion: 0,
  pages: 0
})

export const client = (start: ClientState) =>
  Role.implement(AdaptiveSync, "Client", {
    send: {
      CapabilityQuery: (s) => ({ version: s.version, supportsDelta: s.supportsDelta }),
      PageAck: (s) => ({ received: Object.keys(s.staging).length }),
      SyncAck: (s) => ({ version: s.version, digest: digest(s.data) })
    },
    recv: {
      CapabilityResponse: (s, r) => ({ ...s, announced: r.syncType }),
      SnapshotBegin: (s, b) => ({ ...s, staging: {}, stagingVersion: b.version }),
      Page: (s, p) => ({
        ...s,
        pages: s.pages + 1,
        staging: { ...s.staging, ...Object.fromEntries(p.entries.map((e) => [e.key, e.value])) }
      }),
      SnapshotEnd: (s) => ({ ...s, data: s.staging, version: s.stagingVersion, staging: {}, applied: "full" as const }),
      Delta: (s, d) => {
        const data: Record<string, string> = { ...s.data }
        for (const e of d.upserts) data[e.key] = e.value
        for (const k of d.deletes) delete data[k]
        return { ...s, data, version: d.toVersion, applied: "delta" as const }
      },
      UpToDate: (s) => ({ ...s, applied: "none" as const })
    }
  }, start, { state: ClientStateSchema })

/** Synchronises a client that starts at `version` (with that version's data unless given) with the server. */
export const main = (version: number, supportsDelta = true, data?: DataSet) =>
  Session.run(AdaptiveSync, {
    Client: client(clientStart(version, supportsDelta, data)),
    Server: server()
  })

if (import.meta.url === `file://${process.argv[1]}`) {
  const show = (label: string, r: Effect.Effect.Success<ReturnType<typeof main>>) =>
    console.log(
      `${label}: server chose ${r.Server.syncType}, client now at version ${r.Client.version} with`,
      JSON.stringify(r.Client.data),
      `(${r.Client.pages} pages), server sees it in sync: ${r.Server.inSync}`
    )
  Effect.runPromise(Effect.all([main(0), main(5), main(5, false), main(9)])).then(([full, d, noDelta, none]) => {
    show("client at 0", full)
    show("client at 5", d)
    show("client at 5, no delta support", noDelta)
    show("client at 9", none)
  })
}
