/**
 * Starts every role of a session as its own `node` process on 127.0.0.1 (free ports chosen
 * first), and collects what each prints: for `npm run demo:tcp` and the integration tests.
 * Every process is bounded in time and killed by PID when the bound passes or the caller is
 * done with it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { RoleConfig, RoleOutcome } from "./role.js"
import { type ExampleName, examples } from "./roles.js"

const here = path.dirname(fileURLToPath(import.meta.url))

/**
 * The ports the system hands out for outgoing connections and for `listen(0)`
 * (`ip_local_port_range` on Linux; 32768–60999 where it cannot be read).
 */
const ephemeral = (() => {
  try {
    const [low, high] = fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number)
    if (Number.isInteger(low) && Number.isInteger(high) && low <= high) return { low, high }
  } catch {
    // not Linux, or not readable: the usual range
  }
  return { low: 32768, high: 60999 }
})()
const given = new Set<number>()

const tryListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = net.createServer()
    server.unref()
    server.once("error", () => resolve(false))
    server.listen({ host: "127.0.0.1", port }, () => server.close(() => resolve(true)))
  })

/**
 * A free port on 127.0.0.1 to listen on later, chosen at random **outside** the ephemeral
 * range and checked by listening on it once. A port from `listen(0)` would be in that range,
 * and between its release and the real `listen` any outgoing connection on the machine (a
 * Redis client, another test's dial) may take it as its local port: EADDRINUSE, seen in CI.
 * A port is not handed out twice by one process; at most 200 tries, then `listen(0)`'s.
 */
export const freePort = async (): Promise<number> => {
  const [low, high] = ephemeral.low - 1 >= 11024 ? [10000, ephemeral.low - 1] : [ephemeral.high + 1, 65535]
  for (let i = 0; i < 200 && high > low; i++) {
    const port = low + Math.floor(Math.random() * (high - low + 1))
    if (given.has(port)) continue
    if (await tryListen(port)) {
      given.add(port)
      return port
    }
  }
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on("error", reject)
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** A running role process. */
export interface RoleProcess {
  readonly role: string
  readonly child: ChildProcess
  /** Its outcome (the JSON line it printed), or a failure `tag` "exited"/"killed" when it printed none. */
  readonly outcome: Promise<RoleOutcome>
  /** Kills it (SIGKILL by default). */
  readonly kill: (signal?: NodeJS.Signals) => void
}

export interface ClusterOptions extends Partial<Omit<RoleConfig, "example" | "role" | "ports" | "secret" | "dial">> {
  /** Kill each process after this long (default 30 s). */
  readonly limitMs?: number
  /** Where each role dials each peer, when not at its port: `dial[role][peer]`. */
  readonly dial?: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** Ports to use, by role (default: free ones). */
  readonly ports?: Readonly<Record<string, number>>
  /** Roles not to start (a test starts them itself, later). */
  readonly skip?: ReadonlyArray<string>
}

/** Starts one role of `example` as a process, with the config given. */
export const startRole = (config: RoleConfig, limitMs = 30_000): RoleProcess => {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "role.ts"), JSON.stringify(config)], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: path.join(here, "..", "..")
  })
  let out = ""
  let err = ""
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()))
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()))
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs)
  const outcome = new Promise<RoleOutcome>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const line = out.split("\n").find((l) => l.startsWith("{"))
      if (line !== undefined) {
        try {
          return resolve(JSON.parse(line) as RoleOutcome)
        } catch {
          // fall through: not a whole line
        }
      }
      resolve({
        role: config.role,
        ok: false,
        error: { tag: signal !== null ? "killed" : "exited", message: `exit ${code ?? signal}; stderr: ${err.slice(-2000)}` }
      })
    })
  })
  return { role: config.role, child, outcome, kill: (signal = "SIGKILL") => void child.kill(signal) }
}

/** Starts every role of `example` (but those in `skip`), each in its own process; returns them and the config used. */
export const startCluster = async (example: ExampleName, options: ClusterOptions = {}) => {
  const roles = examples[example].protocol.roles
  const ports: Record<string, number> = { ...options.ports }
  for (const role of roles) if (ports[role] === undefined) ports[role] = await freePort()
  const secret = crypto.randomBytes(24).toString("hex")
  const sessionId = options.sessionId ?? `${example}-${crypto.randomUUID()}`
  const configOf = (role: string): RoleConfig => ({
    example,
    role,
    sessionId,
    ports,
    secret,
    dial: options.dial?.[role],
    heartbeatMs: options.heartbeatMs,
    unavailableAfterMs: options.unavailableAfterMs,
    receiveTimeoutMs: options.receiveTimeoutMs,
    stopOn: options.stopOn,
    interruptOn: options.interruptOn,
    trace: options.trace
  })
  const processes = roles.filter((r) => !options.skip?.includes(r)).map((role) => startRole(configOf(role), options.limitMs))
  const stop = () => processes.forEach((p) => p.child.exitCode === null && p.kill())
  return { processes, ports, sessionId, secret, configOf, stop }
}

/** Runs every role of `example` in its own process and waits for all their outcomes. */
export const runCluster = async (example: ExampleName, options: ClusterOptions = {}): Promise<ReadonlyArray<RoleOutcome>> => {
  const cluster = await startCluster(example, options)
  try {
    return await Promise.all(cluster.processes.map((p) => p.outcome))
  } finally {
    cluster.stop()
  }
}
