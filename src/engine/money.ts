// Prices enter the optimiser as integer micro-dollars per hour: sums of integers are exact (well below 2^53
// for 10,000 VMs), so equal-cost alternatives compare equal and ties fall to the documented keys instead of
// to floating-point noise.

const MICROS_PER_DOLLAR = 1_000_000;

export function toMicros(pricePerHour: number): number {
  return Math.round(pricePerHour * MICROS_PER_DOLLAR);
}

export function fromMicros(micros: number): number {
  return micros / MICROS_PER_DOLLAR;
}

/** "0.086" — prices as the Azure price sheet prints them, without trailing zeros. */
export function formatPrice(pricePerHour: number): string {
  return String(Number(pricePerHour.toFixed(5)));
}

/** Hours in a month, as Azure's pricing calculator counts them. */
export const HOURS_PER_MONTH = 730;

/**
 * Money as plans, status and the CLI show it: hourly amounts to the micro-dollar (the engine's own unit, so
 * nothing it computed is lost), monthly amounts to the cent. Rounding here keeps float noise from sums and
 * products (8.2635 × 730 = 6032.3550000000005) out of every output.
 */
export function roundHourly(usdPerHour: number): number {
  return Math.round(usdPerHour * MICROS_PER_DOLLAR) / MICROS_PER_DOLLAR;
}

export function monthlyCost(usdPerHour: number): number {
  return Math.round(usdPerHour * HOURS_PER_MONTH * 100) / 100;
}
