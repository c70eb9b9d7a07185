/**
 * Regions recordings may be stored in (S3 buckets and KMS keys).
 *
 * The default is the AWS regions physically inside EU member states. Two regions with "eu-" in
 * their name are deliberately left out:
 *  - eu-west-2 (London): the UK left the EU; transfers rest on an adequacy decision that can be
 *    withdrawn or lapse, and UK authorities are not bound by the EU's rules on access.
 *  - eu-central-2 (Zurich): Switzerland is not an EU member either (adequacy decision, same
 *    reasoning).
 * Both are lawful destinations under Art. 45 GDPR, so an operator who has decided so may list
 * them in the storage configuration's `allowedRegions`; the default promise of the product is
 * "stays in the EU". Non-AWS S3 providers use their own region names (e.g. "fr-par", "fsn1"):
 * list them the same way.
 */
export const EU_REGIONS: readonly string[] = Object.freeze([
  'eu-central-1', // Frankfurt, DE
  'eu-west-1', // Dublin, IE
  'eu-west-3', // Paris, FR
  'eu-north-1', // Stockholm, SE
  'eu-south-1', // Milan, IT
  'eu-south-2', // Aragon, ES
]);

/** Returns null when `region` is allowed, else a message saying why not. */
export function regionRefusal(region: string, allowed: readonly string[] = EU_REGIONS): string | null {
  if (allowed.includes(region)) return null;
  return (
    `region "${region}" is not in the allowed list [${allowed.join(', ')}]; recordings must stay in the EU ` +
    `(eu-west-2 London and eu-central-2 Zurich are outside the EU and only allowed when listed explicitly)`
  );
}
