import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openRows } from '../../src/files/open-rows.js';

// Streaming, proved without timing: the generator feeding the reader is consumed only about
// as fast as rows come out, so the file is never held whole in memory.

const ROWS = 200_000;

describe('large files stream', () => {
  it('reads a 200k-row CSV generated on the fly, never running far ahead of the consumer', async () => {
    let produced = 0;
    async function* csv(): AsyncGenerator<string> {
      yield 'id,name,email,note\r\n';
      for (let i = 1; i <= ROWS; i++) {
        produced = i;
        yield `${i},Name ${i},user${i}@example.com,"note with ""quotes"", commas\nand a newline"\r\n`;
      }
    }
    const source = await openRows(Readable.from(csv()));
    expect(source.headers).toEqual(['id', 'name', 'email', 'note']);
    let count = 0;
    let maxLead = 0;
    let last = 0;
    for await (const row of source.rows) {
      count++;
      last = row.row;
      maxLead = Math.max(maxLead, produced - count);
    }
    expect(count).toBe(ROWS);
    expect(last).toBe(ROWS);
    // Lead bounded by buffers (sniffed prefix, stream buffers, one parsed chunk), not by the file.
    expect(maxLead).toBeLessThan(5_000);
  });

  it('streams a large JSON array and NDJSON the same way', async () => {
    for (const format of ['json', 'ndjson'] as const) {
      let produced = 0;
      async function* json(): AsyncGenerator<string> {
        if (format === 'json') yield '[';
        for (let i = 1; i <= 50_000; i++) {
          produced = i;
          const item = JSON.stringify({ id: i, tags: ['a', 'b'], meta: { n: i } });
          yield format === 'json' ? (i > 1 ? ',' : '') + item : `${item}\n`;
        }
        if (format === 'json') yield ']';
      }
      const source = await openRows(Readable.from(json()));
      expect(source.format).toBe(format);
      let count = 0;
      let maxLead = 0;
      for await (const row of source.rows) {
        count++;
        expect(row.row).toBe(count);
        maxLead = Math.max(maxLead, produced - count);
      }
      expect(count).toBe(50_000);
      expect(maxLead).toBeLessThan(5_000);
    }
  });
});
