#!/usr/bin/env node
// The API reference: @effect/docgen (configured in docgen.json) reads the public modules of
// src/, fails on an export without `@since`, type-checks every `@example` with TypeScript 5.9
// and runs it with tsx (scripts/docgen-bin/tsc says how an example's "quadrille/..." import is
// resolved), then writes docs/modules/**/*.md. Docgen can require an `@example` on every
// export, re-exports included; here each public symbol needs one where it is defined, so a
// barrel's `export { X } from "./module.js"` needs only `@since` when ./module.js is itself in
// the reference (X's example is there), and an example when it is not. That check runs first,
// on the same files docgen reads.
//
// usage: node scripts/docs.mjs        (npm run docs; part of npm test)
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { delimiter, dirname, join, relative, resolve } from "node:path"
import ts from "typescript"

const root = resolve(import.meta.dirname, "..")
const started = Date.now()
const config = JSON.parse(readFileSync(join(root, "docgen.json"), "utf8"))

const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : path.endsWith(".ts") ? [path] : []
  })
const matches = (file, glob) =>
  new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*\//g, "(?:.*/)?").replace(/\*/g, "[^/]*")}$`).test(file)
const covered = walk(join(root, config.srcDir))
  .map((path) => relative(root, path))
  .filter((file) => !config.exclude.some((glob) => matches(file, glob)))
  .sort()
const coveredSet = new Set(covered)

// The public modules docgen.json leaves out (for now): an entry point of package.json
// "exports", or a module a covered one re-exports whole (`export * from`, `export * as`).
const { exports: entryPoints } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const leftOut = new Set(
  Object.values(entryPoints)
    .map((entry) => (entry === null ? undefined : typeof entry === "string" ? entry : entry.types))
    .filter((types) => types?.startsWith("./dist/"))
    .map((types) => `src/${types.slice("./dist/".length).replace(/\.d\.ts$/, ".ts")}`)
    .filter((file) => !coveredSet.has(file))
)

const commentOf = (node, source) =>
  (ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [])
    .filter((range) => source.text.startsWith("/**", range.pos))
    .map((range) => source.text.slice(range.pos, range.end))
    .at(-1) ?? ""
// A tag counts where docgen (doctrine) reads one: at the start of a line of the comment.
const tag = (comment, name) => new RegExp(`^\\s*(?:/\\*\\*|\\*)?\\s*@${name}\\b`, "m").test(comment)
const ignored = (comment) => tag(comment, "internal") || tag(comment, "ignore")
const exported = (node) => (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Export) !== 0

const missing = []
let exports = 0
for (const file of covered) {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), "utf8"), ts.ScriptTarget.ES2022, true)
  const examples = new Map()
  const need = (name, node) => {
    const comment = commentOf(node, source)
    if (ignored(comment)) return
    examples.set(name, (examples.get(name) ?? false) || tag(comment, "example"))
  }
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const from = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
        ? relative(root, resolve(dirname(join(root, file)), statement.moduleSpecifier.text.replace(/\.js$/, ".ts")))
        : undefined
      const documentedThere = from !== undefined && coveredSet.has(from)
      if (from !== undefined && !documentedThere && (statement.exportClause === undefined || ts.isNamespaceExport(statement.exportClause))) {
        leftOut.add(from)
      }
      if (statement.exportClause === undefined) continue // `export * from`: documented where defined (docgen wants @since here)
      if (ts.isNamespaceExport(statement.exportClause)) {
        need(statement.exportClause.name.text, statement)
        continue
      }
      for (const specifier of statement.exportClause.elements) {
        const comment = commentOf(specifier, source)
        if (ignored(comment)) continue
        exports++
        if (!documentedThere && !tag(comment, "example")) missing.push(`${file}#${specifier.name.text}`)
      }
      continue
    }
    if (!exported(statement)) continue
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) need(declaration.name.getText(source), statement)
    } else if (
      ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement) || ts.isModuleDeclaration(statement)
    ) {
      need(statement.name?.getText(source) ?? "default", statement)
    }
  }
  for (const [name, hasExample] of examples) {
    exports++
    if (!hasExample) missing.push(`${file}#${name}`)
  }
}

if (leftOut.size > 0) {
  console.warn(`docs: public modules that docgen.json excludes, not in the reference: ${[...leftOut].sort().join(", ")}`)
}
if (missing.length > 0) {
  console.error(`docs: ${missing.length} of ${exports} public exports have no @example where they are defined:`)
  for (const name of missing) console.error(`  ${name}`)
  if (!process.argv.includes("--no-fail-examples")) process.exit(1)
}
console.log(`docs: ${covered.length} modules, ${exports} public exports, ${exports - missing.length} with an @example where defined`)

const path = [join(root, "scripts/docgen-bin"), join(root, "node_modules/.bin"), process.env.PATH ?? ""].join(delimiter)
try {
  execFileSync(process.execPath, [join(root, "node_modules/@effect/docgen/bin.cjs")], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, PATH: path },
    timeout: 300_000
  })
} catch (e) {
  process.exit(typeof e.status === "number" && e.status !== 0 ? e.status : 1)
}
console.log(`docs: reference in docs/modules (${((Date.now() - started) / 1000).toFixed(1)} s)`)
