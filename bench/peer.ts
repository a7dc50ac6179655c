// The peer for bench/compare.ts: node-oidc-provider with dynamic registration and registration
// management enabled, its default in-memory adapter, no policies. Prints the same kind of
// "listening" line as Registrar. Run: node bench/peer.ts PORT
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 3000);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  features: {
    registration: { enabled: true },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: false },
    devInteractions: { enabled: false },
  },
});
provider.on('server_error', (_ctx: unknown, err: Error) => process.stderr.write(`peer server_error: ${err.message}\n`));
const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`oidc-provider listening on ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
