// Nesting depth of JSON text, measured on the text itself (strings skipped) before anything is
// parsed: a parser or an assembler builds a value as deep as the text asks for, and everything
// after (validation, cleaning, jsonb) walks it again. Streaming: text may arrive in slices.

export class JsonDepthScanner {
  /** Current depth: 0 outside any array/object. */
  depth = 0;
  private inString = false;
  private escaped = false;

  /** Feeds text; returns the deepest level reached inside it (at least the current depth). */
  feed(text: string, onDeeper?: (depth: number, index: number) => void): number {
    let deepest = this.depth;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true; // backslash
        else if (c === 0x22) this.inString = false;
      } else if (c === 0x22) this.inString = true;
      else if (c === 0x5b || c === 0x7b) {
        if (++this.depth > deepest) {
          deepest = this.depth;
          onDeeper?.(deepest, i);
        }
      } else if (c === 0x5d || c === 0x7d) this.depth--;
    }
    return deepest;
  }
}

/** The deepest nesting of arrays/objects in `text` (0 for a scalar). */
export function jsonDepth(text: string): number {
  return new JsonDepthScanner().feed(text);
}
