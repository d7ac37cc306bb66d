// The writer thread's entry when tests run the collector from its TypeScript
// sources: Node strips the types, and this hook finds the `.ts` file behind each
// `./x.js` import. Workspace packages (@costlens/pricing) load from their build,
// as Node's type stripping does not take every TypeScript form. The built
// collector runs dist/store/writer-worker.js instead.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, next) {
    if (!specifier.startsWith('.')) {
      const conditions = context.conditions.filter((c) => c !== 'source');
      return next(specifier, { ...context, conditions });
    }
    try {
      return next(specifier, context);
    } catch (err) {
      if (
        specifier.startsWith('.') &&
        specifier.endsWith('.js') &&
        context.parentURL?.endsWith('.ts')
      )
        return next(`${specifier.slice(0, -3)}.ts`, context);
      throw err;
    }
  },
});

await import('../../src/store/writer-worker.ts');
