// Parsing of vmfleet manifests (files for the CLI, objects from the API server for the operator) into typed
// resources, with every problem reported as a field path and a message.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { parseAllDocuments } from 'yaml';
import { API_GROUP_VERSION } from './common.ts';
import { ComputeFleet } from './computefleet.ts';
import { openApiSchema, RESOURCES } from './crd.ts';
import { Instance } from './instance.ts';
import { Region } from './region.ts';
import { ScaleSet } from './scaleset.ts';
import type { FieldError } from './validate.ts';

export const RESOURCE_SCHEMAS = { Region, ScaleSet, ComputeFleet, Instance } as const;
export type ResourceKind = keyof typeof RESOURCE_SCHEMAS;
export type AnyResource = z.output<(typeof RESOURCE_SCHEMAS)[ResourceKind]>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** `['spec', 'vmSizes', 0, 'name']` → `spec.vmSizes[0].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === 'number') return `${acc}[${part}]`;
    const name = String(part);
    return acc === '' ? name : `${acc}.${name}`;
  }, '');
}

export function zodErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ field: formatPath(issue.path) || '(root)', message: issue.message }));
}

export function parseWith<S extends z.ZodType>(schema: S, input: unknown): ParseResult<z.output<S>> {
  const result = schema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, errors: zodErrors(result.error) };
}

function isResourceKind(kind: unknown): kind is ResourceKind {
  return typeof kind === 'string' && Object.hasOwn(RESOURCE_SCHEMAS, kind);
}

/** Parses one manifest of any vmfleet kind, checking apiVersion and kind first so the error says which is wrong. */
export function parseResource(input: unknown): ParseResult<AnyResource> {
  const head = z.object({ apiVersion: z.unknown(), kind: z.unknown() }).safeParse(input);
  if (!head.success)
    return { ok: false, errors: [{ field: '(root)', message: 'expected a Kubernetes object' }] };
  if (head.data.apiVersion !== API_GROUP_VERSION) {
    return { ok: false, errors: [{ field: 'apiVersion', message: `expected ${API_GROUP_VERSION}` }] };
  }
  const kind = head.data.kind;
  if (!isResourceKind(kind)) {
    const kinds = Object.keys(RESOURCE_SCHEMAS).join(', ');
    return { ok: false, errors: [{ field: 'kind', message: `expected one of ${kinds}` }] };
  }
  return parseWith(RESOURCE_SCHEMAS[kind], input);
}

/** Splits a YAML stream into plain objects; YAML syntax errors are reported with their line. */
export function parseYamlDocuments(text: string): ParseResult<unknown[]> {
  const docs = parseAllDocuments(text);
  const errors: FieldError[] = [];
  const values: unknown[] = [];
  for (const doc of docs) {
    for (const e of doc.errors)
      errors.push({ field: `(yaml line ${e.linePos?.[0].line ?? '?'})`, message: e.message });
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) values.push(value);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: values };
}

/**
 * Paths of the spec fields marked immutable in the CRD (`self == oldSelf`), read from the generated schema so
 * the operator's update check and the API server's transition rules come from the same declaration.
 */
export function immutableSpecPaths(kind: ResourceKind): string[][] {
  const resource = RESOURCES.find((r) => r.kind === kind);
  if (!resource) return [];
  const paths: string[][] = [];
  const walk = (node: Record<string, unknown>, path: string[]) => {
    const rules = node['x-kubernetes-validations'];
    if (Array.isArray(rules) && rules.some((r: { rule?: unknown }) => r.rule === 'self == oldSelf'))
      paths.push(path);
    const props = node.properties;
    if (typeof props === 'object' && props !== null) {
      for (const [name, child] of Object.entries(props))
        walk(child as Record<string, unknown>, [...path, name]);
    }
  };
  walk(openApiSchema(resource.spec), ['spec']);
  return paths;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Transition check for an update: every immutable field present in both versions must be unchanged. */
export function validateUpdate(kind: ResourceKind, oldObject: unknown, newObject: unknown): FieldError[] {
  return immutableSpecPaths(kind).flatMap((path) => {
    const before = valueAt(oldObject, path);
    const after = valueAt(newObject, path);
    if (before === undefined || after === undefined || isDeepStrictEqual(before, after)) return [];
    return [{ field: path.join('.'), message: `${path[path.length - 1] ?? 'field'} is immutable` }];
  });
}
