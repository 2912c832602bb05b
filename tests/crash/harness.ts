/**
 * Crash trials of durable roles over Redis, every role in an OS process of its own
 * (tests/fixtures/crash-role.ts, started as `node --import tsx`: 0.8 s to a result against
 * 1.2 s for `npx tsx`, which also puts an npm process between the harness and the role, so
 * that its PID is not the role's).
 *
 * A **trial** runs one session of TwoPhaseCommit, DataStreaming or Deal with a fresh session
 * id. One role, the victim (chosen from the trial's seed), is killed with SIGKILL once:
 *
 * - `wallclock`: by the harness, at a random time after every role has started, within the
 *   time the victim took to end in the fault-free run;
 * - `before-commit` k / `after-commit` k: by itself, right before its k-th commit's `MULTI`, or
 *   right after it answered;
 * - `after-receive` j: by itself, right after it took its j-th frame from the transport and
 *   before any commit of it;
 *
 * then started again (`Role.resume`); the other roles keep running. The trial checks that
 * the victim died of SIGKILL (exactly at its point, for the self-kills), that the restarted
 * process found the checkpoint its predecessor committed last (none when it had committed
 * nothing), that every role ended, and that every role's result, its applied log included,
 * is the fault-free one: every payload applied exactly once, in order.
 *
 * The fault-free run (the **baseline**) of each variant is run the same way, with no kill; its
 * results are checked against `Session.run` in memory, and its commit and frame counts bound
 * the trials' kill points.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { Session } from "../../src/index.js"
import { implementationOf, type KillPoint, type ProtocolName, type RoleConfig, type RoleEvent, rolesOf, type Variant } from "../fixtures/crash-role.js"

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
const script = path.join(root, "tests", "fixtures", "crash-role.ts")

// Seeds -------------------------------------------------------------------------------------

/** A 32-bit hash of numbers (for per-trial seeds). */
export const mix = (...xs: ReadonlyArray<number>): number => {
  let h = 0x9e3779b9
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
  }
  return h >>> 0
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export const rng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// Processes ---------------------------------------------------------------------------------

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A role process: its events as they come, its stderr, its exit. */
export interface RoleProcess {
  readonly role: string
  readonly child: ChildProcess
  readonly events: Array<RoleEvent & { readonly at: number }>
  readonly stderr: () => string
  readonly exit: Promise<Exit>
  /** Resolves with the first event that satisfies `p` (or `undefined` once the process has exited without one). */
  readonly when: (p: (e: RoleEvent) => boolean) => Promise<(RoleEvent & { readonly at: number }) | undefined>
}

/** Every child still alive, for the test's afterEach/afterAll to kill by PID. */
export const live = new Set<ChildProcess>()

/** Kills every child still alive (SIGKILL, by PID) and waits until each is gone. */
export const killAll = async (): Promise<void> => {
  const children = [...live]
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve()
    c.once("exit", () => resolve())
    try {
      if (c.pid !== undefined) process.kill(c.pid, "SIGKILL")
    } catch {
      resolve()
    }
  })))
  live.clear()
}

