// With tracing on, every store operation a request makes is a client span (`store clients.insert`):
// each role's methods wrapped, the arguments never recorded. The fleet's periodic reports are left
// out: they are no request's work.
import { inSpan, SpanKind } from '../tracing/index.ts';
import type { Store } from './roles.ts';

const TRACED_ROLES = ['clients', 'decisions', 'configuration', 'administration', 'quotas'] as const;

function traced<T extends object>(role: T, name: string, system: string): T {
  return new Proxy(role, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) =>
        inSpan(`store ${name}.${property}`, { 'db.system.name': system, 'db.operation.name': `${name}.${property}` }, () => Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args)), { kind: SpanKind.CLIENT });
    },
  });
}

export function tracedStore(store: Store): Store {
  const system = store.kind === 'mongodb' ? 'mongodb' : 'sqlite';
  const roles = Object.fromEntries(TRACED_ROLES.map((name) => [name, traced(store[name], name, system)]));
  return new Proxy(store, { get: (target, property, receiver) => (typeof property === 'string' && property in roles ? roles[property] : Reflect.get(target, property, receiver)) });
}
