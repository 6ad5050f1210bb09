import { codeOf, email, PHONE_SYNONYMS, text } from './fields.js';
import { COUNTRY_CODES, TIME_ZONES } from './reference-data.js';
import type { ResourceDefinition } from './resource.js';

export const location: ResourceDefinition = {
  name: 'location',
  table: 'locations',
  prefix: 'loc_',
  description: 'A place: warehouse, office, store. Groups and assets are tied to locations.',
  fields: {
    external_id: text('Your system\'s id for the location; unique per organization.', { max: 255, synonyms: ['external id', 'ext id'] }),
    name: text('Display name.', { max: 255, synonyms: ['location name', 'location'] }),
    code: text('Short code, e.g. a warehouse code.', { max: 64, synonyms: ['location code', 'site code'] }),
    email: email('Contact email of the location.'),
    phone: text('Phone number.', { max: 64, synonyms: PHONE_SYNONYMS }),
    address_line1: text('First address line.', { max: 255, synonyms: ['address', 'address 1', 'street', 'street address', 'address line 1'] }),
    address_line2: text('Second address line.', { max: 255, synonyms: ['address 2', 'address line 2', 'suite'] }),
    city: text('City.', { max: 128, synonyms: ['town'] }),
    state: text('State, province or region.', { max: 128, synonyms: ['province', 'region'] }),
    postal_code: text('Postal or ZIP code.', { max: 32, synonyms: ['zip', 'zip code', 'postcode', 'post code'] }),
    country: codeOf(COUNTRY_CODES, true, 'Country, ISO 3166-1 alpha-2.', 'an ISO 3166-1 alpha-2 country code like US or DE', 'iso-3166-1-alpha-2'),
    timezone: codeOf(TIME_ZONES, false, 'IANA time zone, e.g. Europe/Berlin.', 'an IANA time zone like Europe/Berlin', 'iana-time-zone'),
  },
  lookupKeys: ['external_id', 'code', 'name'],
  requiredToCreate: ['name', 'address_line1', 'city', 'country'],
  references: [],
};
