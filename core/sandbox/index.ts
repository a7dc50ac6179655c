// The script runtime: isolated-vm sandboxes (isolate.ts), the host that activates scripts and
// runs the decision points (host.ts), hot reload (watcher.ts), per-script settings.
export { ScriptHost, scriptNameOf, type ScriptEvent } from './host.ts';
export { watchScripts } from './watcher.ts';
export { ScriptError, type ScriptFailure } from './errors.ts';
export { ScriptSettingsSchema, type ScriptSettings } from './settings.ts';
export { HOOK_NAMES, REJECTION_CODES, type HookName } from './hooks.ts';
