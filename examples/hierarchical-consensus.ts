/**
 * HierarchicalConsensus, from the seed guide: one Consensus sub-protocol, written once,
 * composed twice with different role mappings, then a cross-level exchange.
 *
 *   Consensus(Leader, Replica1, Replica2)
 *     Leader   -> Replica1, Replica2 : Proposal { term, value }      (broadcast)
 *     Replica1 -> Leader             : Vote { value }
 *     Replica2 -> Leader             : Vote { value }
 *     Leader   -> Replica1, Replica2 : Decision { value }            (broadcast)
 *
 *   HierarchicalConsensus(Leader, Replica1, Replica2, SubLeader, SubReplica1, SubReplica2)
 *     compose Consensus(Leader: Leader,    Replica1: Replica1,    Replica2: Replica2)
 *     compose Consensus(Leader: SubLeader, Replica1: SubReplica1, Replica2: SubReplica2)
 *     Leader    -> SubLeader : CoordinationMessage { decision }
 *     SubLeader -> Leader    : CoordinationAck { decision }
 *
 * A leader proposes its own value; each replica votes for the value it prefers; the leader
 * decides the value most of the three (its proposal and the two votes) agree on, or the
 * largest when they all differ, and tells the replicas. The two groups run concurrently
 * (no role is in both); then the Leader tells the SubLeader its decision, and the SubLeader
 * answers with its group's. The SubLeader is written by hand (`Role.program`), the other
 * roles are generated (`Role.implement`).
 */
