// Loaded into every test process (package.json, NODE_OPTIONS): once a test file's work is done,
// the process exits at once, as `npm start` does after a stop (core/main.ts), rather than
// tearing its environment down around isolated-vm's finished isolates.
process.on('beforeExit', (code) => process.exit(process.exitCode ?? code));
