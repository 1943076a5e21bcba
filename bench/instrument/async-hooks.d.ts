// The slice of node:async_hooks the counters use (workerd provides it under nodejs_compat);
// the Worker tsconfig does not load Node's types.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, callback: () => R): R;
  }
}
