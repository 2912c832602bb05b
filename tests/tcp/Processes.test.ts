/**
 * Integration: every role in its own `node` process on 127.0.0.1, over the TCP transport
 * (examples/tcp/cluster.ts starts them, as `npm run demo:tcp` does). The demo's sessions
 * give the results they give in memory; a peer killed mid-session makes the others fail
 * with a typed error within a bound; connections dropped mid-session (and refused for a
 * while) are made again and the session completes with the same results.
 */
import { Effect } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { Session } from "../../src/index.js"
import { freePort, runCluster, startCluster } from "../../examples/tcp/cluster.js"
import { examples, slowChunks } from "../../examples/tcp/roles.js"
import { type Proxy, startProxy } from "../fixtures/tcp-proxy.js"

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f()
})

/** The results of a session of `example` run in one process, in memory. */
const inMemory = (example: keyof typeof examples) =>
  Effect.runPromise(Session.run(examples[example].protocol, examples[example].roles as never)) as Promise<Record<string, unknown>>

const results = (outcomes: ReadonlyArray<{ readonly role: string; readonly ok: boolean; readonly result?: unknown; readonly error?: unknown }>) => {
  for (const o of outcomes) expect(o, `${o.role}: ${JSON.stringify(o.error)}`).toMatchObject({ ok: true })
  return Object.fromEntries(outcomes.map((o) => [o.role, o.result]))
}

const slowResults = {
  Producer: { sent: 100, acked: 100, confirmed: 100 },
  Consumer: { streamId: "slow", received: slowChunks(100), ended: true }
}

describe("roles in separate processes over TCP", () => {
  it("TwoPhaseCommit and the three-party Deal give the results they give in memory", async () => {
    for (const example of ["TwoPhaseCommit", "Deal"] as const) {
      const outcomes = await runCluster(example, { limitMs: 20_000 })
      expect(outcomes).toHaveLength(examples[example].protocol.roles.length)
      expect(results(outcomes)).toEqual(await inMemory(example))
      // Every connection was proven, none refused, nothing rejected, nothing left behind.
      for (const o of outcomes) {
        if (!o.ok) continue
        expect(o.stats).toMatchObject({ refused: {}, rejected: 0, sessions: 0, frames: 0, queued: 0 })
        expect(o.stats.accepted).toBeGreaterThanOrEqual(1)
      }
    }
  }, 60_000)

  it("a peer killed mid-session makes the other fail with PeerUnavailable within the bound, not hang", async () => {
    // The Producer dials the Consumer through a forwarder, to tell when the stream has begun.
    const ports = { Producer: await freePort(), Consumer: await freePort() }
    const toConsumer: Proxy = await startProxy(ports.Consumer)
    cleanups.push(() => toConsumer.close())
    const cluster = await startCluster("SlowStream", {
      ports,
      dial: { Producer: { Consumer: toConsumer.port } },
      heartbeatMs: 100,
      unavailableAfterMs: 1000,
      limitMs: 20_000
    })
    cleanups.push(cluster.stop)
    const [producer, consumer] = cluster.processes
    const deadline = Date.now() + 15_000
    while (toConsumer.connections() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    // About a third of the way into the stream (100 chunks, 20 ms apart), kill the Consumer.
    await new Promise((r) => setTimeout(r, 700))
    expect(producer.child.exitCode).toBe(null)
    consumer.kill("SIGKILL")
    const killedAt = Date.now()
    const outcome = await producer.outcome
    const took = Date.now() - killedAt
    expect(outcome.ok).toBe(false)
    if (outcome.ok) return
    expect(["PeerUnavailable", "PeerFailed", "Timeout"]).toContain(outcome.error.tag)
    expect(outcome.error.tag).toBe("PeerUnavailable")
    expect(outcome.error.message).toContain("Consumer")
    // Unreachable for 1 s is the bound, checked on a 50 ms tick; the process then exits.
    expect(took).toBeLessThan(5000)
    const killed = await consumer.outcome
    expect(killed.ok ? killed : killed.error).toMatchObject({ tag: "killed" })
  }, 30_000)

  it("of three roles, one killed mid-session makes both others fail (PeerUnavailable, or PeerFailed when told by the other) within the bound", async () => {
    const ports = { Source: await freePort(), Relay: await freePort(), Sink: await freePort() }
    const toRelay: Proxy = await startProxy(ports.Relay)
    cleanups.push(() => toRelay.close())
    const cluster = await startCluster("SlowRelay", {
      ports,
      dial: { Source: { Relay: toRelay.port } },
      heartbeatMs: 100,
      unavailableAfterMs: 1000,
      limitMs: 20_000
    })
    cleanups.push(cluster.stop)
    const [source, relay, sink] = cluster.processes
    const deadline = Date.now() + 15_000
    while (toRelay.connections() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    await new Promise((r) => setTimeout(r, 700))
    expect(source.child.exitCode).toBe(null)
    relay.kill("SIGKILL")
    const killedAt = Date.now()
    const outcomes = await Promise.all([source.outcome, sink.outcome])
    expect(Date.now() - killedAt).toBeLessThan(5000)
    for (const o of outcomes) {
      expect(o.ok).toBe(false)
      if (o.ok) continue
      expect(["PeerUnavailable", "PeerFailed"]).toContain(o.error.tag)
    }
    // At least one learned it from the transport, naming the Relay.
    expect(outcomes.some((o) => !o.ok && o.error.tag === "PeerUnavailable" && o.error.message.includes("Relay"))).toBe(true)
  }, 30_000)

  it("connections dropped mid-session, and refused for a while, are made again: the session completes with the same results", async () => {
    const ports = { Producer: await freePort(), Consumer: await freePort() }
    const toConsumer: Proxy = await startProxy(ports.Consumer)
    const toProducer: Proxy = await startProxy(ports.Producer)
    cleanups.push(() => toConsumer.close(), () => toProducer.close())
    const cluster = await startCluster("SlowStream", {
      ports,
      dial: { Producer: { Consumer: toConsumer.port }, Consumer: { Producer: toProducer.port } },
      heartbeatMs: 100,
      unavailableAfterMs: 5000,
      limitMs: 25_000
    })
    cleanups.push(cluster.stop)
    // Twice, mid-stream: drop both connections and keep them down for 400 ms.
    const cuts = (async () => {
      for (let i = 0; i < 2; i++) {
        const before = toConsumer.connections()
        const deadline = Date.now() + 15_000
        while (toConsumer.connections() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
        await new Promise((r) => setTimeout(r, i === 0 ? 1500 : 500))
        toConsumer.refuse = toProducer.refuse = true
        toConsumer.cut()
        toProducer.cut()
        await new Promise((r) => setTimeout(r, 400))
        toConsumer.refuse = toProducer.refuse = false
        expect(toConsumer.connections()).toBeGreaterThanOrEqual(before)
      }
    })()
    const outcomes = await Promise.all(cluster.processes.map((p) => p.outcome))
    await cuts
    expect(results(outcomes)).toEqual(slowResults)
    // Both links were made three times at least (the first time, and after each cut).
    expect(toConsumer.connections()).toBeGreaterThanOrEqual(3)
    expect(toProducer.connections()).toBeGreaterThanOrEqual(3)
    for (const o of outcomes) if (o.ok) expect(o.stats.connected).toBeGreaterThanOrEqual(3)
  }, 40_000)
})
