-- Row error codes are the catalog's (src/errors.ts ROW_ERROR_CODES): a phase writing any other
-- code is refused by the database rather than shown to a user. test/db/row-error-codes.test.ts
-- keeps this list and the catalog equal.
ALTER TABLE import_errors ADD CONSTRAINT import_errors_code_known CHECK (code IN (
  'parse_error',
  'invalid_value',
  'missing_required_field',
  'duplicate',
  'missing_identity',
  'ambiguous_identity',
  'not_found',
  'invalid_reference',
  'ambiguous_reference',
  'still_referenced'
));
