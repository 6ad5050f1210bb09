import path from 'node:path';
import type { Command } from 'commander';
import { ApiClient, type ClientOptions } from './api-client.js';

// What every API command gets: its global options (--url, --api-key, --json), an API client
// built from them, a usage error that prints without a stack, and paths as the user typed them.

export interface GlobalOpts extends ClientOptions {
  json?: boolean;
}

export const opts = (cmd: Command): GlobalOpts => cmd.optsWithGlobals<GlobalOpts>();
export const client = (cmd: Command) => new ApiClient(opts(cmd));

export class CliError extends Error {}

/**
 * A path as the user typed it: `npm run cli` runs in the package directory, not where the
 * user is; npm says where that was in INIT_CWD.
 */
export function userPath(p: string): string {
  const base = process.env.npm_lifecycle_event === 'cli' && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd();
  return path.resolve(base, p);
}

export function positiveInt(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a positive whole number, got "${v}".`);
  return n;
}

export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