/** Starts a role process; the harness kills it (by PID) if it is still there after `limitMs`. */
export const startRole = (config: RoleConfig, limitMs: number): RoleProcess => {
  const child = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify({ ...config, limitMs: limitMs - 2000 })], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"]
  })
  live.add(child)
  const events: Array<RoleEvent & { readonly at: number }> = []
  const waiters: Array<{ readonly p: (e: RoleEvent) => boolean; readonly resolve: (e: (RoleEvent & { readonly at: number }) | undefined) => void }> = []
  let pending = ""
  let err = ""
  child.stdout!.on("data", (d: Buffer) => {
    pending += d.toString()
    let i: number
    while ((i = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, i)
      pending = pending.slice(i + 1)
      let e: RoleEvent
      try {
        e = JSON.parse(line) as RoleEvent
      } catch {
        err += `(stdout) ${line}\n`
        continue
      }
      const stamped = { ...e, at: Date.now() }
      events.push(stamped)
      for (const w of [...waiters]) {
        if (w.p(e)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(stamped)
        }
      }
    }
  })
  child.stderr!.on("data", (d: Buffer) => {
    if (err.length < 20_000) err += d.toString()
  })
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, "SIGKILL")
  }, limitMs)
  const exit = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      live.delete(child)
      for (const w of waiters.splice(0)) w.resolve(undefined)
      resolve({ code, signal })
    })
  })
  const when = (p: (e: RoleEvent) => boolean) => {
    const seen = events.find(p)
    if (seen !== undefined) return Promise.resolve(seen)
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(undefined)
    return new Promise<(RoleEvent & { readonly at: number }) | undefined>((resolve) => waiters.push({ p, resolve }))
  }
  return { role: config.role, child, events, stderr: () => err, exit, when }
}

const resultOf = (p: RoleProcess) => p.events.find((e): e is Extract<RoleEvent, { ev: "result" }> & { at: number } => e.ev === "result")

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Resolves `p`, or rejects with `message` after `ms`. */
export const within = <A>(ms: number, p: Promise<A>, message: string): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${message} (not within ${ms} ms)`)), ms)
    })
  ])
}

// Sessions ----------------------------------------------------------------------------------

/** A protocol's session as run in a trial: which variant, and how long each receive handler takes. */
export interface SessionKind {
  readonly protocol: ProtocolName
  readonly variant: Variant
  readonly stepMs: number
}

/** The name of a session kind, as baselines are keyed. */
export const kindName = (k: SessionKind): string => `${k.protocol}(${JSON.stringify(k.variant)},${k.stepMs}ms)`

/** The fault-free run of a session kind. */
export interface Baseline {
  readonly kind: SessionKind
  readonly results: Readonly<Record<string, unknown>>
  readonly commits: Readonly<Record<string, number>>
  readonly receives: Readonly<Record<string, number>>
  /** How long after every role had started each role ended (ms). */
  readonly span: Readonly<Record<string, number>>
}

/** What `Session.run` in memory (no durability, no Redis) gives for a session kind. */
export const inMemory = (kind: SessionKind): Promise<Record<string, unknown>> => {
  const impls = Object.fromEntries(rolesOf[kind.protocol].map((r) => [r, implementationOf(kind.protocol, r, kind.variant, 0).implementation]))
  const { protocol } = implementationOf(kind.protocol, rolesOf[kind.protocol][0], kind.variant, 0)
  return Effect.runPromise(Session.run(protocol, impls as never) as Effect.Effect<Record<string, unknown>, unknown>)
}

let sessions = 0
/** A fresh session id. */
export const freshSession = (tag: string): string => `${tag}-${process.pid}-${Date.now().toString(36)}-${++sessions}`

const describeExit = (p: RoleProcess, e: Exit) =>
  `${p.role} (pid ${p.child.pid}) exited with ${e.signal ?? `code ${e.code}`}; last events ${JSON.stringify(p.events.slice(-4))}; stderr ${p.stderr().slice(-1500)}`

/** Runs a session kind fault-free, every role in its own process. */
export const runBaseline = async (kind: SessionKind, url: string, limitMs = 40_000): Promise<Baseline> => {
  const sessionId = freshSession(`base-${kind.protocol}`)
  const procs = rolesOf[kind.protocol].map((role) => startRole({ protocol: kind.protocol, role, sessionId, url, variant: kind.variant, stepMs: kind.stepMs }, limitMs))
  const exits = await within(limitMs + 5000, Promise.all(procs.map((p) => p.exit)), `the baseline of ${kindName(kind)} did not end`)
  procs.forEach((p, i) => {
    if (exits[i].code !== 0 || resultOf(p) === undefined) throw new Error(`baseline of ${kindName(kind)}: ${describeExit(p, exits[i])}`)
  })
  const t0 = Math.max(...procs.map((p) => p.events.find((e) => e.ev === "start")!.at))
  const results: Record<string, unknown> = {}
  const commits: Record<string, number> = {}
  const receives: Record<string, number> = {}
  const span: Record<string, number> = {}
  for (const p of procs) {
    const r = resultOf(p)!
    results[p.role] = r.result
    commits[p.role] = r.commits
    receives[p.role] = r.receives
    span[p.role] = Math.max(0, r.at - t0)
  }
  return { kind, results, commits, receives, span }
}

// Trials ------------------------------------------------------------------------------------

export type KillKind = "wallclock" | KillPoint["kind"]
export const killKinds: ReadonlyArray<KillKind> = ["wallclock", "before-commit", "after-commit", "after-receive"]

/** One trial: everything it does follows from its fields (the random ones from `seed`). */
export interface TrialSpec {
  readonly index: number
  readonly seed: number
  readonly kind: SessionKind
  readonly killKind: KillKind
  readonly victim: string
  /** The commit or frame number (self-kills), or the delay in ms after every role started (wallclock). */
  readonly at: number
  /** How long after the victim died it is started again (ms). */
  readonly restartAfterMs: number
}

/** The trial of `seed` on a session kind and kill kind, given the kind's baseline. */
export const makeTrial = (index: number, seed: number, kind: SessionKind, killKind: KillKind, baseline: Baseline): TrialSpec => {
  const random = rng(seed)
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1))
  const roles = rolesOf[kind.protocol]
  const victim = roles[int(0, roles.length - 1)]
  const at = killKind === "wallclock"
    ? int(0, Math.max(1, Math.floor(baseline.span[victim] * 0.85)))
    : int(1, killKind === "after-receive" ? baseline.receives[victim] : baseline.commits[victim])
  return { index, seed, kind, killKind, victim, at, restartAfterMs: int(0, 250) }
}

export const describeTrial = (t: TrialSpec): string =>
  `#${t.index} seed ${t.seed}: ${t.kind.protocol} ${JSON.stringify(t.kind.variant)}, ${t.victim} killed ${t.killKind === "wallclock" ? `at +${t.at} ms` : `${t.killKind} ${t.at}`}, restarted after ${t.restartAfterMs} ms`

