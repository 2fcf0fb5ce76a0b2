// The provider the operator drives when it is given none. The one place outside ./simulated that picks the
// simulated cloud, so the controllers (operator.ts included) never name it.
import type { CloudProvider } from './provider.ts';
import { SimulatedCloud } from './simulated/provider.ts';

export function createDefaultProvider(): CloudProvider {
  return new SimulatedCloud();
}
