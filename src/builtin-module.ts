// Loads a Node built-in where it is first needed instead of at start-up.
// process.getBuiltinModule does that; Node 22.0–22.2 predate it (it came in
// 22.3, and in 20.16 below hutch's floor), so there require does the same.
type BuiltinModuleLoader = typeof process.getBuiltinModule;

/** process.getBuiltinModule, or an equivalent require on Node 22.0–22.2. */
export const builtinModule: BuiltinModuleLoader =
  typeof process.getBuiltinModule === 'function'
    ? process.getBuiltinModule.bind(process)
    : ((await import('node:module')).createRequire(import.meta.url) as BuiltinModuleLoader);
