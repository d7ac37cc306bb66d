import { diag } from '@opentelemetry/api';

// biome-ignore lint/suspicious/noExplicitAny: SDK methods of any signature are wrapped.
export type AnyFunction = (this: any, ...args: any[]) => any;

const WRAPPED = Symbol('costlens.wrapped');
const STATE = Symbol('costlens.state');

interface InstanceState {
  active: boolean;
  wrap: (original: AnyFunction) => AnyFunction;
}

/**
 * Replaces SDK methods with observing wrappers and puts them back on `restore()`.
 * Wrapping is idempotent: a method already wrapped (by a second load of the same
 * module, or a second enable) is left as it is.
 */
export class Patcher {
  private readonly undo: (() => void)[] = [];

  /** Wraps `target[name]`, a method on a prototype. Logs and skips when it is not a function. */
  method(target: object | undefined, name: string, wrap: (original: AnyFunction) => AnyFunction) {
    const t = target as Record<string | symbol, unknown> | undefined;
    const original = t?.[name];
    if (typeof original !== 'function') {
      diag.debug(`costlens: ${name} not found; this SDK version is not patched there`);
      return;
    }
    if ((original as { [WRAPPED]?: boolean })[WRAPPED]) return;
    const wrapped = wrap(original as AnyFunction);
    Object.defineProperty(wrapped, WRAPPED, { value: true });
    Object.defineProperty(wrapped, 'length', { value: original.length });
    // Found on a parent class, the method is put back by removing our copy.
    const own = Object.hasOwn(t!, name);
    t![name] = wrapped;
    this.undo.push(() => {
      if (t![name] !== wrapped) return;
      if (own) t![name] = original;
      else delete t![name];
    });
  }

  /**
   * Wraps a method that the SDK assigns per instance in its constructor
   * (`this.generateContent = async (...) => ...`), which no prototype method can
   * reach: an accessor on the prototype receives the assignment and serves the
   * wrapped function. After `restore()` it serves the raw one again.
   */
  instanceMethod(
    proto: object | undefined,
    name: string,
    wrap: (original: AnyFunction) => AnyFunction,
  ): void {
    if (!proto) return;
    const existing = Object.getOwnPropertyDescriptor(proto, name);
    const installed = (existing?.get as { [STATE]?: InstanceState } | undefined)?.[STATE];
    // Installed before (a second enable, another instrumentation): serve the new wrapper.
    const state: InstanceState = installed ?? { active: true, wrap };
    state.active = true;
    state.wrap = wrap;
    this.undo.push(() => {
      if (state.wrap === wrap) state.active = false;
    });
    if (installed) return;
    const rawKey = Symbol.for(`costlens.raw.${name}`);
    const wrappedKey = Symbol.for(`costlens.wrapped.${name}`);
    type Holder = Record<symbol, unknown>;
    const get = function (this: Holder) {
      const raw = this[rawKey] as AnyFunction | undefined;
      if (!state.active || typeof raw !== 'function') return raw;
      let cached = this[wrappedKey] as { wrap: unknown; fn: AnyFunction } | undefined;
      if (cached?.wrap !== state.wrap) {
        cached = { wrap: state.wrap, fn: state.wrap(raw) };
        Object.defineProperty(this, wrappedKey, {
          value: cached,
          writable: true,
          configurable: true,
        });
      }
      return cached.fn;
    };
    Object.defineProperty(get, STATE, { value: state });
    Object.defineProperty(proto, name, {
      configurable: true,
      enumerable: false,
      get,
      set(this: Holder, value: AnyFunction) {
        Object.defineProperty(this, rawKey, { value, writable: true, configurable: true });
        Object.defineProperty(this, wrappedKey, {
          value: undefined,
          writable: true,
          configurable: true,
        });
      },
    });
  }

  /** Puts every wrapped method back. */
  restore(): void {
    for (const undo of this.undo.splice(0).reverse()) undo();
  }
}
