/**
 * A server over TCP: the key-value store of examples/server.ts (a `forever` loop), each role
 * in its own `node` process on 127.0.0.1 (examples/tcp/cluster.ts). Stopped by a signal
 * (the role's `stop`), any role ends with `Stopped` and its peers in the other processes with
 * `PeerFailed`, reason `Stopped`, told by its failure notice across the wire, well before the
 * transport would call it unavailable; interrupted, likewise with reason "interrupted";
 * killed with SIGKILL, its peers fail with `PeerUnavailable` within the bound. The traces the
 * processes recorded, merged, are a valid prefix of a run.
 */
import { Either } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { Trace } from "../../src/testing/index.js"
import { type RoleProcess, startCluster } from "../../examples/tcp/cluster.js"
import type { RoleOutcome } from "../../examples/tcp/role.js"
import { KeyValue } from "../../examples/server.js"
import { mergeTraces } from "../fixtures/merge-traces.js"

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f()
})

/** Resolves once the process has printed a progress line with at least `rounds` rounds (or after `ms`, with what it had). */
const roundsReached = (p: RoleProcess, rounds: number, ms: number): Promise<number> =>
  new Promise((resolve) => {
    let last = 0
    let buffer = ""
    const done = (n: number) => {
      clearTimeout(timer)
      p.child.stdout!.off("data", on)
      resolve(n)
    }
    const on = (d: Buffer) => {
      buffer += d.toString()
      const lines = buffer.split("\n")
      buffer = lines.pop() ?? ""
      for (const line of lines) {
        if (!line.startsWith("progress ")) continue
        last = (JSON.parse(line.slice(9)) as { readonly rounds: number }).rounds
        if (last >= rounds) return done(last)
      }
    }
    const timer = setTimeout(() => done(last), ms)
    p.child.stdout!.on("data", on)
    p.child.once("close", () => done(last))
  })

const failure = (o: RoleOutcome) => (o.ok ? undefined : o.error)

/** Starts the key-value server, one process per role, and waits until the client has had `rounds` answers. */
const serve = async (options: Parameters<typeof startCluster>[1], rounds = 100) => {
  const cluster = await startCluster("KeyValueServer", { limitMs: 25_000, trace: true, ...options })
  cleanups.push(cluster.stop)
  const byRole = Object.fromEntries(cluster.processes.map((p) => [p.role, p])) as Record<"Client" | "Primary" | "Backup", RoleProcess>
  const reached = await roundsReached(byRole.Client, rounds, 15_000)
  if (reached < rounds) {
    const ended = await Promise.all(cluster.processes.filter((p) => p.child.exitCode !== null).map((p) => p.outcome))
    expect.fail(`the client had ${reached} rounds, not ${rounds}; ended early: ${JSON.stringify(ended.map((o) => ({ role: o.role, error: failure(o) })))}`)
  }
  return { cluster, byRole }
}

/** The roles' traces, merged: a valid prefix of a run (and not a whole one); a tampered one is rejected. */
const checkTraces = (outcomes: ReadonlyArray<RoleOutcome>) => {
  const traces = outcomes.map((o) => o.trace ?? [])
  for (const [i, t] of traces.entries()) expect(t.length, `${outcomes[i].role}'s trace`).toBeGreaterThan(0)
  const { merged, stuck } = mergeTraces(traces)
  expect(stuck).toEqual([])
  const valid = Trace.validate(KeyValue, merged, { complete: false })
  expect(Either.isRight(valid) ? "valid" : valid.left.message).toBe("valid")
  expect(Either.isLeft(Trace.validate(KeyValue, merged))).toBe(true)
  const i = merged.findIndex((e, j) => j > 40 && e._tag === "Send" && e.label === "Replicate")
  const tampered = merged.map((e, j) => (j === i ? { ...e, label: "Ack" } : e))
  const bad = Trace.validate(KeyValue, tampered, { complete: false })
  expect(Either.isLeft(bad) && bad.left.index).toBe(i)
  return merged
}

