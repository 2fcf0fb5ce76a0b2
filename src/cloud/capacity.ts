// Physical capacity of a pool (size × zone × priority), including regional (zone "") VMs.
//
// The Region declares capacity per zone only. A regional VM lands in *some* zone, so the regional VMs of a
// size and priority share the zones' leftover room: the state is feasible when every zone's zonal VMs fit
// (u_z ≤ c_z) and the regional VMs fit in what is left (r ≤ Σ_z max(0, c_z − u_z)). Free capacity follows:
//   zonal pool z:   min(c_z − u_z, Σ_z max(0, c_z − u_z) − r)
//   regional pool:  Σ_{z available} max(0, c_z − u_z) − r
// (a new regional VM must land in a zone that takes new VMs; counting the existing regional VMs against
// the available zones' room is the conservative reading, since we do not track where they sit). With no
// regional VMs the zonal formula is just c_z − u_z. An unavailable zone (outage) takes no new VMs: its free
// capacity is 0, and its running VMs stay.
import type { Priority, RegionSpec, RegionVmSize } from '../api/index.ts';
import type { DeepReadonly } from './readonly.ts';
import type { UsageTally } from './tally.ts';

export interface PoolCapacity {
  /** VMs the pool can host: the zone's capacity, or the sum over zones for a regional pool. */
  capacity: number;
  /** VMs holding capacity in the pool; for a regional pool every VM of the size and priority (they share). */
  used: number;
  /** New VMs the pool can take now (never negative). */
  free: number;
}

/** Declared capacity of one size in one zone; 0 for Spot on a size that cannot run Spot, or no row. */
export function zoneCapacity(size: DeepReadonly<RegionVmSize>, zone: string, priority: Priority): number {
  if (priority === 'Spot' && (!size.spotCapable || size.burstable)) return 0;
  const row = size.capacity.find((c) => c.zone === zone);
  if (!row) return 0;
  return priority === 'Spot' ? row.spot : row.regular;
}

interface ZoneRoom {
  zone: string;
  available: boolean;
  capacity: number;
  used: number;
}

function zoneRooms(
  spec: DeepReadonly<RegionSpec>,
  size: DeepReadonly<RegionVmSize>,
  priority: Priority,
  tally: UsageTally,
): ZoneRoom[] {
  return spec.zones.map((z) => ({
    zone: z.name,
    available: z.available,
    capacity: zoneCapacity(size, z.name, priority),
    used: tally.capacityUsed(size.name, z.name, priority),
  }));
}

const room = (z: ZoneRoom): number => Math.max(0, z.capacity - z.used);
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

export function poolCapacity(
  spec: DeepReadonly<RegionSpec>,
  size: DeepReadonly<RegionVmSize>,
  zone: string,
  priority: Priority,
  tally: UsageTally,
): PoolCapacity {
  const rooms = zoneRooms(spec, size, priority, tally);
  const regionalUsed = tally.capacityUsed(size.name, '', priority);
  if (zone === '') {
    const availableRoom = sum(rooms.filter((z) => z.available).map(room));
    return {
      capacity: sum(rooms.map((z) => z.capacity)),
      used: sum(rooms.map((z) => z.used)) + regionalUsed,
      free: Math.max(0, availableRoom - regionalUsed),
    };
  }
  const leftForRegional = sum(rooms.map(room)) - regionalUsed;
  const target = rooms.find((z) => z.zone === zone);
  if (!target) return { capacity: 0, used: 0, free: 0 };
  return {
    capacity: target.capacity,
    used: target.used,
    free: target.available ? Math.max(0, Math.min(target.capacity - target.used, leftForRegional)) : 0,
  };
}
