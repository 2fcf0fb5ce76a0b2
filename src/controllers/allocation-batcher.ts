// Gathers the allocations that Instance reconciles ask for within a few milliseconds and sends them to the
// provider as one batch per region. The simulated cloud counts the region's ledger once per batch instead of
// once per VM, which turns a scale-out of N VMs from O(N²) into about O(N²/batch) work.
import type { Instance, Region } from '../api/index.ts';
import type { AllocationResult, CloudProvider, RegionInstances } from '../cloud/index.ts';
import type { Clock, DeepReadonly } from '../runtime/index.ts';

interface Waiting {
  instance: DeepReadonly<Instance>;
  resolve: (result: AllocationResult) => void;
  reject: (error: unknown) => void;
}

interface RegionBatch {
  region: DeepReadonly<Region>;
  waiting: Waiting[];
}

/** How long the first allocation of a batch waits for others to join. */
const BATCH_WINDOW_MS = 5;
const MAX_BATCH = 128;

export class AllocationBatcher {
  private readonly provider: CloudProvider;
  private readonly clock: Clock;
  /** Every Instance of a region, read when the batch goes out (the freshest view of the ledger). */
  private readonly instancesIn: (region: string) => RegionInstances;
  private readonly batches = new Map<string, RegionBatch>();

  constructor(provider: CloudProvider, clock: Clock, instancesIn: (region: string) => RegionInstances) {
    this.provider = provider;
    this.clock = clock;
    this.instancesIn = instancesIn;
  }

  allocate(instance: DeepReadonly<Instance>, region: DeepReadonly<Region>): Promise<AllocationResult> {
    const name = region.metadata.name;
    return new Promise((resolve, reject) => {
      let batch = this.batches.get(name);
      if (batch === undefined) {
        batch = { region, waiting: [] };
        this.batches.set(name, batch);
        this.clock.setTimer(BATCH_WINDOW_MS, () => void this.flush(name));
      }
      batch.region = region;
      batch.waiting.push({ instance, resolve, reject });
      if (batch.waiting.length >= MAX_BATCH) void this.flush(name);
    });
  }

  private async flush(regionName: string): Promise<void> {
    const batch = this.batches.get(regionName);
    if (batch === undefined) return;
    this.batches.delete(regionName);
    try {
      const results = await this.provider.allocateMany({
        instances: batch.waiting.map((w) => w.instance),
        region: batch.region,
        allInstancesInRegion: this.instancesIn(regionName),
        now: new Date(this.clock.now()),
      });
      batch.waiting.forEach((w, i) => {
        const result = results[i];
        if (result === undefined) w.reject(new Error('the provider answered fewer allocations than asked'));
        else w.resolve(result);
      });
    } catch (error) {
      for (const w of batch.waiting) w.reject(error);
    }
  }
}
