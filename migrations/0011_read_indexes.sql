-- Reads at scale (GET …/records, /v1/events): every list is a keyset page, "the next `limit`
-- rows of this organization after a cursor, in id order", which one of these indexes answers by
-- reading exactly those rows, whatever the table holds and whether or not the planner has fresh
-- statistics. The primary keys are on id alone, so without them a page of one organization in
-- a table shared by many would scan the others' rows.
CREATE INDEX locations_by_org_id ON locations (organization_id, id);
CREATE INDEX groups_by_org_id ON groups (organization_id, id);
CREATE INDEX contacts_by_org_id ON contacts (organization_id, id);
CREATE INDEX items_by_org_id ON items (organization_id, id);
CREATE INDEX assets_by_org_id ON assets (organization_id, id);

-- `updated_since`: a client syncing changes asks for the few records changed since its last
-- read; without this it would read every record to find them.
CREATE INDEX locations_by_org_updated ON locations (organization_id, updated_at);
CREATE INDEX groups_by_org_updated ON groups (organization_id, updated_at);
CREATE INDEX contacts_by_org_updated ON contacts (organization_id, updated_at);
CREATE INDEX items_by_org_updated ON items (organization_id, updated_at);
CREATE INDEX assets_by_org_updated ON assets (organization_id, updated_at);

-- The history of one record (GET /v1/events?record_id=…).
CREATE INDEX events_by_record ON events (organization_id, record_id, id);
