import { cents, codeOf, nonNegativeNumber, text } from './fields.js';
import { CURRENCY_CODES } from './reference-data.js';
import type { ResourceDefinition } from './resource.js';

export const item: ResourceDefinition = {
  name: 'item',
  table: 'items',
  prefix: 'itm_',
  description: 'A kind of thing you own (a product or model); assets are individual units of an item.',
  fields: {
    external_id: text('Your system\'s id for the item; unique per organization.', { max: 255, synonyms: ['external id', 'ext id'] }),
    name: text('Display name.', { max: 255, synonyms: ['item name', 'product', 'product name', 'title'] }),
    sku: text('Stock keeping unit.', { max: 128, synonyms: ['stock keeping unit', 'item number', 'part number'] }),
    gtin: text('Global Trade Item Number.', { max: 32, synonyms: ['ean', 'barcode number'] }),
    upc: text('Universal Product Code.', { max: 32 }),
    vendor: text('Vendor or manufacturer.', { max: 255, synonyms: ['manufacturer', 'brand', 'supplier'] }),
    description: text('Free text.', { max: 10000 }),
    value: cents('Value in integer cents (>= 0).'),
    currency: codeOf(CURRENCY_CODES, true, 'ISO 4217 currency code.', 'an ISO 4217 currency code like USD or EUR', 'iso-4217'),
    weight: nonNegativeNumber('Weight (>= 0).'),
    length: nonNegativeNumber('Length (>= 0).'),
    width: nonNegativeNumber('Width (>= 0).'),
    height: nonNegativeNumber('Height (>= 0).'),
  },
  lookupKeys: ['external_id', 'sku', 'gtin'],
  requiredToCreate: ['name'],
  references: [],
};
