// The API key lives in this tab's sessionStorage only: never in localStorage, a cookie or a URL.
// Closing the tab or signing out forgets it.

const KEY = 'imports-dashboard.api-key';
const listeners = new Set<() => void>();

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function signIn(key: string): void {
  sessionStorage.setItem(KEY, key);
  listeners.forEach((l) => l());
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
