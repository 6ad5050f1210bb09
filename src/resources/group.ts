import { enumOf, refMany, refOne, text } from './fields.js';
import type { ResourceDefinition } from './resource.js';

export const group: ResourceDefinition = {
  name: 'group',
  table: 'groups',
  prefix: 'grp_',
  description: 'A named set of contacts or of locations (by `type`), optionally tied to a location.',
  fields: {
    external_id: text('Your system\'s id for the group; unique per organization.', { max: 255, synonyms: ['external id', 'ext id'] }),
    name: text('Display name.', { max: 255, synonyms: ['group name', 'group'] }),
    type: enumOf(['contact', 'location'] as const, 'What the group contains.'),
    description: text('Free text.', { max: 2000 }),
    location: refOne('The location this group belongs to.'),
    children: refMany('Members: contacts when type is contact, locations when type is location.'),
  },
  lookupKeys: ['external_id', 'name'],
  requiredToCreate: ['name', 'type'],
  references: [
    { field: 'location', many: false, target: 'location' },
    { field: 'children', many: true, target: { by: 'type', map: { contact: 'contact', location: 'location' } } },
  ],
  locationField: 'location',
};
