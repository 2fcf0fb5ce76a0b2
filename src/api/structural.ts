// Validation of a manifest against its CRD's structural schema (the generated openAPIV3Schema), as the API
// server does before anything else: unknown fields (kubectl's default strict field validation refuses them,
// where zod would silently drop them), types, enums, bounds, lengths, patterns, list sizes and list keys.
// The CEL rules are not evaluated here: each has a TypeScript twin in the zod schema (see withRules).
import type { z } from 'zod';
import { API_GROUP_VERSION } from './common.ts';
import { customResourceDefinition, RESOURCES } from './crd.ts';
import { parseResource, parseWith, type AnyResource, type ParseResult } from './parse.ts';
import type { FieldError } from './validate.ts';

type Schema = Readonly<Record<string, unknown>>;

/**
 * The fields of a Kubernetes ObjectMeta. The CRD declares `metadata` as a bare object because the API server
 * validates it itself, against this list.
 */
const OBJECT_META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

/**
 * A date-time as the API server's parser takes it: RFC 3339 and the ISO 8601 variants it also accepts (no
 * seconds, no zone, a space for the T). zod's own check is the stricter one; this only catches garbage.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(schema: Schema, key: string): Schema | undefined {
  const value = schema[key];
  return isRecord(value) ? value : undefined;
}

const schemaCache = new Map<string, Schema>();

/** The openAPIV3Schema of a kind's generated CRD (computed once per kind: zod's JSON Schema output is not free). */
export function crdSchema(kind: string): Schema | undefined {
  const cached = schemaCache.get(kind);
  if (cached !== undefined) return cached;
  const resource = RESOURCES.find((r) => r.kind === kind);
  if (resource === undefined) return undefined;
  const crd = customResourceDefinition(resource) as {
    spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
  };
  const generated = crd.spec.versions[0]?.schema.openAPIV3Schema;
  if (generated === undefined) return undefined;
  // metadata is a bare object in the CRD: its fields are ObjectMeta's, checked in structuralErrors.
  const schema = {
    ...generated,
    properties: {
      ...child(generated, 'properties'),
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
  schemaCache.set(kind, schema);
  return schema;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function hasType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'object':
      return isRecord(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return true;
  }
}

const show = (value: unknown): string => JSON.stringify(value);

function fieldName(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Edit distance with adjacent transpositions (optimal string alignment), to name the field a typo meant. */
function distance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      let best = Math.min(
        (rows[i - 1]?.[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (rows[i - 1]?.[j - 1] ?? 0) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

function unknownField(field: string, key: string, known: readonly string[]): FieldError {
  const close = known
    .map((name) => ({ name, d: distance(key, name) }))
    .filter((c) => c.d <= Math.max(1, Math.floor(key.length / 4)))
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))[0];
  const hint = close === undefined ? '' : ` (did you mean "${close.name}"?)`;
  return { field, message: `unknown field "${field}"${hint}` };
}

const regexCache = new Map<string, RegExp>();

function regex(pattern: string): RegExp {
  let compiled = regexCache.get(pattern);
  if (compiled === undefined) {
    // No `u` flag: the patterns come from zod's regexes, which zod runs without it too.
    compiled = new RegExp(pattern);
    regexCache.set(pattern, compiled);
  }
  return compiled;
}

/** The API server counts a string's length in code points (Go runes), not UTF-16 units as JavaScript does. */
function runeCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

function checkScalar(schema: Schema, value: unknown, field: string, errors: FieldError[]): void {
  const enumValues = schema.enum;
  if (Array.isArray(enumValues) && !enumValues.includes(value)) {
    errors.push({
      field,
      message: `Unsupported value: ${show(value)}: supported values: ${enumValues.map(show).join(', ')}`,
    });
    return;
  }
  if (typeof value === 'number') {
    const { minimum, maximum } = schema;
    const exclusiveMin = schema.exclusiveMinimum === true;
    const exclusiveMax = schema.exclusiveMaximum === true;
    if (typeof minimum === 'number' && (exclusiveMin ? value <= minimum : value < minimum)) {
      const bound = exclusiveMin ? 'greater than' : 'greater than or equal to';
      errors.push({ field, message: `Invalid value: ${show(value)}: should be ${bound} ${minimum}` });
    }
    if (typeof maximum === 'number' && (exclusiveMax ? value >= maximum : value > maximum)) {
      const bound = exclusiveMax ? 'less than' : 'less than or equal to';
      errors.push({ field, message: `Invalid value: ${show(value)}: should be ${bound} ${maximum}` });
    }
  }
  if (typeof value === 'string') {
    const length = runeCount(value);
    const { minLength, maxLength, pattern, format } = schema;
    if (typeof minLength === 'number' && length < minLength)
      errors.push({
        field,
        message: `Invalid value: ${show(value)}: should be at least ${minLength} chars long`,
      });
    if (typeof maxLength === 'number' && length > maxLength)
      errors.push({ field, message: `Too long: may not be longer than ${maxLength}` });
    if (typeof pattern === 'string' && !regex(pattern).test(value))
      errors.push({ field, message: `Invalid value: ${show(value)}: should match '${pattern}'` });
    if (format === 'date-time' && !DATE_TIME.test(value))
      errors.push({ field, message: `Invalid value: ${show(value)}: must be an RFC 3339 date-time` });
  }
}

function checkList(schema: Schema, value: readonly unknown[], field: string, errors: FieldError[]): void {
  const { minItems, maxItems } = schema;
  if (typeof minItems === 'number' && value.length < minItems)
    errors.push({ field, message: `Invalid value: ${value.length}: should have at least ${minItems} items` });
  if (typeof maxItems === 'number' && value.length > maxItems)
    errors.push({ field, message: `Too many: ${value.length}: must have at most ${maxItems} items` });
  const listType = schema['x-kubernetes-list-type'];
  const mapKeys = schema['x-kubernetes-list-map-keys'];
  if (listType !== 'set' && listType !== 'map') return;
  const seen = new Set<string>();
  value.forEach((item, index) => {
    const identity =
      listType === 'map' && Array.isArray(mapKeys) && isRecord(item)
        ? show(mapKeys.map((key: unknown) => item[String(key)]))
        : show(item);
    if (seen.has(identity))
      errors.push({ field: `${field}[${index}]`, message: `Duplicate value: ${identity}` });
    seen.add(identity);
  });
}

function checkObject(
  schema: Schema,
  value: Readonly<Record<string, unknown>>,
  field: string,
  errors: FieldError[],
): void {
  const properties = child(schema, 'properties') ?? {};
  const additional = child(schema, 'additionalProperties');
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [key, item] of Object.entries(value)) {
    const itemField = fieldName(field, key);
    const itemSchema = isRecord(properties[key]) ? properties[key] : additional;
    if (itemSchema === undefined) {
      if (!preserve) errors.push(unknownField(itemField, key, Object.keys(properties)));
      continue;
    }
    // A null in a field that is not nullable is pruned (then defaulted), not refused.
    if (item === null && itemSchema.nullable !== true) continue;
    walk(itemSchema, item, itemField, errors);
  }
  const required = schema.required;
  if (Array.isArray(required)) {
    for (const key of required) {
      const name = String(key);
      if (value[name] === undefined || value[name] === null)
        errors.push({ field: fieldName(field, name), message: 'Required value' });
    }
  }
}

function walk(schema: Schema, value: unknown, field: string, errors: FieldError[]): void {
  if (value === null && schema.nullable === true) return;
  if (!hasType(value, schema.type)) {
    errors.push({
      field: field || '(root)',
      message: `Invalid value: ${show(typeOf(value))}: must be of type ${String(schema.type)}`,
    });
    return;
  }
  if (Array.isArray(value)) {
    checkList(schema, value, field, errors);
    const items = child(schema, 'items');
    if (items !== undefined) {
      value.forEach((item, index) => {
        walk(items, item, `${field}[${index}]`, errors);
      });
    }
  } else if (isRecord(value)) {
    checkObject(schema, value, field, errors);
  } else {
    checkScalar(schema, value, field, errors);
  }
}

/**
 * Every problem the API server's schema check finds in `object` (a manifest of `kind`, as decoded from YAML),
 * as field paths in the CLI's notation (`spec.vmSizes[0].name`). Empty for a kind without a CRD here.
 */
export function structuralErrors(kind: string, object: unknown): FieldError[] {
  const schema = crdSchema(kind);
  if (schema === undefined) return [];
  const errors: FieldError[] = [];
  walk(schema, object, '', errors);
  const metadata = isRecord(object) ? object.metadata : undefined;
  if (isRecord(metadata)) errors.push(...metadataErrors(metadata));
  return errors;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** A label or annotation key: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters. */
function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return 'prefix part must be a lowercase DNS subdomain';
  if (name.length > 63 || !QUALIFIED_NAME.test(name))
    return "name part must be at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character";
  return undefined;
}

/**
 * The CRD declares metadata as a bare object: the API server checks it against ObjectMeta itself (its
 * fields, the namespace, label and annotation keys, label values). zod's ObjectMeta checks the types.
 */
function metadataErrors(metadata: Readonly<Record<string, unknown>>): FieldError[] {
  const errors: FieldError[] = [];
  for (const key of Object.keys(metadata)) {
    if (!OBJECT_META_FIELDS.includes(key))
      errors.push(unknownField(`metadata.${key}`, key, OBJECT_META_FIELDS));
  }
  const { name, namespace, labels, annotations } = metadata;
  if (typeof name === 'string' && (name === '.' || name === '..' || /[/%]/.test(name)))
    errors.push({
      field: 'metadata.name',
      message: `Invalid value: ${show(name)}: may not be '.' or '..' or contain '/' or '%'`,
    });
  if (typeof namespace === 'string' && (namespace.length > 63 || !DNS_LABEL.test(namespace)))
    errors.push({
      field: 'metadata.namespace',
      message: `Invalid value: ${show(namespace)}: must be a lowercase DNS label`,
    });
  for (const [field, map] of [
    ['metadata.labels', labels],
    ['metadata.annotations', annotations],
  ] as const) {
    if (!isRecord(map)) continue;
    for (const [key, value] of Object.entries(map)) {
      const problem = keyProblem(key);
      if (problem !== undefined) errors.push({ field, message: `Invalid value: ${show(key)}: ${problem}` });
      const badLabel =
        field === 'metadata.labels' &&
        typeof value === 'string' &&
        value !== '' &&
        (value.length > 63 || !QUALIFIED_NAME.test(value));
      if (badLabel)
        errors.push({
          field,
          message: `Invalid value: ${show(value)}: a label value must be empty or at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`,
        });
    }
  }
  return errors;
}

/** True when `field` is `parent` or lies below it (`spec.a` is below `spec`, `spec.ab` is not below `spec.a`). */
function within(field: string, parent: string): boolean {
  return (
    field === parent ||
    parent === '(root)' ||
    field.startsWith(`${parent}.`) ||
    field.startsWith(`${parent}[`)
  );
}

/**
 * The schema problems followed by those of `others` (the zod parse, the semantic rules) that they do not
 * already cover: one line per problem, the API server's wording where it has one.
 */
export function mergeFieldErrors(
  structural: readonly FieldError[],
  others: readonly FieldError[],
): FieldError[] {
  const extra = others.filter((e) => !structural.some((s) => within(e.field, s.field)));
  return [...structural, ...extra];
}

/** `value` without the nulls the API server prunes: those of object fields that are not nullable. */
function pruneNulls(schema: Schema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = child(schema, 'items');
    return items === undefined ? value : value.map((item: unknown) => pruneNulls(items, item));
  }
  if (!isRecord(value)) return value;
  const properties = child(schema, 'properties') ?? {};
  const additional = child(schema, 'additionalProperties');
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const itemSchema = isRecord(properties[key]) ? properties[key] : additional;
    if (itemSchema === undefined) out[key] = item;
    else if (item !== null || itemSchema.nullable === true) out[key] = pruneNulls(itemSchema, item);
  }
  return out;
}

/** The input as the API server hands it on after decoding: nulls pruned (zod would refuse them). */
function asDecoded(kind: string, input: unknown): unknown {
  const schema = crdSchema(kind);
  return schema === undefined ? input : pruneNulls(schema, input);
}

function withStructure<T>(kind: string, input: unknown, parsed: ParseResult<T>): ParseResult<T> {
  const structural = structuralErrors(kind, input);
  if (structural.length === 0) return parsed;
  return { ok: false, errors: mergeFieldErrors(structural, parsed.ok ? [] : parsed.errors) };
}

/** parseWith, refusing too what the API server's schema check would refuse (unknown fields first of all). */
export function parseStrict<S extends z.ZodType>(
  kind: string,
  schema: S,
  input: unknown,
): ParseResult<z.output<S>> {
  return withStructure(kind, input, parseWith(schema, asDecoded(kind, input)));
}

/** parseResource with the schema check of the kind it names (when apiVersion and kind are ours). */
export function parseResourceStrict(input: unknown): ParseResult<AnyResource> {
  if (!isRecord(input) || input.apiVersion !== API_GROUP_VERSION || typeof input.kind !== 'string')
    return parseResource(input);
  return withStructure(input.kind, input, parseResource(asDecoded(input.kind, input)));
}
