// The input as a stream of Buffers whose first bytes can be looked at before deciding how to
// read it. Sniffing the format and the encoding needs a prefix; the chosen reader then gets
// the whole stream again, prefix included, without anything being read twice from the source.

const BUFFER_SLICE = 64 * 1024;

export class ByteSource {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private done = false;
  private consumed = false;

  private constructor(
    private readonly iterator: AsyncIterator<Buffer>,
    /** Set when the input was a Buffer: readers that need random access (XLSX) use it as is. */
    readonly buffer: Buffer | undefined,
    private readonly stream: NodeJS.ReadableStream | undefined,
  ) {}

  static from(input: NodeJS.ReadableStream | Buffer): ByteSource {
    if (Buffer.isBuffer(input)) return new ByteSource(sliceBuffer(input), input, undefined);
    return new ByteSource(normaliseChunks(input), undefined, input);
  }

  /** True once the end of the input has been seen (so a peeked prefix is the whole file). */
  get ended(): boolean {
    return this.done;
  }

  /** At least `minBytes` from the start of the input, or all of it if it is shorter. */
  async peek(minBytes: number): Promise<Buffer> {
    if (this.consumed) throw new Error('ByteSource: peek() after chunks()');
    while (!this.done && this.headBytes < minBytes) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else {
        this.head.push(next.value);
        this.headBytes += next.value.length;
      }
    }
    if (this.head.length > 1) this.head.splice(0, this.head.length, Buffer.concat(this.head));
    return this.head[0] ?? Buffer.alloc(0);
  }

  /** The whole input from its first byte. Can be called once. */
  async *chunks(): AsyncGenerator<Buffer> {
    if (this.consumed) throw new Error('ByteSource: chunks() can be called once');
    this.consumed = true;
    yield* this.head.splice(0);
    while (!this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else yield next.value;
    }
  }

  /** Stops reading the input (destroys a stream input). Safe to call more than once. */
  async close(): Promise<void> {
    this.done = true;
    this.head.length = 0;
    // Destroy first: it settles a read that is waiting on the stream (which return() would
    // otherwise wait behind), and a generator that never started does not clean up on return().
    const stream = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    stream?.destroy?.();
    await this.iterator.return?.();
  }
}

function* sliceBufferSync(buf: Buffer): Generator<Buffer> {
  // Slices share memory with the original; they only keep downstream work incremental.
  for (let i = 0; i < buf.length; i += BUFFER_SLICE) yield buf.subarray(i, i + BUFFER_SLICE);
}

async function* sliceBuffer(buf: Buffer): AsyncGenerator<Buffer> {
  yield* sliceBufferSync(buf);
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

async function* normaliseChunks(input: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : toBuffer(chunk);
    if (buf.length > 0) yield buf;
  }
}
