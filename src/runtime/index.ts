// The controller runtime's public surface. Controllers import from here.

export * from './backoff.ts';
export * from './client.ts';
export * from './clock.ts';
export * from './conditions.ts';
export * from './controller.ts';
export * from './events.ts';
export * from './finalizers.ts';
export * from './health.ts';
export * from './leader-election.ts';
export * from './manager.ts';
export * from './objects.ts';
export * from './observer.ts';
export * from './reflector.ts';
export * from './status.ts';
export * from './store.ts';
export * from './workqueue.ts';
