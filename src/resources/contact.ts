import { email, jsonObject, PHONE_SYNONYMS, refMany, text } from './fields.js';
import type { ResourceDefinition } from './resource.js';

export const contact: ResourceDefinition = {
  name: 'contact',
  table: 'contacts',
  prefix: 'con_',
  description: 'A person: employee, customer or vendor contact.',
  fields: {
    external_id: text('Your system\'s id for the contact; unique per organization.', { max: 255, synonyms: ['external id', 'ext id', 'contact id'] }),
    name: text('Full name.', { max: 255, synonyms: ['full name', 'contact name', 'contact'] }),
    email: email('Email address; compared case-insensitively.'),
    phone: text('Phone number.', { max: 64, synonyms: PHONE_SYNONYMS }),
    id_number: text('Employee or national id number.', { max: 128, synonyms: ['id number', 'employee id', 'employee number'] }),
    nickname: text('Nickname.', { max: 255 }),
    notes: text('Free text.', { max: 10000, synonyms: ['note', 'comments'] }),
    metadata: jsonObject('Arbitrary key/value data.'),
    groups: refMany('Groups the contact belongs to.'),
    locations: refMany('Locations the contact works at.'),
  },
  lookupKeys: ['external_id', 'email'],
  requiredToCreate: ['name'],
  references: [
    { field: 'groups', many: true, target: 'group' },
    { field: 'locations', many: true, target: 'location' },
  ],
};
