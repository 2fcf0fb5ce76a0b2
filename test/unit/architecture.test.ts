// The provider boundary, checked on the sources: what is simulation-specific stays behind
// src/cloud/simulated, so a real cloud provider can replace it without touching the controllers.
//   1. Only src/cloud/simulated/ and src/api/ (which defines the schema) read a Region's `spec.simulation`.
//   2. Nothing under src/controllers/ or src/metrics/ imports from src/cloud/simulated/ or names the
//      SimulatedCloud (the operator gets its default provider from src/cloud/default-provider.ts).
// Parsed with the TypeScript compiler, so comments and strings that mention these do not count.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SIMULATED = join(ROOT, 'src', 'cloud', 'simulated') + sep;

const MAY_READ_SIMULATION = ['src/cloud/simulated/', 'src/api/'];
const MUST_NOT_KNOW_SIMULATED = ['src/controllers/', 'src/metrics/'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** `path` relative to the repository, with forward slashes (the rule prefixes above). */
function repoPath(path: string): string {
  return relative(ROOT, path).split(sep).join('/');
}

function isSimulationName(name: ts.Node | undefined): boolean {
  return (
    name !== undefined &&
    (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name)) &&
    name.text === 'simulation'
  );
}

/** Module specifiers of imports, re-exports and dynamic imports, with their nodes. */
function moduleSpecifiers(node: ts.Node): ts.StringLiteralLike | undefined {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
    return ts.isStringLiteralLike(node.moduleSpecifier) ? node.moduleSpecifier : undefined;
  }
  if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
    const [argument] = node.arguments;
    return argument !== undefined && ts.isStringLiteralLike(argument) ? argument : undefined;
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
    const literal = node.argument.literal;
    return ts.isStringLiteralLike(literal) ? literal : undefined;
  }
  return undefined;
}

/** The rule violations in one file: `path:line: why`. `path` decides which rules apply. */
function violations(path: string, text: string): string[] {
  const relativePath = repoPath(path);
  const checkSimulation = !MAY_READ_SIMULATION.some((prefix) => relativePath.startsWith(prefix));
  const checkImports = MUST_NOT_KNOW_SIMULATED.some((prefix) => relativePath.startsWith(prefix));
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const report = (node: ts.Node, why: string) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push(`${relativePath}:${String(line)}: ${why}`);
  };
  const visit = (node: ts.Node): void => {
    if (checkSimulation) {
      const reads =
        (ts.isPropertyAccessExpression(node) && isSimulationName(node.name)) ||
        (ts.isElementAccessExpression(node) && isSimulationName(node.argumentExpression)) ||
        (ts.isBindingElement(node) &&
          ts.isObjectBindingPattern(node.parent) &&
          isSimulationName(node.propertyName ?? node.name));
      if (reads) report(node, 'reads `simulation` (only src/cloud/simulated/ and src/api/ may)');
    }
    if (checkImports) {
      const specifier = moduleSpecifiers(node);
      if (specifier !== undefined && specifier.text.startsWith('.')) {
        const target = resolve(dirname(path), specifier.text);
        if ((target + sep).startsWith(SIMULATED) || target.startsWith(SIMULATED)) {
          report(node, `imports ${specifier.text} (the simulated cloud is behind the provider interface)`);
        }
      }
      if (ts.isIdentifier(node) && node.text === 'SimulatedCloud') {
        report(node, 'names SimulatedCloud (use the CloudProvider it is given, or createDefaultProvider)');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('the provider boundary', () => {
  it('holds in src/', () => {
    const found = sourceFiles(join(ROOT, 'src')).flatMap((path) =>
      violations(path, readFileSync(path, 'utf8')),
    );
    expect(found).toEqual([]);
  });

  it('scans what it should: reads of spec.simulation outside the simulated cloud and the API', () => {
    const text = [
      '// region.spec.simulation in a comment is fine',
      "const note = 'spec.simulation';",
      'const delay = region.spec.simulation.provisioningDelay;',
      "const rate = region.spec['simulation'].seed;",
      'const { simulation } = region.spec;',
      'const { simulation: renamed } = region.spec;',
    ].join('\n');
    expect(violations(join(ROOT, 'src/controllers/x.ts'), text).map((v) => v.split(': ')[0])).toEqual([
      'src/controllers/x.ts:3',
      'src/controllers/x.ts:4',
      'src/controllers/x.ts:5',
      'src/controllers/x.ts:6',
    ]);
    expect(violations(join(ROOT, 'src/cloud/simulated/x.ts'), text)).toEqual([]);
    expect(violations(join(ROOT, 'src/api/x.ts'), text)).toEqual([]);
  });

  it('scans what it should: imports of the simulated cloud from controllers and metrics', () => {
    const text = [
      "import { findEvictions } from '../cloud/simulated/evictions.ts';",
      "import type { HealthRequest } from '../cloud/simulated/health.ts';",
      "export { SimulatedCloud } from '../cloud/index.ts';",
      "const later = await import('../cloud/simulated/provider.ts');",
      "import { computePools } from '../cloud/index.ts';",
    ].join('\n');
    const lines = (path: string) => violations(join(ROOT, path), text).map((v) => v.split(': ')[0]);
    expect(lines('src/metrics/x.ts')).toEqual([
      'src/metrics/x.ts:1',
      'src/metrics/x.ts:2',
      'src/metrics/x.ts:3',
      'src/metrics/x.ts:4',
    ]);
    expect(lines('src/cloud/x.ts')).toEqual([]);
  });
});
