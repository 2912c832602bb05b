/**
 * The sentences of well-formedness errors. Each exists once, here; the type-level checks
 * reuse the same words.
 *
 * @internal
 */

const quote = (s: string) => `'${s}'`

export const undeclaredRole = (protocol: string, role: string, site: string, declared: ReadonlyArray<string>) =>
  `protocol ${protocol}: role ${role} at site ${site} is not declared; declared roles are ${declared.join(", ")}. Add ${role} to roles.`

export const invalidRole = (protocol: string, role: string, why: string) =>
  `protocol ${protocol}: role ${role} ${why}. Name each role with a non-empty string of at most 1024 characters without NUL.`

export const invalidMessage = (protocol: string, label: string, why: string) =>
  `protocol ${protocol}: message ${label} ${why}.`

export const duplicateRole = (protocol: string, role: string) =>
  `protocol ${protocol}: role ${role} is declared twice. Declare each role once.`

/** The builder's compile-time form of the self-message error. */
export type SelfMessage<R extends string, L extends string> = `role ${R} sends ${L} to itself. A message needs two different roles.`
export const selfMessage = (protocol: string, role: string, label: string, site: string) =>
  `protocol ${protocol}: role ${role} sends ${label} to itself at site ${site}. A message needs two different roles.`

export const unknownLabel = (protocol: string, label: string, site: string, known: ReadonlyArray<string>) =>
  `protocol ${protocol}: label ${label} at site ${site} is not in the message catalogue (${known.join(", ")}). Add ${label}: <Schema> to messages.`

/** The builder's compile-time form of the recur-outside-its-loop error. */
export type RecurOutsideLoop<L extends string> = `recur('${L}') is not inside loop '${L}'. Use recur only inside the loop it names.`
export const recurOutsideLoop = (protocol: string, loop: string, site: string) =>
  `protocol ${protocol}: recur(${quote(loop)}) at site ${site} is not inside loop ${quote(loop)}. Use recur only inside the loop it names.`

/** The builder's compile-time form of the duplicate-loop-name error. */
export type DuplicateLoopName<L extends string> = `'${L}' is already the name of an enclosing loop or repeat. Give nested loops and repeats different names.`
export const duplicateLoopName = (protocol: string, loop: string, site: string) =>
  `protocol ${protocol}: ${quote(loop)} at site ${site} is already the name of an enclosing loop or repeat. Give nested loops and repeats different names.`

export const unguardedLoop = (protocol: string, loop: string, site: string) =>
  `protocol ${protocol}: loop ${quote(loop)} at site ${site} can go round again without any message being sent (unguarded). Add a message before recur(${quote(loop)}).`

/** The compile-time form of `unguardedLoop` (no site). */
export type UnguardedLoop<L extends string> =
  `loop '${L}' can go round again without any message being sent (unguarded). Add a message before recur('${L}').`

export const loopWithoutExit = (protocol: string, loop: string, site: string) =>
  `protocol ${protocol}: loop ${quote(loop)} at site ${site} has no way out: every path recurs. Add a branch that does not recur(${quote(loop)}), or declare it with forever(${quote(loop)}) if it never ends.`
/** The compile-time form of `loopWithoutExit` (no site). */
export type LoopWithoutExit<L extends string> =
  `loop '${L}' has no way out: every path recurs. Add a branch that does not recur('${L}'), or declare it with forever('${L}') if it never ends.`

/** After a `forever` loop that no path leaves (every path of its body recurs or ends), a step is unreachable. */
export const stepAfterForever = (protocol: string, loop: string, site: string) =>
  `protocol ${protocol}: a step follows forever(${quote(loop)}) at site ${site}, which no path leaves: the step is unreachable. Remove it, or add a branch that leaves the loop.`
/** The compile-time form of `stepAfterForever` (no site). */
export type StepAfterForever<L extends string> =
  `a step follows forever('${L}'), which no path leaves: the step is unreachable. Remove it, or add a branch that leaves the loop.`

export const emptyChoice = (protocol: string, choice: string, site: string) =>
  `protocol ${protocol}: choice ${quote(choice)} at site ${site} has no branches. Give it at least one branch.`
/** The compile-time form of `emptyChoice`, at the call. */
export type EmptyChoice<N extends string> = `choice '${N}' has no branches. Give it at least one branch.`

export const stepAfterEnd = (protocol: string, what: string, site: string) =>
  `protocol ${protocol}: a step follows ${what} at site ${site}, where the path has already ended. Remove it or move it before ${what}.`

