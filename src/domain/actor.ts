/** Who makes a request: the organization an API key belongs to, and the key (recorded as created_by / updated_by). */
export interface Actor {
  organizationId: string;
  apiKeyId: string;
}
