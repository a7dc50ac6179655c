// A DNS server on a loopback UDP port (the wire protocol of RFC 1035, A and AAAA), answering from a
// table the test sets: addresses with a TTL, a delay before the answer, or silence. Every other
// name does not exist (NXDOMAIN). Registrar's resolver is pointed at it (dnsServers), so tests do
// not depend on the machine's DNS, and can make a client's DNS slow, silent or rebinding.
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

export interface Answer {
  addresses?: string[];
  ttl?: number;
  /** Milliseconds before answering. */
  delayMs?: number;
  /** Never answer. */
  silent?: boolean;
}

export interface DnsServer {
  /** `127.0.0.1:port`, for dnsServers. */
  address: string;
  /** Names (lower case, no trailing dot) and how they answer. */
  names: Map<string, Answer>;
  /** Queries received, by name. */
  queries: Map<string, number>;
  close(): Promise<void>;
}

function readName(message: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let at = offset;
  while (message[at]! > 0) {
    const length = message[at]!;
    labels.push(message.subarray(at + 1, at + 1 + length).toString('latin1'));
    at += 1 + length;
  }
  return { name: labels.join('.').toLowerCase(), next: at + 1 };
}

function addressBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(parseInt(group, 16), index * 2));
  return bytes;
}

function reply(query: Buffer, answer: Answer | undefined): Buffer {
  const { next } = readName(query, 12);
  const type = query.readUInt16BE(next);
  const question = query.subarray(12, next + 4);
  const wanted = (answer?.addresses ?? []).filter((address) => (type === 1 ? isIPv4(address) : type === 28 ? isIPv6(address) : false));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  // Response, authoritative, recursion desired copied, recursion available; NXDOMAIN for unknown names.
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (answer ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(wanted.length, 6);
  const records = wanted.map((address) => {
    const data = addressBytes(address);
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    record.writeUInt16BE(type, 2);
    record.writeUInt16BE(1, 4);
    record.writeUInt32BE(answer?.ttl ?? 60, 6);
    record.writeUInt16BE(data.length, 10);
    return Buffer.concat([record, data]);
  });
  return Buffer.concat([header, question, ...records]);
}

export async function startDnsServer(): Promise<DnsServer> {
  const socket = createSocket('udp4');
  const names = new Map<string, Answer>();
  const queries = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  socket.on('message', (message: Buffer, peer: RemoteInfo) => {
    if (message.length < 17) return;
    const { name } = readName(message, 12);
    queries.set(name, (queries.get(name) ?? 0) + 1);
    const answer = names.get(name);
    if (answer?.silent) return;
    const send = () => socket.send(reply(message, answer), peer.port, peer.address);
    if (!answer?.delayMs) return send();
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, answer.delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.unref();
  return {
    address: `127.0.0.1:${socket.address().port}`,
    names,
    queries,
    close: () =>
      new Promise((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        socket.close(() => resolve());
      }),
  };
}

let shared: Promise<DnsServer> | undefined;
/** One server per test process, for every test server that does not bring its own. */
export const sharedDnsServer = (): Promise<DnsServer> => (shared ??= startDnsServer());
