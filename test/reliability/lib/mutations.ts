// Random damage to a valid group spec, as fast-check arbitraries: a value of the wrong type anywhere, a number
// out of range, a VM size or zone the Region does not offer, a Region that does not exist, a B-series size
// as Spot, a required field dropped, an unknown field added. Some the API server refuses (schema, CEL);
// the others reach the operator, which must refuse them itself without touching running instances.
import fc from 'fast-check';

export type Path = (string | number)[];

export interface Mutation {
  kind: string;
  path: Path;
  /** Absent for `drop`. */
  value?: unknown;
}

export function describeMutation(m: Mutation): string {
  const where = m.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return m.kind === 'drop' ? `drop spec${where}` : `${m.kind}: spec${where} = ${JSON.stringify(m.value)}`;
}

/** Every path to a value inside `value` (objects and arrays included, the root excluded). */
export function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, i) => [[...prefix, i], ...pathsOf(item, [...prefix, i])]);
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => [
      [...prefix, key],
      ...pathsOf(item, [...prefix, key]),
    ]);
  }
  return [];
}

function getAt(value: unknown, path: Path): unknown {
  let current = value;
  for (const step of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

/** A deep copy of `spec` with the mutation applied. */
export function applyMutation(spec: Record<string, unknown>, m: Mutation): Record<string, unknown> {
  const copy = structuredClone(spec);
  const parentPath = m.path.slice(0, -1);
  const key = m.path.at(-1);
  const parent = parentPath.length === 0 ? copy : getAt(copy, parentPath);
  if (key === undefined || parent === null || typeof parent !== 'object') return copy;
  if (m.kind === 'drop') {
    if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
    else Reflect.deleteProperty(parent, key);
  } else {
    (parent as Record<string | number, unknown>)[key] = m.value;
  }
  return copy;
}

const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', 'b', 'name'), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);

const outOfRange: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -100_000, max: -1 }),
  fc.integer({ min: 10_001, max: 2_000_000_000 }),
  fc.double({ min: 0.01, max: 99.99, noNaN: true }).filter((x) => !Number.isInteger(x)),
);

export const UNKNOWN_SIZES = ['Standard_Q99s_v9', 'Standard_D2s_v99', 'Standard_M416ms_v2'] as const;

/** Mutations of `spec` (a valid ScaleSet or ComputeFleet spec). */
export function mutationArb(spec: Record<string, unknown>): fc.Arbitrary<Mutation> {
  const paths = pathsOf(spec);
  const numberPaths = paths.filter((p) => typeof getAt(spec, p) === 'number');
  const sizePaths = paths.filter(
    (p) => p.at(-1) === 'vmSize' || (p.at(-1) === 'name' && p.includes('vmSizes')),
  );
  const zonePaths = paths.filter((p) => p[0] === 'zones' && p.length === 2);
  const droppable = paths.filter((p) => p.length <= 2);
  const options: fc.Arbitrary<Mutation>[] = [
    fc.record({ kind: fc.constant('wrong type'), path: fc.constantFrom(...paths), value: wrongType }),
    fc.record({ kind: fc.constant('drop'), path: fc.constantFrom(...droppable) }),
    fc.record({
      kind: fc.constant('unknown region'),
      path: fc.constant(['region']),
      value: fc.constantFrom('atlantis', 'westmars'),
    }),
    fc.record({
      kind: fc.constant('unknown field'),
      path: fc.constantFrom<Path>(['replicas'], ['turbo'], ['capacityy']),
      value: wrongType,
    }),
  ];
  if (numberPaths.length > 0)
    options.push(
      fc.record({
        kind: fc.constant('out of range'),
        path: fc.constantFrom(...numberPaths),
        value: outOfRange,
      }),
    );
  if (sizePaths.length > 0)
    options.push(
      fc.record({
        kind: fc.constant('unknown size'),
        path: fc.constantFrom(...sizePaths),
        value: fc.constantFrom(...UNKNOWN_SIZES),
      }),
    );
  if (zonePaths.length > 0)
    options.push(
      fc.record({
        kind: fc.constant('unknown zone'),
        path: fc.constantFrom(...zonePaths),
        value: fc.constantFrom('4', '7', '9'),
      }),
    );
  return fc.oneof(...options);
}

/** One to three mutations applied in order. */
export function damagedSpecArb(
  spec: Record<string, unknown>,
): fc.Arbitrary<{ mutations: Mutation[]; spec: Record<string, unknown> }> {
  return fc.array(mutationArb(spec), { minLength: 1, maxLength: 3 }).map((mutations) => ({
    mutations,
    spec: mutations.reduce(applyMutation, spec),
  }));
}
