// Where vmfleet's kinds live in the API, for the runtime's generic list/watch/patch calls.
import { API_GROUP, API_VERSION } from '../api/index.ts';
import type { ResourceType } from '../runtime/index.ts';

const ours = (kind: string, plural: string, namespaced: boolean): ResourceType => ({
  group: API_GROUP,
  version: API_VERSION,
  kind,
  plural,
  namespaced,
});

export const REGIONS = ours('Region', 'regions', false);
export const SCALESETS = ours('ScaleSet', 'scalesets', true);
export const COMPUTEFLEETS = ours('ComputeFleet', 'computefleets', true);
export const INSTANCES = ours('Instance', 'instances', true);
export const GALLERYIMAGES = ours('GalleryImage', 'galleryimages', true);

export const CUSTOM_RESOURCE_DEFINITIONS: ResourceType = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
};
