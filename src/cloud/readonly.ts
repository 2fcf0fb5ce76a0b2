// Objects handed out by the controllers' caches are frozen, so every input of the cloud layer is typed deeply
// readonly: a cached Instance or Region can be passed straight in, and the compiler refuses writes to it.
// (Structurally the same as the runtime's DeepReadonly; defined here so src/cloud depends on src/api only.)
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;
