/**
 * SecureDataTransfer, from the seed guide: three sub-protocols, each written once with its
 * own messages, composed in sequence.
 *
 *   Authentication(Alice, Bob)
 *     Alice -> Bob   : AuthRequest { user }
 *     Bob   -> Alice : Challenge { nonce }
 *     Alice -> Bob   : Proof { mac }                    HMAC-SHA256(password, nonce)
 *     choice 'verdict' at Bob
 *       accept: Bob -> Alice : AuthAccept { sessionId }
 *       reject: Bob -> Alice : AuthReject { reason }, end()   (the whole protocol ends here)
 *   KeyExchange(Alice, Bob)
 *     Alice -> Bob   : ClientKeyShare { curve, publicKey }   ephemeral ECDH (P-256)
 *     Bob   -> Alice : ServerKeyShare { publicKey }
 *     Bob   -> Alice : KeyConfirm { mac }                HMAC(key, "key-confirm"): Alice checks it
 *   DataTransfer(Alice, Bob)
 *     Alice -> Bob   : SealedData { iv, ciphertext, tag }   AES-256-GCM under the shared key
 *     Bob   -> Alice : Receipt { digest }                SHA-256 of what Bob decrypted
 *
 *   SecureDataTransfer(Alice, Bob) = Authentication ; KeyExchange ; DataTransfer
 *
 * Both sides derive the key as HKDF-SHA256(ECDH secret, salt = sessionId). Alice is
 * generated (`Role.implement`); Bob is written by hand (`Role.program`) against his typed
 * endpoint, whose type runs through all three composed protocols.
 */
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  randomUUID,
  timingSafeEqual
} from "node:crypto"
import { Effect, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"

// ---------------------------------------------------------------------------------------------
// The sub-protocols

export const Authentication = Protocol.make("Authentication", {
  roles: ["Alice", "Bob"],
  messages: {
    AuthRequest: Schema.Struct({ user: Schema.String }),
    Challenge: Schema.Struct({ nonce: Schema.String }),
    Proof: Schema.Struct({ mac: Schema.String }),
    AuthAccept: Schema.Struct({ sessionId: Schema.String }),
    AuthReject: Schema.Struct({ reason: Schema.String })
  }
}, (g) =>
  g
    .msg("Alice", "Bob", "AuthRequest")
    .msg("Bob", "Alice", "Challenge")
    .msg("Alice", "Bob", "Proof")
    .choice("Bob", "verdict", {
      accept: (b) => b.msg("Bob", "Alice", "AuthAccept"),
      reject: (b) => b.msg("Bob", "Alice", "AuthReject").end()
    }))

export const KeyExchange = Protocol.make("KeyExchange", {
  roles: ["Alice", "Bob"],
  messages: {
    ClientKeyShare: Schema.Struct({ curve: Schema.String, publicKey: Schema.String }),
    ServerKeyShare: Schema.Struct({ publicKey: Schema.String }),
    KeyConfirm: Schema.Struct({ mac: Schema.String })
  }
}, (g) =>
  g
    .msg("Alice", "Bob", "ClientKeyShare")
    .msg("Bob", "Alice", "ServerKeyShare")
    .msg("Bob", "Alice", "KeyConfirm"))

export const DataTransfer = Protocol.make("DataTransfer", {
  roles: ["Alice", "Bob"],
  messages: {
    SealedData: Schema.Struct({ iv: Schema.String, ciphertext: Schema.String, tag: Schema.String }),
    Receipt: Schema.Struct({ digest: Schema.String })
  }
}, (g) => g.msg("Alice", "Bob", "SealedData").msg("Bob", "Alice", "Receipt"))

/** The composition: no messages of its own, every label comes from a sub-protocol. */
export const SecureDataTransfer = Protocol.make("SecureDataTransfer", {
  roles: ["Alice", "Bob"],
  messages: {}
}, (g) =>
  g
    .compose(Authentication, { Alice: "Alice", Bob: "Bob" })
    .compose(KeyExchange, { Alice: "Alice", Bob: "Bob" })
    .compose(DataTransfer, { Alice: "Alice", Bob: "Bob" }))

// ---------------------------------------------------------------------------------------------
// Cryptography (node:crypto)

const curve = "prime256v1"
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest("base64")
const sha256 = (data: string) => createHash("sha256").update(data).digest("hex")

/** A fresh ECDH key pair: the private key stays with its owner, the public one is sent. */
const keyPair = () => {
  const ecdh = createECDH(curve)
  const publicKey = ecdh.generateKeys("base64")
  return { privateKey: ecdh.getPrivateKey("base64"), publicKey }
}

/** The shared AES-256 key: HKDF-SHA256 over the ECDH secret, salted with the session id. */
const deriveKey = (privateKey: string, peerPublicKey: string, sessionId: string): Buffer => {
  const ecdh = createECDH(curve)
  ecdh.setPrivateKey(privateKey, "base64")
  const secret = ecdh.computeSecret(peerPublicKey, "base64")
  return Buffer.from(hkdfSync("sha256", secret, sessionId, "quadrille secure-data-transfer", 32))
}

const keyConfirmation = (key: Buffer) => hmac(key, "key-confirm")

const seal = (key: Buffer, plaintext: string) => {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", key, iv)
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
  return { iv: iv.toString("base64"), ciphertext: ciphertext.toString("base64"), tag: cipher.getAuthTag().toString("base64") }
}

const open = (key: Buffer, sealed: { readonly iv: string; readonly ciphertext: string; readonly tag: string }) => {
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"))
  decipher.setAuthTag(Buffer.from(sealed.tag, "base64"))
  return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, "base64")), decipher.final()]).toString("utf8")
}