describe("a server over TCP, each role in its own process", () => {
  for (const stopped of ["Primary", "Client", "Backup"] as const) {
    it(`SIGTERM stops the ${stopped} (its stop handle): it ends with Stopped, the others with PeerFailed, reason Stopped, told across the wire`, async () => {
      // A notice lost on the way would show as PeerUnavailable, 8 s after the stop at the soonest.
      const { cluster, byRole } = await serve({ stopOn: "SIGTERM", unavailableAfterMs: 8000 })
      byRole[stopped].kill("SIGTERM")
      const stoppedAt = Date.now()
      const outcomes = await Promise.all(cluster.processes.map((p) => p.outcome))
      const took = Date.now() - stoppedAt
      // (What each role ended with, in the message: a notice lost shows as PeerUnavailable.)
      expect(took, JSON.stringify(outcomes.map((o) => ({ role: o.role, error: failure(o) })))).toBeLessThan(4000)
      for (const o of outcomes) {
        if (o.role === stopped) {
          expect(failure(o)).toMatchObject({ tag: "Stopped" })
          expect(failure(o)?.message).toContain(`while ${stopped} was running`)
        } else {
          expect(failure(o), o.role).toMatchObject({ tag: "PeerFailed", reason: "Stopped" })
          expect(failure(o)?.message).toContain(`when ${stopped} failed: Stopped`)
        }
      }
      const client = outcomes.find((o) => o.role === "Client")!.progress as { readonly rounds: number; readonly wrong: number }
      expect(client.rounds).toBeGreaterThanOrEqual(100)
      expect(client.wrong).toBe(0)
      // Every put the primary acknowledged had reached the backup.
      const primary = (outcomes.find((o) => o.role === "Primary")!.progress as { readonly primary: Record<string, number> }).primary
      const backup = (outcomes.find((o) => o.role === "Backup")!.progress as { readonly backup: Record<string, number> }).backup
      expect(Object.entries(primary).filter(([k, v]) => backup[k] !== v).length).toBeLessThanOrEqual(1)
      const merged = checkTraces(outcomes)
      expect(merged.filter((e) => e._tag === "Choice").length).toBeGreaterThanOrEqual(100)
    }, 40_000)
  }

  it("SIGINT interrupts the Backup's fiber: the others end with PeerFailed, reason interrupted", async () => {
    const { cluster, byRole } = await serve({ interruptOn: "SIGINT", unavailableAfterMs: 8000 })
    byRole.Backup.kill("SIGINT")
    const at = Date.now()
    const outcomes = await Promise.all(cluster.processes.map((p) => p.outcome))
    expect(Date.now() - at).toBeLessThan(4000)
    const by = Object.fromEntries(outcomes.map((o) => [o.role, failure(o)]))
    expect(by.Backup).toMatchObject({ tag: "interrupted" })
    expect(by.Primary).toMatchObject({ tag: "PeerFailed", reason: "interrupted" })
    // The client waits on the primary, which passes the news on, with the reason it was given.
    expect(by.Client).toMatchObject({ tag: "PeerFailed", reason: "interrupted" })
    expect(by.Client?.message).toContain("when Primary failed: interrupted")
    expect(by.Client?.message).toContain("when Backup failed: interrupted")
    checkTraces(outcomes)
  }, 40_000)

  it("SIGKILL of the Primary mid-loop: the Client and the Backup fail with PeerUnavailable within the bound, not hang", async () => {
    // 2 s, not less: a peer process slow to start on a loaded machine must not count as down.
    const { cluster, byRole } = await serve({ heartbeatMs: 100, unavailableAfterMs: 2000 })
    byRole.Primary.kill("SIGKILL")
    const killedAt = Date.now()
    const [client, backup] = await Promise.all([byRole.Client.outcome, byRole.Backup.outcome])
    // Unreachable for 2 s is the bound, checked on a 50 ms tick.
    expect(Date.now() - killedAt).toBeLessThan(6000)
    for (const o of [client, backup]) {
      expect(failure(o), o.role).toMatchObject({ tag: "PeerUnavailable" })
      expect(failure(o)?.message).toContain("Primary")
    }
    expect(failure(await byRole.Primary.outcome)).toMatchObject({ tag: "killed" })
    expect(cluster.processes.every((p) => p.child.exitCode !== null || p.child.signalCode !== null)).toBe(true)
  }, 40_000)
})
