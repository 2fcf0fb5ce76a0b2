// The image step: a Gallery image's `latest` (or pinned) version made concrete for this reconcile, so the
// upgrade step judges VMs against it and new VMs get it. A missing image or version refuses the reconcile
// like an invalid spec (nothing is deleted). A replicated version lets only so many VMs provision at once:
// the placement is limited to that, and status.image says so (with an ImageThrottled Event).
import type { GalleryImage, ImageStatus, Instance, ScaleSetSpec } from '../../api/index.ts';
import type { Plan } from '../../engine/index.ts';
import type { DeepReadonly, EventRecorder, ReadonlyStore } from '../../runtime/index.ts';
import { resolveImage, throttlePlan } from '../gallery.ts';
import { phaseOf } from '../instances.ts';
import type { ScaleSetMemory } from './scaleset-memory.ts';
import type { GroupStep, StepResult } from './step.ts';

export interface ImageStepDeps {
  galleryImages: ReadonlyStore<GalleryImage>;
  events: EventRecorder;
}

export function imageStep(deps: ImageStepDeps): GroupStep<ScaleSetSpec, ScaleSetMemory> {
  return {
    name: 'image',
    run(input) {
      const { group } = input;
      const resolved = resolveImage(input.state.spec, group.metadata.namespace ?? '', deps.galleryImages);
      if (!resolved.ok) {
        return Promise.resolve({
          refuse: { reason: resolved.reason, errors: [{ field: 'spec.image', message: resolved.message }] },
        });
      }
      // Written with the rest of status after the plan is applied, so a throttle shows in that write.
      const status: Record<string, unknown> = { image: resolved.status };
      const maxProvisioning = resolved.maxProvisioning;
      const result: StepResult<ScaleSetSpec> = { spec: resolved.spec, status };
      if (maxProvisioning === undefined) return Promise.resolve(result);
      const limit = (plan: Plan, instances: readonly DeepReadonly<Instance>[]): Plan => {
        const provisioning = instances.filter((i) => ['Pending', 'Provisioning'].includes(phaseOf(i))).length;
        const byZone = new Map<string, number>();
        for (const i of instances) byZone.set(i.spec.zone, (byZone.get(i.spec.zone) ?? 0) + 1);
        const throttled = throttlePlan(
          plan,
          status['image'] as ImageStatus,
          maxProvisioning,
          provisioning,
          byZone,
        );
        status['image'] = throttled.status;
        if (throttled.held > 0) {
          deps.events.record(input.subject, {
            type: 'Normal',
            reason: 'ImageThrottled',
            action: 'Create',
            note: throttled.status.message ?? '',
          });
        }
        return throttled.plan;
      };
      return Promise.resolve({ ...result, placement: { limit } });
    },
  };
}