// ---------------------------------------------------------------------------------------------
// Alice: generated from her local type

export interface AliceState {
  readonly nonce: string
  readonly authenticated: boolean
  readonly rejection: string
  readonly sessionId: string
  readonly privateKey: string
  readonly publicKey: string
  /** The shared key, hex ("" until derived). */
  readonly key: string
  /** Bob's key confirmation matched the key Alice derived. */
  readonly keyConfirmed: boolean
  /** Bob's receipt is the digest of Alice's plaintext. */
  readonly receiptMatches: boolean
}

/** Alice's state as a Schema: with it Alice can run durably (`Role.resume`). */
const AliceStateSchema = Schema.Struct({
  nonce: Schema.String,
  authenticated: Schema.Boolean,
  rejection: Schema.String,
  sessionId: Schema.String,
  privateKey: Schema.String,
  publicKey: Schema.String,
  key: Schema.String,
  keyConfirmed: Schema.Boolean,
  receiptMatches: Schema.Boolean
})

const aliceStart: AliceState = {
  nonce: "",
  authenticated: false,
  rejection: "",
  sessionId: "",
  privateKey: "",
  publicKey: "",
  key: "",
  keyConfirmed: false,
  receiptMatches: false
}

export const alice = (user: string, password: string, plaintext: string) =>
  Role.implement(SecureDataTransfer, "Alice", {
    send: {
      AuthRequest: () => ({ user }),
      Proof: (s) => ({ mac: hmac(password, s.nonce) }),
      ClientKeyShare: (s) => ({ curve, publicKey: s.publicKey }),
      SealedData: (s) => seal(Buffer.from(s.key, "hex"), plaintext)
    },
    recv: {
      Challenge: (s, c) => ({ ...s, nonce: c.nonce }),
      // Authenticated: make the ephemeral key pair the key exchange will use.
      AuthAccept: (s, a) => ({ ...s, authenticated: true, sessionId: a.sessionId, ...keyPair() }),
      AuthReject: (s, r) => ({ ...s, rejection: r.reason }),
      ServerKeyShare: (s, k) => ({ ...s, key: deriveKey(s.privateKey, k.publicKey, s.sessionId).toString("hex") }),
      KeyConfirm: (s, k) => ({ ...s, keyConfirmed: k.mac === keyConfirmation(Buffer.from(s.key, "hex")) }),
      Receipt: (s, r) => ({ ...s, receiptMatches: r.digest === sha256(plaintext) })
    }
  }, aliceStart, { state: AliceStateSchema })

// ---------------------------------------------------------------------------------------------
// Bob: written by hand against his typed endpoint

export type BobResult =
  | { readonly outcome: "rejected"; readonly user: string; readonly reason: string }
  | { readonly outcome: "received"; readonly user: string; readonly key: string; readonly plaintext: string }

/** Bob knows the users' passwords; he checks Alice's proof, then receives her data. */
export const bob = (passwords: Readonly<Record<string, string>>) =>
  Role.program(SecureDataTransfer, "Bob", (ch) =>
    Effect.gen(function*() {
      // Authentication
      const [{ user }, c1] = yield* ch.recv("Alice", "AuthRequest")
      const nonce = randomBytes(16).toString("base64")
      const c2 = yield* c1.send("Alice", "Challenge", { nonce })
      const [proof, c3] = yield* c2.recv("Alice", "Proof")
      const password = passwords[user]
      const expected = Buffer.from(hmac(password ?? randomBytes(16), nonce), "base64")
      const given = Buffer.from(proof.mac, "base64")
      const valid = password !== undefined && given.length === expected.length && timingSafeEqual(given, expected)
      if (!valid) {
        const reason = password === undefined ? `unknown user ${user}` : "bad proof"
        const end = yield* (yield* c3.select("reject")).send("Alice", "AuthReject", { reason })
        return yield* end.close<BobResult>({ outcome: "rejected", user, reason })
      }
      const sessionId = randomUUID()
      const c4 = yield* (yield* c3.select("accept")).send("Alice", "AuthAccept", { sessionId })
      // KeyExchange
      const [share, c5] = yield* c4.recv("Alice", "ClientKeyShare")
      const mine = keyPair()
      const c6 = yield* c5.send("Alice", "ServerKeyShare", { publicKey: mine.publicKey })
      const key = deriveKey(mine.privateKey, share.publicKey, sessionId)
      const c7 = yield* c6.send("Alice", "KeyConfirm", { mac: keyConfirmation(key) })
      // DataTransfer
      const [sealed, c8] = yield* c7.recv("Alice", "SealedData")
      const plaintext = open(key, sealed)
      const end = yield* c8.send("Alice", "Receipt", { digest: sha256(plaintext) })
      return yield* end.close<BobResult>({ outcome: "received", user, key: key.toString("hex"), plaintext })
    }))

/** Alice logs in with `password` and sends `plaintext`; Bob knows alice's password is "correct horse". */
export const main = (password: string, plaintext = "the quadrille is danced by four couples") =>
  Session.run(SecureDataTransfer, {
    Alice: alice("alice", password, plaintext),
    Bob: bob({ alice: "correct horse" })
  })

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(Effect.all([main("correct horse"), main("battery staple")])).then((r) =>
    console.log(JSON.stringify(r, null, 2))
  )
}
