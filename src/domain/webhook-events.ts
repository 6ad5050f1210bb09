// The webhook event types (README "Webhooks"): one per way an import ends.

export const WEBHOOK_EVENT_TYPES = ['import.completed', 'import.failed', 'import.timed_out', 'import.expired', 'import.canceled'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The event an ending raises: a cancel ends the import `failed` with the reason `canceled`. */
export function endingEventType(status: 'completed' | 'failed' | 'timed_out' | 'expired', failureCode: string | null): WebhookEventType {
  if (status === 'failed' && failureCode === 'canceled') return 'import.canceled';
  return `import.${status}`;
}
