// The vmfleet API: zod schemas (the single source of truth), inferred types, defaults, validation, CRDs.
export * from './common.ts';
export * from './region.ts';
export * from './scaleset.ts';
export * from './computefleet.ts';
export * from './instance.ts';
export * from './lifecycle.ts';
export * from './galleryimage.ts';
export * from './validate.ts';
export * from './parse.ts';
export * from './structural.ts';
export * from './catalogue.ts';
export { RESOURCES, customResourceDefinition, openApiSchema, renderCrdFiles } from './crd.ts';
export type { ResourceDefinition, PrinterColumn } from './crd.ts';