export interface TrialOutcome {
  readonly spec: TrialSpec
  readonly ok: boolean
  readonly problems: ReadonlyArray<string>
  /** The victim's commits before it died (as it logged them) and the checkpoint its successor found. */
  readonly committedBefore: number
  readonly checkpointFound: number | null
  /** How many frames the victim had taken but not committed (its successor took them again). */
  readonly redelivered: number
  /** How many times a wall-clock kill came too late (after the victim had ended) and the trial was run again, its kill at half the time. */
  readonly rerun: number
  readonly ms: number
  readonly diagnostics: string
}

/** Runs one trial against the Redis at `url`; never throws (a failure is an outcome with problems). */
export const runTrial = async (spec: TrialSpec, baseline: Baseline, url: string, limitMs = 40_000, earlier?: number): Promise<TrialOutcome> => {
  const started = Date.now()
  const problems: Array<string> = []
  const { kind, victim } = spec
  const sessionId = freshSession(`t${spec.index}-${kind.protocol}`)
  const config = (role: string, kill?: KillPoint): RoleConfig => ({ protocol: kind.protocol, role, sessionId, url, variant: kind.variant, stepMs: kind.stepMs, kill })
  const selfKill: KillPoint | undefined = spec.killKind === "wallclock" ? undefined : { kind: spec.killKind, n: spec.at }
  const procs = new Map(rolesOf[kind.protocol].map((role) => [role, startRole(config(role, role === victim ? selfKill : undefined), limitMs)]))
  const first = procs.get(victim)!
  let second: RoleProcess | undefined
  let committedBefore = 0
  let checkpointFound: number | null = null
  let redelivered = 0
  let missed = false
  try {
    if (spec.killKind === "wallclock") {
      const starts = await within(limitMs, Promise.all([...procs.values()].map((p) => p.when((e) => e.ev === "start"))), "not every role started")
      if (starts.some((s) => s === undefined)) throw new Error("a role exited before it started")
      await sleep(spec.at)
      // Too late: the victim ended before its kill (it ran faster than in the baseline). Not a
      // trial: `runTrial` runs it again, earlier.
      if (resultOf(first) !== undefined || first.child.exitCode !== null || first.child.signalCode !== null) throw new MissedKill()
      process.kill(first.child.pid!, "SIGKILL")
    }
    const died = await within(limitMs, first.exit, `${victim} did not die`)
    // (It ended in the instant between the look and the kill.)
    if (spec.killKind === "wallclock" && died.signal === null && resultOf(first) !== undefined) throw new MissedKill()
    if (died.signal !== "SIGKILL") problems.push(`${victim} was to die of SIGKILL: ${describeExit(first, died)}`)
    if (resultOf(first) !== undefined) problems.push(`${victim} ended before it was killed (the kill point was not reached): ${JSON.stringify(first.events.slice(-3))}`)
    const commits = first.events.filter((e) => e.ev === "commit") as Array<Extract<RoleEvent, { ev: "commit" }>>
    committedBefore = commits.length
    if (selfKill !== undefined) {
      const last = first.events[first.events.length - 1]
      if (last?.ev !== "kill" || last.kind !== selfKill.kind || last.n !== selfKill.n) problems.push(`${victim}'s last event is ${JSON.stringify(last)}, not its kill ${JSON.stringify(selfKill)}`)
      const expectedCommits = selfKill.kind === "before-commit" ? selfKill.n - 1 : selfKill.kind === "after-commit" ? selfKill.n : undefined
      if (expectedCommits !== undefined && committedBefore !== expectedCommits) problems.push(`${victim} made ${committedBefore} commits before its kill ${JSON.stringify(selfKill)}`)
      if (selfKill.kind === "after-receive") {
        const recvs = first.events.filter((e) => e.ev === "recv").length
        if (recvs !== selfKill.n) problems.push(`${victim} took ${recvs} frames before its kill after frame ${selfKill.n}`)
      }
    }
    await sleep(spec.restartAfterMs)
    second = startRole(config(victim), limitMs)
    const cp = await within(limitMs, second.when((e) => e.ev === "checkpoint"), `the restarted ${victim} did not look for its checkpoint`)
    if (cp === undefined || cp.ev !== "checkpoint") throw new Error(`the restarted ${victim} exited before it looked for its checkpoint: ${second.stderr().slice(-1500)}`)
    checkpointFound = cp.found ? cp.n ?? -1 : null
    // The checkpoint is the last commit the victim made: exactly so for a self-kill (it logs a
    // commit before it goes on); for a kill from outside, the last MULTI may have gone through
    // unlogged.
    const lo = committedBefore
    const hi = spec.killKind === "wallclock" ? committedBefore + 1 : committedBefore
    const found = checkpointFound ?? 0
    if (found < lo || found > hi) problems.push(`the restarted ${victim} found ${checkpointFound === null ? "no checkpoint" : `checkpoint ${checkpointFound}`}, after ${committedBefore} commits of its predecessor`)
    const all = [...[...procs.values()].filter((p) => p !== first), second]
    const exits = await within(limitMs, Promise.all(all.map((p) => p.exit)), "the session did not end")
    all.forEach((p, i) => {
      if (exits[i].code !== 0 || resultOf(p) === undefined) problems.push(`${p === second ? "the restarted " : ""}${describeExit(p, exits[i])}`)
    })
    // The frames the victim took after its last commit were not acknowledged: its successor takes
    // them again first, from its stream's pending entries, in the same order.
    if (selfKill !== undefined) {
      const lastCommit = first.events.map((e) => e.ev).lastIndexOf("commit")
      const frame = (e: RoleEvent) => (e.ev === "recv" ? `${e.label} from ${e.from} #${e.seq}` : "")
      const uncommitted = first.events.slice(lastCommit + 1).filter((e) => e.ev === "recv").map(frame)
      redelivered = uncommitted.length
      const again = second.events.filter((e) => e.ev === "recv").slice(0, uncommitted.length).map(frame)
      if (JSON.stringify(again) !== JSON.stringify(uncommitted)) problems.push(`the restarted ${victim} took first ${JSON.stringify(again)}, not the frames its predecessor had not committed, ${JSON.stringify(uncommitted)}`)
    }
    for (const p of all) {
      const r = resultOf(p)
      if (r === undefined) continue
      const want = baseline.results[p.role]
      if (JSON.stringify(r.result) !== JSON.stringify(want)) {
        const got = r.result as { readonly log?: ReadonlyArray<string> }
        const log = (want as { readonly log?: ReadonlyArray<string> }).log ?? []
        problems.push(
          `${p.role}'s result differs from the fault-free one: ${logDiff(log, got.log ?? [])}; got ${JSON.stringify(r.result).slice(0, 600)}, want ${JSON.stringify(want).slice(0, 600)}`
        )
      }
    }
  } catch (e) {
    if (e instanceof MissedKill) missed = true
    else problems.push(e instanceof Error ? e.message : String(e))
  } finally {
    // Whatever is left of this trial is killed by PID.
    for (const p of [...procs.values(), ...(second === undefined ? [] : [second])]) {
      if (p.child.exitCode === null && p.child.signalCode === null && p.child.pid !== undefined) {
        if (!missed) problems.push(`${p.role} (pid ${p.child.pid}) was still running: killed; last events ${JSON.stringify(p.events.slice(-3))}`)
        process.kill(p.child.pid, "SIGKILL")
      }
    }
  }
  const diagnostics = [...procs.values(), ...(second === undefined ? [] : [second])]
    .map((p) => `--- ${p === second ? "restarted " : ""}${p.role} pid ${p.child.pid}: ${p.events.length} events, last ${JSON.stringify(p.events.slice(-5).map(({ at: _, ...e }) => e))}\n${p.stderr().slice(-2000)}`)
    .join("\n")
  if (missed && spec.at > 0 && (earlier ?? 0) < 4) {
    await Promise.all([...procs.values()].map((p) => p.exit))
    return runTrial({ ...spec, at: Math.floor(spec.at / 2) }, baseline, url, limitMs, (earlier ?? 0) + 1)
  }
  if (missed) problems.push(`${victim} ended before every kill at a wall-clock time (last at +${spec.at} ms)`)
  return { spec, ok: problems.length === 0, problems, committedBefore, checkpointFound, redelivered, rerun: earlier ?? 0, ms: Date.now() - started, diagnostics }
}

