import { AppError } from '../errors.js';
import { asset } from './asset.js';
import { contact } from './contact.js';
import { group } from './group.js';
import { item } from './item.js';
import { location } from './location.js';
import type { ResourceDefinition, ResourceName } from './resource.js';

/** The explicit registry: order is the order of GET /v1/resources. */
export const RESOURCES: readonly ResourceDefinition[] = [location, group, contact, item, asset];

const byName = new Map<string, ResourceDefinition>(RESOURCES.map((r) => [r.name, r]));

export const RESOURCE_NAMES = RESOURCES.map((r) => r.name) as [ResourceName, ...ResourceName[]];

export function getResource(name: string): ResourceDefinition {
  const def = byName.get(name);
  if (!def) {
    throw new AppError('unknown_resource', `Unknown resource "${name}". Valid resources: ${RESOURCE_NAMES.join(', ')}.`, {
      field: 'resource',
      valid: RESOURCE_NAMES,
    });
  }
  return def;
}
