import { date, enumOf, refOne, text } from './fields.js';
import type { ResourceDefinition } from './resource.js';

export const ASSET_STATUSES = ['in_use', 'in_storage', 'on_loan', 'in_repair', 'in_transit', 'lost', 'disposed', 'sold'] as const;

export const asset: ResourceDefinition = {
  name: 'asset',
  table: 'assets',
  prefix: 'ast_',
  description: 'One physical unit of an item, at a location.',
  fields: {
    external_id: text('Your system\'s id for the asset; unique per organization.', { max: 255, synonyms: ['external id', 'ext id', 'asset id'] }),
    serial_number: text('Serial number; generated on create when empty.', { max: 255, synonyms: ['serial', 'serial no', 'sn', 's n'] }),
    barcode: text('Barcode or asset tag.', { max: 255, synonyms: ['asset tag', 'tag'] }),
    item: refOne('The item this asset is a unit of.'),
    location: refOne('Where the asset is.'),
    status: enumOf(ASSET_STATUSES, 'Lifecycle status.'),
    category: text('Category.', { max: 255 }),
    purchased_at: date('Purchase date.'),
    warranty_expires_at: date('Warranty end date.'),
    notes: text('Free text.', { max: 10000 }),
  },
  lookupKeys: ['external_id', 'serial_number', 'barcode'],
  requiredToCreate: ['item', 'location'],
  references: [
    { field: 'item', many: false, target: 'item' },
    { field: 'location', many: false, target: 'location' },
  ],
  locationField: 'location',
  generatedOnCreate: ['serial_number'],
};