/** A wall-clock kill that came after the victim had ended. */
class MissedKill extends Error {}

/** How an applied log differs from the fault-free one: duplicates, gaps, or order. */
export const logDiff = (want: ReadonlyArray<string>, got: ReadonlyArray<string>): string => {
  const count = (xs: ReadonlyArray<string>) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())
  const w = count(want)
  const g = count(got)
  const dup = [...g].filter(([x, n]) => n > (w.get(x) ?? 0)).map(([x, n]) => `${x} ×${n}`)
  const gap = [...w].filter(([x, n]) => (g.get(x) ?? 0) < n).map(([x]) => x)
  if (dup.length === 0 && gap.length === 0) return want.join("\n") === got.join("\n") ? "same applied log" : "the applied log is out of order"
  return `applied log: ${dup.length > 0 ? `applied more than once: ${dup.slice(0, 5).join(", ")}` : ""}${dup.length > 0 && gap.length > 0 ? "; " : ""}${gap.length > 0 ? `never applied: ${gap.slice(0, 5).join(", ")}` : ""}`
}

/** Runs `tasks` with at most `n` at a time. */
export const pool = <A>(n: number) => {
  let running = 0
  const queue: Array<() => void> = []
  return (task: () => Promise<A>): Promise<A> =>
    new Promise<A>((resolve, reject) => {
      const go = () => {
        running++
        task().then(resolve, reject).finally(() => {
          running--
          queue.shift()?.()
        })
      }
      if (running < n) go()
      else queue.push(go)
    })
}

