// The built-in `eastus` catalogue: the default Region shipped in deploy/regions/eastus.yaml (generated from
// this file) and the CLI's region when `vmfleet plan` gets no --region.
//
// Pay-as-you-go prices: Azure Retail Prices, East US, Linux, USD/h (reference/azure-domain.md §5).
// Spot prices are ESTIMATES (about 20% of pay-as-you-go, with zone 3 dearer), not quotes: real Spot prices vary
// by zone and hour.
import { API_GROUP_VERSION } from './common.ts';
import type { Region, RegionSpec, RegionVmSize } from './region.ts';

interface SizeRow {
  name: string;
  family: string;
  vCPUs: number;
  memoryGiB: number;
  pricePerHour: number;
  spotPricePerHour?: number;
  architecture?: 'x64' | 'Arm64';
  category?: RegionVmSize['category'];
  burstable?: boolean;
  /** Regular and Spot capacity per zone "1", "2", "3". */
  regular: [number, number, number];
  spot: [number, number, number];
}

// prettier-ignore
const SIZES: SizeRow[] = [
  { name: 'Standard_B2s', family: 'BS', vCPUs: 2, memoryGiB: 4, pricePerHour: 0.0416, burstable: true, regular: [400, 400, 300], spot: [0, 0, 0] },
  { name: 'Standard_D2s_v5', family: 'DSv5', vCPUs: 2, memoryGiB: 8, pricePerHour: 0.096, spotPricePerHour: 0.0192, regular: [2000, 2000, 1500], spot: [800, 600, 400] },
  { name: 'Standard_D2as_v5', family: 'DASv5', vCPUs: 2, memoryGiB: 8, pricePerHour: 0.086, spotPricePerHour: 0.0172, regular: [1500, 1500, 1000], spot: [500, 700, 300] },
  { name: 'Standard_D4s_v5', family: 'DSv5', vCPUs: 4, memoryGiB: 16, pricePerHour: 0.192, spotPricePerHour: 0.0384, regular: [2000, 2000, 1500], spot: [1000, 800, 500] },
  { name: 'Standard_D4as_v5', family: 'DASv5', vCPUs: 4, memoryGiB: 16, pricePerHour: 0.172, spotPricePerHour: 0.0344, regular: [1500, 1500, 1000], spot: [600, 900, 400] },
  { name: 'Standard_D4ds_v5', family: 'DDSv5', vCPUs: 4, memoryGiB: 16, pricePerHour: 0.226, spotPricePerHour: 0.0452, regular: [1000, 1000, 800], spot: [1200, 1200, 800] },
  { name: 'Standard_F4s_v2', family: 'FSv2', vCPUs: 4, memoryGiB: 8, pricePerHour: 0.169, spotPricePerHour: 0.0338, category: 'ComputeOptimized', regular: [800, 800, 600], spot: [400, 300, 200] },
  { name: 'Standard_E4s_v5', family: 'ESv5', vCPUs: 4, memoryGiB: 32, pricePerHour: 0.252, spotPricePerHour: 0.0504, category: 'MemoryOptimized', regular: [800, 800, 600], spot: [400, 400, 300] },
  { name: 'Standard_D8s_v5', family: 'DSv5', vCPUs: 8, memoryGiB: 32, pricePerHour: 0.384, spotPricePerHour: 0.0768, regular: [1000, 1000, 800], spot: [500, 500, 300] },
  { name: 'Standard_E8s_v5', family: 'ESv5', vCPUs: 8, memoryGiB: 64, pricePerHour: 0.504, spotPricePerHour: 0.1008, category: 'MemoryOptimized', regular: [500, 500, 400], spot: [300, 300, 200] },
  { name: 'Standard_D4s_v6', family: 'DSv6', vCPUs: 4, memoryGiB: 16, pricePerHour: 0.202, spotPricePerHour: 0.0404, regular: [1500, 1500, 1000], spot: [700, 700, 500] },
  { name: 'Standard_D4as_v6', family: 'DASv6', vCPUs: 4, memoryGiB: 16, pricePerHour: 0.182, spotPricePerHour: 0.0364, regular: [1200, 1200, 900], spot: [600, 600, 400] },
  { name: 'Standard_D4ps_v5', family: 'DPSv5', vCPUs: 4, memoryGiB: 16, pricePerHour: 0.154, spotPricePerHour: 0.0308, architecture: 'Arm64', regular: [800, 800, 600], spot: [400, 400, 300] },
];

const ZONES = ['1', '2', '3'] as const;

/** Zone 3 Spot is estimated 10% dearer, so zone choice and price-based strategies have something to decide. */
const ZONE3_SPOT_MARKUP = 1.1;

function vmSize(row: SizeRow): RegionVmSize {
  const spotCapable = !row.burstable;
  return {
    name: row.name,
    family: row.family,
    vCPUs: row.vCPUs,
    memoryGiB: row.memoryGiB,
    architecture: row.architecture ?? 'x64',
    category: row.category ?? 'GeneralPurpose',
    burstable: row.burstable ?? false,
    spotCapable,
    pricePerHour: row.pricePerHour,
    ...(row.spotPricePerHour === undefined ? {} : { spotPricePerHour: row.spotPricePerHour }),
    capacity: ZONES.map((zone, i) => ({
      zone,
      regular: row.regular[i] ?? 0,
      spot: row.spot[i] ?? 0,
      ...(zone === '3' && row.spotPricePerHour !== undefined
        ? { spotPricePerHour: Math.round(row.spotPricePerHour * ZONE3_SPOT_MARKUP * 1e5) / 1e5 }
        : {}),
    })),
  };
}

export const EASTUS_SPEC: RegionSpec = {
  zones: [
    { name: '1', faultDomains: 5, available: true },
    { name: '2', faultDomains: 5, available: true },
    { name: '3', faultDomains: 3, available: true },
  ],
  vmSizes: SIZES.map(vmSize),
  quotas: { regionalVCPUs: 100000, spotVCPUs: 50000 },
  simulation: {
    provisioningDelay: '5s',
    spotEvictionRatePerHour: 0,
    seed: 1,
    faults: [],
    unhealthyRatePerHour: 0,
    healthFaults: [],
  },
};

export const EASTUS: Region = {
  apiVersion: API_GROUP_VERSION,
  kind: 'Region',
  metadata: { name: 'eastus' },
  spec: EASTUS_SPEC,
};
