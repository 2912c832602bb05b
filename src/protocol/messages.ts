/**
 * The sentences of well-formedness errors. Each exists once, here; the type-level checks
 * reuse the same words.
 *
 * @internal
 */

const quote = (s: string) => `'${s}'`

export const undeclaredRole = (protocol: string, role: string, site: string, declared: ReadonlyArray<string>) =>
  `protocol ${protocol}: role ${role} at site ${site} is not declared; declared roles are ${declared.join(", ")}. Add ${role} to roles.`

export const duplicateRole = (protocol: string, role: string) =>
  `protocol ${protocol}: role ${role} is declared twice. Declare each role once.`

export const selfMessage = (protocol: string, role: string, label: string, site: string) =>
  `protocol ${protocol}: role ${role} sends ${label} to itself at site ${site}. A message needs two different roles.`

export const unknownLabel = (protocol: string, label: string, site: string, known: ReadonlyArray<string>) =>
  `protocol ${protocol}: label ${label} at site ${site} is not in the message catalogue (${known.join(", ")}). Add ${label}: <Schema> to messages.`

export const recurOutsideLoop = (protocol: string, loop: string, site: string) =>
  `protocol ${protocol}: recur(${quote(loop)}) at site ${site} is not inside loop ${quote(loop)}. Use recur only inside the loop it names.`

export const duplicateLoopName = (protocol: string, loop: string, site: string) =>
  `protocol ${protocol}: loop ${quote(loop)} at site ${site} is nested inside a loop of the same name. Give nested loops different names.`

export const unguardedLoop = (protocol: string, loop: string, site: string) =>
  `protocol ${protocol}: loop ${quote(loop)} at site ${site} can go round again without any message being sent (unguarded). Add a message before recur(${quote(loop)}).`

export const loopWithoutExit = (protocol: string, loop: string, site: string) =>
  `protocol ${protocol}: loop ${quote(loop)} at site ${site} has no way out: every path recurs. Add a branch that does not recur(${quote(loop)}).`

export const emptyChoice = (protocol: string, choice: string, site: string) =>
  `protocol ${protocol}: choice ${quote(choice)} at site ${site} has no branches. Give it at least one branch.`

export const stepAfterEnd = (protocol: string, what: string, site: string) =>
  `protocol ${protocol}: a step follows ${what} at site ${site}, where the path has already ended. Remove it or move it before ${what}.`

/** The part of every knowledge-of-choice error that names the choice. */
export const cannotTell = (role: string, a: string, b: string, choice: string, at: string) =>
  `role ${role} cannot tell branch ${quote(a)} from ${quote(b)} of choice ${quote(choice)} at ${at}`
