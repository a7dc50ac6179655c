// The script runtime: isolated-vm sandboxes (isolate.ts and the in-isolate runtime/), the versions
// of each script (registry.ts), calling a hook (invoke.ts), the decisions the hooks make
// (scriptPolicy.ts), hot reload (watcher.ts), per-script settings, behind ScriptHost (host.ts).
export { ScriptHost, type ScriptEvent, type ScriptHostOptions } from './host.ts';
export { scriptNameOf } from './files.ts';
export { watchScripts } from './watcher.ts';
export { ScriptError, type ScriptFailure } from './errors.ts';
export { ScriptSettingsSchema, type ScriptSettings } from './settings.ts';
export { MemoryBudget } from './memory.ts';
