// Cached objects are frozen, so every input of the cloud layer is typed deeply readonly (one definition, in src/api).
export type { DeepReadonly } from '../api/common.ts';
