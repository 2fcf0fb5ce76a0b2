// Schedule-based autoscale (the engine's engine/schedule.ts decides): the profile in force sets the
// capacity, written through the scale subresource like `kubectl scale`, and the steps after this one work
// from the new capacity at once instead of waiting for the write to come back through the cache.
import type { ScaleSetSpec } from '../../api/index.ts';
import { decideAutoscale, nextScheduleChange } from '../../engine/schedule.ts';
import { formatTime, type EventRecorder } from '../../runtime/index.ts';
import type { ScaleSetMemory } from './scaleset-memory.ts';
import type { GroupStep, StepInput, StepResult } from './step.ts';

export function autoscaleStep(deps: { events: EventRecorder }): GroupStep<ScaleSetSpec, ScaleSetMemory> {
  return {
    name: 'autoscale',
    run: (input) => Promise.resolve(autoscale(deps, input)),
  };
}

function autoscale(
  deps: { events: EventRecorder },
  input: StepInput<ScaleSetSpec, ScaleSetMemory>,
): StepResult<ScaleSetSpec> {
  const m = input.memory.autoscale;
  const generation = input.group.metadata.generation ?? 0;
  if (m.wroteCapacity !== undefined && m.wroteCapacity.generation !== generation) m.wroteCapacity = undefined;
  let spec = input.state.spec;
  if (m.wroteCapacity !== undefined) spec = { ...spec, capacity: m.wroteCapacity.capacity };
  const policy = spec.autoscale;
  if (policy === undefined || (policy.profiles.length === 0 && policy.defaultCapacity === undefined))
    return { spec };

  let scaleTo: number | undefined;
  let commit: (() => void) | undefined;
  const decision = decideAutoscale({
    profiles: policy.profiles,
    defaultCapacity: policy.defaultCapacity,
    recordedProfile: m.current?.profile,
    capacity: spec.capacity,
    nowMs: input.now.getTime(),
  });
  if (!input.paused) {
    if (decision.changed)
      m.current = { profile: decision.schedule.profile ?? '', since: formatTime(input.now) };
    const capacity = decision.capacity;
    if (capacity !== undefined) {
      const from = spec.capacity;
      scaleTo = capacity;
      commit = () => {
        m.wroteCapacity = { capacity, generation };
        deps.events.record(input.subject, {
          type: 'Normal',
          reason: 'AutoscaleCapacity',
          action: 'Scale',
          note: `${decision.schedule.profile === undefined ? 'default capacity' : `profile ${decision.schedule.profile}`}: capacity ${String(from)} → ${String(capacity)}${decision.changed ? ' (profile started)' : ' (clamped to the profile’s bounds)'}`,
        });
      };
      spec = { ...spec, capacity };
    }
  }

  const next = nextScheduleChange(policy.profiles, input.now.getTime());
  const active = policy.profiles.find((p) => p.name === m.current?.profile);
  const bounds = active?.capacity ?? (m.current?.profile === '' ? policy.defaultCapacity : undefined);
  return {
    spec,
    scaleTo,
    commit,
    status: {
      autoscale: {
        ...(m.current?.profile ? { activeProfile: m.current.profile } : {}),
        ...(m.current?.since ? { since: m.current.since } : {}),
        ...(next === undefined ? {} : { nextChangeAt: formatTime(new Date(next)) }),
        ...(bounds === undefined ? {} : { minimum: bounds.minimum, maximum: bounds.maximum }),
      },
    },
    requeueAfterMs: next === undefined ? undefined : Math.max(100, next - input.now.getTime()),
  };
}
