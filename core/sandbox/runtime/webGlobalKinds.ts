// The web globals a script isolate has, by name, and whether each is a class (a type too) or a
// function: what the generated script types declare, readable on the host without loading the
// isolate's implementations (web.ts checks it names them all).
export const WEB_GLOBAL_KINDS = {
  URL: 'class',
  URLSearchParams: 'class',
  TextEncoder: 'class',
  TextDecoder: 'class',
  atob: 'function',
  btoa: 'function',
  structuredClone: 'function',
} as const;
