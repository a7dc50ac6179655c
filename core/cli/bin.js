#!/usr/bin/env -S node --no-node-snapshot --disable-warning=ExperimentalWarning
// `registrar` as a command: from an install (inside node_modules, where Node strips no types)
// the built JavaScript in dist/; from a checkout, the TypeScript sources themselves.
const installed = import.meta.url.includes('/node_modules/');
await import(installed ? '../../dist/core/cli/registrar.js' : './registrar.ts');