import { Effect, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"

export const Consensus = Protocol.make("Consensus", {
  roles: ["Leader", "Replica1", "Replica2"],
  messages: {
    Proposal: Schema.Struct({ term: Schema.Number, value: Schema.Number }),
    Vote: Schema.Struct({ value: Schema.Number }),
    Decision: Schema.Struct({ value: Schema.Number })
  }
}, (g) =>
  g
    .broadcast("Leader", ["Replica1", "Replica2"], "Proposal")
    .msg("Replica1", "Leader", "Vote")
    .msg("Replica2", "Leader", "Vote")
    .broadcast("Leader", ["Replica1", "Replica2"], "Decision"))

export const HierarchicalConsensus = Protocol.make("HierarchicalConsensus", {
  roles: ["Leader", "Replica1", "Replica2", "SubLeader", "SubReplica1", "SubReplica2"],
  messages: {
    CoordinationMessage: Schema.Struct({ decision: Schema.Number }),
    CoordinationAck: Schema.Struct({ decision: Schema.Number })
  }
}, (g) =>
  g
    .compose(Consensus, { Leader: "Leader", Replica1: "Replica1", Replica2: "Replica2" })
    .compose(Consensus, { Leader: "SubLeader", Replica1: "SubReplica1", Replica2: "SubReplica2" })
    .msg("Leader", "SubLeader", "CoordinationMessage")
    .msg("SubLeader", "Leader", "CoordinationAck"))

/** The value most of `values` agree on, or the largest when no value has a majority. */
export const decide = (values: ReadonlyArray<number>): number => {
  const counts = new Map<number, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  const majority = [...counts].find(([, n]) => n * 2 > values.length)
  return majority !== undefined ? majority[0] : Math.max(...values)
}

// ---------------------------------------------------------------------------------------------
// The top-level Leader

export interface LeaderState {
  readonly term: number
  readonly value: number
  readonly votes: ReadonlyArray<number>
  readonly decided: number | null
  /** The sub-group's decision, from the SubLeader's CoordinationAck. */
  readonly subDecision: number | null
}

/** The Leader's state as a Schema: with it the Leader can run durably (`Role.resume`). */
const LeaderStateSchema = Schema.Struct({
  term: Schema.Number,
  value: Schema.Number,
  votes: Schema.Array(Schema.Number),
  decided: Schema.NullOr(Schema.Number),
  subDecision: Schema.NullOr(Schema.Number)
})

const leaderStart = (term: number, value: number): LeaderState => ({ term, value, votes: [], decided: null, subDecision: null })

export const leader = (term: number, value: number) =>
  Role.implement(HierarchicalConsensus, "Leader", {
    send: {
      Proposal: (s) => ({ term: s.term, value: s.value }),
      // Sent once both votes are in (the protocol orders them so).
      Decision: (s) => ({ value: decide([s.value, ...s.votes]) }),
      CoordinationMessage: (s) => ({ decision: decide([s.value, ...s.votes]) })
    },
    recv: {
      Vote: (s, v) => {
        const votes = [...s.votes, v.value]
        return { ...s, votes, decided: votes.length === 2 ? decide([s.value, ...votes]) : null }
      },
      CoordinationAck: (s, a) => ({ ...s, subDecision: a.decision })
    }
  }, leaderStart(term, value), { state: LeaderStateSchema })

// ---------------------------------------------------------------------------------------------
// Replicas, of either group: the same handlers for four roles

export interface ReplicaState {
  readonly preferred: number
  readonly proposal: { readonly term: number; readonly value: number } | null
  readonly decided: number | null
}

type Payload<L extends keyof typeof Consensus.messages> = Schema.Schema.Type<(typeof Consensus.messages)[L]>

/**
 * One record of handlers for the four replica roles: they all vote and learn the decision
 * with the same labels. (`Role.implement` needs each role as a literal, so the record is
 * shared rather than the call.)
 */
const replicaHandlers = {
  send: { Vote: (s: ReplicaState): Payload<"Vote"> => ({ value: s.preferred }) },
  recv: {
    Proposal: (s: ReplicaState, p: Payload<"Proposal">): ReplicaState => ({ ...s, proposal: p }),
    Decision: (s: ReplicaState, d: Payload<"Decision">): ReplicaState => ({ ...s, decided: d.value })
  }
}

/** A replica's state as a Schema: with it the replicas can run durably (`Role.resume`). */
const ReplicaStateSchema = Schema.Struct({
  preferred: Schema.Number,
  proposal: Schema.NullOr(Consensus.messages.Proposal),
  decided: Schema.NullOr(Schema.Number)
})

const replicaStart = (preferred: number): ReplicaState => ({ preferred, proposal: null, decided: null })

export const replica1 = (preferred: number) =>
  Role.implement(HierarchicalConsensus, "Replica1", replicaHandlers, replicaStart(preferred), { state: ReplicaStateSchema })
export const replica2 = (preferred: number) =>
  Role.implement(HierarchicalConsensus, "Replica2", replicaHandlers, replicaStart(preferred), { state: ReplicaStateSchema })
export const subReplica1 = (preferred: number) =>
  Role.implement(HierarchicalConsensus, "SubReplica1", replicaHandlers, replicaStart(preferred), { state: ReplicaStateSchema })
export const subReplica2 = (preferred: number) =>
  Role.implement(HierarchicalConsensus, "SubReplica2", replicaHandlers, replicaStart(preferred), { state: ReplicaStateSchema })

// ---------------------------------------------------------------------------------------------
// The SubLeader, by hand: its endpoint walks the second composition of Consensus, then the
// cross-level messages.

export interface SubLeaderResult {
  readonly votes: ReadonlyArray<number>
  readonly decided: number
  /** The top-level decision, from the Leader's CoordinationMessage. */
  readonly topDecision: number
}

export const subLeader = (term: number, value: number) =>
  Role.program(HierarchicalConsensus, "SubLeader", (ch) =>
    Effect.gen(function*() {
      const c1 = yield* ch.send("SubReplica1", "Proposal", { term, value })
      const c2 = yield* c1.send("SubReplica2", "Proposal", { term, value })
      const [v1, c3] = yield* c2.recv("SubReplica1", "Vote")
      const [v2, c4] = yield* c3.recv("SubReplica2", "Vote")
      const decided = decide([value, v1.value, v2.value])
      const c5 = yield* c4.send("SubReplica1", "Decision", { value: decided })
      const c6 = yield* c5.send("SubReplica2", "Decision", { value: decided })
      const [coordination, c7] = yield* c6.recv("Leader", "CoordinationMessage")
      const end = yield* c7.send("Leader", "CoordinationAck", { decision: decided })
      return yield* end.close<SubLeaderResult>({ votes: [v1.value, v2.value], decided, topDecision: coordination.decision })
    }))

/** What every node prefers: the leaders propose their own value, the replicas vote theirs. */
export type Preferences = { readonly [R in (typeof HierarchicalConsensus)["roles"][number]]: number }

export const main = (values: Preferences, term = 1) =>
  Session.run(HierarchicalConsensus, {
    Leader: leader(term, values.Leader),
    Replica1: replica1(values.Replica1),
    Replica2: replica2(values.Replica2),
    SubLeader: subLeader(term, values.SubLeader),
    SubReplica1: subReplica1(values.SubReplica1),
    SubReplica2: subReplica2(values.SubReplica2)
  })

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(
    Effect.all([
      // Top group: 5 has a majority. Sub-group: 3, 7, 4 all differ, so the largest, 7.
      main({ Leader: 5, Replica1: 5, Replica2: 9, SubLeader: 3, SubReplica1: 7, SubReplica2: 4 }),
      // Top group: the replicas outvote the leader.
      main({ Leader: 1, Replica1: 8, Replica2: 8, SubLeader: 2, SubReplica1: 2, SubReplica2: 6 }, 2)
    ])
  ).then((r) => console.log(JSON.stringify(r, null, 2)))
}
