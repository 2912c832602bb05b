/**
 * The documentation of `quadrille/testing/arbitrary` and `quadrille/testing/arbitrary/effect`:
 * every export of the public modules of src/testing/arbitrary has `@since` and an `@example`,
 * and every example compiles (TypeScript 5.9, as a module of its own importing `quadrille/...`
 * as a user does). The modules import one another without a cycle.
 */
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { describe, expect, it } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const dir = join(root, "src/testing/arbitrary")
/** The public modules: those the entries export (`internal/` holds the machinery). */
const modules = readdirSync(dir).filter((f) => f.endsWith(".ts")).sort()

/** The JSDoc comment just before each `export` of a source file. */
const exportsOf = (file: string) => {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true)
  const out: Array<{ readonly name: string; readonly doc: string }> = []
  for (const statement of source.statements) {
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    if (!exported && !ts.isExportDeclaration(statement)) continue
    const name = ts.isVariableStatement(statement)
      ? statement.declarationList.declarations.map((d) => d.name.getText()).join(", ")
      : ts.isExportDeclaration(statement)
      ? statement.getText().split("\n")[0]
      : ((statement as ts.DeclarationStatement).name?.getText() ?? "?")
    const ranges = ts.getLeadingCommentRanges(source.text, statement.getFullStart()) ?? []
    const last = ranges[ranges.length - 1]
    out.push({ name, doc: last === undefined ? "" : source.text.slice(last.pos, last.end) })
  }
  return out
}

/** The ```ts blocks of a JSDoc comment, without the leading ` * `. */
const examplesOf = (doc: string): Array<string> =>
  [...doc.matchAll(/```ts\n([\s\S]*?)\n\s*\*\s*```/g)].map((m) => m[1].split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join("\n"))

describe("the docs of quadrille/testing/arbitrary", () => {
  const all = modules.flatMap((m) => exportsOf(join(dir, m)).map((e) => ({ ...e, module: m })))

  it("every export of the public modules has @since and an @example", () => {
    // `@internal` (on a line of its own): machinery the entries do not re-export, as scripts/docs.mjs reads it.
    const values = all.filter((e) => !e.name.startsWith("export ") && !/^\s*\*\s*@internal\b/m.test(e.doc))
    expect(values.length).toBeGreaterThan(60)
    const missing = values.filter((e) => !e.doc.includes("@since 0.1.0") || examplesOf(e.doc).length === 0)
    expect(missing.map((e) => `${e.module}: ${e.name}`)).toEqual([])
    // Re-exports carry @since too (the API reference documents them as such).
    expect(all.filter((e) => e.name.startsWith("export ") && !e.doc.includes("@since")).map((e) => `${e.module}: ${e.name}`)).toEqual([])
  })

  it("every example compiles as a module of its own, importing quadrille as a user does", { timeout: 180_000 }, () => {
    const examples = all.flatMap((e) => examplesOf(e.doc).map((code, i) => ({ at: `${e.module}: ${e.name} #${i}`, code })))
    // Virtual files beside the tests: they resolve effect and fast-check from node_modules.
    const files = new Map(examples.map((e, i) => [join(root, "tests", "__examples__", `example${i}.ts`), e]))
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ["lib.es2022.d.ts"],
      types: ["node"],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      verbatimModuleSyntax: true,
      baseUrl: root,
      paths: {
        "quadrille": ["src/index.ts"],
        "quadrille/testing": ["src/testing/index.ts"],
        "quadrille/testing/arbitrary": ["src/testing/arbitrary/index.ts"],
        "quadrille/testing/arbitrary/effect": ["src/testing/arbitrary/effect.ts"]
      }
    }
    const host = ts.createCompilerHost(options)
    const { fileExists, getSourceFile, readFile } = host
    host.fileExists = (f) => files.has(f) || fileExists(f)
    host.readFile = (f) => files.get(f)?.code ?? readFile(f)
    host.getSourceFile = (f, language, ...rest) => {
      const example = files.get(f)
      // `export {}`: a module even when the example imports nothing (top-level await needs one).
      // `assert` is in scope, as docgen puts it in every example (on the same line: the line numbers stay).
      return example === undefined
        ? getSourceFile(f, language, ...rest)
        : ts.createSourceFile(f, `import * as assert from "node:assert"; ${example.code}\nexport {}\n`, language, true)
    }
    const program = ts.createProgram([...files.keys()], options, host)
    const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.file !== undefined && files.has(d.file.fileName)).map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
      return `${files.get(d.file!.fileName)!.at}, line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
    })
    expect(examples.length).toBeGreaterThan(60)
    expect(errors).toEqual([])
  })
})

describe("the modules of src/testing/arbitrary", () => {
  it("import one another without a cycle", () => {
    const files = [...modules, ...readdirSync(join(dir, "internal")).filter((f) => f.endsWith(".ts")).map((f) => `internal/${f}`)]
    const imports = new Map(files.map((f) => {
      const text = readFileSync(join(dir, f), "utf8")
      const local = [...text.matchAll(/from "(\.[^"]+)"/g)].map((m) => join(dirname(f), m[1]).replace(/\.js$/, ".ts")).filter((t) => files.includes(t))
      return [f, local] as const
    }))
    const cycles: Array<string> = []
    const walk = (f: string, path: ReadonlyArray<string>) => {
      if (path.includes(f)) return void cycles.push([...path.slice(path.indexOf(f)), f].join(" > "))
      for (const next of imports.get(f) ?? []) walk(next, [...path, f])
    }
    for (const f of files) walk(f, [])
    expect(files.length).toBeGreaterThan(15)
    expect([...imports.values()].flat().length).toBeGreaterThan(30)
    expect(cycles).toEqual([])
  })
})
