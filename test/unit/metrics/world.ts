// A synthetic world of many groups for the cardinality budget and the exposition lint.
import {
  API_GROUP_VERSION,
  ComputeFleet,
  EASTUS,
  Region,
  ScaleSet,
  type Instance,
} from '../../../src/api/index.ts';
import { regionFixture } from '../../support/region-fixture.ts';
import { instanceOf } from './fixtures.ts';

/** eastus' catalogue with `faultDomains` fault domains in each of its 3 zones. */
export function regionWithFaultDomains(faultDomains: number): Region {
  return regionFixture(EASTUS.metadata.name, {
    zones: EASTUS.spec.zones.map((z) => ({ ...z, faultDomains })),
  });
}

/**
 * `groups` groups over zones 1–3, half ScaleSets with a Spot priority mix, half ComputeFleets with Regular
 * and Spot targets (so both capacity types everywhere), each with one VM per fault domain and capacity type.
 */
export function manyGroups(groups: number, faultDomains: number) {
  const scaleSets: ScaleSet[] = [];
  const computeFleets: ComputeFleet[] = [];
  const instances: Instance[] = [];
  for (let g = 0; g < groups; g++) {
    const metadata = { name: `group-${g}`, namespace: `team-${g % 5}` };
    const owner =
      g % 2 === 0
        ? ScaleSet.parse({
            apiVersion: API_GROUP_VERSION,
            kind: 'ScaleSet',
            metadata,
            spec: {
              zones: ['1', '2', '3'],
              capacity: 30,
              vmSize: 'Standard_D2s_v5',
              priority: 'Spot',
              priorityMix: { baseRegularPriorityCount: 2, regularPriorityPercentageAboveBase: 50 },
            },
          })
        : ComputeFleet.parse({
            apiVersion: API_GROUP_VERSION,
            kind: 'ComputeFleet',
            metadata,
            spec: {
              zones: ['1', '2', '3'],
              vmSizes: [{ name: 'Standard_D2s_v5' }, { name: 'Standard_D4s_v5' }],
              regular: { capacity: 15 },
              spot: { capacity: 15 },
            },
          });
    if (owner.kind === 'ScaleSet') scaleSets.push(owner);
    else computeFleets.push(owner);
    let id = 0;
    for (const zone of ['1', '2', '3']) {
      for (let faultDomain = 0; faultDomain < faultDomains; faultDomain++) {
        for (const priority of ['Regular', 'Spot'] as const) {
          instances.push(
            instanceOf(owner, id++, {
              zone,
              faultDomain,
              priority,
              price: priority === 'Spot' ? 0.0192 : 0.096,
            }),
          );
        }
      }
    }
  }
  return { scaleSets, computeFleets, instances };
}
