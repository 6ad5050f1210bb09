-- The resource tables stop checking organization_id against organizations row by row. Records
-- are written only by an import's processing, with the organization of the import itself, and
-- imports.organization_id is a foreign key already; organizations are never deleted. The check
-- was a trigger run per written record: 6 µs each, 2.5 s of a million-row import (the events
-- table never had one, for the same reason).
ALTER TABLE locations DROP CONSTRAINT locations_organization_id_fkey;
ALTER TABLE groups DROP CONSTRAINT groups_organization_id_fkey;
ALTER TABLE contacts DROP CONSTRAINT contacts_organization_id_fkey;
ALTER TABLE items DROP CONSTRAINT items_organization_id_fkey;
ALTER TABLE assets DROP CONSTRAINT assets_organization_id_fkey;
