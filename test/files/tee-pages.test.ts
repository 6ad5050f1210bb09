import { describe, expect, it } from 'vitest';
import { teePages } from '../../src/downloads/tee-pages.js';

// The shared read behind the CSV and JSON downloads (import-files.ts): both writers get every
// row in order from one read, memory stays bounded, and no failure leaves a writer hanging or
// ending with a file cut short.

function source(pageCount: number, pageSize: number, failAt?: number) {
  const stats = { fetched: 0 };
  async function* pages(): AsyncGenerator<number[]> {
    for (let p = 0; p < pageCount; p++) {
      if (p === failAt) throw new Error(`page ${p} could not be read`);
      stats.fetched++;
      await new Promise((r) => setImmediate(r));
      yield Array.from({ length: pageSize }, (_, i) => p * pageSize + i);
    }
  }
  return { pages: pages(), stats };
}

/** Every row of the pages a reader gives, pausing after every `pauseEvery` pages. */
async function drain<T>(it: AsyncIterable<T[]>, pauseEvery = 0): Promise<T[]> {
  const out: T[] = [];
  let pages = 0;
  for await (const page of it) {
    out.push(...page);
    if (pauseEvery && ++pages % pauseEvery === 0) await new Promise((r) => setTimeout(r, 1));
  }
  return out;
}

describe('teePages', () => {
  it('gives both readers every row, in order, reading each page once', async () => {
    const { pages, stats } = source(20, 7);
    const tee = teePages(pages);
    const [a, b] = await Promise.all([drain(tee.readers[0]), drain(tee.readers[1], 5)]);
    const all = Array.from({ length: 140 }, (_, i) => i);
    expect(a).toEqual(all);
    expect(b).toEqual(all);
    expect(stats.fetched).toBe(20);
  });

  it('keeps the faster reader at most a few pages ahead of the slower one', async () => {
    const { pages, stats } = source(50, 10);
    const tee = teePages(pages, 2);
    const fast = drain(tee.readers[0]);
    const slow = tee.readers[1];
    await slow.next(); // the slow reader holds page 0 and stops there for a while
    await new Promise((r) => setTimeout(r, 30));
    expect(stats.fetched).toBeLessThanOrEqual(4);
    await drain(slow);
    expect(await fast).toHaveLength(500);
  });

  it('fails both readers when the source fails, rather than ending one early', async () => {
    const { pages } = source(10, 3, 4);
    const tee = teePages(pages);
    const results = await Promise.allSettled([drain(tee.readers[0]), drain(tee.readers[1])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
  });

  it('abort ends a reader that is waiting for the other', async () => {
    const { pages } = source(50, 10);
    const tee = teePages(pages, 1);
    const stuck = tee.readers[1];
    await stuck.next(); // never read again, as when its writer's storage failed
    const waiting = drain(tee.readers[0]);
    await new Promise((r) => setTimeout(r, 20));
    tee.abort(new Error('disk full'));
    await expect(waiting).rejects.toThrow('disk full');
  });

  it('a reader that stops early releases the other', async () => {
    const { pages } = source(30, 5);
    const tee = teePages(pages, 1);
    for await (const page of tee.readers[1]) if (page.includes(3)) break;
    expect(await drain(tee.readers[0])).toHaveLength(150);
  });
});
