// ScaleSet specifics for the group reconciler: parsing, Region checks, the engine's view of the spec, the
// model of new VMs, and the status fields only a ScaleSet has (capacity and selector for the scale
// subresource and HPA, counts per priority).
import {
  INSTANCE_LABELS,
  ScaleSetSpec,
  parseWith,
  validateScaleSet,
  type ScaleSetSpec as ScaleSetSpecType,
} from '../api/index.ts';
import { normalizeScaleSet } from '../engine/normalize.ts';
import { countByPriority } from './instances.ts';
import { specCheckOf, type GroupAdapter } from './group.ts';
import { SCALESETS } from './resources.ts';

export const scaleSetAdapter: GroupAdapter<ScaleSetSpecType> = {
  kind: 'ScaleSet',
  resource: SCALESETS,
  parse: (spec) => specCheckOf(parseWith(ScaleSetSpec, spec)),
  regionName: (spec) => spec.region,
  validate: (spec, region) => validateScaleSet(spec, region.spec, region.metadata.name),
  paused: (spec) => spec.paused,
  zones: (spec) => spec.zones,
  platformFaultDomainCount: (spec) => spec.platformFaultDomainCount,
  groupSpec: (spec) => normalizeScaleSet(spec),
  withSurge: (spec, extra) => ({ ...spec, capacity: spec.capacity + extra }),
  model(spec, priority, groupSpec) {
    return {
      image: spec.image,
      modelHash: groupSpec.modelHash,
      ...(priority === 'Spot'
        ? {
            evictionPolicy: spec.spot?.evictionPolicy ?? 'Deallocate',
            maxPricePerHour: spec.spot?.maxPricePerHour ?? -1,
          }
        : {}),
    };
  },
  status({ group, instances }) {
    const byPriority = countByPriority(instances);
    return {
      capacity: instances.length,
      selector: `${INSTANCE_LABELS.scaleSet}=${group.metadata.name}`,
      byPriority: { regular: byPriority.Regular, spot: byPriority.Spot },
    };
  },
};
