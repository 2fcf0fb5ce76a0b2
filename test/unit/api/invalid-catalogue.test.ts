import { describe, expect, it } from 'vitest';
import {
  EASTUS_SPEC,
  formatFieldErrors,
  parseResource,
  validateComputeFleet,
  validateScaleSet,
  validateUpdate,
  type FieldError,
} from '../../../src/api/index.ts';
import { loadInvalidFixtures } from './fixtures.ts';

const fixtures = loadInvalidFixtures();

/** Everything the operator would say about one manifest: schema + CEL-equivalent rules, then the Region checks. */
function operatorErrors(document: unknown): FieldError[] {
  const parsed = parseResource(document);
  if (!parsed.ok) return parsed.errors;
  const resource = parsed.value;
  if (resource.kind === 'ScaleSet') return validateScaleSet(resource.spec, EASTUS_SPEC);
  if (resource.kind === 'ComputeFleet') return validateComputeFleet(resource.spec, EASTUS_SPEC);
  return [];
}

function updateErrors(before: unknown, after: unknown): FieldError[] {
  const old = parseResource(before);
  const next = parseResource(after);
  if (!old.ok) throw new Error(`the first document must be valid: ${formatFieldErrors(old.errors)}`);
  if (!next.ok) return next.errors;
  return validateUpdate(next.value.kind, old.value, next.value);
}

describe('invalid-manifest catalogue', () => {
  it('has at least 40 cases, each with one named field', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
    expect(fixtures.filter((f) => f.side === 'operator').every((f) => f.reason !== undefined)).toBe(true);
  });

  it.each(fixtures.map((f) => [f.file, f] as const))('%s is rejected naming its field', (_file, fixture) => {
    const errors =
      fixture.documents.length === 2
        ? updateErrors(fixture.documents[0], fixture.documents[1])
        : operatorErrors(fixture.documents[0]);
    // Exactly the named field: a manifest refused for some other, accidental reason would not prove the rule.
    expect(new Set(errors.map((e) => e.field))).toEqual(new Set([fixture.field]));
  });

  it.each(fixtures.filter((f) => f.side === 'operator').map((f) => [f.file, f] as const))(
    '%s passes the schema: only the Region can refuse it',
    (_file, fixture) => {
      expect(parseResource(fixture.documents[0]).ok).toBe(true);
    },
  );
});
