/**
 * DistributedConsensus, from the seed guide ("Parallel Composition"): every node proposes
 * a value to the two others at once, a barrier, then Node1 decides and tells the others.
 *
 *   DistributedConsensus(Node1, Node2, Node3)
 *     parallel                                          (one branch per message)
 *       Node1 -> Node2 : Proposal { proposer, value }
 *       Node1 -> Node3 : Proposal { proposer, value }
 *       Node2 -> Node1 : Proposal { proposer, value }
 *       Node2 -> Node3 : Proposal { proposer, value }
 *       Node3 -> Node1 : Proposal { proposer, value }
 *       Node3 -> Node2 : Proposal { proposer, value }
 *     barrier                                           (each node: all of its branches ended)
 *     Node1 -> Node2, Node3 : Decision { value, proposals }   (broadcast)
 *
 * The six proposals travel concurrently: each node runs its four branches (two sends, two
 * receives) at once, and goes on only when all four have ended, so Node1 has every
 * proposal before it decides, and Node2 and Node3 have every proposal before they hear the
 * decision. Node1 decides the value a majority of the three proposals agree on, or the
 * largest when they all differ, and sends it with the proposals it decided from; Node2 and
 * Node3 check those against the proposals they received themselves. Every role is
 * generated (`Role.implement`).
 */
