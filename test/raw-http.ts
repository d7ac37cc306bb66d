import { connect, type Socket } from 'node:net';

// A keep-alive HTTP/1.1 client over one socket, one request at a time, that does
// nothing it is not asked to: a fuzzer sending a hundred thousand requests spends
// its time in the server under test, not in the client's header handling.

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export class RawConnection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: { resolve: (a: RawAnswer) => void; reject: (e: Error) => void } | null = null;
  #closed: Error | null = null;
  readonly ready: Promise<void>;

  constructor(port: number) {
    this.#socket = connect(port, '127.0.0.1');
    this.#socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.#socket.once('connect', resolve).once('error', reject);
    });
    this.#socket.on('data', (d) => this.#read(d));
    const end = (err?: Error) => {
      this.#closed = err ?? new Error('the server closed the connection');
      this.#waiting?.reject(this.#closed);
      this.#waiting = null;
    };
    this.#socket.on('error', end).on('close', () => end());
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  /** Sends one request and resolves with its answer (status, lower-case headers, body). */
  request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Uint8Array,
  ): Promise<RawAnswer> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (this.#waiting) return Promise.reject(new Error('one request at a time'));
    let head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    head += `Content-Length: ${body?.length ?? 0}\r\n\r\n`;
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#socket.write(body?.length ? Buffer.concat([Buffer.from(head), body]) : head);
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #read(d: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, d]) : d;
    const headEnd = this.#buffer.indexOf('\r\n\r\n');
    if (headEnd < 0 || !this.#waiting) return;
    const lines = this.#buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (headers['content-length'] === undefined) {
      this.#waiting.reject(new Error(`an answer without Content-Length: ${lines.join(' | ')}`));
      this.#waiting = null;
      this.#socket.destroy();
      return;
    }
    const size = Number(headers['content-length']);
    if (this.#buffer.length < headEnd + 4 + size) return;
    const body = this.#buffer.subarray(headEnd + 4, headEnd + 4 + size);
    this.#buffer = this.#buffer.subarray(headEnd + 4 + size);
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting.resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body });
  }
}