// Knowledge-of-choice errors: `protocol P: <cannotTell>: <what the role does in each branch>; <advice>`.
// The type-level projection (src/session/Local.ts) reports `<cannotTell>: <advice>` with the
// same words: each sentence below is typed by its template literal type, which Local.ts uses.

/** The part of every knowledge-of-choice error that names the choice. */
export type CannotTell<R extends string, A extends string, B extends string, N extends string, At extends string> =
  `role ${R} cannot tell branch '${A}' from '${B}' of choice '${N}' at ${At}`
export const cannotTell = <R extends string, A extends string, B extends string, N extends string, At extends string>(
  role: R,
  a: A,
  b: B,
  choice: N,
  at: At
): CannotTell<R, A, B, N, At> => `role ${role} cannot tell branch ${quote(a)} from ${quote(b)} of choice ${quote(choice)} at ${at}` as CannotTell<R, A, B, N, At>

export type AdviceAmbiguous<R extends string, At extends string> =
  `no message tells ${R} which branch was taken. Add a message to ${R} from ${At} at the start of each branch, with a different label per branch.`
export const adviceAmbiguous = <R extends string, At extends string>(role: R, at: At): AdviceAmbiguous<R, At> =>
  `no message tells ${role} which branch was taken. Add a message to ${role} from ${at} at the start of each branch, with a different label per branch.`

export type AdviceUnmergeable<R extends string> =
  `a role learns the branch from its first message in it, and that message must come from the same role in every branch. Make ${R}'s first action in every branch a receive from one role that knows the branch, with a different label per branch.`
export const adviceUnmergeable = <R extends string>(role: R): AdviceUnmergeable<R> =>
  `a role learns the branch from its first message in it, and that message must come from the same role in every branch. Make ${role}'s first action in every branch a receive from one role that knows the branch, with a different label per branch.`

export type AdviceChooser<R extends string> =
  `${R} must choose without knowing the branch. Send ${R} a message that tells it the branch before it chooses.`
export const adviceChooser = <R extends string>(role: R): AdviceChooser<R> =>
  `${role} must choose without knowing the branch. Send ${role} a message that tells it the branch before it chooses.`

export type AdviceDuplicate<R extends string, Message extends string> =
  `both branches begin, for ${R}, with the same message ${Message}, so it cannot tell them apart. Give each branch a different first message to ${R}.`
export const adviceDuplicate = <R extends string, Message extends string>(role: R, message: Message): AdviceDuplicate<R, Message> =>
  `both branches begin, for ${role}, with the same message ${message}, so it cannot tell them apart. Give each branch a different first message to ${role}.`

/** When the paths that conflict part before any choice the role can see. */
export type CannotTellPaths<R extends string> = `role ${R} cannot tell which of several paths it is on`
export const cannotTellPaths = <R extends string>(role: R): CannotTellPaths<R> => `role ${role} cannot tell which of several paths it is on`

export const badRoleMapping = (sub: string, missing: ReadonlyArray<string>, twice: ReadonlyArray<string>) =>
  `compose(${sub}): ${missing.length > 0 ? `roles ${missing.join(", ")} of ${sub} are not mapped` : ""}${missing.length > 0 && twice.length > 0 ? "; " : ""}${twice.length > 0 ? `roles ${[...new Set(twice)].join(", ")} are the image of several roles of ${sub}` : ""}. Map every role of ${sub} to a distinct role.`

export const catalogueConflict = (protocol: string, label: string, sub: string, mine: string, theirs: string) =>
  `protocol ${protocol}: label ${label} of composed protocol ${sub} has schema ${theirs}, but ${label} is already ${mine}. Rename one of them.`

export const emptyParallel = (protocol: string, site: string) =>
  `protocol ${protocol}: parallel at site ${site} has no branches. Give it at least one branch.`

export const endInParallel = (protocol: string, end: string, site: string) =>
  `protocol ${protocol}: end() at site ${end} is inside a branch of the parallel at site ${site}; a branch cannot end the whole protocol. End the branch by letting it finish, and end() after the parallel.`
/** The compile-time form of `endInParallel` (no sites). */
export type EndInParallel =
  "end() is inside a branch of the parallel; a branch cannot end the whole protocol. End the branch by letting it finish, and end() after the parallel."

export const endInTimeout = (protocol: string, end: string, site: string) =>
  `protocol ${protocol}: end() at site ${end} is inside the timeout at site ${site}; its body and its fallback cannot end the whole protocol. Let them finish, and end() after the timeout.`
/** The compile-time form of `endInTimeout` (no sites). */
export type EndInTimeout =
  "end() is inside the timeout; its body and its fallback cannot end the whole protocol. Let them finish, and end() after the timeout."

