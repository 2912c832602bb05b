/**
 * DistributedConsensus with a family of nodes: any number of nodes, fixed when the session
 * starts (the session parameter `Node`), and a client that collects their decisions.
 *
 *   DistributedConsensusFamily(Client, Node[n])
 *     exchange Node : Proposal { value }          (every node to every other one, all at once)
 *     Node[*] -> Client : Decision { value }      (gather: all nodes at once, then the barrier)
 *     Client -> Node[*] : Commit { value, unanimous }   (broadcast)
 *
 * Each node goes on from the exchange only when it has sent its proposal to every other node
 * and received every other node's, so it decides from all n proposals: the value a majority
 * agrees on, or the largest when none has one. Every node decides alike; the client checks
 * that, and commits the value. Every role is generated (`Role.implement`); the nodes are one
 * implementation per member, each with its own proposal.
 *
 * The fixed-role version with three nodes, where Node1 decides for the others, stays in
 * distributed-consensus.ts.
 */
import { Effect, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"

export const DistributedConsensusFamily = Protocol.make("DistributedConsensusFamily", {
  roles: ["Client"],
  families: ["Node"],
  messages: {
    Proposal: Schema.Struct({ value: Schema.Int }),
    Decision: Schema.Struct({ value: Schema.Int }),
    Commit: Schema.Struct({ value: Schema.Int, unanimous: Schema.Boolean })
  }
}, (g) =>
  g
    .exchange("Node", "Proposal")
    .gather("Node", "Client", "Decision")
    .broadcast("Client", "Node", "Commit"))

/** The value most of `values` agree on, or the largest when no value has a majority. */
export const decide = (values: ReadonlyArray<number>): number => {
  const counts = new Map<number, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  const majority = [...counts].find(([, n]) => n * 2 > values.length)
  return majority !== undefined ? majority[0] : Math.max(...values)
}

export interface NodeState {
  readonly value: number
  /** The proposals received, by proposer (`Node[i]`). */
  readonly seen: Readonly<Record<string, number>>
  readonly decided: number | null
  readonly committed: { readonly value: number; readonly unanimous: boolean } | null
}

export const node = (value: number) =>
  Role.implement(DistributedConsensusFamily, "Node", {
    send: {
      Proposal: (s) => ({ value: s.value }),
      // After the exchange's barrier: every proposal is in.
      Decision: (s) => {
        const decided = decide([s.value, ...Object.values(s.seen)])
        return Role.withState({ value: decided }, { ...s, decided })
      }
    },
    recv: {
      Proposal: (s, p, context) => ({ ...s, seen: { ...s.seen, [context.peer]: p.value } }),
      Commit: (s, c) => ({ ...s, committed: c })
    }
  }, { value, seen: {}, decided: null, committed: null } as NodeState)

export interface ClientState {
  readonly decisions: Readonly<Record<string, number>>
}

export const client = Role.implement(DistributedConsensusFamily, "Client", {
  send: {
    Commit: (s) => {
      const values = Object.values(s.decisions)
      return { value: decide(values), unanimous: values.every((v) => v === values[0]) }
    }
  },
  recv: { Decision: (s, d, context) => ({ decisions: { ...s.decisions, [context.peer]: d.value } }) }
}, { decisions: {} } as ClientState)

/** Runs one consensus with one node per proposal. */
export const main = (proposals: ReadonlyArray<number>) =>
  Session.run(DistributedConsensusFamily, { Client: client, Node: proposals.map(node) }, { params: { Node: proposals.length } })

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(Effect.all([main([4, 7, 4]), main([3, 9, 5, 1, 9, 2, 8, 9, 9, 9])])).then((runs) => {
    for (const r of runs) {
      const n = r.Node.length
      console.log(`${n} nodes proposed ${JSON.stringify(r.Node.map((s) => s.value))}: decided ${JSON.stringify(r.Node.map((s) => s.decided))}, committed ${JSON.stringify(r.Node[0].committed)}`)
    }
  })
}
