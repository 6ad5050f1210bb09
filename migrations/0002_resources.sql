-- The records of the five resources (SPEC §2). Column names are field names; references are
-- ids (text) or id arrays (text[]). Lookup keys are stored normalised (trimmed, emails
-- lower-cased) so they compare with plain equality and use these indexes.

CREATE TABLE locations (
  organization_id  text NOT NULL REFERENCES organizations (id),
  id               text PRIMARY KEY,
  external_id      text,
  name             text NOT NULL,
  code             text,
  email            text,
  phone            text,
  address_line1    text,
  address_line2    text,
  city             text,
  state            text,
  postal_code      text,
  country          text,
  timezone         text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX locations_external_id ON locations (organization_id, external_id);
CREATE INDEX locations_code ON locations (organization_id, code);
CREATE INDEX locations_name ON locations (organization_id, name);

CREATE TABLE groups (
  organization_id  text NOT NULL REFERENCES organizations (id),
  id               text PRIMARY KEY,
  external_id      text,
  name             text NOT NULL,
  type             text NOT NULL,
  description      text,
  location         text,
  children         text[],
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX groups_external_id ON groups (organization_id, external_id);
CREATE INDEX groups_name ON groups (organization_id, name);
CREATE INDEX groups_location ON groups (organization_id, location);

CREATE TABLE contacts (
  organization_id  text NOT NULL REFERENCES organizations (id),
  id               text PRIMARY KEY,
  external_id      text,
  name             text NOT NULL,
  email            text,
  phone            text,
  id_number        text,
  nickname         text,
  notes            text,
  metadata         jsonb,
  groups           text[],
  locations        text[],
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_external_id ON contacts (organization_id, external_id);
CREATE INDEX contacts_email ON contacts (organization_id, email);

CREATE TABLE items (
  organization_id  text NOT NULL REFERENCES organizations (id),
  id               text PRIMARY KEY,
  external_id      text,
  name             text NOT NULL,
  sku              text,
  gtin             text,
  upc              text,
  vendor           text,
  description      text,
  value            bigint,
  currency         text,
  weight           double precision,
  length           double precision,
  width            double precision,
  height           double precision,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX items_external_id ON items (organization_id, external_id);
CREATE INDEX items_sku ON items (organization_id, sku);
CREATE INDEX items_gtin ON items (organization_id, gtin);

CREATE TABLE assets (
  organization_id      text NOT NULL REFERENCES organizations (id),
  id                   text PRIMARY KEY,
  external_id          text,
  serial_number        text NOT NULL,
  barcode              text,
  item                 text NOT NULL,
  location             text NOT NULL,
  status               text,
  category             text,
  purchased_at         date,
  warranty_expires_at  date,
  notes                text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX assets_external_id ON assets (organization_id, external_id);
CREATE INDEX assets_serial_number ON assets (organization_id, serial_number);
CREATE INDEX assets_barcode ON assets (organization_id, barcode);
CREATE INDEX assets_item ON assets (organization_id, item);
CREATE INDEX assets_location ON assets (organization_id, location);
