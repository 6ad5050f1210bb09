import { Option, type Command } from 'commander';
import { WEBHOOK_EVENT_TYPES } from '../domain/webhook-events.js';
import { client, opts } from './command-context.js';
import { line, printJson, printTable, when } from './output.js';

// `webhooks …`: a client of the HTTP API's /v1/webhook_endpoints, like any other.

interface Endpoint {
  id: string;
  url: string;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  created_at: string;
  secret?: string;
}

interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  import_id: string;
  status: string;
  attempts: { at: string; status_code: number | null; error: string | null }[];
  next_attempt_at: string | null;
}

export function webhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('webhook endpoints and their deliveries, through the HTTP API');

  webhooks
    .command('create')
    .description('register URL for import events; prints the signing secret (shown only this once)')
    .argument('<url>', 'where events are POSTed (http or https)')
    .addOption(new Option('--event <type...>', 'event types wanted (default: all)').choices([...WEBHOOK_EVENT_TYPES]))
    .option('--disabled', 'create it turned off')
    .action(async (url: string, o: { event?: string[]; disabled?: boolean }, cmd: Command) => {
      const ep = await client(cmd).request<Endpoint>('POST', '/v1/webhook_endpoints', {
        url,
        event_types: o.event ?? [...WEBHOOK_EVENT_TYPES],
        enabled: !o.disabled,
      });
      if (opts(cmd).json) return printJson(ep);
      line(`webhook endpoint ${ep.id} created for ${ep.url} (${ep.event_types.join(', ')})`);
      line(`signing secret: ${ep.secret ?? ''}`);
      line('Store the secret now: it is not shown again (rotate it with POST /v1/webhook_endpoints/{id}/rotate_secret).');
    });

  webhooks
    .command('list')
    .description('the organization\'s webhook endpoints')
    .action(async (_o: unknown, cmd: Command) => {
      const { data } = await client(cmd).request<{ data: Endpoint[] }>('GET', '/v1/webhook_endpoints');
      if (opts(cmd).json) return printJson(data);
      printTable(
        ['id', 'url', 'events', 'enabled', 'created'],
        data.map((e) => [e.id, e.url, e.event_types.join(' '), e.enabled ? 'yes' : `no${e.disabled_reason ? `: ${e.disabled_reason}` : ''}`, when(e.created_at)]),
      );
    });

  webhooks
    .command('deliveries')
    .description('deliveries to an endpoint, newest first, with their attempts')
    .argument('<endpoint-id>')
    .option('--resend <delivery-id>', 'send this delivery again (same event id) instead of listing')
    .action(async (endpointId: string, o: { resend?: string }, cmd: Command) => {
      const api = client(cmd);
      const base = `/v1/webhook_endpoints/${encodeURIComponent(endpointId)}/deliveries`;
      if (o.resend) {
        const res = await api.request<{ id: string; status: string }>('POST', `${base}/${encodeURIComponent(o.resend)}/resend`);
        if (opts(cmd).json) return printJson(res);
        return line(`delivery ${res.id} will be sent again`);
      }
      const { data } = await api.request<{ data: Delivery[] }>('GET', base);
      if (opts(cmd).json) return printJson(data);
      printTable(
        ['id', 'event', 'import', 'status', 'attempts', 'last answer', 'next attempt'],
        data.map((d) => {
          const last = d.attempts.at(-1);
          return [d.id, d.event_type, d.import_id, d.status, d.attempts.length, last ? (last.status_code ?? last.error ?? '') : '', when(d.next_attempt_at)];
        }),
      );
    });
}