// Plans -------------------------------------------------------------------------------------

/** The session kinds of the trials: both outcomes of TwoPhaseCommit and Deal, a stream of 60 chunks. */
export const sessionKinds: Readonly<Record<ProtocolName, ReadonlyArray<SessionKind>>> = {
  TwoPhaseCommit: [
    { protocol: "TwoPhaseCommit", variant: { vote: "commit" }, stepMs: 40 },
    { protocol: "TwoPhaseCommit", variant: { vote: "abort" }, stepMs: 40 }
  ],
  DataStreaming: [{ protocol: "DataStreaming", variant: { chunks: 60 }, stepMs: 2 }],
  Deal: [
    { protocol: "Deal", variant: { item: "book" }, stepMs: 40 },
    { protocol: "Deal", variant: { item: "piano" }, stepMs: 40 }
  ]
}

export const protocols: ReadonlyArray<ProtocolName> = ["TwoPhaseCommit", "DataStreaming", "Deal"]

/**
 * The plan of `count` trials from `seed`: trial i is of protocol i mod 3 and kill kind i mod 4
 * (so that every pair comes once in every 12 trials), its variant, victim and kill point from
 * its own seed `mix(seed, i)`.
 */
export const planTrials = (count: number, seed: number, baselines: ReadonlyMap<string, Baseline>): Array<TrialSpec> =>
  Array.from({ length: count }, (_, i) => {
    const s = mix(seed, i)
    const protocol = protocols[i % protocols.length]
    const kinds = sessionKinds[protocol]
    const kind = kinds[Math.floor(rng(mix(s, 1))() * kinds.length)]
    return makeTrial(i, s, kind, killKinds[i % killKinds.length], baselines.get(kindName(kind))!)
  })

