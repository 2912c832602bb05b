/**
 * Starts every role of a session as its own `node` process on 127.0.0.1 (free ports chosen
 * first), and collects what each prints: for `npm run demo:tcp` and the integration tests.
 * Every process is bounded in time and killed by PID when the bound passes or the caller is
 * done with it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as crypto from "node:crypto"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { RoleConfig, RoleOutcome } from "./role.js"
import { type ExampleName, examples } from "./roles.js"

const here = path.dirname(fileURLToPath(import.meta.url))

/** A free port on 127.0.0.1, as the system gives one (listen on 0, read it, close). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on("error", reject)
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })

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
    receiveTimeoutMs: options.receiveTimeoutMs
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