export const endInSaga = (protocol: string, end: string, site: string) =>
  `protocol ${protocol}: end() at site ${end} is inside the saga at site ${site}; its forward part and its compensation cannot end the whole protocol. Let them finish, and end() after the saga.`
/** The compile-time form of `endInSaga` (no sites). */
export type EndInSaga =
  "end() is inside the saga; its forward part and its compensation cannot end the whole protocol. Let them finish, and end() after the saga."

export const timeoutNotRaced = (protocol: string, name: string, at: string, site: string) =>
  `protocol ${protocol}: ${at} decides timeout '${name}' at site ${site} but takes no part in its body, so there is nothing for it to race against the clock. Let ${at} receive in the body.`

export const badDuration = (protocol: string, name: string, site: string, got: string) =>
  `protocol ${protocol}: timeout '${name}' at site ${site} needs a finite duration from 0, got ${got}.`

export const recurAcrossBarrier = (protocol: string, loop: string, site: string, what: "parallel" | "repeat" | "timeout" | "saga", at: string) =>
  what === "timeout" || what === "saga"
    ? `protocol ${protocol}: recur('${loop}') at site ${site} is inside the ${what} at site ${at}, whose parts cannot go round an enclosing loop midway. Recur after the ${what} instead.`
    : what === "parallel"
    ? `protocol ${protocol}: recur('${loop}') at site ${site} is inside a branch of the parallel at site ${at}: the branch would wait for loop '${loop}' to go round, and the loop waits for the branch to end (the barrier), so the role would wait on itself. Recur after the parallel instead.`
    : `protocol ${protocol}: recur('${loop}') at site ${site} is inside the repeat at site ${at}, which cannot be left midway. Recur after the repeat instead.`

export const endInRepeat = (protocol: string, end: string, site: string, outside: ReadonlyArray<string>) =>
  `protocol ${protocol}: end() at site ${end} is inside the repeat at site ${site}, but ${outside.join(", ")} take no part in the rounds: they go straight on and would wait forever. end() after the repeat instead, or give them a part in the rounds.`

/** A family's name where one role belongs (outside a `forEach` over it). */
export type FamilyAsRole<F extends string> =
  `${F} is a family of roles, not one role. Address its members with broadcast(from, '${F}', label), gather('${F}', to, label), exchange('${F}', label) or forEach('${F}', (b, member) => ...).`
export const familyAsRole = (protocol: string, family: string, where: string) =>
  `protocol ${protocol}: ${where}: ${family} is a family of roles, not one role. Address its members with broadcast(from, '${family}', label), gather('${family}', to, label), exchange('${family}', label) or forEach('${family}', (b, member) => ...).`

/** A name that is not a family here where a family belongs (`gather`, `exchange`, `forEach`, `broadcast` to one name). */
export type NotAFamily<R extends string> =
  `${R} is not a family of roles here. Name a family declared in families, outside any forEach over it (use a list, [${R}], for one role).`
export const notAFamily = (protocol: string, name: string, where: string) =>
  `protocol ${protocol}: ${where}: ${name} is not a family of roles here. Name a family declared in families, outside any forEach over it (use a list, [${name}], for one role).`

/** `end()` inside a `forEach` body. */
export type EndInForEach = "end() inside a forEach cannot end the protocol: the other members would wait forever. Move end() after the forEach."
export const endInForEach = (protocol: string, family: string) =>
  `protocol ${protocol}: end() inside a forEach over ${family} cannot end the protocol: the other members would wait forever. Move end() after the forEach.`

/** A family's size, given when the session starts, is not a positive whole number. */
export const badFamilySize = (protocol: string, family: string, size: unknown) =>
  `protocol ${protocol}: family ${family} needs a number of members, a whole number of at least 1, in the session parameters ({ params: { ${family}: n } }); got ${String(size)}.`

export const recurOutOfForEach = (protocol: string, loop: string, family: string) =>
  `protocol ${protocol}: recur('${loop}') is inside a forEach over ${family}, whose body cannot go round an enclosing loop midway. Recur after the forEach instead.`

export const composeFamilies = (protocol: string, families: ReadonlyArray<string>) =>
  `protocol ${protocol} has families of roles (${families.join(", ")}) and cannot be composed into another protocol. Compose a protocol without families, or write its steps in place.`

export const familyNotExpanded = (protocol: string, families: ReadonlyArray<string>) =>
  `protocol ${protocol} has families of roles (${families.join(", ")}): its steps and its graph exist only for a number of members. Give them with Protocol.expand(${protocol}, { ${families.map((f) => `${f}: n`).join(", ")} }), or run it with Session.run(..., { params: { ${families.map((f) => `${f}: n`).join(", ")} } }).`