/** Counts of trials (and of failed ones) per protocol and kill kind, as a table. */
export const summarise = (outcomes: ReadonlyArray<TrialOutcome>): string => {
  const rows = protocols.map((p) => {
    const cells = killKinds.map((k) => {
      const of = outcomes.filter((o) => o.spec.kind.protocol === p && o.spec.killKind === k)
      const failed = of.filter((o) => !o.ok).length
      return `${of.length}${failed > 0 ? ` (${failed} failed)` : ""}`
    })
    const all = outcomes.filter((o) => o.spec.kind.protocol === p)
    return [p, ...cells, String(all.length)]
  })
  const header = ["protocol", ...killKinds, "total"]
  const table = [header, ...rows, ["total", ...killKinds.map((k) => String(outcomes.filter((o) => o.spec.killKind === k).length)), String(outcomes.length)]]
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)))
  const resumed = outcomes.filter((o) => o.checkpointFound !== null).length
  return [
    ...table.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ")),
    `${outcomes.filter((o) => o.ok).length}/${outcomes.length} passed; ${resumed} restarts resumed from a checkpoint, ${outcomes.length - resumed} started afresh (killed before their first commit); ${outcomes.reduce((n, o) => n + o.redelivered, 0)} frames taken but not committed were taken again from the pending entries; ${outcomes.reduce((n, o) => n + o.rerun, 0)} wall-clock kills came too late and were run again earlier`
  ].join("\n")
}