import { Effect, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"

export const Node = Schema.Literal("Node1", "Node2", "Node3")
export type Node = typeof Node.Type

export const DistributedConsensus = Protocol.make("DistributedConsensus", {
  roles: ["Node1", "Node2", "Node3"],
  messages: {
    Proposal: Schema.Struct({ proposer: Node, value: Schema.Int }),
    Decision: Schema.Struct({
      value: Schema.Int,
      proposals: Schema.Struct({ Node1: Schema.Int, Node2: Schema.Int, Node3: Schema.Int })
    })
  }
}, (g) =>
  g
    .parallel(
      (b) => b.msg("Node1", "Node2", "Proposal"),
      (b) => b.msg("Node1", "Node3", "Proposal"),
      (b) => b.msg("Node2", "Node1", "Proposal"),
      (b) => b.msg("Node2", "Node3", "Proposal"),
      (b) => b.msg("Node3", "Node1", "Proposal"),
      (b) => b.msg("Node3", "Node2", "Proposal")
    )
    .broadcast("Node1", ["Node2", "Node3"], "Decision"))

type Payload<L extends keyof typeof DistributedConsensus.messages> = Schema.Schema.Type<
  (typeof DistributedConsensus.messages)[L]
>

/** The value most of `values` agree on, or the largest when no value has a majority. */
export const decide = (values: ReadonlyArray<number>): number => {
  const counts = new Map<number, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  const majority = [...counts].find(([, n]) => n * 2 > values.length)
  return majority !== undefined ? majority[0] : Math.max(...values)
}

// ---------------------------------------------------------------------------------------------
// The nodes

export interface NodeState {
  readonly node: Node
  readonly value: number
  /** The proposals received from the other nodes, by proposer. */
  readonly seen: Partial<Record<Node, number>>
  /** The proposers heard from when the decision was taken (Node1) or heard (the others). */
  readonly seenAtDecision: ReadonlyArray<Node> | null
  readonly decided: number | null
  /** The proposals the decision was taken from, as the decider said. */
  readonly basis: Payload<"Decision">["proposals"] | null
  /** Whether the decider's proposals are the ones this node received (and its own). */
  readonly consistent: boolean
}

const Proposals = Schema.Struct({ Node1: Schema.Int, Node2: Schema.Int, Node3: Schema.Int })

/**
 * A node's state as a Schema: with it the nodes can run durably (`Role.resume`). `seen` keeps
 * its keys in the order the proposals came (`propertyOrder: "original"`): `seenAtDecision` is
 * read from it.
 */
const NodeStateSchema = Schema.Struct({
  node: Node,
  value: Schema.Int,
  seen: Schema.partialWith(Proposals, { exact: true }).annotations({ parseOptions: { propertyOrder: "original" } }),
  seenAtDecision: Schema.NullOr(Schema.Array(Node)),
  decided: Schema.NullOr(Schema.Int),
  basis: Schema.NullOr(Proposals),
  consistent: Schema.Boolean
})

const start = (node: Node, value: number): NodeState => ({
  node,
  value,
  seen: {},
  seenAtDecision: null,
  decided: null,
  basis: null,
  consistent: false
})

/** Every proposal, this node's own included, once it has heard from both others. */
const allProposals = (s: NodeState): Payload<"Decision">["proposals"] | null => {
  const all = { ...s.seen, [s.node]: s.value }
  return all.Node1 !== undefined && all.Node2 !== undefined && all.Node3 !== undefined
    ? { Node1: all.Node1, Node2: all.Node2, Node3: all.Node3 }
    : null
}

const sameProposals = (a: Payload<"Decision">["proposals"], b: Payload<"Decision">["proposals"] | null) =>
  b !== null && a.Node1 === b.Node1 && a.Node2 === b.Node2 && a.Node3 === b.Node3

const propose = (s: NodeState): Payload<"Proposal"> => ({ proposer: s.node, value: s.value })

const heard = (s: NodeState, p: Payload<"Proposal">): NodeState => ({ ...s, seen: { ...s.seen, [p.proposer]: p.value } })

const heardDecision = (s: NodeState, d: Payload<"Decision">): NodeState => ({
  ...s,
  seenAtDecision: Object.keys(s.seen) as Array<Node>,
  decided: d.value,
  basis: d.proposals,
  consistent: sameProposals(d.proposals, allProposals(s))
})

/**
 * Node1 decides as soon as it holds all three proposals (its own and the two it received,
 * whichever branch delivers last); the barrier makes sure that is before it sends the
 * Decision.
 */
export const node1 = (value: number) =>
  Role.implement(DistributedConsensus, "Node1", {
    send: {
      Proposal: propose,
      Decision: (s) =>
        s.decided !== null && s.basis !== null
          ? Effect.succeed({ value: s.decided, proposals: s.basis })
          : Effect.dieMessage(`Node1 has only the proposals of ${Object.keys(s.seen).join(", ")} at the decision`)
    },
    recv: {
      Proposal: (s, p) => {
        const next = heard(s, p)
        const all = allProposals(next)
        return all === null ? next : {
          ...next,
          seenAtDecision: Object.keys(next.seen) as Array<Node>,
          decided: decide([all.Node1, all.Node2, all.Node3]),
          basis: all,
          consistent: true
        }
      }
    }
  }, start("Node1", value), { state: NodeStateSchema })

const follower = {
  send: { Proposal: propose },
  recv: { Proposal: heard, Decision: heardDecision }
}

export const node2 = (value: number) => Role.implement(DistributedConsensus, "Node2", follower, start("Node2", value), { state: NodeStateSchema })
export const node3 = (value: number) => Role.implement(DistributedConsensus, "Node3", follower, start("Node3", value), { state: NodeStateSchema })

/** Runs one consensus over the proposals; each node's final state. */
export const main = (proposals: { readonly [N in Node]: number }, options: { readonly validate?: boolean } = {}) =>
  Session.run(DistributedConsensus, {
    Node1: node1(proposals.Node1),
    Node2: node2(proposals.Node2),
    Node3: node3(proposals.Node3)
  }, options)

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(
    Effect.all([
      // 4 has a majority.
      main({ Node1: 4, Node2: 7, Node3: 4 }),
      // All differ: the largest, 9.
      main({ Node1: 3, Node2: 9, Node3: 5 }, { validate: true })
    ])
  ).then((r) =>
    console.log(JSON.stringify(
      r.map((nodes) =>
        Object.fromEntries(
          Object.values(nodes).map((n) => [n.node, { proposed: n.value, seen: n.seen, decided: n.decided, consistent: n.consistent }])
        )
      ),
      null,
      2
    ))
  )
}
